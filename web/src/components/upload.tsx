// A file sent with its upload's progress: the sending, which a close
// cancels (a cancel is no error), and how much was sent, in words and as a
// bar.
import { useState } from 'react';
import type { UploadProgress } from '../api/client';
import { useI18n, type MessageKey } from '../i18n';
import { bytes } from '../lib/format';
import { uploadPercent } from '../lib/risk';

/** ProgressBar draws a share (0 to 100), or a moving bar when it is not known. */
export function ProgressBar({ pct, testId, label }: { pct: number | null; testId?: string; label: string }) {
  return (
    <div
      className={`progress ${pct === null ? 'progress-unknown' : ''}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={pct ?? undefined}
      data-testid={testId}
      data-pct={pct ?? ''}
    >
      <div className="progress-fill" style={pct === null ? undefined : { width: `${pct}%` }} />
    </div>
  );
}

/** Upload is the state of a file being sent. */
export interface Upload {
  /** how much was sent, from the start of a send until it fails or is cancelled */
  sent: UploadProgress | null;
  /** why the last send failed */
  error: unknown;
  /** whether a send is going on */
  uploading: boolean;
  /** send starts the upload of file, telling its progress and ending with done of the answer */
  send: <T>(file: Blob, start: (onProgress: (p: UploadProgress) => void, signal: AbortSignal) => Promise<T>, done: (answer: T) => void) => Promise<void>;
  /** abort cancels a send going on */
  abort: () => void;
}

/** useUpload sends a file with its progress; a failure keeps its error, a cancel none. */
export function useUpload(): Upload {
  const [sent, setSent] = useState<UploadProgress | null>(null);
  const [ctl, setCtl] = useState<AbortController | null>(null);
  const [error, setError] = useState<unknown>(null);
  const send: Upload['send'] = async (file, start, done) => {
    const c = new AbortController();
    setCtl(c);
    setError(null);
    setSent({ loaded: 0, total: file.size });
    try {
      done(await start(setSent, c.signal));
    } catch (err) {
      if (!(err instanceof DOMException && err.name === 'AbortError')) setError(err);
      setSent(null);
    } finally {
      setCtl(null);
    }
  };
  return { sent, error, uploading: ctl !== null, send, abort: () => ctl?.abort() };
}

interface StatusProps {
  sent: UploadProgress;
  /** data-testid of the whole */
  testId: string;
  /** what is going on: sending, or what follows */
  title: string;
  /** the text of the bytes sent, of the total and the share ({sent}, {total}, {pct}) */
  bytesKey: MessageKey;
  /** data-testid of that text */
  bytesTestId?: string;
  /** the bar's accessible name */
  barLabel: string;
  /** data-testid of the bar */
  barTestId: string;
  /** whether the bar moves without a share once every byte is sent, while the answer is awaited */
  waitWhenSent?: boolean;
}

/** UploadStatus shows how much of a file was sent, in words and as a bar. */
export function UploadStatus({ sent, testId, title, bytesKey, bytesTestId, barLabel, barTestId, waitWhenSent }: StatusProps) {
  const { t } = useI18n();
  const pct = uploadPercent(sent);
  return (
    <div className="upload-progress" data-testid={testId} data-loaded={sent.loaded} data-total={sent.total}>
      <div className="job-line">
        <span className="strong">{title}</span>
        <span className="toolbar-spacer" />
        <span className="muted small" data-testid={bytesTestId}>
          {t(bytesKey, { sent: bytes(sent.loaded), total: bytes(sent.total), pct })}
        </span>
      </div>
      <ProgressBar pct={waitWhenSent && sent.loaded >= sent.total ? null : pct} label={barLabel} testId={barTestId} />
    </div>
  );
}
