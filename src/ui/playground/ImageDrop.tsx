import { useEffect, useRef, useState } from 'react';

export interface PickedImage {
  name: string;
  bytes: Uint8Array;
  imageUrl: string | null;
}

async function toPicked(files: File[]): Promise<PickedImage[]> {
  const images = files.filter((f) => f.type.startsWith('image/') || /\.(jpe?g|png|gif|webp|bmp)$/i.test(f.name));
  return Promise.all(
    images.map(async (f) => ({ name: f.name || 'pasted image', bytes: new Uint8Array(await f.arrayBuffer()), imageUrl: URL.createObjectURL(f) })),
  );
}

/** Drop images here, paste them anywhere on the page, or pick them with the button (keyboard). */
export function ImageDrop({ onImages, disabled }: { onImages(images: PickedImage[]): void; disabled?: boolean }) {
  const [over, setOver] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const latest = useRef(onImages);
  latest.current = onImages;
  useEffect(() => {
    if (disabled) return;
    const onPaste = (e: ClipboardEvent) => {
      const files = [...(e.clipboardData?.files ?? [])];
      if (files.length) void toPicked(files).then((p) => p.length && latest.current(p));
    };
    window.addEventListener('paste', onPaste);
    return () => window.removeEventListener('paste', onPaste);
  }, [disabled]);
  return (
    <div
      className={over ? 'sp-drop sp-over' : 'sp-drop'}
      data-testid="playground-drop"
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        if (!disabled) void toPicked([...e.dataTransfer.files]).then((p) => p.length && onImages(p));
      }}
    >
      <p>Drop one or many images here, or paste one (Ctrl+V).</p>
      <button type="button" disabled={disabled} onClick={() => input.current?.click()}>
        Pick images…
      </button>
      <input
        ref={input}
        type="file"
        accept="image/*"
        multiple
        hidden
        data-testid="playground-input"
        onChange={(e) => {
          const files = [...(e.target.files ?? [])];
          e.target.value = '';
          void toPicked(files).then((p) => p.length && onImages(p));
        }}
      />
    </div>
  );
}
