// Tells that a listing refreshes by itself, and when it last did.
import { useI18n } from '../i18n';
import { useNow } from '../lib/hooks';

export function LiveIndicator({ updatedAt, failing }: { updatedAt: number | null; failing: boolean }) {
  const { t } = useI18n();
  const now = useNow();
  const age = updatedAt ? Math.max(0, Math.round((now - updatedAt) / 1000)) : null;
  return (
    <span className={`live ${failing ? 'live-failing' : ''}`} data-testid="live">
      <span className="live-dot" />
      {failing ? t('live.stale') : t('live.on')}
      {age !== null && <span className="muted"> · {t('live.updated', { n: age })}</span>}
    </span>
  );
}
