// Pretty, coloured JSON with a copy button. Rendered as text nodes only.
import { useState, type ReactNode } from 'react';
import { useI18n } from '../i18n';

const token = /("(?:\\.|[^"\\])*")(\s*:)?|\b(true|false|null)\b|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g;

/** highlight splits pretty-printed JSON into coloured spans. */
function highlight(src: string): ReactNode[] {
  const out: ReactNode[] = [];
  let last = 0;
  let i = 0;
  for (const m of src.matchAll(token)) {
    const at = m.index ?? 0;
    if (at > last) out.push(src.slice(last, at));
    let cls = 'j-num';
    if (m[1] !== undefined) cls = m[2] ? 'j-key' : 'j-str';
    else if (m[3] !== undefined) cls = 'j-lit';
    const text = m[1] !== undefined ? m[1] : m[0];
    out.push(
      <span key={i++} className={cls}>
        {text}
      </span>,
    );
    if (m[2]) out.push(m[2]);
    last = at + m[0].length;
  }
  if (last < src.length) out.push(src.slice(last));
  return out;
}

export function JsonView({ value, label }: { value: unknown; label?: string }) {
  const { t } = useI18n();
  const [copied, setCopied] = useState(false);
  const text = JSON.stringify(value, null, 2) ?? 'null';
  const copy = () => {
    void navigator.clipboard?.writeText(text).then(() => {
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    });
  };
  return (
    <div className="json">
      <div className="json-bar">
        <span>{label ?? 'JSON'}</span>
        <button type="button" className="btn btn-ghost btn-small" onClick={copy}>
          {copied ? t('action.copied') : t('action.copy')}
        </button>
      </div>
      <pre className="json-body">{highlight(text)}</pre>
    </div>
  );
}
