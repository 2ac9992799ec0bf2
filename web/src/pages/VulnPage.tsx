// One vulnerability: its summary, severity and score, its entry in the
// known exploited catalogue (date added, due date, ransomware use), the
// advisories that describe it (ids, aliases, details, affected packages
// and the versions that fix them, references, the OSV record), and the
// hosts it affects, from the findings.
import { ApiError } from '../api/client';
import { getVuln, listFindings } from '../api/risk';
import type { Advisory, KnownExploitedEntry } from '../api/types';
import { Facts, Section } from '../components/Drawer';
import { Empty, ErrorBanner, Loading } from '../components/feedback';
import { JsonView } from '../components/JsonView';
import { AbsTime } from '../components/time';
import { useI18n } from '../i18n';
import { useLoad, useNow } from '../lib/hooks';
import { dateOnly, emptyFindingFilter, findingQuery, kevOverdue, osvAffected, osvDetails, osvReferences } from '../lib/risk';
import { usePaged } from '../lib/usePaged';
import { Link } from '../router';
import { PagedFrame } from './AssetViews';
import { FindingsTable, IdList, KevBadge, VulnSeverityBadge } from './RiskViews';

/** Affected hosts per page. */
export const vulnHostsPage = 50;

export function VulnPage({ id }: { id: string }) {
  const { t } = useI18n();
  const detail = useLoad((signal) => getVuln(id, signal), [id]);
  const hosts = usePaged((cursor, signal) => listFindings(findingQuery({ ...emptyFindingFilter, vuln_id: id }, cursor, vulnHostsPage), signal), [id]);
  const v = detail.data;
  const notFound = detail.error instanceof ApiError && detail.error.status === 404;
  const advisories = v?.advisories ?? [];
  const summary = v?.summary || advisories.find((a) => a.summary)?.summary || '';

  return (
    <div className="page vuln-page" data-testid="vuln-page" data-vuln-id={id}>
      <div className="crumbs">
        <Link to="/vulns/cves">← {t('nav.vulns')}</Link>
      </div>
      {notFound ? <Empty>{t('vuln.notFound', { id })}</Empty> : <ErrorBanner error={detail.error} onRetry={detail.refresh} />}
      {!v && !detail.error && <Loading />}
      {v && (
        <>
          <div className="panel rule-head" data-testid="vuln-head">
            <div className="incident-title">
              <h2 className="mono">{v.vuln_id}</h2>
              <VulnSeverityBadge severity={v.severity} score={v.score} />
              {v.known_exploited && <KevBadge />}
              {v.fixable ? <span className="badge status-online">{t('risk.fixable')}</span> : v.hosts > 0 && <span className="badge">{t('risk.noFix')}</span>}
            </div>
            {summary && (
              <p className="description" data-testid="vuln-summary">
                {summary}
              </p>
            )}
            <Facts
              className="facts-inline"
              rows={[
                [t('vuln.hosts'), <span data-testid="vuln-hosts">{v.hosts}</span>],
                [t('risk.col.packages'), (v.packages ?? []).join(', ')],
                [t('vuln.score'), v.score ? v.score.toFixed(1) : ''],
                [t('risk.advisories'), String(advisories.length)],
              ]}
            />
            <div className="btn-row">
              <Link to={`/vulns?vuln_id=${encodeURIComponent(v.vuln_id)}`}>{t('vuln.findingsLink')}</Link>
              <Link to={`/patches?vuln_id=${encodeURIComponent(v.vuln_id)}`}>{t('vuln.patchesLink')}</Link>
            </div>
          </div>
          {v.known_exploited_entry && <KevPanel entry={v.known_exploited_entry} />}
          <div className="panel">
            <Section title={t('vuln.advisories', { n: advisories.length })}>
              {advisories.length === 0 ? (
                <Empty>{t('vuln.noAdvisories')}</Empty>
              ) : (
                <div className="advisories" data-testid="vuln-advisories">
                  {advisories.map((a) => (
                    <AdvisoryView key={a.id} a={a} />
                  ))}
                </div>
              )}
            </Section>
          </div>
        </>
      )}
      {!notFound && (
        <div className="panel">
          <Section title={t('vuln.affectedHosts')}>
            <PagedFrame list={hosts} empty={t('vuln.noHosts')} moreTestId="more-vuln-hosts">
              <div className="table-scroll">
                <FindingsTable items={hosts.items} withHost withVuln={false} testId="vuln-findings" compact />
              </div>
            </PagedFrame>
          </Section>
        </div>
      )}
    </div>
  );
}

/** KevPanel shows a vulnerability's entry in the known exploited catalogue. */
function KevPanel({ entry }: { entry: KnownExploitedEntry }) {
  const { t } = useI18n();
  const now = useNow();
  const overdue = kevOverdue(entry, now);
  return (
    <div className="panel kev-panel" data-testid="kev-entry">
      <Section title={t('vuln.kevTitle')}>
        <p className="hint">{t('vuln.kevIntro')}</p>
        <Facts
          rows={[
            [t('vuln.kevName'), entry.name ?? ''],
            [t('vuln.kevVendor'), [entry.vendor, entry.product].filter(Boolean).join(' · ')],
            [t('vuln.kevAdded'), <span data-testid="kev-added">{dateOnly(entry.date_added)}</span>],
            [
              t('vuln.kevDue'),
              <span data-testid="kev-due" className={overdue ? 'text-bad' : ''}>
                {dateOnly(entry.due_date)}
                {overdue && ` · ${t('vuln.kevOverdue')}`}
              </span>,
            ],
            [
              t('vuln.kevRansomware'),
              <span data-testid="kev-ransomware" className={entry.ransomware ? 'text-bad' : ''}>
                {entry.ransomware ? t('vuln.kevRansomwareKnown') : t('vuln.kevRansomwareUnknown')}
              </span>,
            ],
          ]}
        />
      </Section>
    </div>
  );
}

/** AdvisoryView shows one advisory with what its OSV record says. */
export function AdvisoryView({ a, recordOpen }: { a: Advisory; recordOpen?: boolean }) {
  const { t } = useI18n();
  const affected = osvAffected(a.record);
  const refs = osvReferences(a.record);
  const details = osvDetails(a.record);
  return (
    <article className="advisory" data-advisory-id={a.id}>
      <div className="advisory-head">
        <span className="strong mono">{a.id}</span>
        <VulnSeverityBadge severity={a.severity} score={a.score} />
        <span className="tag">{a.source}</span>
        {a.withdrawn && <span className="badge status-lost">{t('vuln.withdrawn')}</span>}
      </div>
      {a.summary && <div className="advisory-summary">{a.summary}</div>}
      <Facts
        className="facts-inline"
        rows={[
          [t('risk.aliases'), <IdList ids={a.aliases} />],
          [t('vuln.published'), a.published ? <AbsTime value={a.published} /> : ''],
          [t('vuln.modified'), <AbsTime value={a.modified} />],
          [t('vuln.ecosystems'), (a.ecosystems ?? []).join(', ')],
        ]}
      />
      {details && details !== a.summary && <p className="description pre-line advisory-details">{details}</p>}
      {affected.length > 0 && (
        <div className="table-scroll">
          <table className="table table-compact" data-testid="advisory-affected">
            <thead>
              <tr>
                <th>{t('risk.col.package')}</th>
                <th>{t('vuln.introduced')}</th>
                <th>{t('vuln.fixedIn')}</th>
                <th>{t('vuln.lastAffected')}</th>
              </tr>
            </thead>
            <tbody>
              {affected.map((p, i) => (
                <tr key={i} data-package={p.name}>
                  <td>
                    <div className="strong">{p.name || '—'}</div>
                    <div className="sub">
                      {p.ecosystem}
                      {p.versions > 0 && ` · ${t('vuln.versionsListed', { n: p.versions })}`}
                    </div>
                  </td>
                  <td className="mono small">{p.introduced.join(', ') || '—'}</td>
                  <td className="mono small" data-testid="fixed-in">
                    {p.fixed.join(', ') || <span className="muted">{t('risk.noFix')}</span>}
                  </td>
                  <td className="mono small">{p.lastAffected.join(', ') || '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {refs.length > 0 && (
        <ul className="plain-list references" data-testid="advisory-references">
          {refs.map((r) => (
            <li key={r.url}>
              <span className="tag small">{r.type}</span>{' '}
              <a href={r.url} target="_blank" rel="noopener noreferrer" className="mono small">
                {r.url}
              </a>
            </li>
          ))}
        </ul>
      )}
      {a.record !== undefined && (
        <details className="advisory-record" open={recordOpen}>
          <summary>{t('vuln.record')}</summary>
          <JsonView value={a.record} label={t('vuln.recordLabel', { id: a.id })} />
        </details>
      )}
    </article>
  );
}
