// A value to copy (a secret shown once, a command line), with a copy button
// that also works where the clipboard API is not offered.
import { useRef, useState } from 'react';
import { useI18n } from '../i18n';

async function copyText(text: string, fallback: HTMLElement | null): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall back to selecting the text
  }
  if (!fallback) return false;
  const range = document.createRange();
  range.selectNodeContents(fallback);
  const sel = window.getSelection();
  sel?.removeAllRanges();
  sel?.addRange(range);
  try {
    return document.execCommand('copy');
  } catch {
    return false;
  }
}

export function CopyField({ value, label, testId, multiline }: { value: string; label?: string; testId?: string; multiline?: boolean }) {
  const { t } = useI18n();
  const [copied, setCopied] = useState<boolean | null>(null);
  const box = useRef<HTMLElement>(null);
  const copy = async () => {
    const ok = await copyText(value, box.current);
    setCopied(ok);
    setTimeout(() => setCopied(null), 1800);
  };
  return (
    <div className="copy-field" data-testid={testId}>
      {label && <div className="copy-label">{label}</div>}
      <div className="copy-row">
        <code className={`copy-value ${multiline ? 'copy-wrap' : ''}`} ref={box} data-value>
          {value}
        </code>
        <button type="button" className="btn btn-small" onClick={() => void copy()}>
          {copied === true ? t('action.copied') : copied === false ? t('copy.select') : t('action.copy')}
        </button>
      </div>
    </div>
  );
}
