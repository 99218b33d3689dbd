import { useEffect, useState } from 'react';

/**
 * A number field that lets a person type freely ("0.0", "", "1e-") and only commits a value in [min, max];
 * on leaving the field the text snaps back to the committed value.
 */
export function NumberInput({
  value,
  min,
  max,
  step,
  onCommit,
  ...rest
}: {
  value: number;
  min: number;
  max: number;
  step: number;
  onCommit(value: number): void;
  id: string;
  disabled: boolean;
  'aria-describedby': string;
  'aria-labelledby': string;
}) {
  const [text, setText] = useState(String(value));
  useEffect(() => setText(String(value)), [value]);
  return (
    <input
      {...rest}
      type="number"
      inputMode="decimal"
      min={min}
      max={max}
      step={step}
      value={text}
      onChange={(e) => {
        setText(e.target.value);
        const parsed = Number(e.target.value);
        if (e.target.value.trim() !== '' && Number.isFinite(parsed) && parsed >= min && parsed <= max) onCommit(parsed);
      }}
      onBlur={() => setText(String(value))}
    />
  );
}
