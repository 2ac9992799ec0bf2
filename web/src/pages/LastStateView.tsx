// Plugins and stats from an agent's last reported state.
import { useI18n, type MessageKey } from '../i18n';
import { bytes, count } from '../lib/format';
import type { LastState, PluginState } from '../lib/lastState';
import { formatTime } from '../lib/time';

const pluginStateClass: Record<string, string> = {
  running: 'status-online',
  idle: 'status-stopped',
  skipped: 'status-uninstalled',
  disabled: 'status-stopped',
  failed: 'status-lost',
  standby: 'status-enrolled',
};

/** Counters whose names say something went wrong are shown as warnings. */
const troubleCounter = /malformed|lost|error|overflow|corrupt|fail|dropped|resync/;

const counterLabels: Record<string, MessageKey> = {
  malformed_lines: 'counter.malformedLines',
  malformed_records: 'counter.malformedRecords',
  lost_records: 'counter.lostRecords',
  overflows: 'counter.overflows',
  rescans: 'counter.rescans',
  read_errors: 'counter.readErrors',
  processes: 'counter.processes',
};

export function PluginsTable({ plugins }: { plugins: PluginState[] }) {
  const { t } = useI18n();
  return (
    <div className="table-scroll">
    <table className="table table-compact" data-testid="plugins-table">
      <thead>
        <tr>
          <th>{t('plugin.name')}</th>
          <th>{t('plugin.state')}</th>
          <th>{t('plugin.reason')}</th>
          <th className="num">{t('plugin.runs')}</th>
          <th className="num">{t('plugin.failures')}</th>
          <th className="num">{t('plugin.events')}</th>
          <th className="num">{t('plugin.filtered')}</th>
          <th className="num">{t('plugin.dropped')}</th>
          <th>{t('plugin.counters')}</th>
          <th>{t('plugin.lastRun')}</th>
        </tr>
      </thead>
      <tbody>
        {plugins.map((p) => (
          <tr key={p.name} data-plugin={p.name}>
            <td>
              <div className="mono">{p.name}</div>
              <div className="sub">{[p.kind, p.provides, p.mechanism].filter(Boolean).join(' · ')}</div>
            </td>
            <td>
              <span className={`badge ${pluginStateClass[p.state] ?? 'status-unknown'}`} data-state={p.state}>
                {p.state in pluginStateClass ? t(`pluginState.${p.state}` as MessageKey) : p.state || '—'}
              </span>
            </td>
            <td className="reason-cell">
              {p.reason}
              {p.lastError && <div className="result-error">{p.lastError}</div>}
              {!p.reason && !p.lastError && <span className="muted">—</span>}
            </td>
            <td className="num">{count(p.runs)}</td>
            <td className={`num ${p.failures > 0 ? 'text-bad' : ''}`}>{count(p.failures)}</td>
            <td className="num">{count(p.events)}</td>
            <td className="num">{count(p.filtered)}</td>
            <td className={`num ${p.dropped > 0 ? 'text-warn' : ''}`}>{count(p.dropped)}</td>
            <td className="counters-cell small" data-testid="plugin-counters">
              {Object.keys(p.counters).length === 0 && <span className="muted">—</span>}
              {Object.entries(p.counters)
                .sort(([a], [b]) => a.localeCompare(b))
                .map(([k, v]) => (
                  <span key={k} className={`counter ${troubleCounter.test(k) ? 'text-warn' : ''}`} data-counter={k} title={k}>
                    {counterLabels[k] ? t(counterLabels[k]) : k} {count(v)}
                  </span>
                ))}
            </td>
            <td className="nowrap small">{p.lastRun ? formatTime(p.lastRun) : <span className="muted">—</span>}</td>
          </tr>
        ))}
      </tbody>
    </table>
    </div>
  );
}

const statLabels: Record<string, MessageKey> = {
  cpu_percent: 'stats.cpu',
  rss_bytes: 'stats.rss',
  spool_bytes: 'stats.spoolBytes',
  spool_events: 'stats.spoolEvents',
  spool_dropped_total: 'stats.spoolDropped',
  events_sent_total: 'stats.eventsSent',
  batches_sent_total: 'stats.batchesSent',
  throttled: 'stats.throttled',
  reconnects_total: 'stats.reconnects',
};

function statValue(key: string, v: number | boolean | string, yes: string, no: string): string {
  if (typeof v === 'boolean') return v ? yes : no;
  if (typeof v === 'string') return v;
  if (key.endsWith('_bytes')) return bytes(v);
  if (key.endsWith('_percent')) return `${v.toFixed(1)} %`;
  return count(v);
}

export function StatsGrid({ stats, other }: Pick<LastState, 'stats' | 'other'>) {
  const { t } = useI18n();
  const entries = Object.entries(stats).sort(([a], [b]) => {
    const ia = Object.keys(statLabels).indexOf(a);
    const ib = Object.keys(statLabels).indexOf(b);
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
  });
  return (
    <div className="stats" data-testid="stats">
      {entries.map(([k, v]) => (
        <div key={k} className={`stat ${k === 'throttled' && v === true ? 'stat-warn' : ''}`}>
          <div className="stat-label">{statLabels[k] ? t(statLabels[k]) : k}</div>
          <div className="stat-value">{statValue(k, v, t('common.yes'), t('common.no'))}</div>
        </div>
      ))}
      {Object.entries(other).map(([k, v]) => (
        <div key={k} className="stat">
          <div className="stat-label">{k}</div>
          <div className="stat-value small">{String(v)}</div>
        </div>
      ))}
    </div>
  );
}
