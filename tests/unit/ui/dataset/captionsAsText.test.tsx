/**
 * Captions and file names are text, whatever they hold (issue 15.6): a caption or an image name holding HTML
 * reaches the Dataset panel's samples and warnings, and the playground's card, as escaped text, never as
 * markup. The dataset goes through the real loader and store; React's own renderer makes the markup.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { encode as encodePng } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { memoryFolder } from '../../../../src/core/data/folders.ts';
import { SampleStrip } from '../../../../src/ui/dataset/SampleStrip.tsx';
import { WarningsList } from '../../../../src/ui/dataset/WarningsList.tsx';
import { CaptionCard } from '../../../../src/ui/playground/CaptionSteps.tsx';
import { renderWithStore } from '../../../support/renderWithStore.tsx';
import { testStore } from '../../../support/studioStore.ts';

const hostileCaption = '<img src=x onerror="window.pwned=1"> a dog <b>runs</b>';
const hostileName = '<svg onload=alert(1)>.png';
const missingName = '<script>alert(2)</script>.jpg';

/** True when the HTML in a caption or name became markup: an element of it, or a live (unescaped) handler. */
function hasMarkupOf(html: string, images = 0): boolean {
  return /<(svg|script|b)[\s>]/i.test(html) || /onerror="/.test(html) || (html.match(/<img /g) ?? []).length !== images;
}

describe('captions and file names render as text', () => {
  it('samples and warnings of a dataset whose caption and names hold HTML show them escaped', async () => {
    const png = encodePng({ width: 2, height: 2, data: new Uint8Array(12).fill(3), channels: 3 });
    const captions = ['image,caption', `"${hostileName}","${hostileCaption.replace(/"/g, '""')}"`, `"${missingName}",a cat`, ''].join('\n');
    const { store } = testStore();
    await store.getState().loadFolder(memoryFolder('hostile', { 'captions.txt': captions, [`Images/${hostileName}`]: png }));
    expect(store.getState().datasetStatus).toBe('ready');
    expect(store.getState().samples[0].captions[0]).toBe(hostileCaption);
    expect(store.getState().warnings.some((w) => w.message.includes(missingName))).toBe(true);

    const html = renderWithStore(
      store,
      <>
        <SampleStrip />
        <WarningsList />
      </>,
    );
    // One <img>: the sample's own picture, its caption only in attributes, escaped.
    expect(hasMarkupOf(html, 1)).toBe(false);
    expect(html).toContain('&lt;img src=x onerror=&quot;window.pwned=1&quot;&gt; a dog &lt;b&gt;runs&lt;/b&gt;');
    expect(html).toContain('&lt;svg onload=alert(1)&gt;.png');
    expect(html).toContain('&lt;script&gt;alert(2)&lt;/script&gt;.jpg');
  });

  it("the playground's card shows a caption and an image name holding HTML as text", () => {
    const html = renderToStaticMarkup(
      <CaptionCard item={{ id: 'x', name: hostileName, imageUrl: null, status: 'done', caption: hostileCaption, steps: [], error: null }} onRemove={() => undefined} />,
    );
    expect(hasMarkupOf(html)).toBe(false);
    expect(html).toContain('&lt;b&gt;runs&lt;/b&gt;');
  });
});
