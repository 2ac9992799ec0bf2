// Incidents: related alerts grouped by detection, filtered by state,
// severity and host, most recently seen first; a row opens the incident.
import { listAgents } from '../api/endpoints';
import { listIncidents } from '../api/detect';
import { incidentStates, severities } from '../api/types';
import { IncidentStateBadge, SeverityBadge } from '../components/badges';
import { FilterSelect, hostOptions } from '../components/FilterBar';
import { PagedTable, RefreshButton } from '../components/PagedList';
import { TechniqueList } from '../components/Techniques';
import { RelTime } from '../components/time';
import { useI18n, type MessageKey } from '../i18n';
import { useLoad } from '../lib/hooks';
import { incidentHosts } from '../lib/incidents';
import { usePaged } from '../lib/usePaged';
import { Link, navigate, useLocation, withQuery } from '../router';

export function IncidentsPage() {
  const { t } = useI18n();
  const { query } = useLocation();
  const filter = { state: query.get('state') ?? '', severity: query.get('severity') ?? '', agent_id: query.get('agent_id') ?? '' };
  const incidents = usePaged((cursor, signal) => listIncidents({ ...filter, cursor }, signal), [filter.state, filter.severity, filter.agent_id]);
  const agents = useLoad((signal) => listAgents({}, signal), []);
  const setFilter = (k: keyof typeof filter, v: string) => navigate(withQuery('/incidents', { ...filter, [k]: v }), true);
  const open = (id: string) => navigate(`/incidents/${encodeURIComponent(id)}`);

  return (
    <div className="page">
      <div className="toolbar toolbar-wrap" data-testid="incident-filter">
        <select name="state" aria-label={t('incidents.filterState')} value={filter.state} onChange={(e) => setFilter('state', e.target.value)}>
          <option value="">{t('incidents.allStates')}</option>
          {incidentStates.map((s) => (
            <option key={s} value={s}>
              {t(`incidentState.${s}` as MessageKey)}
            </option>
          ))}
        </select>
        <select name="severity" aria-label={t('alerts.filterSeverity')} value={filter.severity} onChange={(e) => setFilter('severity', e.target.value)}>
          <option value="">{t('alerts.allSeverities')}</option>
          {severities.map((s) => (
            <option key={s} value={s}>
              {t(`severity.${s}` as MessageKey)}
            </option>
          ))}
        </select>
        <FilterSelect name="agent_id" label={t('incidents.filterHost')} all={t('incidents.allHosts')} value={filter.agent_id} onChange={(v) => setFilter('agent_id', v)} options={hostOptions(agents.data?.items)} />
        <div className="toolbar-spacer" />
        <span className="count">{t('incidents.count', { n: incidents.items.length })}</span>
        <RefreshButton list={incidents} />
      </div>
      <PagedTable
        list={incidents}
        empty={t('incidents.empty')}
        testId="incidents-table"
        moreTestId="load-more"
        columns={[
          t('alerts.col.severity'),
          t('incidents.col.title'),
          t('alerts.col.state'),
          t('incidents.col.hosts'),
          t('alerts.col.techniques'),
          { label: t('incidents.col.alerts'), className: 'num' },
          t('incidents.col.assignee'),
          t('alerts.col.lastSeen'),
        ]}
      >
        {incidents.items.map((inc) => (
          <tr
            key={inc.id}
            data-incident-id={inc.id}
            data-state={inc.state}
            className="clickable"
            tabIndex={0}
            onClick={() => open(inc.id)}
            onKeyDown={(e) => e.key === 'Enter' && open(inc.id)}
          >
            <td>
              <SeverityBadge severity={inc.severity} />
            </td>
            <td>
              <Link to={`/incidents/${encodeURIComponent(inc.id)}`} className="strong">
                {inc.title}
              </Link>
              <div className="sub mono">{inc.id}</div>
            </td>
            <td>
              <IncidentStateBadge state={inc.state} />
            </td>
            <td className="hosts-cell">
              {incidentHosts(inc).map((h) => (
                <div key={h.id} title={h.id}>
                  {h.name || <span className="mono small">{h.id}</span>}
                </div>
              ))}
            </td>
            <td className="small">
              <TechniqueList ids={inc.techniques} links={false} />
            </td>
            <td className="num">{inc.alert_count}</td>
            <td>{inc.assignee || <span className="muted">—</span>}</td>
            <td className="nowrap">
              <RelTime value={inc.last_seen} />
            </td>
          </tr>
        ))}
      </PagedTable>
    </div>
  );
}
