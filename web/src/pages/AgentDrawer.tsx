// One agent: an overview (facts with a link to its login baselines,
// commands, plugins and stats from its last state, its status history),
// its live process tree, its recent events and its inventory, its
// vulnerabilities and its compliance, each on a tab. Refreshes while open.
import { agentHistory, getAgent } from '../api/endpoints';
import { StatusBadge } from '../components/badges';
import { Drawer, Facts, Section } from '../components/Drawer';
import { Empty, ErrorBanner, Loading } from '../components/feedback';
import { Tabs } from '../components/Tabs';
import { AbsTime, RelTime, Since } from '../components/time';
import { useI18n } from '../i18n';
import { useLoad } from '../lib/hooks';
import { normalizeLastState } from '../lib/lastState';
import { formatLabels } from '../lib/labels';
import { formatTime } from '../lib/time';
import { Link, withQuery } from '../router';
import { AgentComplianceTab } from './AgentComplianceTab';
import { AgentInventoryTab } from './AgentInventoryTab';
import { AgentRiskTab } from './AgentRiskTab';
import { AgentDeleteSection, AgentLabelsSection, AgentPolicySection } from './AgentSections';
import { CommandPanel } from './CommandPanel';
import { HostEventsTab } from './HostEventsTab';
import { PluginsTable, StatsGrid } from './LastStateView';
import { ProcessesTab } from './ProcessesTab';

const detailPollMs = 3000;

function mono(v: string | undefined) {
  return v ? <span className="mono">{v}</span> : '';
}

/** The drawer's tabs; overview is the default (no tab in the URL). */
export const agentTabs = ['overview', 'processes', 'events', 'inventory', 'vulns', 'compliance'] as const;
export type AgentTab = (typeof agentTabs)[number];

/** agentTab reads the tab named in the URL, overview for anything else. */
export function agentTab(v: string | null | undefined): AgentTab {
  return agentTabs.find((t) => t === v) ?? 'overview';
}

interface Props {
  id: string;
  tab: AgentTab;
  onTab: (tab: AgentTab) => void;
  onClose: () => void;
  onDeleted: () => void;
}

export function AgentDrawer({ id, tab, onTab, onClose, onDeleted }: Props) {
  const { t } = useI18n();
  const agent = useLoad((signal) => getAgent(id, signal), [id], detailPollMs);
  const history = useLoad((signal) => agentHistory(id, signal), [id], detailPollMs * 2);
  const a = agent.data;
  const state = a ? normalizeLastState(a.last_state) : null;

  return (
    <Drawer
      testId="agent-drawer"
      onClose={onClose}
      wide={tab !== 'overview'}
      nav={
        <Tabs
          label={t('agent.tabs')}
          testId="agent-tabs"
          value={tab}
          onChange={onTab}
          tabs={[
            { key: 'overview', label: t('agent.overview') },
            { key: 'processes', label: t('agent.tab.processes') },
            { key: 'events', label: t('agent.tab.events') },
            { key: 'inventory', label: t('agent.tab.inventory') },
            { key: 'vulns', label: t('agent.tab.vulns') },
            { key: 'compliance', label: t('agent.tab.compliance') },
          ]}
        />
      }
      title={a?.hostname || id}
      subtitle={
        a && (
          <span className="drawer-status">
            <StatusBadge status={a.status} /> <Since value={a.status_changed_at} />
            {a.status_reason && <span className="reason"> · {a.status_reason}</span>}
          </span>
        )
      }
    >
      {tab === 'processes' && <ProcessesTab key={id} agentId={id} />}
      {tab === 'events' && <HostEventsTab key={id} agentId={id} />}
      {tab === 'inventory' && <AgentInventoryTab key={id} agentId={id} />}
      {tab === 'vulns' && <AgentRiskTab key={id} agentId={id} />}
      {tab === 'compliance' && <AgentComplianceTab key={id} agentId={id} />}
      {tab === 'overview' && (
        <>
        <ErrorBanner error={agent.error} onRetry={agent.refresh} />
        {!a && !agent.error && <Loading />}
        {a && (
          <>
            <Section
              title={t('agent.overview')}
              actions={
                <Link to={withQuery('/baselines/logins', { agent_id: a.id })} className="btn btn-small" title={t('baseline.intro')}>
                  {t('agent.loginBaselines')}
                </Link>
              }
            >
              <Facts
                rows={[
                  [t('agent.id'), mono(a.id)],
                  [t('agents.col.hostname'), a.hostname],
                  [t('agents.col.lastSeen'), <RelTime value={a.last_seen} />],
                  [t('agent.statusSince'), <AbsTime value={a.status_changed_at} />],
                  [t('agent.platform'), [a.platform, a.platform_version].filter(Boolean).join(' ')],
                  [t('agent.osArch'), [a.os, a.arch].filter(Boolean).join(' / ')],
                  [t('agents.col.kernel'), mono(a.kernel)],
                  [t('agents.col.ips'), mono((a.ips ?? []).join(', '))],
                  [t('agents.col.version'), mono(a.agent_version)],
                  [t('agent.bootTime'), formatTime(a.boot_time)],
                  [t('agent.enrolledAt'), formatTime(a.enrolled_at)],
                  [t('agent.machineId'), mono(a.machine_id)],
                ]}
              />
            </Section>
            <AgentLabelsSection agent={a} onSaved={() => agent.refresh()} />
            <CommandPanel agentId={a.id} />
            <AgentPolicySection id={a.id} version={formatLabels(a.labels)} />
            <Section title={t('agent.plugins')}>
              {state && state.plugins.length > 0 ? <PluginsTable plugins={state.plugins} /> : <Empty>{t('agent.noState')}</Empty>}
            </Section>
            <Section title={t('agent.stats')}>
              {state && (Object.keys(state.stats).length > 0 || Object.keys(state.other).length > 0) ? (
                <StatsGrid stats={state.stats} other={state.other} />
              ) : (
                <Empty>{t('agent.noState')}</Empty>
              )}
            </Section>
          </>
        )}
        <Section title={t('agent.history')}>
          <ErrorBanner error={history.error} />
          {history.data === undefined && !history.error ? (
            <Loading />
          ) : (history.data ?? []).length === 0 ? (
            <Empty>{t('agent.noHistory')}</Empty>
          ) : (
            <div className="table-scroll">
            <table className="table table-compact" data-testid="agent-history">
              <thead>
                <tr>
                  <th>{t('history.at')}</th>
                  <th>{t('history.change')}</th>
                  <th>{t('history.reason')}</th>
                </tr>
              </thead>
              <tbody>
                {(history.data ?? []).map((h, i) => (
                  <tr key={`${h.at}-${i}`}>
                    <td className="nowrap">
                      <AbsTime value={h.at} />
                    </td>
                    <td className="nowrap">
                      {h.from ? <StatusBadge status={h.from} /> : <span className="muted">{t('history.enrolled')}</span>}
                      <span className="arrow">→</span>
                      <StatusBadge status={h.to} />
                    </td>
                    <td className="reason-cell">{h.reason || <span className="muted">—</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            </div>
          )}
        </Section>
        {a && <AgentDeleteSection agent={a} onDeleted={onDeleted} />}
        </>
      )}
    </Drawer>
  );
}
