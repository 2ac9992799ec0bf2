// Parts the risk pages share: severity and known-exploited badges, the
// running and listening marks, a host's severity bar, the findings,
// patches and weak passwords tables, a job's progress and the database's
// freshness warning.
import type { ReactNode } from 'react';
import type { Patch, VulnDBStatus, VulnFinding, VulnJob, WeakPassword } from '../api/types';
import { CopyField } from '../components/CopyField';
import { Facts } from '../components/Drawer';
import { ExpandRow, useOpenRows } from '../components/ExpandRow';
import { AbsTime, RelTime, useSpanText } from '../components/time';
import { ProgressBar } from '../components/upload';
import { useI18n, type MessageKey } from '../i18n';
import { count } from '../lib/format';
import { useNow } from '../lib/hooks';
import { firstOf, freshness, isVulnSeverity, jobPercent, patchVersions, readWeakPassword, weakTargets, weakTypes, type BarPart } from '../lib/risk';
import { Link } from '../router';

/** vulnPath is the page of one vulnerability. */
export const vulnPath = (id: string) => `/vulns/cves/${encodeURIComponent(id)}`;
/** hostRiskPath is a host's vulnerabilities tab. */
export const hostRiskPath = (agentId: string) => `/agents/${encodeURIComponent(agentId)}?tab=vulns`;

/** useSeverityName names a severity in the user's language (a word that is none is shown as it is). */
export function useSeverityName(): (s: string) => string {
  const { t } = useI18n();
  return (s: string) => {
    if (s === 'critical' || s === 'high' || s === 'medium' || s === 'low') return t(`severity.${s}` as MessageKey);
    if (s === 'none' || s === 'unknown' || s === 'other') return t(`vsev.${s}` as MessageKey);
    return s;
  };
}

/** VulnSeverityBadge shows a severity (critical to unknown) and the CVSS score when there is one. */
export function VulnSeverityBadge({ severity, score }: { severity: string; score?: number }) {
  const name = useSeverityName();
  const known = isVulnSeverity(severity);
  return (
    <span className={`badge sev-${known ? severity : 'unknown'}`} data-severity={severity}>
      {name(severity)}
      {score ? <span className="sev-score">{score.toFixed(1)}</span> : null}
    </span>
  );
}

/** KevBadge marks a vulnerability known to be exploited (in CISA's catalogue). */
export function KevBadge() {
  const { t } = useI18n();
  return (
    <span className="badge kev" title={t('risk.kevHelp')} data-testid="kev">
      {t('risk.kev')}
    </span>
  );
}

/** RunFlags marks a finding whose program runs, and listens. */
export function RunFlags({ running, listening }: { running: boolean; listening: boolean }) {
  const { t } = useI18n();
  if (!running && !listening) return null;
  return (
    <>
      {running && (
        <span className="badge flag-running" title={t('risk.runningHelp')} data-flag="running">
          {t('risk.running')}
        </span>
      )}
      {listening && (
        <span className="badge flag-listening" title={t('risk.listeningHelp')} data-flag="listening">
          {t('risk.listening')}
        </span>
      )}
    </>
  );
}

/** FindingFlags shows a finding's known-exploited, running and listening marks. */
export function FindingFlags({ f }: { f: Pick<VulnFinding, 'known_exploited' | 'running' | 'listening'> }) {
  if (!f.known_exploited && !f.running && !f.listening) return <span className="muted">—</span>;
  return (
    <span className="risk-flags">
      {f.known_exploited && <KevBadge />}
      <RunFlags running={f.running} listening={f.listening} />
    </span>
  );
}

/** SeverityBar draws a host's findings by severity as one bar. */
export function SeverityBar({ parts }: { parts: BarPart[] }) {
  const name = useSeverityName();
  if (parts.length === 0) return <span className="muted">—</span>;
  return (
    <span className="sev-bar" aria-hidden="true" title={parts.map((p) => `${name(p.severity)} ${p.n}`).join(' · ')}>
      {parts.map((p) => (
        <span key={p.severity} className={`sev-bar-part bar-${p.severity}`} style={{ width: `${p.pct}%` }} />
      ))}
    </span>
  );
}

/** Count shows a number, greyed when it is 0 and marked when it is a warning. */
export function Count({ n, tone }: { n: number; tone?: 'bad' | 'warn' }) {
  return <span className={n === 0 ? 'muted' : tone === 'bad' ? 'text-bad' : tone === 'warn' ? 'text-warn' : ''}>{count(n)}</span>;
}

/** HostCell names a finding's host, linking to its vulnerabilities tab. */
export function HostCell({ agentId, hostname }: { agentId: string; hostname?: string }) {
  return (
    <Link to={hostRiskPath(agentId)} className="host-link" title={agentId}>
      {hostname || <span className="mono small">{agentId}</span>}
    </Link>
  );
}

/** FixedVersion shows the version that fixes a finding, or says that none is known. */
export function FixedVersion({ version }: { version?: string }) {
  const { t } = useI18n();
  return version ? <span className="mono small fix-version">{version}</span> : <span className="muted small">{t('risk.noFix')}</span>;
}

interface FindingsProps {
  items: VulnFinding[];
  /** Show the host column. */
  withHost: boolean;
  /** Show the vulnerability column (left out on a vulnerability's own page). */
  withVuln?: boolean;
  testId: string;
  compact?: boolean;
}

/** findingKey identifies a finding in a listing. */
const findingKey = (f: VulnFinding) => `${f.agent_id}|${f.asset_key}|${f.vuln_id}`;

/** FindingsTable lists findings; a row opens to its advisories, aliases, path and times. */
export function FindingsTable({ items, withHost, withVuln = true, testId, compact }: FindingsProps) {
  const { t } = useI18n();
  const rows = useOpenRows<string>();
  const span = 5 + (withHost ? 1 : 0) + (withVuln ? 1 : 0);
  return (
    <table className={`table ${compact ? 'table-compact' : ''}`} data-testid={testId}>
      <thead>
        <tr>
          <th className="c-toggle" />
          <th>{t('risk.col.severity')}</th>
          {withVuln && <th>{t('risk.col.vuln')}</th>}
          <th>{t('risk.col.package')}</th>
          <th>{t('risk.col.versions')}</th>
          {withHost && <th>{t('risk.col.host')}</th>}
          <th>{t('risk.col.flags')}</th>
        </tr>
      </thead>
      <tbody>
        {items.map((f) => {
          const k = findingKey(f);
          return (
            <ExpandRow
              key={k}
              open={rows.isOpen(k)}
              onToggle={() => rows.toggle(k)}
              span={span}
              data={{
                'data-vuln-id': f.vuln_id,
                'data-agent-id': f.agent_id,
                'data-package': f.package,
                'data-severity': f.severity,
                'data-kev': f.known_exploited ? 'true' : 'false',
              }}
              detail={() => <FindingDetail f={f} />}
            >
              <td className="nowrap">
                <VulnSeverityBadge severity={f.severity} score={f.score} />
              </td>
              {withVuln && (
                <td className="vuln-cell">
                  <Link to={vulnPath(f.vuln_id)} className="strong mono">
                    {f.vuln_id}
                  </Link>
                  {f.summary && (
                    <div className="sub summary" title={f.summary}>
                      {f.summary}
                    </div>
                  )}
                </td>
              )}
              <td className="pkg-cell">
                <div className="strong">{f.package}</div>
                <div className="sub">
                  {f.ecosystem}
                  {f.asset_kind === 'library' && ` · ${t('risk.library')}`}
                </div>
              </td>
              <td className="nowrap">
                <span className="mono small">{f.version}</span>
                <span className="arrow">→</span>
                <FixedVersion version={f.fixed_version} />
              </td>
              {withHost && (
                <td>
                  <HostCell agentId={f.agent_id} hostname={f.hostname} />
                </td>
              )}
              <td>
                <FindingFlags f={f} />
              </td>
            </ExpandRow>
          );
        })}
      </tbody>
    </table>
  );
}

/** FindingDetail is what an opened finding row shows. */
function FindingDetail({ f }: { f: VulnFinding }) {
  const { t } = useI18n();
  return (
    <div className="risk-detail" data-testid="finding-detail">
      {f.summary && <p className="description">{f.summary}</p>}
      <Facts
        className="facts-rows"
        rows={[
          [t('risk.advisories'), <IdList ids={f.advisories} />],
          [t('risk.aliases'), <IdList ids={f.aliases} />],
          [t('risk.assetKey'), <span className="mono small">{f.asset_key}</span>],
          [t('risk.path'), f.path ? <span className="mono small">{f.path}</span> : ''],
          [t('risk.firstSeen'), <AbsTime value={f.first_seen} />],
          [t('risk.updated'), <RelTime value={f.updated_at} />],
        ]}
      />
    </div>
  );
}

/** IdList shows advisory ids and aliases as tags. */
export function IdList({ ids }: { ids: string[] | null | undefined }) {
  if (!ids || ids.length === 0) return null;
  return (
    <span className="chips">
      {ids.map((id) => (
        <span key={id} className="tag mono">
          {id}
        </span>
      ))}
    </span>
  );
}

/** VulnIds shows the first vulnerabilities a patch fixes, each a link, and how many more. */
export function VulnIds({ ids, n = 3 }: { ids: string[] | null | undefined; n?: number }) {
  const { t } = useI18n();
  const { shown, more } = firstOf(ids, n);
  return (
    <span className="vuln-ids">
      {shown.map((id) => (
        <Link key={id} to={vulnPath(id)} className="mono small">
          {id}
        </Link>
      ))}
      {more > 0 && <span className="muted small">{t('risk.more', { n: more })}</span>}
    </span>
  );
}

interface PatchProps {
  patches: Patch[];
  /** The fleet's patches count hosts and link to their findings; a host's show no host count. */
  fleet: boolean;
  testId: string;
}

/** PatchTable lists upgrades: the package, the versions, what they fix, and the command that applies each. */
export function PatchTable({ patches, fleet, testId }: PatchProps) {
  const { t } = useI18n();
  return (
    <table className="table table-compact patch-table" data-testid={testId}>
      <thead>
        <tr>
          <th>{t('risk.col.severity')}</th>
          <th>{t('risk.col.package')}</th>
          <th>{t('risk.col.upgrade')}</th>
          <th>{t('risk.col.fixes')}</th>
          {fleet && <th className="num">{t('risk.col.hosts')}</th>}
          <th className="c-command">{t('risk.col.command')}</th>
        </tr>
      </thead>
      <tbody>
        {patches.map((p) => (
          <tr key={`${p.agent_id ?? ''}|${p.ecosystem}|${p.kind}|${p.package}`} data-package={p.package} data-ecosystem={p.ecosystem} data-kev={p.known_exploited ? 'true' : 'false'}>
            <td className="nowrap">
              <VulnSeverityBadge severity={p.severity} />
              {p.known_exploited && (
                <>
                  {' '}
                  <KevBadge />
                </>
              )}
            </td>
            <td className="pkg-cell">
              <div className="strong">{p.package}</div>
              <div className="sub">
                {p.ecosystem}
                {p.kind === 'library' && ` · ${t('risk.library')}`}
              </div>
              {(p.paths ?? []).length > 0 && (
                <div className="sub mono patch-paths" title={(p.paths ?? []).join('\n')}>
                  {(p.paths ?? []).length === 1 ? p.paths![0] : t('risk.paths', { n: (p.paths ?? []).length })}
                </div>
              )}
            </td>
            <td className="mono small patch-versions">{patchVersions(p)}</td>
            <td>
              <VulnIds ids={p.vulns} />
              <div className="sub">{t('risk.vulnCount', { n: (p.vulns ?? []).length })}</div>
            </td>
            {fleet && (
              <td className="num">
                <Link to={`/vulns?${new URLSearchParams({ package: p.package, ecosystem: p.ecosystem, fixable: 'true' }).toString()}`} title={t('risk.hostsLink')}>
                  {p.hosts}
                </Link>
              </td>
            )}
            <td className="c-command">
              {p.command ? <CopyField value={p.command} testId="patch-command" multiline /> : <span className="muted small">{p.kind === 'library' ? t('risk.rebuild') : t('risk.noCommand')}</span>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** useWeakWords names weak password targets and finding types; a word the console does not know is shown as it is. */
export function useWeakWords() {
  const { t } = useI18n();
  const target = (s: string) => ((weakTargets as readonly string[]).includes(s) ? t(`weak.target.${s}` as MessageKey) : s || '—');
  const type = (s: string) => ((weakTypes as readonly string[]).includes(s) ? t(`weak.type.${s}` as MessageKey) : s || '—');
  return { target, type };
}

/** WeakHint shows a guessed password's masked hint and length, and nothing more of it. */
export function WeakHint({ hint, length }: { hint: string; length: number }) {
  const { t } = useI18n();
  if (!hint && !length) return <span className="muted">—</span>;
  return (
    <span className="weak-hint" data-testid="weak-hint">
      {hint && <code className="mono">{hint}</code>}
      {length > 0 && <span className="sub">{t('weak.length', { n: length })}</span>}
    </span>
  );
}

/** WeakPasswordTable lists weak passwords: severity, target and type, account, reason, evidence, the masked hint, where and when. */
export function WeakPasswordTable({ items, withHost, testId }: { items: WeakPassword[]; withHost: boolean; testId: string }) {
  const { t } = useI18n();
  const words = useWeakWords();
  return (
    <table className="table table-compact weak-table" data-testid={testId}>
      <thead>
        <tr>
          <th>{t('risk.col.severity')}</th>
          <th>{t('weak.col.target')}</th>
          <th>{t('weak.col.account')}</th>
          {withHost && <th>{t('risk.col.host')}</th>}
          <th>{t('weak.col.reason')}</th>
          <th>{t('weak.col.evidence')}</th>
          <th>{t('weak.col.hint')}</th>
          <th>{t('weak.col.firstSeen')}</th>
        </tr>
      </thead>
      <tbody>
        {items.map((w) => {
          const d = readWeakPassword(w);
          const where = [d.address, d.file].filter(Boolean).join(' · ');
          return (
            <tr key={`${w.agent_id}|${w.key}`} data-key={w.key} data-target={w.target} data-type={w.type} data-agent-id={w.agent_id}>
              <td className="nowrap">
                <VulnSeverityBadge severity={w.severity} />
              </td>
              <td>
                <div className="strong">{words.target(w.target)}</div>
                <div className="sub" data-testid="weak-type">
                  {words.type(w.type)}
                </div>
              </td>
              <td>
                {d.anonymous ? <span className="muted">{t('weak.anonymous')}</span> : d.account ? <span className="mono">{d.account}</span> : <span className="muted">—</span>}
                {where && (
                  <div className="sub mono" title={d.listen.join(', ')}>
                    {where}
                  </div>
                )}
              </td>
              {withHost && (
                <td>
                  <HostCell agentId={w.agent_id} hostname={w.hostname} />
                </td>
              )}
              <td className="reason-cell">{w.reason || <span className="muted">—</span>}</td>
              <td className="reason-cell small mono weak-evidence">
                {d.evidence || <span className="muted">—</span>}
                {(d.scheme || d.source) && <div className="sub">{[d.scheme && t('weak.scheme', { s: d.scheme }), d.source && t('weak.source', { s: d.source })].filter(Boolean).join(' · ')}</div>}
              </td>
              <td>
                <WeakHint hint={d.hint} length={d.length} />
              </td>
              <td className="nowrap">
                <RelTime value={w.first_seen} />
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** jobStateKey names a job's state. */
function jobWord(t: (k: MessageKey) => string, kind: 'state' | 'phase' | 'kind', v: string): string {
  const key = `job.${kind}.${v}` as MessageKey;
  const known: Record<string, string[]> = {
    state: ['running', 'done', 'failed'],
    phase: ['download', 'read', 'store', 'index', 'match'],
    kind: ['import', 'sync'],
  };
  return known[kind]!.includes(v) ? t(key) : v;
}

/** JobStateBadge shows a job's state. */
export function JobStateBadge({ state }: { state: string }) {
  const { t } = useI18n();
  const cls = state === 'done' ? 'status-online' : state === 'failed' ? 'status-lost' : state === 'running' ? 'status-enrolled' : '';
  return (
    <span className={`badge ${cls}`} data-state={state}>
      {state === 'running' && <span className="dot" />}
      {jobWord(t, 'state', state)}
    </span>
  );
}

/** useJobWords names a job's kind and phase. */
export function useJobWords() {
  const { t } = useI18n();
  return { kind: (v: string) => jobWord(t, 'kind', v), phase: (v: string) => (v ? jobWord(t, 'phase', v) : '') };
}

/**
 * jobSource is the source a job names: an import's, or the one a sync is
 * reading while it runs (a finished sync names the last it read, which its
 * message tells better).
 */
export function jobSource(j: Pick<VulnJob, 'kind' | 'state' | 'source'>): string {
  if (j.kind === 'sync' && j.state !== 'running') return '';
  return j.source ?? '';
}

/** JobProgress shows a job: its state and phase, the phase's progress, what it counted, its problems, message and error. */
export function JobProgress({ job, testId }: { job: VulnJob; testId?: string }) {
  const { t } = useI18n();
  const words = useJobWords();
  const pct = jobPercent(job);
  return (
    <div className="job-progress" data-testid={testId} data-job-id={job.id} data-state={job.state} data-phase={job.phase ?? ''}>
      <div className="job-line">
        <JobStateBadge state={job.state} />
        <span className="strong">
          {words.kind(job.kind)}
          {jobSource(job) && <span className="mono"> {jobSource(job)}</span>}
        </span>
        {job.state === 'running' && job.phase && (
          <span className="job-phase" data-testid="job-phase">
            {words.phase(job.phase)}
          </span>
        )}
        <span className="toolbar-spacer" />
        {job.state === 'running' && (
          <span className="muted small" data-testid="job-steps">
            {job.total > 0 ? t('job.steps', { done: count(job.done), total: count(job.total) }) : job.done > 0 ? t('job.stepsSoFar', { done: count(job.done) }) : ''}
          </span>
        )}
      </div>
      {job.state === 'running' && <ProgressBar pct={pct} label={t('job.progress')} testId="job-bar" />}
      <div className="job-counts" data-testid="job-counts">
        <span data-count="added">{t('job.added', { n: count(job.added) })}</span>
        <span data-count="updated">{t('job.updated', { n: count(job.updated) })}</span>
        <span data-count="unchanged">{t('job.unchanged', { n: count(job.unchanged) })}</span>
        <span data-count="rejected" className={job.rejected > 0 ? 'text-warn' : ''}>
          {t('job.rejected', { n: count(job.rejected) })}
        </span>
      </div>
      {job.message && <div className="small job-message">{job.message}</div>}
      {job.error && (
        <div className="text-bad small" data-testid="job-error">
          {job.error}
        </div>
      )}
      {(job.problems ?? []).length > 0 && (
        <details className="job-problems" open={job.state !== 'running'}>
          <summary>{t('job.problems', { n: (job.problems ?? []).length })}</summary>
          <ul className="plain-list mono small" data-testid="job-problems">
            {(job.problems ?? []).map((p, i) => (
              <li key={i}>{p}</li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}

/** FreshnessBanner warns when the vulnerability database is empty, stale or a source fails; it says nothing when all is well. */
export function FreshnessBanner({ status, dbLink }: { status: VulnDBStatus; dbLink?: boolean }) {
  const { t } = useI18n();
  const now = useNow();
  const spanText = useSpanText();
  const f = freshness(status, now);
  const link = dbLink ? (
    <>
      {' '}
      <Link to="/vulndb">{t('vulndb.open')}</Link>
    </>
  ) : null;
  const out: ReactNode[] = [];
  if (f.empty) {
    out.push(
      <div key="empty" className="warn-banner" role="alert" data-testid="vulndb-empty">
        {t('vulndb.empty')}
        {link}
      </div>,
    );
  } else if (f.stale) {
    out.push(
      <div key="stale" className="warn-banner" role="alert" data-testid="vulndb-stale">
        {f.lastSync ? t('vulndb.stale', { ago: t('time.ago', { d: spanText(now - Date.parse(f.lastSync)) }) }) : t('vulndb.neverSynced')}
        {link}
      </div>,
    );
  }
  if (f.failing.length > 0) {
    out.push(
      <div key="failing" className="warn-banner" role="alert" data-testid="vulndb-failing">
        {t('vulndb.failing', { sources: f.failing.join(', ') })}
        {link}
      </div>,
    );
  }
  return <>{out}</>;
}
