// The switch that turns a view's automatic refresh on and off, with a
// pulsing dot while it is on (red when the last refresh failed).
import { useI18n } from '../i18n';

interface Props {
  live: boolean;
  onChange: (live: boolean) => void;
  /** Seconds between refreshes, for the tooltip. */
  seconds: number;
  failing?: boolean;
  busy?: boolean;
}

export function LiveSwitch({ live, onChange, seconds, failing, busy }: Props) {
  const { t } = useI18n();
  return (
    <label
      className={`live-switch ${live ? 'live-switch-on' : ''} ${live && failing ? 'live-failing' : ''}`}
      title={t('live.switchHint', { n: seconds })}
      data-testid="live-switch"
      data-live={live}
      aria-busy={busy || undefined}
    >
      <input type="checkbox" role="switch" name="live" checked={live} onChange={(e) => onChange(e.target.checked)} />
      <span className="live-track" aria-hidden="true">
        <span className="live-knob" />
      </span>
      <span>{t('live.switch')}</span>
      {live && <span className="live-dot" aria-hidden="true" />}
    </label>
  );
}
