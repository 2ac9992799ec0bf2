// Agents with live status, filters and the detail drawer.
import { useEffect, useState } from 'react';
import { listAgents } from '../api/endpoints';
import { agentStatuses } from '../api/types';
import { Labels, StatusBadge } from '../components/badges';
import { Empty, ErrorBanner, Loading } from '../components/feedback';
import { LiveIndicator } from '../components/LiveIndicator';
import { RelTime, Since } from '../components/time';
import { useI18n, type MessageKey } from '../i18n';
import { labelPairs } from '../lib/format';
import { useLoad } from '../lib/hooks';
import { useDebounced } from '../lib/useDebounced';
import { navigate, useLocation, withQuery } from '../router';
import { AgentCommandDrawer } from './AgentCommandDrawer';
import { AgentDrawer, agentTab } from './AgentDrawer';

/** How often the agents listing refreshes. */
export const agentsPollMs = 2500;

export function AgentsPage({ selected }: { selected?: string }) {
  const { t } = useI18n();
  const { query } = useLocation();
  const status = query.get('status') ?? '';
  const [label, setLabel] = useState(query.get('label') ?? '');
  const [q, setQ] = useState(query.get('q') ?? '');
  const dLabel = useDebounced(label, 300);
  const dQ = useDebounced(q, 300);
  const search = { status, label: dLabel.trim(), q: dQ.trim() };
  const qs = withQuery('', search);

  const here = selected ? `/agents/${encodeURIComponent(selected)}` : '/agents';
  // The agent drawer's tab, in the URL so that a link opens it (overview is left out).
  const tab = agentTab(query.get('tab'));
  const tabParam = selected && tab !== 'overview' ? tab : '';

  // The URL carries the filters, so that a reload or a shared link keeps them.
  useEffect(() => {
    navigate(withQuery(here, { ...search, tab: tabParam }), true);
  }, [search.status, search.label, search.q]);

  const labels = labelPairs(search.label);
  const agents = useLoad(
    (signal) => listAgents({ status, labels, q: search.q }, signal),
    [status, labels.join('&'), search.q],
    agentsPollMs,
  );
  const items = agents.data?.items ?? [];
  // Checked agents, by id; only those still listed count.
  const [picked, setPicked] = useState<ReadonlySet<string>>(new Set());
  const [commanding, setCommanding] = useState(false);
  const chosen = items.filter((a) => picked.has(a.id));
  const allChosen = items.length > 0 && chosen.length === items.length;
  const toggle = (id: string) => {
    const next = new Set(picked);
    if (!next.delete(id)) next.add(id);
    setPicked(next);
  };
  const toggleAll = () => setPicked(allChosen ? new Set() : new Set(items.map((a) => a.id)));
  const setStatus = (s: string) => navigate(withQuery(here, { ...search, status: s, tab: tabParam }), true);

  return (
    <div className="page">
      <div className="toolbar">
        <select aria-label={t('agents.filterStatus')} name="status" value={status} onChange={(e) => setStatus(e.target.value)}>
          <option value="">{t('agents.allStatuses')}</option>
          {agentStatuses.map((s) => (
            <option key={s} value={s}>
              {t(`status.${s}` as MessageKey)}
            </option>
          ))}
        </select>
        <input
          name="label"
          className="w-label"
          placeholder={t('agents.filterLabel')}
          aria-label={t('agents.filterLabel')}
          value={label}
          onChange={(e) => setLabel(e.target.value)}
        />
        <input
          name="q"
          type="search"
          className="w-search"
          placeholder={t('agents.filterText')}
          aria-label={t('agents.filterText')}
          value={q}
          onChange={(e) => setQ(e.target.value)}
        />
        <div className="toolbar-spacer" />
        {chosen.length > 0 && (
          <span className="selection" data-testid="selection">
            {t('agents.selected', { n: chosen.length })}
            <button type="button" className="btn btn-ghost btn-small" onClick={() => setPicked(new Set())}>
              {t('action.clear')}
            </button>
          </span>
        )}
        <button type="button" className="btn btn-small" onClick={() => setCommanding(true)} data-testid="open-command">
          {t('agents.runCommand')}
        </button>
        <span className="count" data-testid="agent-count">
          {t('agents.count', { n: items.length })}
        </span>
        <LiveIndicator updatedAt={agents.updatedAt} failing={!!agents.error} />
      </div>
      <ErrorBanner error={agents.error} onRetry={agents.refresh} />
      {agents.data?.next_cursor && <div className="info-banner">{t('agents.truncated', { n: items.length })}</div>}
      {agents.data === undefined && !agents.error ? (
        <Loading />
      ) : items.length === 0 && !agents.error ? (
        <Empty>{t('agents.empty')}</Empty>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="agents-table">
            <thead>
              <tr>
                <th className="c-check">
                  <input type="checkbox" checked={allChosen} ref={(el) => { if (el) el.indeterminate = chosen.length > 0 && !allChosen; }} onChange={toggleAll} aria-label={t('agents.selectAll')} data-testid="select-all" />
                </th>
                <th>{t('agents.col.status')}</th>
                <th>{t('agents.col.hostname')}</th>
                <th>{t('agents.col.lastSeen')}</th>
                <th>{t('agents.col.os')}</th>
                <th>{t('agents.col.kernel')}</th>
                <th>{t('agents.col.ips')}</th>
                <th>{t('agents.col.labels')}</th>
                <th>{t('agents.col.version')}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((a) => (
                <tr
                  key={a.id}
                  data-agent-id={a.id}
                  data-status={a.status}
                  className={`clickable ${selected === a.id ? 'selected' : ''}`}
                  tabIndex={0}
                  onClick={() => navigate(`/agents/${encodeURIComponent(a.id)}${qs}`)}
                  onKeyDown={(e) => e.key === 'Enter' && e.target === e.currentTarget && navigate(`/agents/${encodeURIComponent(a.id)}${qs}`)}
                >
                  <td className="c-check" onClick={(e) => e.stopPropagation()}>
                    <input type="checkbox" checked={picked.has(a.id)} onChange={() => toggle(a.id)} aria-label={t('agents.select', { host: a.hostname || a.id })} data-select={a.id} />
                  </td>
                  <td className="c-status">
                    <StatusBadge status={a.status} />
                    <div className="sub">
                      <Since value={a.status_changed_at} />
                    </div>
                    {a.status_reason && (
                      <div className="sub reason" title={a.status_reason}>
                        {a.status_reason}
                      </div>
                    )}
                  </td>
                  <td className="c-host">
                    <div className="strong">{a.hostname || <span className="muted">—</span>}</div>
                    <div className="sub mono">{a.id}</div>
                  </td>
                  <td>
                    <RelTime value={a.last_seen} />
                  </td>
                  <td>
                    <div>{[a.platform, a.platform_version].filter(Boolean).join(' ') || a.os || '—'}</div>
                    <div className="sub">{[a.os, a.arch].filter(Boolean).join(' / ')}</div>
                  </td>
                  <td className="mono small">{a.kernel || '—'}</td>
                  <td className="mono small">
                    {(a.ips ?? []).length === 0
                      ? '—'
                      : (a.ips ?? []).map((ip) => (
                          <div key={ip}>{ip}</div>
                        ))}
                  </td>
                  <td>
                    <Labels labels={a.labels} />
                  </td>
                  <td className="mono small">{a.agent_version || '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {selected && (
        <AgentDrawer
          id={selected}
          tab={tab}
          onTab={(next) => navigate(withQuery(here, { ...search, tab: next === 'overview' ? '' : next }), true)}
          onClose={() => navigate(`/agents${qs}`)}
          onDeleted={() => {
            navigate(`/agents${qs}`);
            agents.refresh();
          }}
        />
      )}
      {commanding && <AgentCommandDrawer selected={chosen} labelFilter={search.label} onClose={() => setCommanding(false)} />}
    </div>
  );
}
