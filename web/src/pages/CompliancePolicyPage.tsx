// One policy across the fleet: its description, assignment and fleet
// score, and its checks ordered by the hosts failing them (severity,
// title in the user's language, CIS and GB/T 22239 references, hosts by
// status), filtered by text, severity and failing only (kept in the URL).
// A check opens a drawer (?check=ID) with its rationale and remediation
// and the hosts with a status (failing by default) and their evidence.
import { useEffect, useState, type FormEvent } from 'react';
import { ApiError } from '../api/client';
import { getPolicy, listChecks, listGroups, listResults } from '../api/compliance';
import type { CheckStanding, CompliancePolicyDetail } from '../api/types';
import { Labels } from '../components/badges';
import { Drawer, Facts, Section } from '../components/Drawer';
import { Empty, ErrorBanner, Loaded, Loading } from '../components/feedback';
import { RelTime } from '../components/time';
import { useI18n } from '../i18n';
import { checkFilterParams, checkSeverities, intervalText, matchesCheck, readCheckFilter, toggleCheckSeverity, type CheckFilter } from '../lib/compliance';
import { count } from '../lib/format';
import { useLoad } from '../lib/hooks';
import { usePaged } from '../lib/usePaged';
import { Link, navigate, useLocation, withQuery } from '../router';
import { allows, useSession } from '../session';
import { PagedFrame } from './AssetViews';
import { ComplianceExceptionDialog, type ExceptionTarget } from './ComplianceExceptionDialog';
import {
  CheckSeverityBadge,
  CheckTexts,
  CheckTitle,
  ComplianceStatusBadge,
  CountsBar,
  CountsLine,
  EvidenceView,
  ExceptionNote,
  hostCompliancePath,
  References,
  ReportButtons,
  Score,
  useReport,
  useStatusName,
  useText,
} from './ComplianceViews';
import { useSeverityName } from './RiskViews';

/** Hosts per page in a check's drawer. */
export const checkHostsPage = 50;

export function CompliancePolicyPage({ id }: { id: string }) {
  const { t } = useI18n();
  const sevName = useSeverityName();
  const { query } = useLocation();
  const filter = readCheckFilter(query);
  const open = query.get('check') ?? '';
  const here = `/compliance/policies/${encodeURIComponent(id)}`;
  const go = (f: CheckFilter, check = open) => navigate(withQuery(here, { ...checkFilterParams(f), check }), true);
  const detail = useLoad((signal) => getPolicy(id, signal), [id]);
  const fleet = useLoad((signal) => listGroups('', id, signal), [id]);
  const checks = useLoad(async (signal) => {
    // Every page: a policy has at most a few thousand checks.
    const out: CheckStanding[] = [];
    let cursor = '';
    for (let i = 0; i < 10; i++) {
      const res = await listChecks(id, cursor, signal);
      out.push(...(res.items ?? []));
      cursor = res.next_cursor ?? '';
      if (!cursor) break;
    }
    return out;
  }, [id]);
  const report = useReport({ policy_id: id });
  const [q, setQ] = useState(filter.q);
  // The box follows the URL (back and forward, a link followed).
  useEffect(() => setQ(filter.q), [filter.q]);
  const p = detail.data;
  const notFound = detail.error instanceof ApiError && detail.error.status === 404;
  const g = (fleet.data?.items ?? []).find((x) => x.policy_id === id && x.label === '');
  const all = checks.data ?? [];
  const shown = all.filter((c) => matchesCheck(c, filter));
  const failing = all.filter((c) => c.hosts.fail > 0).length;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    go({ ...filter, q: q.trim() });
  };
  const openCheck = (c: string) => go(filter, c);

  return (
    <div className="page policy-page" data-testid="policy-page" data-policy-id={id}>
      <div className="crumbs">
        <Link to="/compliance/policies">← {t('compliance.tab.policies')}</Link>
        <span className="crumb-sep">·</span>
        <Link to="/compliance">{t('compliance.tab.overview')}</Link>
      </div>
      {notFound ? <Empty>{t('cpol.notFound', { id })}</Empty> : <ErrorBanner error={detail.error} onRetry={detail.refresh} />}
      {!p && !detail.error && <Loading />}
      {p && <Head p={p} score={g?.score ?? null} hosts={g?.hosts ?? 0} report={report} />}
      {!notFound && (
        <div className="panel">
          <Section title={t('cpol.checksTitle')} actions={checks.data && <span className="muted small">{t('cpol.checksFailing', { failing, n: all.length, total: p?.checks ?? all.length })}</span>}>
            <form className="toolbar toolbar-wrap" onSubmit={submit} role="search" data-testid="check-filter">
              <input name="q" type="search" className="w-search" placeholder={t('cpol.search')} aria-label={t('cpol.search')} value={q} onChange={(e) => setQ(e.target.value)} autoComplete="off" />
              <button type="submit" className="btn btn-small btn-primary">
                {t('action.apply')}
              </button>
              <span className="sev-toggles" role="group" aria-label={t('risk.col.severity')} data-testid="check-severity">
                {checkSeverities.map((s) => {
                  const on = filter.severity.includes(s);
                  return (
                    <button key={s} type="button" className={`sev-toggle ${on ? 'sev-toggle-on' : ''}`} aria-pressed={on} data-severity={s} onClick={() => go({ ...filter, severity: toggleCheckSeverity(filter.severity, s) })}>
                      {sevName(s)}
                    </button>
                  );
                })}
              </span>
              <label className="check-inline">
                <input type="checkbox" name="failing" checked={filter.failing} onChange={(e) => go({ ...filter, failing: e.target.checked })} />
                <span>{t('cpol.failingOnly')}</span>
              </label>
              <div className="toolbar-spacer" />
              {checks.data && (
                <span className="count" data-testid="check-count">
                  {t('cpol.checksShown', { n: shown.length })}
                </span>
              )}
            </form>
            <Loaded load={checks} count={shown.length} empty={all.length === 0 ? t('cpol.noResults') : t('cpol.noMatch')}>
              <div className="table-scroll">
                <table className="table table-compact" data-testid="checks-table">
                  <thead>
                    <tr>
                      <th>{t('risk.col.severity')}</th>
                      <th>{t('compliance.col.check')}</th>
                      <th>{t('check.references')}</th>
                      <th className="num">{t('cpol.col.failing')}</th>
                      <th className="num">{t('ccol.error')}</th>
                      <th className="num">{t('ccol.excepted')}</th>
                      <th className="num">{t('ccol.pass')}</th>
                      <th className="c-bar" />
                    </tr>
                  </thead>
                  <tbody>
                    {shown.map((c) => (
                      <tr
                        key={c.check_id}
                        data-check-id={c.check_id}
                        data-severity={c.severity ?? ''}
                        className={`clickable ${open === c.check_id ? 'selected' : ''}`}
                        tabIndex={0}
                        onClick={() => openCheck(c.check_id)}
                        onKeyDown={(e) => e.key === 'Enter' && openCheck(c.check_id)}
                      >
                        <td className="nowrap">
                          <CheckSeverityBadge severity={c.severity || c.check?.severity} />
                        </td>
                        <td className="check-cell">
                          <CheckTitle id={c.check_id} check={c.check} />
                        </td>
                        <td className="refs-cell">
                          <References refs={c.check?.references} compact />
                        </td>
                        <td className={`num ${c.hosts.fail ? 'text-bad strong' : 'muted'}`} data-testid="failing-hosts">
                          {count(c.hosts.fail)}
                        </td>
                        <td className={`num ${c.hosts.error ? 'text-warn' : 'muted'}`}>{count(c.hosts.error)}</td>
                        <td className={`num ${c.hosts.excepted ? '' : 'muted'}`}>{count(c.hosts.excepted)}</td>
                        <td className="num">{count(c.hosts.pass)}</td>
                        <td className="c-bar">
                          <CountsBar counts={c.hosts} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </Loaded>
          </Section>
        </div>
      )}
      {open && (
        <CheckDrawer
          key={open}
          policy={p}
          policyId={id}
          standing={all.find((c) => c.check_id === open)}
          checkId={open}
          onClose={() => go(filter, '')}
          onChanged={checks.refresh}
        />
      )}
    </div>
  );
}

/** Head shows the policy: name, id, version, source, description, assignment, fleet score and the fleet report. */
function Head({ p, score, hosts, report }: { p: CompliancePolicyDetail; score: number | null; hosts: number; report: ReturnType<typeof useReport> }) {
  const { t } = useI18n();
  const text = useText();
  const a = p.assignment;
  return (
    <div className="panel rule-head" data-testid="policy-head">
      <div className="incident-title">
        <h2>{text(p.name) || p.id}</h2>
        <span className={`badge ${p.shipped ? 'status-online' : 'status-enrolled'}`}>{p.shipped ? t('cpol.shipped') : t('cpol.uploaded')}</span>
        <span className="tag">{p.format === 'wazuh-sca' ? t('cpol.format.sca') : t('cpol.format.vigil')}</span>
        <span className="toolbar-spacer" />
        <span className="btn-row">
          <ReportButtons report={report} />
        </span>
      </div>
      {text(p.description) && <p className="description policy-description">{text(p.description)}</p>}
      <ErrorBanner error={report.error} />
      <Facts
        className="facts-inline"
        rows={[
          [t('cpol.id'), <span className="mono">{p.id}</span>],
          [t('cpol.col.version'), <span className="mono">{p.version}</span>],
          [t('cpol.col.checks'), count(p.checks)],
          [t('compliance.col.hosts'), <span data-testid="policy-hosts">{count(hosts)}</span>],
          [t('compliance.fleetScore'), hosts > 0 ? <Score score={score} testId="policy-score" /> : t('compliance.noResults')],
          [
            t('cpol.col.assignment'),
            !a ? (
              <span className="muted">{t('cpol.notAssigned')}</span>
            ) : (
              <span>
                {a.disabled && <span className="badge status-stopped">{t('cpol.disabled')}</span>}{' '}
                {Object.keys(a.selector ?? {}).length === 0 ? t('cpol.everyHost') : <Labels labels={a.selector} />} · {a.interval_seconds ? t('cpol.every', { d: intervalText(a.interval_seconds) }) : t('cpol.daily')}
              </span>
            ),
          ],
        ]}
      />
      {(p.skipped ?? []).length > 0 && (
        <details className="job-problems">
          <summary>{t('cpol.skipped', { n: (p.skipped ?? []).length })}</summary>
          <ul className="plain-list mono small" data-testid="skipped-checks">
            {(p.skipped ?? []).map((s, i) => (
              <li key={i}>{s}</li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}

const hostStatuses = ['fail', 'error', 'excepted', 'pass', 'not_applicable'] as const;

interface DrawerProps {
  policy: CompliancePolicyDetail | undefined;
  policyId: string;
  standing: CheckStanding | undefined;
  checkId: string;
  onClose: () => void;
  onChanged: () => void;
}

/** CheckDrawer shows a check: its texts and references, and the hosts with a status and their evidence. */
function CheckDrawer({ policy, policyId, standing, checkId, onClose, onChanged }: DrawerProps) {
  const { t } = useI18n();
  const text = useText();
  const statusName = useStatusName();
  const session = useSession();
  const canExcept = allows(session, 'analyst');
  const [status, setStatus] = useState<string>('fail');
  const [excepting, setExcepting] = useState<ExceptionTarget | null>(null);
  const hosts = usePaged((cursor, signal) => listResults({ policy_id: policyId, check_id: checkId, status, cursor, limit: checkHostsPage }, signal), [policyId, checkId, status]);
  const fromPolicy = policy?.items?.find((c) => c.id === checkId);
  const info = standing?.check ?? (fromPolicy ? { ...fromPolicy } : undefined);
  const severity = standing?.severity || info?.severity;
  return (
    <Drawer
      testId="check-drawer"
      onClose={onClose}
      wide
      title={info ? text(info.title) : checkId}
      subtitle={
        <span className="drawer-status">
          <CheckSeverityBadge severity={severity} /> <span className="mono">{checkId}</span>
        </span>
      }
    >
      {!info && !standing && <p className="muted">{t('cpol.checkUnknown')}</p>}
      <Section title={t('check.about')}>
        <Facts
          rows={[
            [t('compliance.col.policy'), text(policy?.name) || policyId],
            [t('check.references'), <References refs={info?.references} />],
            [t('check.profiles'), (info?.profiles ?? []).join(', ')],
            [t('cpol.hostsByStatus'), standing ? <CountsLine counts={standing.hosts} testId="check-counts" /> : ''],
          ]}
        />
        {info && <CheckTexts check={info} />}
      </Section>
      <Section
        title={t('cpol.hostsTitle')}
        actions={
          <select name="status" aria-label={t('hostc.status')} value={status} onChange={(e) => setStatus(e.target.value)} data-testid="check-host-status">
            {hostStatuses.map((s) => (
              <option key={s} value={s}>
                {statusName(s)}
                {standing ? ` (${standing.hosts[s]})` : ''}
              </option>
            ))}
          </select>
        }
      >
        <PagedFrame list={hosts} empty={t('cpol.noHosts', { status: statusName(status) })} moreTestId="more-check-hosts">
          <ul className="check-hosts" data-testid="check-hosts">
            {hosts.items.map((r) => (
              <li key={r.agent_id} className="check-host" data-agent-id={r.agent_id} data-status={r.status}>
                <div className="check-host-head">
                  <ComplianceStatusBadge status={r.status} />
                  <Link to={hostCompliancePath(r.agent_id)} className="strong">
                    {r.hostname || r.agent_id}
                  </Link>
                  <span className="muted small">
                    <RelTime value={r.updated_at} />
                  </span>
                  <span className="toolbar-spacer" />
                  {r.status === 'fail' && (
                    <button
                      type="button"
                      className="btn btn-small"
                      disabled={!canExcept}
                      title={canExcept ? '' : t('error.needAnalyst')}
                      onClick={() => setExcepting({ policyId, policyName: policy?.name, checkId, checkTitle: info?.title, agentId: r.agent_id, hostname: r.hostname })}
                      data-testid="except-host"
                    >
                      {t('cexc.create')}
                    </button>
                  )}
                </div>
                {r.exception && <ExceptionNote e={r.exception} />}
                {r.reason && !r.exception && <p className="small">{r.reason}</p>}
                <EvidenceView evidence={r.evidence} />
              </li>
            ))}
          </ul>
        </PagedFrame>
      </Section>
      {excepting && (
        <ComplianceExceptionDialog
          target={excepting}
          onClose={() => setExcepting(null)}
          onSaved={() => {
            setExcepting(null);
            hosts.reload();
            onChanged();
          }}
        />
      )}
    </Drawer>
  );
}
