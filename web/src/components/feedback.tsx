// Error, empty and loading states.
import type { ReactNode } from 'react';
import { ApiError } from '../api/client';
import { useI18n } from '../i18n';
import type { Load } from '../lib/hooks';

/** errorText says what went wrong: the API's message, or a network failure. */
export function useErrorText(): (err: unknown) => string {
  const { t } = useI18n();
  return (err: unknown) => {
    if (err instanceof ApiError) {
      if (err.code === 'network') return t('error.network', { detail: err.message });
      if (err.status === 403) return `${t('error.forbidden')} ${err.message}`;
      return err.message;
    }
    return err instanceof Error ? err.message : String(err);
  };
}

export function ErrorBanner({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useI18n();
  const text = useErrorText();
  if (!error) return null;
  const code = error instanceof ApiError ? error.code : '';
  return (
    <div className="error-banner" role="alert">
      <strong>{t('error.title')}</strong>
      <span className="error-message">{text(error)}</span>
      {code && <code className="error-code">{code}</code>}
      {onRetry && (
        <button type="button" className="btn btn-small" onClick={onRetry}>
          {t('action.retry')}
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

export function Loading() {
  const { t } = useI18n();
  return (
    <div className="loading" aria-busy="true">
      <span className="spinner" /> {t('common.loading')}
    </div>
  );
}

interface LoadedProps {
  load: Pick<Load<unknown>, 'data' | 'error' | 'refresh'>;
  /** how many things the load gave, shown unless none */
  count: number;
  /** the text shown when it gave none */
  empty: ReactNode;
  /** what the load gave */
  children: ReactNode;
}

/** Loaded shows a one-shot load's error (with a retry), then "loading" until it answers, the empty text when it gave nothing, or what it gave. */
export function Loaded({ load, count, empty, children }: LoadedProps) {
  return (
    <>
      <ErrorBanner error={load.error} onRetry={load.refresh} />
      {load.data === undefined && !load.error ? <Loading /> : count === 0 ? !load.error && <Empty>{empty}</Empty> : children}
    </>
  );
}
