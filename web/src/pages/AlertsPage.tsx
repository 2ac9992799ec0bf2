// Alerts: filters by state and severity, paging, and the triage drawer.
import { useCallback } from 'react';
import { listAlerts } from '../api/endpoints';
import { alertStates, severities, type Alert } from '../api/types';
import { SeverityBadge, StateBadge } from '../components/badges';
import { Empty, ErrorBanner, Loading } from '../components/feedback';
import { RelTime } from '../components/time';
import { useI18n, type MessageKey } from '../i18n';
import { usePaged } from '../lib/usePaged';
import { navigate, useLocation, withQuery } from '../router';
import { AlertDrawer } from './AlertDrawer';

export function AlertsPage({ selected }: { selected?: string }) {
  const { t } = useI18n();
  const { query } = useLocation();
  const filter = {
    state: query.get('state') ?? '',
    severity: query.get('severity') ?? '',
    agent_id: query.get('agent_id') ?? '',
  };
  const qs = withQuery('', filter);
  const alerts = usePaged((cursor, signal) => listAlerts({ ...filter, cursor }, signal), [filter.state, filter.severity, filter.agent_id]);
  const setFilter = (k: keyof typeof filter, v: string) => {
    const base = selected ? `/alerts/${encodeURIComponent(selected)}` : '/alerts';
    navigate(withQuery(base, { ...filter, [k]: v }), true);
  };
  const { patch } = alerts;
  const onChanged = useCallback(
    (a: Alert) => patch((items) => items.map((x) => (x.id === a.id ? { ...x, ...a } : x))),
    [patch],
  );

  return (
    <div className="page">
      <div className="toolbar">
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
        {filter.agent_id && (
          <button type="button" className="chip chip-filter" onClick={() => setFilter('agent_id', '')} title={t('action.clear')}>
            {t('alerts.agentFilter', { id: filter.agent_id })} ✕
          </button>
        )}
        <div className="toolbar-spacer" />
        <span className="count">{t('alerts.count', { n: alerts.items.length })}</span>
        <button type="button" className="btn btn-small" onClick={alerts.reload} disabled={alerts.loading}>
          {t('action.refresh')}
        </button>
      </div>
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
                  <td className="mono small">{(a.techniques ?? []).join(', ') || '—'}</td>
                  <td>
                    <StateBadge state={a.state} />
                  </td>
                  <td className="num">{a.count}</td>
                  <td className="nowrap">
                    <RelTime value={a.last_seen || a.created_at} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {alerts.nextCursor && (
        <div className="more">
          <button type="button" className="btn" onClick={alerts.loadMore} disabled={alerts.loading}>
            {alerts.loading ? t('common.loading') : t('action.loadMore')}
          </button>
        </div>
      )}
      {selected && <AlertDrawer id={selected} onClose={() => navigate(`/alerts${qs}`)} onChanged={onChanged} />}
    </div>
  );
}
