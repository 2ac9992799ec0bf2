// Compliance baselines: the overview (the fleet's score per policy, then
// for one policy the score trend, the score by group of a host label, the
// recent regressions and the hosts with the lowest scores), the policy
// catalogue and the exceptions, on tabs. The policy, the period and the
// label grouped by are kept in the URL.
import { listAgents } from '../api/endpoints';
import { listDrift, listGroups, listPolicies, listScores, listSummaries } from '../api/compliance';
import type { ComplianceScore, ComplianceSummary } from '../api/types';
import { Section } from '../components/Drawer';
import { Empty, ErrorBanner, Loading } from '../components/feedback';
import { Tabs } from '../components/Tabs';
import { RelTime } from '../components/time';
import { useI18n } from '../i18n';
import { defaultPolicy, fleetTrend, labelKeys, lowestHosts, policyRows, trendDays, trendPeriods } from '../lib/compliance';
import { count } from '../lib/format';
import { useLoad } from '../lib/hooks';
import { usePaged } from '../lib/usePaged';
import { Link, navigate, useLocation, withQuery } from '../router';
import { PagedFrame } from './AssetViews';
import { ComplianceExceptionsView } from './ComplianceExceptionsView';
import { CompliancePoliciesView } from './CompliancePoliciesView';
import {
  CheckSeverityBadge,
  CheckTitle,
  ComplianceStatusBadge,
  compliancePolicyPath,
  CountsBar,
  hostCompliancePath,
  Score,
  TrendChart,
  useText,
} from './ComplianceViews';

export type ComplianceView = 'overview' | 'policies' | 'exceptions';

const paths: Record<ComplianceView, string> = { overview: '/compliance', policies: '/compliance/policies', exceptions: '/compliance/exceptions' };

/** Hosts shown in the lowest scores; regressions per page. */
export const lowestShown = 10;
export const driftPage = 20;
/** Score history read for the trend, in pages of 1000. */
export const scorePages = 10;

export function CompliancePage({ view }: { view: ComplianceView }) {
  const { t } = useI18n();
  return (
    <div className="page">
      <Tabs
        label={t('compliance.views')}
        testId="compliance-tabs"
        value={view}
        onChange={(v) => navigate(paths[v])}
        tabs={[
          { key: 'overview', label: t('compliance.tab.overview') },
          { key: 'policies', label: t('compliance.tab.policies') },
          { key: 'exceptions', label: t('compliance.tab.exceptions') },
        ]}
      />
      <div className="inv-page-body">
        {view === 'overview' && <Overview />}
        {view === 'policies' && <CompliancePoliciesView />}
        {view === 'exceptions' && <ComplianceExceptionsView />}
      </div>
    </div>
  );
}

/** readAll reads every page of a listing, up to pages of them; truncated when more were left. */
async function readAll<T>(load: (cursor: string) => Promise<{ items: T[] | null; next_cursor?: string }>, pages: number): Promise<{ items: T[]; truncated: boolean }> {
  const items: T[] = [];
  let cursor = '';
  for (let i = 0; i < pages; i++) {
    const res = await load(cursor);
    items.push(...(res.items ?? []));
    cursor = res.next_cursor ?? '';
    if (!cursor) return { items, truncated: false };
  }
  return { items, truncated: true };
}

const dayMs = 86_400_000;

function Overview() {
  const { t } = useI18n();
  const text = useText();
  const { query } = useLocation();
  const policies = useLoad((signal) => listPolicies(signal), []);
  const fleet = useLoad((signal) => listGroups('', '', signal), []);
  const summaries = useLoad((signal) => readAll<ComplianceSummary>((cursor) => listSummaries({ cursor }, signal), 20), []);
  const agents = useLoad((signal) => listAgents({}, signal), []);
  const rows = policyRows(policies.data?.items ?? [], fleet.data?.items ?? [], summaries.data?.items ?? []);
  const policy = query.get('policy') || defaultPolicy(rows);
  const days = trendDays(query.get('days'));
  const label = query.get('label') ?? '';
  const keys = labelKeys(agents.data?.items ?? []);
  const set = (k: string, v: string) => navigate(withQuery('/compliance', { policy: query.get('policy') ?? '', days: query.get('days') ?? '', label, [k]: v }), true);
  const loaded = fleet.data !== undefined && policies.data !== undefined;
  const refresh = () => {
    policies.refresh();
    fleet.refresh();
    summaries.refresh();
  };
  const unassigned = (policies.data?.items ?? []).filter((p) => !rows.some((r) => r.id === p.id)).length;

  return (
    <div className="compliance-overview" data-testid="compliance-overview">
      <div className="toolbar">
        <p className="page-intro">{t('compliance.intro')}</p>
        <div className="toolbar-spacer" />
        <button type="button" className="btn btn-small" onClick={refresh} disabled={fleet.loading}>
          {t('action.refresh')}
        </button>
      </div>
      <ErrorBanner error={fleet.error ?? policies.error} onRetry={refresh} />
      <div className="panel">
        <Section title={t('compliance.fleet')} actions={<Link to="/compliance/policies">{t('compliance.catalogueLink')}</Link>}>
          {!loaded && !fleet.error ? (
            <Loading />
          ) : rows.length === 0 ? (
            !fleet.error && <Empty>{t('compliance.noPolicies')}</Empty>
          ) : (
            <div className="table-scroll">
              <table className="table table-compact" data-testid="fleet-policies">
                <thead>
                  <tr>
                    <th>{t('compliance.col.policy')}</th>
                    <th>{t('compliance.col.score')}</th>
                    <th className="c-bar" />
                    <th className="num">{t('compliance.col.hosts')}</th>
                    <th className="num">{t('compliance.col.failingHosts')}</th>
                    <th className="num">{t('ccol.pass')}</th>
                    <th className="num">{t('ccol.fail')}</th>
                    <th className="num">{t('ccol.error')}</th>
                    <th className="num">{t('ccol.excepted')}</th>
                    <th className="num">{t('compliance.col.naHosts')}</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((r) => (
                    <tr
                      key={r.id}
                      data-policy-id={r.id}
                      className={`clickable ${r.id === policy ? 'selected' : ''}`}
                      tabIndex={0}
                      onClick={() => navigate(compliancePolicyPath(r.id))}
                      onKeyDown={(e) => e.key === 'Enter' && navigate(compliancePolicyPath(r.id))}
                    >
                      <td>
                        <Link to={compliancePolicyPath(r.id)} className="strong">
                          {text(r.policy?.name) || r.id}
                        </Link>
                        <div className="sub mono">{r.id}</div>
                      </td>
                      <td className="nowrap">{r.hosts > 0 ? <Score score={r.score} testId="fleet-score" /> : <span className="muted small">{t('compliance.noResults')}</span>}</td>
                      <td className="c-bar">
                        <CountsBar counts={r.counts} />
                      </td>
                      <td className="num strong" data-testid="fleet-hosts">
                        {count(r.hosts)}
                      </td>
                      <td className={`num ${r.failingHosts ? 'text-bad' : 'muted'}`} data-testid="fleet-failing">
                        {count(r.failingHosts)}
                      </td>
                      <td className="num">{count(r.counts.pass)}</td>
                      <td className={`num ${r.counts.fail ? 'text-bad' : 'muted'}`}>{count(r.counts.fail)}</td>
                      <td className={`num ${r.counts.error ? 'text-warn' : 'muted'}`}>{count(r.counts.error)}</td>
                      <td className="num">{count(r.counts.excepted)}</td>
                      <td className="num muted">{count(r.notApplicable)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {unassigned > 0 && <p className="hint top-gap">{t('compliance.unassigned', { n: unassigned })}</p>}
        </Section>
      </div>

      {rows.length > 0 && (
        <>
          <div className="toolbar toolbar-wrap compliance-focus" data-testid="compliance-focus">
            <label className="inline-field">
              <span>{t('compliance.focusPolicy')}</span>
              <select name="policy" value={policy} onChange={(e) => set('policy', e.target.value)}>
                {rows.map((r) => (
                  <option key={r.id} value={r.id}>
                    {text(r.policy?.name) || r.id}
                  </option>
                ))}
              </select>
            </label>
            <label className="inline-field">
              <span>{t('compliance.period')}</span>
              <select name="days" value={days} onChange={(e) => set('days', e.target.value)}>
                {trendPeriods.map((d) => (
                  <option key={d} value={d}>
                    {t('compliance.days', { n: d })}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <div className="rule-grid">
            <div className="panel">
              <Trend policy={policy} days={days} summaries={summaries.data?.items} />
            </div>
            <div className="panel">
              <Groups policy={policy} label={label} keys={keys} onLabel={(v) => set('label', v)} />
            </div>
          </div>
          <div className="rule-grid">
            <div className="panel">
              <Drift policy={policy} days={days} />
            </div>
            <div className="panel">
              <Section title={t('compliance.lowest')}>
                <ErrorBanner error={summaries.error} onRetry={summaries.refresh} />
                {summaries.data === undefined && !summaries.error ? <Loading /> : <Lowest items={lowestHosts(summaries.data?.items ?? [], lowestShown, policy)} />}
              </Section>
            </div>
          </div>
        </>
      )}
    </div>
  );
}

/** Trend draws the fleet's daily score of a policy over the period. */
function Trend({ policy, days, summaries }: { policy: string; days: number; summaries: ComplianceSummary[] | undefined }) {
  const { t } = useI18n();
  // The history is read from before the period (as long again, a month at
  // least), so that hosts whose last change came before it count from its
  // first day.
  const history = useLoad(
    (signal) => {
      const since = new Date(Date.now() - (days + Math.max(days, 30)) * dayMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
      return readAll<ComplianceScore>((cursor) => listScores({ policy_id: policy, since, cursor }, signal), scorePages);
    },
    [policy, days],
  );
  const now = Date.now();
  const points = history.data && summaries ? fleetTrend(history.data.items, summaries, policy, now - (days - 1) * dayMs, now) : [];
  return (
    <Section title={t('compliance.trend', { n: days })}>
      <ErrorBanner error={history.error} onRetry={history.refresh} />
      {history.data === undefined || summaries === undefined ? !history.error && <Loading /> : <TrendChart points={points} testId="trend-chart" />}
      {history.data?.truncated && <p className="hint">{t('compliance.trendTruncated')}</p>}
    </Section>
  );
}

/** Groups scores the hosts grouped by the value of a label. */
function Groups({ policy, label, keys, onLabel }: { policy: string; label: string; keys: string[]; onLabel: (v: string) => void }) {
  const { t } = useI18n();
  const groups = useLoad((signal) => (label ? listGroups(label, policy, signal) : Promise.resolve(null)), [label, policy]);
  const items = (groups.data?.items ?? []).filter((g) => g.policy_id === policy);
  return (
    <Section
      title={t('compliance.groups')}
      actions={
        <select name="label" aria-label={t('compliance.groupBy')} value={label} onChange={(e) => onLabel(e.target.value)} data-testid="group-label">
          <option value="">{t('compliance.chooseLabel')}</option>
          {label && !keys.includes(label) && <option value={label}>{label}</option>}
          {keys.map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
      }
    >
      <ErrorBanner error={groups.error} onRetry={groups.refresh} />
      {!label ? (
        <p className="hint">{t('compliance.groupsHint')}</p>
      ) : groups.data === undefined && !groups.error ? (
        <Loading />
      ) : items.length === 0 ? (
        !groups.error && <Empty>{t('compliance.noGroups')}</Empty>
      ) : (
        <table className="table table-compact" data-testid="groups-table">
          <thead>
            <tr>
              <th>{label}</th>
              <th>{t('compliance.col.score')}</th>
              <th className="c-bar" />
              <th className="num">{t('compliance.col.hosts')}</th>
              <th className="num">{t('ccol.fail')}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((g) => (
              <tr key={g.value} data-value={g.value}>
                <td>{g.value ? <span className="mono">{g.value}</span> : <span className="muted">{t('compliance.noLabel')}</span>}</td>
                <td className="nowrap">
                  <Score score={g.score} testId="group-score" />
                </td>
                <td className="c-bar">
                  <CountsBar counts={g.counts} />
                </td>
                <td className="num">{count(g.hosts)}</td>
                <td className={`num ${g.counts.fail ? 'text-bad' : 'muted'}`}>{count(g.counts.fail)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Section>
  );
}

/** Drift lists the recent regressions of a policy: checks that passed and now fail or err. */
function Drift({ policy, days }: { policy: string; days: number }) {
  const { t } = useI18n();
  const since = new Date(Math.floor((Date.now() - days * dayMs) / 60_000) * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const list = usePaged((cursor, signal) => listDrift({ policy_id: policy, regressed: true, since, cursor, limit: driftPage }, signal), [policy, days]);
  return (
    <Section title={t('compliance.drift', { n: days })}>
      <PagedFrame list={list} empty={t('compliance.noDrift')} moreTestId="more-drift">
        <table className="table table-compact" data-testid="drift-table">
          <thead>
            <tr>
              <th>{t('compliance.col.when')}</th>
              <th>{t('risk.col.host')}</th>
              <th>{t('compliance.col.check')}</th>
              <th>{t('compliance.col.change')}</th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((d) => (
              <tr key={`${d.agent_id}|${d.check_id}|${d.changed_at}`} data-agent-id={d.agent_id} data-check-id={d.check_id}>
                <td className="nowrap small">
                  <RelTime value={d.changed_at} />
                </td>
                <td className="nowrap">
                  <Link to={hostCompliancePath(d.agent_id)}>{d.hostname || <span className="mono small">{d.agent_id}</span>}</Link>
                </td>
                <td className="check-cell">
                  <CheckSeverityBadge severity={d.severity || d.check?.severity} /> <CheckTitle id={d.check_id} check={d.check} link={compliancePolicyPath(d.policy_id, d.check_id)} />
                </td>
                <td className="nowrap">
                  {d.before ? <ComplianceStatusBadge status={d.before} /> : <span className="muted">{t('compliance.firstSeen')}</span>}
                  <span className="arrow">→</span>
                  <ComplianceStatusBadge status={d.after} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </PagedFrame>
    </Section>
  );
}

/** Lowest lists hosts' standings on a policy, lowest score first, each opening the host's compliance tab. */
function Lowest({ items }: { items: ComplianceSummary[] }) {
  const { t } = useI18n();
  if (items.length === 0) return <Empty>{t('compliance.noHosts')}</Empty>;
  return (
    <table className="table table-compact" data-testid="lowest-hosts">
      <thead>
        <tr>
          <th>{t('risk.col.host')}</th>
          <th>{t('compliance.col.score')}</th>
          <th className="c-bar" />
          <th className="num">{t('ccol.fail')}</th>
          <th>{t('hostc.evaluated')}</th>
        </tr>
      </thead>
      <tbody>
        {items.map((s) => (
          <tr key={`${s.agent_id}|${s.policy_id}`} data-agent-id={s.agent_id} className="clickable" tabIndex={0} onClick={() => navigate(hostCompliancePath(s.agent_id))} onKeyDown={(e) => e.key === 'Enter' && navigate(hostCompliancePath(s.agent_id))}>
            <td className="nowrap">
              <Link to={hostCompliancePath(s.agent_id)} className="strong">
                {s.hostname || s.agent_id}
              </Link>
            </td>
            <td className="nowrap">
              <Score score={s.score} testId="lowest-score" />
            </td>
            <td className="c-bar">
              <CountsBar counts={s.counts} />
            </td>
            <td className={`num ${s.counts.fail ? 'text-bad' : 'muted'}`}>{count(s.counts.fail)}</td>
            <td className="nowrap small">
              <RelTime value={s.updated_at} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
