// Alerts: filters by state and severity (and, from links, by agent, rule,
// incident or ATT&CK technique), paging, and the triage drawer.
import { useCallback } from 'react';
import { listIncidents } from '../api/detect';
import { listAlerts } from '../api/endpoints';
import { alertStates, severities, type Alert } from '../api/types';
import { SeverityBadge, StateBadge } from '../components/badges';
import { Empty, ErrorBanner, Loading } from '../components/feedback';
import { TechniqueList, useTechniqueName } from '../components/Techniques';
import { RelTime } from '../components/time';
import { useI18n, type MessageKey } from '../i18n';
import { useLoad } from '../lib/hooks';
import { formatTime } from '../lib/time';
import { usePaged } from '../lib/usePaged';
import { Link, navigate, useLocation, withQuery } from '../router';
import { AlertDrawer } from './AlertDrawer';

/** The filters of the alerts page, all kept in the URL. */
const filterKeys = ['state', 'severity', 'agent_id', 'rule_id', 'incident_id', 'technique', 'since'] as const;
type FilterKey = (typeof filterKeys)[number];

export function AlertsPage({ selected }: { selected?: string }) {
  const { t } = useI18n();
  const { query } = useLocation();
  const techName = useTechniqueName();
  const filter = Object.fromEntries(filterKeys.map((k) => [k, query.get(k) ?? ''])) as Record<FilterKey, string>;
  const qs = withQuery('', filter);
  // The most recently seen incidents, to filter the queue by one of them.
  const incidents = useLoad((signal) => listIncidents({}, signal), []);
  const incidentList = incidents.data?.items ?? [];
  const { since } = filter;
  const alerts = usePaged(
    (cursor, signal) => listAlerts({ ...filter, cursor }, signal),
    filterKeys.map((k) => filter[k]),
  );
  const setFilter = (k: FilterKey, v: string) => {
    const base = selected ? `/alerts/${encodeURIComponent(selected)}` : '/alerts';
    navigate(withQuery(base, { ...filter, [k]: v, ...(k === 'technique' && !v ? { since: '' } : {}) }), true);
  };
  const { patch } = alerts;
  const onChanged = useCallback(
    (a: Alert) => patch((items) => items.map((x) => (x.id === a.id ? { ...x, ...a } : x))),
    [patch],
  );
  const chip = (k: FilterKey, label: string) =>
    filter[k] && (
      <button type="button" className="chip chip-filter" data-filter={k} onClick={() => setFilter(k, '')} title={t('action.clear')}>
        {label} ✕
      </button>
    );

  return (
    <div className="page">
      <div className="toolbar toolbar-wrap">
        <select name="state" aria-label={t('alerts.filterState')} value={filter.state} onChange={(e) => setFilter('state', e.target.value)}>
          <option value="">{t('alerts.allStates')}</option>
          {alertStates.map((s) => (
            <option key={s} value={s}>
              {t(`alertState.${s}` as MessageKey)}
            </option>
          ))}
        </select>
        <select
          name="severity"
          aria-label={t('alerts.filterSeverity')}
          value={filter.severity}
          onChange={(e) => setFilter('severity', e.target.value)}
        >
          <option value="">{t('alerts.allSeverities')}</option>
          {severities.map((s) => (
            <option key={s} value={s}>
              {t(`severity.${s}` as MessageKey)}
            </option>
          ))}
        </select>
        <select
          name="incident_id"
          aria-label={t('alerts.col.incident')}
          className="w-filter"
          value={filter.incident_id}
          onChange={(e) => setFilter('incident_id', e.target.value)}
        >
          <option value="">{t('alerts.allIncidents')}</option>
          {filter.incident_id && !incidentList.some((i) => i.id === filter.incident_id) && <option value={filter.incident_id}>{filter.incident_id}</option>}
          {incidentList.map((i) => (
            <option key={i.id} value={i.id}>
              {i.title}
            </option>
          ))}
        </select>
        {chip('agent_id', t('alerts.agentFilter', { id: filter.agent_id }))}
        {chip('rule_id', t('alerts.ruleFilter', { id: filter.rule_id }))}
        {chip('technique', [t('alerts.techniqueFilter', { id: filter.technique }), techName(filter.technique)].filter(Boolean).join(' · '))}
        <div className="toolbar-spacer" />
        <span className="count">{t('alerts.count', { n: alerts.items.length })}</span>
        <button type="button" className="btn btn-small" onClick={alerts.reload} disabled={alerts.loading}>
          {t('action.refresh')}
        </button>
      </div>
      {since && (
        <p className="hint" data-testid="alerts-since">
          {t('alerts.since', { since: formatTime(since) })}
        </p>
      )}
      <ErrorBanner error={alerts.error} onRetry={alerts.reload} />
      {alerts.initial ? (
        <Loading />
      ) : alerts.items.length === 0 && !alerts.error ? (
        <Empty>{t('alerts.empty')}</Empty>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="alerts-table">
            <thead>
              <tr>
                <th>{t('alerts.col.severity')}</th>
                <th>{t('alerts.col.title')}</th>
                <th>{t('alerts.col.host')}</th>
                <th>{t('alerts.col.techniques')}</th>
                <th>{t('alerts.col.state')}</th>
                <th className="num">{t('alerts.col.count')}</th>
                <th>{t('alerts.col.lastSeen')}</th>
                <th>{t('alerts.col.incident')}</th>
              </tr>
            </thead>
            <tbody>
              {alerts.items.map((a) => (
                <tr
                  key={a.id}
                  data-alert-id={a.id}
                  data-state={a.state}
                  className={`clickable ${selected === a.id ? 'selected' : ''}`}
                  tabIndex={0}
                  onClick={() => navigate(`/alerts/${encodeURIComponent(a.id)}${qs}`)}
                  onKeyDown={(e) => e.key === 'Enter' && navigate(`/alerts/${encodeURIComponent(a.id)}${qs}`)}
                >
                  <td>
                    <SeverityBadge severity={a.severity} />
                  </td>
                  <td>
                    <div className="strong">{a.title}</div>
                    <div className="sub mono">{a.rule_id}</div>
                  </td>
                  <td>
                    <div>{a.hostname || <span className="muted">—</span>}</div>
                    <div className="sub mono">{a.agent_id}</div>
                  </td>
                  <td className="small">
                    <TechniqueList ids={a.techniques} links={false} />
                  </td>
                  <td>
                    <StateBadge state={a.state} />
                  </td>
                  <td className="num">{a.count}</td>
                  <td className="nowrap">
                    <RelTime value={a.last_seen || a.created_at} />
                  </td>
                  <td className="nowrap" data-incident={a.incident_id ?? ''}>
                    {a.incident_id ? (
                      <Link to={`/incidents/${encodeURIComponent(a.incident_id)}`} className="mono small" title={t('alerts.openIncident')}>
                        {a.incident_id}
                      </Link>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {alerts.nextCursor && (
        <div className="more">
          <button type="button" className="btn" onClick={alerts.loadMore} disabled={alerts.loading} data-testid="load-more">
            {alerts.loading ? t('common.loading') : t('action.loadMore')}
          </button>
        </div>
      )}
      {selected && <AlertDrawer id={selected} onClose={() => navigate(`/alerts${qs}`)} onChanged={onChanged} />}
    </div>
  );
}
