import { useId, type ReactNode } from 'react';

/**
 * One setting: its label, its control, and a one-line explanation an instructor can read aloud. A control
 * the build or the browser cannot offer stays visible, disabled, with the reason.
 */
export function Setting({
  label,
  explain,
  disabledReason,
  children,
}: {
  label: string;
  explain: string;
  disabledReason?: string | null;
  children: (props: { id: string; disabled: boolean; 'aria-describedby': string; 'aria-labelledby': string }) => ReactNode;
}) {
  const id = useId();
  const helpId = `${id}-help`;
  const labelId = `${id}-label`;
  return (
    <div className={disabledReason ? 'sp-setting sp-disabled' : 'sp-setting'}>
      <label id={labelId} htmlFor={id}>
        {label}
      </label>
      {children({ id, disabled: Boolean(disabledReason), 'aria-describedby': helpId, 'aria-labelledby': labelId })}
      <p id={helpId} className="sp-explain">
        {explain}
        {disabledReason ? <span className="sp-reason"> Unavailable: {disabledReason}</span> : null}
      </p>
    </div>
  );
}

/** A compact choice between a few values, as radio buttons (keyboard: arrows). */
export function Choice<T extends string>({
  name,
  value,
  options,
  onChange,
  disabled,
  disabledOptions = {},
  labelledBy,
  describedBy,
}: {
  name: string;
  /** The Setting's label and explanation, so a screen reader announces both with the group. */
  labelledBy?: string;
  describedBy?: string;
  value: T;
  options: { value: T; label: string }[];
  onChange(value: T): void;
  disabled?: boolean;
  /** Option → why it cannot be chosen. */
  disabledOptions?: Partial<Record<T, string>>;
}) {
  return (
    <div role="radiogroup" aria-label={labelledBy ? undefined : name} aria-labelledby={labelledBy} aria-describedby={describedBy} className="sp-choice">
      {options.map((o) => (
        <label key={o.value} title={disabledOptions[o.value]} className={disabledOptions[o.value] ? 'sp-disabled' : undefined}>
          <input
            type="radio"
            name={name}
            value={o.value}
            checked={value === o.value}
            disabled={disabled || Boolean(disabledOptions[o.value])}
            onChange={() => onChange(o.value)}
          />
          {o.label}
          {disabledOptions[o.value] ? <span className="sp-reason"> ({disabledOptions[o.value]})</span> : null}
        </label>
      ))}
    </div>
  );
}
