// The other tabs of an incident: its alerts (paged, oldest first), the
// network peers its processes talked to, the files they changed and the
// ATT&CK techniques of its alerts.
import { incidentAlerts } from '../api/detect';
import type { Timeline } from '../api/types';
import { SeverityBadge, StateBadge } from '../components/badges';
import { Empty } from '../components/feedback';
import { PagedTable } from '../components/PagedList';
import { TechniqueList, useTechniqueName } from '../components/Techniques';
import { AbsTime, RelTime } from '../components/time';
import { useI18n } from '../i18n';
import { usePaged } from '../lib/usePaged';
import { Link, navigate } from '../router';

export function IncidentAlerts({ id }: { id: string }) {
  const { t } = useI18n();
  const alerts = usePaged((cursor, signal) => incidentAlerts(id, cursor, signal), [id]);
  return (
    <PagedTable
      list={alerts}
      empty={t('incident.noAlerts')}
      testId="incident-alerts"
      columns={[t('alerts.col.severity'), t('alerts.col.title'), t('alerts.col.host'), t('alerts.col.techniques'), t('alerts.col.state'), { label: t('alerts.col.count'), className: 'num' }, t('alert.firstSeen')]}
    >
      {alerts.items.map((a) => {
        const open = () => navigate(`/alerts/${encodeURIComponent(a.id)}?incident_id=${encodeURIComponent(id)}`);
        return (
          <tr key={a.id} data-alert-id={a.id} data-state={a.state} className="clickable" tabIndex={0} onClick={open} onKeyDown={(e) => e.key === 'Enter' && open()}>
            <td>
              <SeverityBadge severity={a.severity} />
            </td>
            <td>
              <div className="strong">{a.title}</div>
              <div className="sub mono">{a.rule_id}</div>
            </td>
            <td>{a.hostname || <span className="mono small">{a.agent_id}</span>}</td>
            <td className="small">
              <TechniqueList ids={a.techniques} links={false} />
            </td>
            <td>
              <StateBadge state={a.state} />
            </td>
            <td className="num">{a.count}</td>
            <td className="nowrap small">
              <AbsTime value={a.created_at} />
            </td>
          </tr>
        );
      })}
    </PagedTable>
  );
}

export function IncidentPeers({ timeline }: { timeline: Timeline }) {
  const { t } = useI18n();
  const peers = timeline.peers ?? [];
  if (peers.length === 0) return <Empty>{t('peers.empty')}</Empty>;
  return (
    <div className="table-wrap">
      <table className="table" data-testid="incident-peers">
        <thead>
          <tr>
            <th>{t('peers.col.address')}</th>
            <th>{t('peers.col.ports')}</th>
            <th>{t('peers.col.direction')}</th>
            <th className="num">{t('peers.col.count')}</th>
            <th>{t('peers.col.first')}</th>
            <th>{t('peers.col.last')}</th>
            <th>{t('peers.col.processes')}</th>
          </tr>
        </thead>
        <tbody>
          {peers.map((p) => (
            <tr key={p.ip} data-ip={p.ip}>
              <td className="mono strong">{p.ip}</td>
              <td className="mono small">{(p.ports ?? []).join(', ') || '—'}</td>
              <td>{p.direction ? <span className="tag">{p.direction}</span> : <span className="muted">—</span>}</td>
              <td className="num">{p.count}</td>
              <td className="nowrap small">
                <AbsTime value={p.first} />
              </td>
              <td className="nowrap small">
                <RelTime value={p.last} />
              </td>
              <td className="mono small">{(p.processes ?? []).join(', ') || '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function IncidentFiles({ timeline }: { timeline: Timeline }) {
  const { t } = useI18n();
  const files = timeline.files ?? [];
  const hosts = new Map((timeline.entries ?? []).map((e) => [e.agent_id, e.hostname || e.agent_id]));
  if (files.length === 0) return <Empty>{t('files.empty')}</Empty>;
  return (
    <div className="table-wrap">
      <table className="table" data-testid="incident-files">
        <thead>
          <tr>
            <th>{t('files.col.path')}</th>
            <th>{t('alerts.col.host')}</th>
            <th>{t('files.col.actions')}</th>
            <th className="num">{t('peers.col.count')}</th>
            <th>{t('peers.col.processes')}</th>
          </tr>
        </thead>
        <tbody>
          {files.map((f) => (
            <tr key={`${f.agent_id}:${f.path}`} data-path={f.path}>
              <td className="mono strong">{f.path}</td>
              <td>{hosts.get(f.agent_id) ?? <span className="mono small">{f.agent_id}</span>}</td>
              <td>
                <span className="chips">
                  {(f.actions ?? []).map((a) => (
                    <span key={a} className="tag">
                      {a}
                    </span>
                  ))}
                </span>
              </td>
              <td className="num">{f.count}</td>
              <td className="mono small">{(f.processes ?? []).join(', ') || '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function IncidentTechniques({ timeline }: { timeline: Timeline }) {
  const { t } = useI18n();
  const name = useTechniqueName();
  const list = timeline.techniques ?? [];
  if (list.length === 0) return <Empty>{t('techniques.empty')}</Empty>;
  return (
    <div className="table-wrap">
      <table className="table" data-testid="incident-technique-table">
        <thead>
          <tr>
            <th>{t('techniques.col.id')}</th>
            <th>{t('techniques.col.name')}</th>
            <th className="num">{t('techniques.col.alerts')}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {list.map((x) => (
            <tr key={x.id} data-technique={x.id}>
              <td>
                <TechniqueList ids={[x.id]} />
              </td>
              <td>{name(x.id) || <span className="muted">—</span>}</td>
              <td className="num">{x.alerts}</td>
              <td className="actions">
                <Link to={`/rules?technique=${encodeURIComponent(x.id)}`}>{t('techniques.rules')}</Link>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
