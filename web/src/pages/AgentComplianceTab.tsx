// An agent's compliance: its score and counts per policy, its results
// (filtered by policy, status, severity and text; each opening to its
// evidence, the check's texts and the exception that accepts it), a run
// of its policies now (the collect command, as the command drawer sends
// it), exceptions made from a failure, and its report to download or
// print in the user's language.
import { useState, type FormEvent } from 'react';
import { hostSummaries, listPolicies, listResults, runBaseline } from '../api/compliance';
import type { CommandResponse, ComplianceResult, ComplianceSummary } from '../api/types';
import { Section } from '../components/Drawer';
import { ExpandRow, useOpenRows } from '../components/ExpandRow';
import { ErrorBanner, Loaded } from '../components/feedback';
import { RelTime } from '../components/time';
import { useI18n } from '../i18n';
import { checkSeverities, type CheckSeverity } from '../lib/compliance';
import { commandRoles } from '../lib/commands';
import { count } from '../lib/format';
import { useLoad } from '../lib/hooks';
import { usePaged } from '../lib/usePaged';
import { Link } from '../router';
import { allows, useSession } from '../session';
import { PagedFrame } from './AssetViews';
import { ComplianceExceptionDialog, type ExceptionTarget } from './ComplianceExceptionDialog';
import {
  CheckSeverityBadge,
  CheckTexts,
  CheckTitle,
  ComplianceStatusBadge,
  compliancePolicyPath,
  CountsBar,
  EvidenceView,
  ExceptionNote,
  References,
  ReportButtons,
  Score,
  useReport,
  useStatusName,
  useText,
} from './ComplianceViews';
import { useSeverityName } from './RiskViews';

/** Results per page in the tab. */
export const hostResultsPage = 50;

/** The statuses offered by the filter, in this order. */
const statusChoices = ['fail', 'error', 'excepted', 'pass', 'not_applicable'] as const;

interface Filter {
  policy: string;
  status: string;
  severity: '' | CheckSeverity;
  q: string;
}

export function AgentComplianceTab({ agentId }: { agentId: string }) {
  const { t } = useI18n();
  const text = useText();
  const session = useSession();
  const statusName = useStatusName();
  const sevName = useSeverityName();
  const canRun = allows(session, commandRoles.collect);
  const canExcept = allows(session, 'analyst');
  const [filter, setFilter] = useState<Filter>({ policy: '', status: '', severity: '', q: '' });
  const [q, setQ] = useState('');
  const summaries = useLoad((signal) => hostSummaries(agentId, signal), [agentId]);
  const policies = useLoad((signal) => listPolicies(signal), []);
  const results = usePaged(
    (cursor, signal) =>
      listResults({ agent_id: agentId, policy_id: filter.policy, status: filter.status, severity: filter.severity, q: filter.q, cursor, limit: hostResultsPage }, signal),
    [agentId, filter.policy, filter.status, filter.severity, filter.q],
  );
  const report = useReport({ agent_id: agentId });
  const [running, setRunning] = useState(false);
  const [run, setRun] = useState<{ res?: CommandResponse; error?: unknown } | null>(null);
  const [excepting, setExcepting] = useState<ExceptionTarget | null>(null);
  const names = new Map((policies.data?.items ?? []).map((p) => [p.id, p.name]));
  const sums = summaries.data?.items ?? [];

  const refresh = () => {
    summaries.refresh();
    results.reload();
  };
  const runNow = async () => {
    setRunning(true);
    setRun(null);
    try {
      const res = await runBaseline(agentId);
      setRun({ res });
      refresh();
    } catch (error) {
      setRun({ error });
    } finally {
      setRunning(false);
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setFilter({ ...filter, q: q.trim() });
  };
  const reply = run?.res?.results?.find((r) => r.agent_id === agentId);

  return (
    <div className="host-tab" data-testid="agent-compliance">
      <Section
        title={t('hostc.summary')}
        actions={
          <span className="btn-row">
            <button
              type="button"
              className="btn btn-small btn-primary"
              onClick={() => void runNow()}
              disabled={running || !canRun}
              title={canRun ? t('hostc.runHelp') : t('error.needResponder')}
              data-testid="run-baseline"
            >
              {running ? t('hostc.running') : t('hostc.run')}
            </button>
            <ReportButtons report={report} />
            <button type="button" className="btn btn-small" onClick={refresh} disabled={summaries.loading} data-testid="refresh-compliance">
              {t('action.refresh')}
            </button>
          </span>
        }
      >
        {run?.error !== undefined && <ErrorBanner error={run.error} />}
        {run?.res && (
          <div className={reply?.ok ? 'info-banner' : 'warn-banner'} role="status" data-testid="run-result" data-ok={reply?.ok ? 'true' : 'false'}>
            {reply?.ok ? runSummary(reply.output, reply.duration_ms) : t('hostc.runFailed', { error: reply?.error || t('command.noReply') })}
          </div>
        )}
        {report.error ? (
          <div data-testid="report-error">
            <ErrorBanner error={report.error} />
          </div>
        ) : null}
        <Loaded load={summaries} count={sums.length} empty={t('hostc.none')}>
          <div className="table-scroll">
            <table className="table table-compact" data-testid="host-policies">
              <thead>
                <tr>
                  <th>{t('compliance.col.policy')}</th>
                  <th>{t('compliance.col.score')}</th>
                  <th className="c-bar" />
                  <th className="num">{t('ccol.pass')}</th>
                  <th className="num">{t('ccol.fail')}</th>
                  <th className="num">{t('ccol.error')}</th>
                  <th className="num">{t('ccol.excepted')}</th>
                  <th className="num">{t('ccol.na')}</th>
                  <th>{t('hostc.evaluated')}</th>
                </tr>
              </thead>
              <tbody>{sums.map((s) => summaryRow(s))}</tbody>
            </table>
          </div>
        </Loaded>
      </Section>

      <Section title={t('hostc.results')}>
        <form className="toolbar toolbar-wrap" onSubmit={submit} role="search" data-testid="host-result-filter">
          <select name="policy" className="w-policy" aria-label={t('compliance.col.policy')} value={filter.policy} onChange={(e) => setFilter({ ...filter, policy: e.target.value })}>
            <option value="">{t('hostc.allPolicies')}</option>
            {sums.map((s) => (
              <option key={s.policy_id} value={s.policy_id}>
                {text(names.get(s.policy_id)) || s.policy_id}
              </option>
            ))}
          </select>
          <select name="status" aria-label={t('hostc.status')} value={filter.status} onChange={(e) => setFilter({ ...filter, status: e.target.value })}>
            <option value="">{t('hostc.allStatuses')}</option>
            {statusChoices.map((s) => (
              <option key={s} value={s}>
                {statusName(s)}
              </option>
            ))}
          </select>
          <select name="severity" aria-label={t('risk.col.severity')} value={filter.severity} onChange={(e) => setFilter({ ...filter, severity: e.target.value as Filter['severity'] })}>
            <option value="">{t('hostc.allSeverities')}</option>
            {checkSeverities.map((s) => (
              <option key={s} value={s}>
                {sevName(s)}
              </option>
            ))}
          </select>
          <input name="q" type="search" className="w-search" placeholder={t('hostc.search')} aria-label={t('hostc.search')} value={q} onChange={(e) => setQ(e.target.value)} autoComplete="off" />
          <button type="submit" className="btn btn-small btn-primary" data-testid="apply-result-filter">
            {t('action.apply')}
          </button>
          <div className="toolbar-spacer" />
          {!results.initial && (
            <span className="count" data-testid="result-count">
              {results.nextCursor ? t('hostc.countMore', { n: results.items.length }) : t('hostc.count', { n: results.items.length })}
            </span>
          )}
        </form>
        <PagedFrame list={results} empty={filter.status || filter.severity || filter.q || filter.policy ? t('hostc.noMatch') : t('hostc.noResults')} moreTestId="more-results">
          <div className="table-scroll">
            <ResultsTable items={results.items} canExcept={canExcept} onExcept={setExcepting} policyName={(id) => text(names.get(id)) || id} />
          </div>
        </PagedFrame>
      </Section>
      {excepting && (
        <ComplianceExceptionDialog
          target={{ ...excepting, policyName: names.get(excepting.policyId) }}
          onClose={() => setExcepting(null)}
          onSaved={() => {
            setExcepting(null);
            refresh();
          }}
        />
      )}
    </div>
  );

  function summaryRow(s: ComplianceSummary) {
    const c = s.counts;
    return (
      <tr key={s.policy_id} data-policy-id={s.policy_id} data-applicable={s.applicable ? 'true' : 'false'} className={s.applicable ? '' : 'row-off'}>
        <td>
          <Link to={compliancePolicyPath(s.policy_id)} className="strong">
            {text(names.get(s.policy_id)) || s.policy_id}
          </Link>
          <div className="sub mono">
            {s.policy_id}
            {s.policy_version && ` · ${s.policy_version}`}
          </div>
        </td>
        {s.applicable ? (
          <>
            <td className="nowrap">
              <Score score={s.score} testId="host-score" />
            </td>
            <td className="c-bar">
              <CountsBar counts={c} />
            </td>
            <td className="num">{count(c.pass)}</td>
            <td className={`num ${c.fail ? 'text-bad strong' : 'muted'}`} data-testid="host-fail">
              {count(c.fail)}
            </td>
            <td className={`num ${c.error ? 'text-warn' : 'muted'}`}>{count(c.error)}</td>
            <td className={`num ${c.excepted ? '' : 'muted'}`}>{count(c.excepted)}</td>
            <td className="num muted">{count(c.not_applicable)}</td>
          </>
        ) : (
          <td colSpan={7} className="muted">
            {t('hostc.notApplicable')}
          </td>
        )}
        <td className="nowrap small">
          <RelTime value={s.updated_at} />
        </td>
      </tr>
    );
  }

  /** runSummary says what a run did, from the collect command's output. */
  function runSummary(output: unknown, ms: number): string {
    const o = (output && typeof output === 'object' ? output : {}) as Record<string, unknown>;
    const n = (k: string) => (typeof o[k] === 'number' ? (o[k] as number) : 0);
    return t('hostc.ran', { n: count(n('assets')), changed: count(n('changed') + n('added') + n('removed')), s: (ms / 1000).toFixed(1) });
  }
}

interface TableProps {
  items: ComplianceResult[];
  canExcept: boolean;
  onExcept: (t: ExceptionTarget) => void;
  policyName: (id: string) => string;
}

/** ResultsTable lists a host's results; a row opens to its evidence, texts, references and exception. */
export function ResultsTable({ items, canExcept, onExcept, policyName }: TableProps) {
  const { t } = useI18n();
  const rows = useOpenRows<string>();
  return (
    <table className="table table-compact" data-testid="host-results">
      <thead>
        <tr>
          <th className="c-toggle" />
          <th>{t('hostc.status')}</th>
          <th>{t('risk.col.severity')}</th>
          <th>{t('compliance.col.check')}</th>
          <th>{t('compliance.col.policy')}</th>
          <th>{t('hostc.updated')}</th>
        </tr>
      </thead>
      <tbody>
        {items.map((r) => {
          const k = `${r.policy_id}|${r.check_id}`;
          return (
            <ExpandRow
              key={k}
              open={rows.isOpen(k)}
              onToggle={() => rows.toggle(k)}
              span={6}
              data={{ 'data-check-id': r.check_id, 'data-status': r.status, 'data-severity': r.severity ?? '', 'data-policy-id': r.policy_id }}
              detail={() => <ResultDetail r={r} canExcept={canExcept} onExcept={onExcept} />}
            >
              <td className="nowrap">
                <ComplianceStatusBadge status={r.status} />
              </td>
              <td className="nowrap">
                <CheckSeverityBadge severity={r.severity || r.check?.severity} />
              </td>
              <td className="check-cell">
                <CheckTitle id={r.check_id} check={r.check} />
              </td>
              <td className="small">{policyName(r.policy_id)}</td>
              <td className="nowrap small">
                <RelTime value={r.updated_at} />
              </td>
            </ExpandRow>
          );
        })}
      </tbody>
    </table>
  );
}

/** ResultDetail is what an opened result row shows. */
function ResultDetail({ r, canExcept, onExcept }: { r: ComplianceResult; canExcept: boolean; onExcept: (t: ExceptionTarget) => void }) {
  const { t } = useI18n();
  return (
    <div className="result-detail" data-testid="result-detail">
      {r.exception && <ExceptionNote e={r.exception} />}
      {r.reason && !r.exception && (
        <p className="small" data-testid="result-reason">
          <span className="muted">{t('hostc.reason')}</span> {r.reason}
        </p>
      )}
      <h4>{t('evidence.title')}</h4>
      <EvidenceView evidence={r.evidence} />
      {r.check && (
        <>
          <div className="small refs-line">
            <span className="muted">{t('check.references')}</span> <References refs={r.check.references} />
          </div>
          <CheckTexts check={r.check} />
        </>
      )}
      <div className="btn-row">
        <Link to={compliancePolicyPath(r.policy_id, r.check_id)}>{t('hostc.fleetLink')}</Link>
        {r.status === 'fail' && (
          <button
            type="button"
            className="btn btn-small"
            disabled={!canExcept}
            title={canExcept ? '' : t('error.needAnalyst')}
            onClick={() => onExcept({ policyId: r.policy_id, checkId: r.check_id, checkTitle: r.check?.title, agentId: r.agent_id, hostname: r.hostname })}
            data-testid="except-result"
          >
            {t('cexc.create')}
          </button>
        )}
      </div>
    </div>
  );
}
