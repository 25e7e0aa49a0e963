// A newly created access token, shown once, with a copy button.
import { useRef, useState } from 'react';

export function NewToken({ name, token, onDismiss }: { name: string; token: string; onDismiss: () => void }) {
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<string | null>(null);

  const copy = async () => {
    input.current?.select();
    if (!navigator.clipboard) {
      setCopied(
        'This page cannot use the clipboard (it is not served over https): press Ctrl+C to copy the selected token.',
      );
      return;
    }
    try {
      await navigator.clipboard.writeText(token);
      setCopied('Copied to the clipboard.');
    } catch (e) {
      setCopied(
        `Could not copy (${e instanceof Error ? e.message : String(e)}): press Ctrl+C to copy the selected token.`,
      );
    }
  };

  return (
    <section className="new-token" aria-label="New access token" data-testid="new-token">
      <p>
        Token <strong>{name}</strong> was created. Copy it now: it is shown only once.
      </p>
      <div className="row">
        <input
          ref={input}
          readOnly
          value={token}
          aria-label={`Access token ${name}`}
          onFocus={(e) => e.target.select()}
          data-testid="token-value"
        />
        <button type="button" onClick={copy}>
          Copy
        </button>
        <button type="button" className="secondary" onClick={onDismiss}>
          Done
        </button>
      </div>
      {copied && <p role="status">{copied}</p>}
    </section>
  );
}
