// Coloured badges for agent status, alert severity and state, incident
// state and rule level.
import { useI18n, type MessageKey } from '../i18n';
import { incidentStates, ruleLevels, type AgentStatus, type AlertState, type IncidentState, type Severity } from '../api/types';

export function StatusBadge({ status }: { status: AgentStatus | '' }) {
  const { t } = useI18n();
  if (!status) return <span className="muted">—</span>;
  const known = ['enrolled', 'online', 'stopped', 'uninstalled', 'lost'].includes(status);
  return (
    <span className={`badge status-${known ? status : 'unknown'}`} data-status={status}>
      <span className="dot" />
      {known ? t(`status.${status}` as MessageKey) : status}
    </span>
  );
}

export function SeverityBadge({ severity }: { severity: Severity }) {
  const { t } = useI18n();
  const known = ['low', 'medium', 'high', 'critical'].includes(severity);
  return (
    <span className={`badge sev-${known ? severity : 'unknown'}`} data-severity={severity}>
      {known ? t(`severity.${severity}` as MessageKey) : severity}
    </span>
  );
}

export function StateBadge({ state }: { state: AlertState }) {
  const { t } = useI18n();
  const known = ['new', 'acknowledged', 'resolved', 'false_positive'].includes(state);
  return (
    <span className={`badge state-${known ? state : 'unknown'}`} data-state={state}>
      {known ? t(`alertState.${state}` as MessageKey) : state}
    </span>
  );
}

export function Labels({ labels }: { labels: Record<string, string> | null | undefined }) {
  const entries = Object.entries(labels ?? {}).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return <span className="muted">—</span>;
  return (
    <span className="chips">
      {entries.map(([k, v]) => (
        <span key={k} className="chip" title={`${k}=${v}`}>
          <span className="chip-k">{k}</span>
          {v !== '' && <span className="chip-v">{v}</span>}
        </span>
      ))}
    </span>
  );
}

export function IncidentStateBadge({ state }: { state: IncidentState | string }) {
  const { t } = useI18n();
  const known = (incidentStates as string[]).includes(state);
  return (
    <span className={`badge istate-${known ? state : 'unknown'}`} data-state={state}>
      {known ? t(`incidentState.${state}` as MessageKey) : state}
    </span>
  );
}

/** LevelBadge shows a Sigma rule level (informational to critical). */
export function LevelBadge({ level }: { level: string }) {
  const { t } = useI18n();
  const known = (ruleLevels as string[]).includes(level);
  const sev = level === 'informational' ? 'info' : level;
  return (
    <span className={`badge sev-${known ? sev : 'unknown'}`} data-level={level}>
      {known ? t(`level.${level}` as MessageKey) : level}
    </span>
  );
}
