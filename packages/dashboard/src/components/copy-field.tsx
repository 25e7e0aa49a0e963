// A value to paste elsewhere (a callback URL to register at a provider): shown read-only, with a
// copy button; where the page may not use the clipboard, the value is selected for Ctrl+C.
import { useId, useRef, useState } from 'react';

export function CopyField({
  label,
  value,
  testId,
  compact = false,
}: {
  /** what is copied, e.g. "the callback URL" */
  label: string;
  value: string;
  testId?: string;
  /** the value as text with the button below it (in a table cell) */
  compact?: boolean;
}) {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<string | null>(null);

  const copy = async () => {
    input.current?.select();
    if (!navigator.clipboard) {
      setCopied('This page cannot use the clipboard (it is not served over https): press Ctrl+C.');
      return;
    }
    try {
      await navigator.clipboard.writeText(value);
      setCopied('Copied.');
    } catch (e) {
      setCopied(`Could not copy (${e instanceof Error ? e.message : String(e)}): press Ctrl+C.`);
    }
  };

  const button = (
    <button type="button" className="secondary" onClick={copy} aria-label={`Copy ${label}`}>
      Copy
    </button>
  );
  if (compact) {
    return (
      <div className="copy-field compact">
        <code className="break" data-testid={testId}>
          {value}
        </code>
        {button}
        {copied && (
          <span className="hint" role="status">
            {copied}
          </span>
        )}
      </div>
    );
  }
  return (
    <div className="copy-field">
      <label htmlFor={id} className="visually-hidden">
        {label}
      </label>
      <input
        id={id}
        ref={input}
        className="copy-value"
        readOnly
        value={value}
        onFocus={(e) => e.target.select()}
        data-testid={testId}
      />
      {button}
      {copied && (
        <span className="hint" role="status">
          {copied}
        </span>
      )}
    </div>
  );
}
