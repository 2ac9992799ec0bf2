// An agent's vulnerabilities: its findings counted by severity, the
// upgrades that fix them with the one command that applies all its OS
// package upgrades (to copy), its findings page by page (filtered by
// severity) and its weak passwords.
import { useState } from 'react';
import { listFindings, listPatches, listWeakPasswords, vulnHosts } from '../api/risk';
import type { VulnSeverity } from '../api/types';
import { CopyField } from '../components/CopyField';
import { Section } from '../components/Drawer';
import { ErrorBanner, Loaded, Loading } from '../components/feedback';
import { useI18n } from '../i18n';
import { count } from '../lib/format';
import { useLoad } from '../lib/hooks';
import { emptyFindingFilter, findingQuery, toggleSeverity } from '../lib/risk';
import { usePaged } from '../lib/usePaged';
import { Link } from '../router';
import { PagedFrame } from './AssetViews';
import { FindingsTable, PatchTable, useSeverityName, WeakPasswordTable } from './RiskViews';

/** Findings and weak passwords per page in the tab. */
export const hostFindingsPage = 50;

export function AgentRiskTab({ agentId }: { agentId: string }) {
  const { t } = useI18n();
  const sevName = useSeverityName();
  const [severity, setSeverity] = useState<VulnSeverity[]>([]);
  const summary = useLoad((signal) => vulnHosts(agentId, signal), [agentId]);
  const patches = useLoad((signal) => listPatches({ agent_id: agentId }, signal), [agentId]);
  const findings = usePaged(
    (cursor, signal) => listFindings(findingQuery({ ...emptyFindingFilter, agent_id: agentId, severity }, cursor, hostFindingsPage), signal),
    [agentId, severity.join(',')],
  );
  const weak = usePaged((cursor, signal) => listWeakPasswords({ agent_id: agentId, cursor, limit: hostFindingsPage }, signal), [agentId]);
  const h = summary.data?.items?.find((x) => x.agent_id === agentId);
  const items = patches.data?.items ?? [];
  const refresh = () => {
    summary.refresh();
    patches.refresh();
    findings.reload();
    weak.reload();
  };
  const stat = (label: string, n: number, testId: string, warn?: boolean) => (
    <div className={`stat ${warn && n > 0 ? 'stat-warn' : ''}`} data-testid={testId}>
      <div className="stat-label">{label}</div>
      <div className="stat-value">{count(n)}</div>
    </div>
  );

  return (
    <div className="host-tab" data-testid="agent-risk">
      <Section
        title={t('hostRisk.summary')}
        actions={
          <span className="btn-row">
            <Link to={`/vulns?agent_id=${encodeURIComponent(agentId)}`}>{t('hostRisk.allFindings')}</Link>
            <button type="button" className="btn btn-small" onClick={refresh} disabled={summary.loading} data-testid="refresh-risk">
              {t('action.refresh')}
            </button>
          </span>
        }
      >
        <ErrorBanner error={summary.error} onRetry={summary.refresh} />
        {summary.data === undefined && !summary.error ? (
          <Loading />
        ) : (
          !summary.error && (
            <div className="stats" data-testid="host-risk-stats">
              {stat(t('risk.tile.findings'), h?.total ?? 0, 'host-total')}
              {stat(t('risk.tile.kev'), h?.known_exploited ?? 0, 'host-kev', true)}
              {stat(t('severity.critical'), h?.critical ?? 0, 'host-critical', true)}
              {stat(t('severity.high'), h?.high ?? 0, 'host-high', true)}
              {stat(t('severity.medium'), h?.medium ?? 0, 'host-medium')}
              {stat(t('severity.low'), h?.low ?? 0, 'host-low')}
              {stat(t('risk.tile.fixable'), h?.fixable ?? 0, 'host-fixable')}
            </div>
          )
        )}
      </Section>

      <Section title={t('hostRisk.patches')}>
        <Loaded load={patches} count={items.length} empty={t('hostRisk.noPatches')}>
          <>
            {patches.data?.command ? (
              <CopyField value={patches.data.command} label={t('hostRisk.command')} testId="host-patch-command" multiline />
            ) : (
              <p className="muted small">{t('patches.noHostCommand')}</p>
            )}
            <div className="table-scroll">
              <PatchTable patches={items} fleet={false} testId="host-patches" />
            </div>
          </>
        </Loaded>
      </Section>

      <Section title={t('hostRisk.findings')}>
        <div className="toolbar toolbar-wrap">
          <span className="sev-toggles" role="group" aria-label={t('risk.filter.severity')} data-testid="host-severity-filter">
            {(['critical', 'high', 'medium', 'low', 'none', 'unknown'] as const).map((s) => {
              const on = severity.includes(s);
              return (
                <button key={s} type="button" className={`sev-toggle ${on ? 'sev-toggle-on' : ''}`} aria-pressed={on} data-severity={s} onClick={() => setSeverity(toggleSeverity(severity, s))}>
                  {sevName(s)}
                </button>
              );
            })}
          </span>
          <div className="toolbar-spacer" />
          {!findings.initial && (
            <span className="count" data-testid="host-finding-count">
              {findings.nextCursor ? t('vulns.countMore', { n: findings.items.length }) : t('vulns.count', { n: findings.items.length })}
            </span>
          )}
        </div>
        <PagedFrame list={findings} empty={severity.length > 0 ? t('vulns.noMatch') : t('hostRisk.noFindings')} moreTestId="more-host-findings">
          <div className="table-scroll">
            <FindingsTable items={findings.items} withHost={false} testId="host-findings" compact />
          </div>
        </PagedFrame>
      </Section>

      <Section title={t('hostRisk.weak')}>
        <PagedFrame list={weak} empty={t('hostRisk.noWeak')} moreTestId="more-host-weak">
          <div className="table-scroll">
            <WeakPasswordTable items={weak.items} withHost={false} testId="host-weak" />
          </div>
        </PagedFrame>
      </Section>
    </div>
  );
}
