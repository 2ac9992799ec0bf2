// Parts the compliance pages share: a result's status, a score with its
// bar, counts by status, a check's title and references in the user's
// language, the evidence the agent sent (each rule's result and its
// lines: file or command, line number, text; long lists cut), the
// exception that accepts a failure, the fleet's score trend as a small
// chart, and the report's download and print.
import { useState, type ReactNode } from 'react';
import { complianceReport } from '../api/compliance';
import type { CheckInfo, ComplianceCounts, ComplianceException, LocalText, RuleEvidence } from '../api/types';
import { useI18n, type MessageKey } from '../i18n';
import { clipText, countsBar, evidenceLine, isCheckSeverity, isComplianceStatus, localText, readEvidence, referenceGroups, scoreText, scoreTone, trendChart, type TrendPoint } from '../lib/compliance';
import { count } from '../lib/format';
import { saveFile, showReport } from '../lib/report';
import { Link } from '../router';
import { AbsTime, Until } from '../components/time';
import { useSeverityName } from './RiskViews';

/** compliancePolicyPath is a policy's page (its failures); with a check, its drawer open. */
export const compliancePolicyPath = (id: string, check?: string) => `/compliance/policies/${encodeURIComponent(id)}${check ? `?check=${encodeURIComponent(check)}` : ''}`;
/** hostCompliancePath is a host's compliance tab. */
export const hostCompliancePath = (agentId: string) => `/agents/${encodeURIComponent(agentId)}?tab=compliance`;

/** useText picks a policy text in the user's language. */
export function useText(): (t: LocalText | null | undefined) => string {
  const { lang } = useI18n();
  return (x) => localText(x, lang);
}

/** useStatusName names a result's status in the user's language (an unknown word as it is). */
export function useStatusName(): (s: string) => string {
  const { t } = useI18n();
  return (s) => (isComplianceStatus(s) ? t(`cstatus.${s}` as MessageKey) : s || '—');
}

/** ComplianceStatusBadge shows a result's status. */
export function ComplianceStatusBadge({ status }: { status: string }) {
  const name = useStatusName();
  return (
    <span className={`badge cstatus-${isComplianceStatus(status) ? status : 'unknown'}`} data-status={status}>
      {name(status)}
    </span>
  );
}

/** CheckSeverityBadge shows a check's severity; a check without one (Wazuh SCA) says so. */
export function CheckSeverityBadge({ severity }: { severity: string | undefined }) {
  const { t } = useI18n();
  const name = useSeverityName();
  if (!isCheckSeverity(severity)) return <span className="badge sev-unknown">{t('compliance.noSeverity')}</span>;
  return (
    <span className={`badge sev-${severity}`} data-severity={severity}>
      {name(severity)}
    </span>
  );
}

/** Score shows a score in percent, coloured by its tone, with a bar. */
export function Score({ score, bar = true, testId }: { score: number | null | undefined; bar?: boolean; testId?: string }) {
  const tone = scoreTone(score);
  return (
    <span className={`score score-${tone}`} data-testid={testId} data-score={score === null || score === undefined ? '' : Math.round(score * 10) / 10}>
      {bar && (
        <span className="score-bar" aria-hidden="true">
          <span className="score-fill" style={{ width: `${Math.max(0, Math.min(100, score ?? 0))}%` }} />
        </span>
      )}
      <span className="score-text">{scoreText(score)}</span>
    </span>
  );
}

/** CountsBar draws counts as one bar: passed, excepted, failed, errors. */
export function CountsBar({ counts }: { counts: ComplianceCounts }) {
  const name = useStatusName();
  const parts = countsBar(counts);
  if (parts.length === 0) return <span className="muted">—</span>;
  return (
    <span className="sev-bar counts-bar" aria-hidden="true" title={parts.map((p) => `${name(p.status)} ${p.n}`).join(' · ')}>
      {parts.map((p) => (
        <span key={p.status} className={`sev-bar-part cbar-${p.status}`} style={{ width: `${p.pct}%` }} />
      ))}
    </span>
  );
}

/** CountsLine says the counts in words: "10 passed · 2 failed · 1 error". */
export function CountsLine({ counts, testId }: { counts: ComplianceCounts; testId?: string }) {
  const { t } = useI18n();
  const parts: [ComplianceCountKey, number, string][] = [
    ['pass', counts.pass, ''],
    ['fail', counts.fail, counts.fail ? 'text-bad' : ''],
    ['error', counts.error, counts.error ? 'text-warn' : ''],
    ['excepted', counts.excepted, ''],
    ['not_applicable', counts.not_applicable, ''],
  ];
  return (
    <span className="counts-line" data-testid={testId}>
      {parts
        .filter(([k, n]) => n > 0 || k === 'pass' || k === 'fail')
        .map(([k, n, cls]) => (
          <span key={k} className={cls} data-count={k}>
            {t(`ccount.${k}` as MessageKey, { n: count(n) })}
          </span>
        ))}
    </span>
  );
}

type ComplianceCountKey = 'pass' | 'fail' | 'error' | 'excepted' | 'not_applicable';

/** useFrameworkName names a reference framework (CIS, GB/T 22239 ...); another is shown as it is. */
export function useFrameworkName(): (f: string) => string {
  const { t } = useI18n();
  const known = ['cis', 'mlps', 'nist_800_53', 'nist_sp_800_53', 'pci_dss', 'iso_27001', 'url'];
  return (f) => (known.includes(f) ? t(`framework.${f}` as MessageKey) : f.replace(/_/g, ' ').toUpperCase());
}

/** References shows a check's references by framework; links stay links. */
export function References({ refs, compact }: { refs: CheckInfo['references']; compact?: boolean }) {
  const frameworkName = useFrameworkName();
  const groups = referenceGroups(refs).filter((g) => !compact || g.framework !== 'url');
  if (groups.length === 0) return <span className="muted">—</span>;
  return (
    <span className="refs" data-testid="check-refs">
      {groups.map((g) => (
        <span key={g.framework} className="ref-group" data-framework={g.framework}>
          <span className="ref-k">{frameworkName(g.framework)}</span>
          {g.ids.map((id) =>
            /^https?:\/\//i.test(id) ? (
              <a key={id} className="ref-v mono" href={id} target="_blank" rel="noopener noreferrer">
                {id}
              </a>
            ) : (
              <span key={id} className="ref-v mono">
                {id}
              </span>
            ),
          )}
        </span>
      ))}
    </span>
  );
}

/** CheckTitle shows a check's title in the user's language with its id below. */
export function CheckTitle({ id, check, link }: { id: string; check?: { title: LocalText } | null; link?: string }) {
  const text = useText();
  const title = check ? text(check.title) : '';
  return (
    <span className="check-title">
      {link ? (
        <Link to={link} className="strong">
          {title || id}
        </Link>
      ) : (
        <span className="strong">{title || id}</span>
      )}
      {title && <span className="sub mono">{id}</span>}
    </span>
  );
}

/** How many lines of a rule's evidence show before "show all". */
export const evidenceLinesShown = 6;
/** How many characters of a line show. */
export const evidenceLineChars = 240;

/** useRuleResultName names a rule's result. */
function useRuleResultName(): (r: string) => string {
  const { t } = useI18n();
  return (r) => (r === 'holds' || r === 'fails' || r === 'error' ? t(`rule.result.${r}` as MessageKey) : r);
}

/** EvidenceView shows the rule results of a result: type, outcome, error and the lines that decided. */
export function EvidenceView({ evidence }: { evidence: unknown }) {
  const { t } = useI18n();
  const rules = readEvidence(evidence);
  if (rules.length === 0) return <p className="muted small">{t('evidence.none')}</p>;
  return (
    <ol className="evidence" data-testid="evidence">
      {rules.map((r, i) => (
        <RuleView key={i} r={r} />
      ))}
    </ol>
  );
}

function RuleView({ r }: { r: RuleEvidence }) {
  const { t } = useI18n();
  const result = useRuleResultName();
  const [all, setAll] = useState(false);
  const lines = r.evidence ?? [];
  const shown = all ? lines : lines.slice(0, evidenceLinesShown);
  const more = lines.length - shown.length;
  return (
    <li className={`evidence-rule rule-${r.result}`} data-rule-type={r.type} data-result={r.result}>
      <div className="evidence-head">
        <span className={`badge rule-result-${r.result}`}>{result(r.result)}</span>
        <span className="mono strong">{r.type || '—'}</span>
        {r.not && <span className="tag">{t('evidence.not')}</span>}
        {r.applies_if && <span className="tag">{t('evidence.appliesIf')}</span>}
      </div>
      {r.error && (
        <div className="evidence-error text-warn small" data-testid="evidence-error">
          {r.error}
        </div>
      )}
      {shown.length > 0 && (
        <ul className="evidence-lines">
          {shown.map((s, i) => {
            const l = evidenceLine(s);
            if (l.cut) {
              return (
                <li key={i} className="evidence-cut muted small">
                  {t('evidence.agentCut', { text: l.text })}
                </li>
              );
            }
            return (
              <li key={i} className="evidence-line" title={s.length > evidenceLineChars ? s : undefined}>
                {l.source && (
                  <span className={`ev-source mono ${r.type === 'command' ? 'ev-command' : ''}`} data-testid="ev-source">
                    {r.type === 'command' ? `$ ${l.source}` : l.source}
                  </span>
                )}
                {l.line > 0 && (
                  <span className="ev-lineno mono" data-testid="ev-line">
                    {t('evidence.line', { n: l.line })}
                  </span>
                )}
                <code className="ev-text" data-testid="ev-text">
                  {clipText(l.text, evidenceLineChars)}
                </code>
              </li>
            );
          })}
        </ul>
      )}
      {(more > 0 || all) && lines.length > evidenceLinesShown && (
        <button type="button" className="btn btn-small btn-ghost" onClick={() => setAll(!all)} data-testid="evidence-more">
          {all ? t('evidence.fewer') : t('evidence.more', { n: more })}
        </button>
      )}
    </li>
  );
}

/** ExceptionNote says which exception accepts a failure: its reason, author and expiry. */
export function ExceptionNote({ e }: { e: ComplianceException }) {
  const { t } = useI18n();
  return (
    <div className="exception-note" data-testid="exception-note">
      <span className="badge cstatus-excepted">{t('cstatus.excepted')}</span> <span>{e.reason}</span>
      <div className="sub">
        {e.author} · <AbsTime value={e.created_at} /> · {e.expires_at ? <>{t('cexc.expires')} <Until value={e.expires_at} /></> : t('cexc.never')}
        {!e.agent_id && ` · ${t('cexc.everyHost')}`}
        {!e.check_id && ` · ${t('cexc.everyCheck')}`}
      </div>
    </div>
  );
}

/** CheckTexts shows a check's description, rationale and remediation in the user's language. */
export function CheckTexts({ check }: { check: CheckInfo }) {
  const { t } = useI18n();
  const text = useText();
  const block = (key: MessageKey, v: LocalText | undefined, cls: string, testId: string): ReactNode =>
    v && text(v) ? (
      <div className={`check-text ${cls}`} data-testid={testId}>
        <h4>{t(key)}</h4>
        <div className="pre-wrap">{text(v)}</div>
      </div>
    ) : null;
  return (
    <div className="check-texts">
      {block('check.description', check.description, '', 'check-description')}
      {block('check.rationale', check.rationale, '', 'check-rationale')}
      {block('check.remediation', check.remediation, 'remediation', 'check-remediation')}
    </div>
  );
}

/** TrendChart draws the fleet's score per day (0 to 100 %), a dot per day with its score as a tooltip. */
export function TrendChart({ points, testId }: { points: TrendPoint[]; testId?: string }) {
  const { t } = useI18n();
  const width = 560;
  const height = 160;
  const left = 34;
  const bottom = 18;
  const { path, dots } = trendChart(points, width - left, height - bottom, 6);
  const lastScored = [...points].reverse().find((p) => p.score !== null);
  if (dots.length === 0) return <p className="muted small">{t('trend.none')}</p>;
  const y = (v: number) => 6 + ((height - bottom - 12) * (100 - v)) / 100;
  const labelAt = [0, Math.floor((points.length - 1) / 2), points.length - 1];
  return (
    <svg
      className="trend-chart"
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={t('trend.label', { from: points[0]?.day ?? '', to: points.at(-1)?.day ?? '', score: scoreText(lastScored?.score) })}
      data-testid={testId}
      data-points={dots.length}
      data-last={lastScored?.score === null || lastScored === undefined ? '' : Math.round((lastScored.score ?? 0) * 10) / 10}
    >
      {[0, 50, 100].map((v) => (
        <g key={v}>
          <line className="trend-grid" x1={left} x2={width} y1={y(v)} y2={y(v)} />
          <text className="trend-axis" x={left - 6} y={y(v) + 4} textAnchor="end">
            {v}%
          </text>
        </g>
      ))}
      <g transform={`translate(${left},0)`}>
        <path className="trend-line" d={path} />
        {dots.map((d) => (
          <circle key={d.point.day} className={`trend-dot score-${scoreTone(d.point.score)}`} cx={d.x} cy={d.y} r={points.length > 40 ? 2 : 3} data-day={d.point.day}>
            <title>{t('trend.dot', { day: d.point.day, score: scoreText(d.point.score), hosts: d.point.hosts, failed: d.point.failed })}</title>
          </circle>
        ))}
      </g>
      {[...new Set(labelAt)].map((i) => {
        const p = points[i];
        if (!p) return null;
        const x = left + 6 + (points.length > 1 ? (i * (width - left - 12)) / (points.length - 1) : (width - left - 12) / 2);
        return (
          <text key={i} className="trend-axis" x={x} y={height - 4} textAnchor={i === 0 ? 'start' : i === points.length - 1 ? 'end' : 'middle'}>
            {p.day.slice(5)}
          </text>
        );
      })}
    </svg>
  );
}

/** useReport downloads the report (as a file named by the center) or opens it to print, with the busy state and the error of the last try. */
export function useReport(req: { agent_id?: string; policy_id?: string }) {
  const { lang, t } = useI18n();
  const [busy, setBusy] = useState<'' | 'download' | 'print'>('');
  const [error, setError] = useState<unknown>(null);
  const download = async () => {
    setBusy('download');
    setError(null);
    try {
      const f = await complianceReport({ ...req, lang });
      saveFile(f.blob, f.filename || `vigil-compliance-${req.agent_id || req.policy_id || 'report'}.html`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy('');
    }
  };
  const print = async () => {
    // The window opens at the click, before the report arrives: a window
    // opened later would be taken for a pop-up.
    const win = window.open('', '_blank');
    if (!win) {
      setError(new Error(t('report.blocked')));
      return;
    }
    win.document.title = t('common.loading');
    setBusy('print');
    setError(null);
    try {
      const f = await complianceReport({ ...req, lang });
      showReport(win, await f.blob.text());
      win.focus();
      win.print();
    } catch (err) {
      win.close();
      setError(err);
    } finally {
      setBusy('');
    }
  };
  return { busy, error, download, print };
}

/** ReportButtons are the download and print buttons of a report. */
export function ReportButtons({ report }: { report: ReturnType<typeof useReport> }) {
  const { t } = useI18n();
  return (
    <>
      <button type="button" className="btn btn-small" onClick={() => void report.download()} disabled={report.busy !== ''} data-testid="report-download">
        {report.busy === 'download' ? t('common.working') : t('report.download')}
      </button>
      <button type="button" className="btn btn-small" onClick={() => void report.print()} disabled={report.busy !== ''} data-testid="report-print">
        {report.busy === 'print' ? t('common.working') : t('report.print')}
      </button>
    </>
  );
}
