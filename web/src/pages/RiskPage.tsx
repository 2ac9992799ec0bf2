// The fleet's risk at a glance: findings by severity, known exploited and
// fixable ones, the hosts at risk (riskiest first, each linking to its
// findings), the top vulnerabilities, weak passwords by target, and the
// vulnerability database's freshness, warned about when it is empty or
// stale.
import { useState, type ReactNode } from 'react';
import { listVulnSummaries, listWeakPasswords, vulnDBStatus, vulnHosts } from '../api/risk';
import type { WeakPassword } from '../api/types';
import { Facts, Section } from '../components/Drawer';
import { Empty, ErrorBanner, Loaded, Loading } from '../components/feedback';
import { RelTime } from '../components/time';
import { useI18n, type MessageKey } from '../i18n';
import { count } from '../lib/format';
import { useLoad } from '../lib/hooks';
import { countByTarget, fleetCounts, freshness, severityBar, sortHosts } from '../lib/risk';
import { Link, navigate } from '../router';
import { Count, FreshnessBanner, hostRiskPath, KevBadge, SeverityBar, useWeakWords, VulnSeverityBadge, vulnPath } from './RiskViews';

/** Hosts shown before "show all", and top vulnerabilities. */
export const topHosts = 10;
export const topVulns = 10;
/** Weak passwords read to count them (pages of 1000). */
export const weakReadPages = 5;

/** readWeakPasswords reads up to pages × 1000 weak passwords; truncated when there were more. */
async function readWeakPasswords(signal: AbortSignal): Promise<{ items: WeakPassword[]; truncated: boolean }> {
  const items: WeakPassword[] = [];
  let cursor = '';
  for (let i = 0; i < weakReadPages; i++) {
    const res = await listWeakPasswords({ cursor, limit: 1000 }, signal);
    items.push(...(res.items ?? []));
    cursor = res.next_cursor ?? '';
    if (!cursor) return { items, truncated: false };
  }
  return { items, truncated: true };
}

export function RiskPage() {
  const { t } = useI18n();
  const hosts = useLoad((signal) => vulnHosts(undefined, signal), []);
  const cves = useLoad((signal) => listVulnSummaries({ limit: topVulns }, signal), []);
  const db = useLoad((signal) => vulnDBStatus(signal), []);
  const weak = useLoad(readWeakPasswords, []);
  const words = useWeakWords();
  const [allHosts, setAllHosts] = useState(false);
  const sorted = sortHosts(hosts.data?.items ?? []);
  const c = fleetCounts(sorted);
  const targets = countByTarget(weak.data?.items ?? []);
  const refresh = () => {
    hosts.refresh();
    cves.refresh();
    db.refresh();
    weak.refresh();
  };

  const tile = (key: MessageKey, n: number | undefined, to: string, tone?: string, testId?: string) => (
    <Link to={to} className={`inv-tile risk-tile ${tone && n ? `risk-tile-${tone}` : ''}`}>
      <span className="inv-tile-label">{t(key)}</span>
      <span className="inv-tile-value" data-testid={testId}>
        {n === undefined ? '…' : count(n)}
      </span>
    </Link>
  );
  const loaded = hosts.data !== undefined;

  return (
    <div className="page risk-page" data-testid="risk-page">
      {db.data && <FreshnessBanner status={db.data} dbLink />}
      <div className="toolbar">
        <p className="page-intro">{t('risk.intro')}</p>
        <div className="toolbar-spacer" />
        <button type="button" className="btn btn-small" onClick={refresh} disabled={hosts.loading}>
          {t('action.refresh')}
        </button>
      </div>
      <ErrorBanner error={hosts.error} onRetry={hosts.refresh} />
      <div className="inv-tiles risk-tiles" data-testid="risk-tiles">
        {tile('risk.tile.findings', loaded ? c.total : undefined, '/vulns', undefined, 'count-total')}
        {tile('severity.critical', loaded ? c.critical : undefined, '/vulns?severity=critical', 'critical', 'count-critical')}
        {tile('severity.high', loaded ? c.high : undefined, '/vulns?severity=high', 'high', 'count-high')}
        {tile('severity.medium', loaded ? c.medium : undefined, '/vulns?severity=medium', undefined, 'count-medium')}
        {tile('severity.low', loaded ? c.low : undefined, '/vulns?severity=low', undefined, 'count-low')}
        {tile('vsev.other', loaded ? c.other : undefined, '/vulns?severity=none,unknown', undefined, 'count-other')}
        {tile('risk.tile.kev', loaded ? c.known_exploited : undefined, '/vulns?known_exploited=true', 'critical', 'count-kev')}
        {tile('risk.tile.fixable', loaded ? c.fixable : undefined, '/patches', undefined, 'count-fixable')}
        {tile('risk.tile.hosts', loaded ? c.hosts : undefined, '/vulns', undefined, 'count-hosts')}
        {tile('risk.tile.weak', weak.data ? weak.data.items.length : undefined, '/weak-passwords', 'high', 'count-weak')}
      </div>

      <div className="panel">
        <Section
          title={t('risk.hostsAtRisk')}
          actions={
            sorted.length > topHosts && (
              <button type="button" className="btn btn-small btn-ghost" onClick={() => setAllHosts(!allHosts)} data-testid="all-hosts">
                {allHosts ? t('risk.topHosts', { n: topHosts }) : t('risk.allHosts', { n: sorted.length })}
              </button>
            )
          }
        >
          {!loaded && !hosts.error ? (
            <Loading />
          ) : sorted.length === 0 ? (
            !hosts.error && <Empty>{t('risk.noHostsAtRisk')}</Empty>
          ) : (
            <div className="table-scroll">
              <table className="table table-compact" data-testid="risk-hosts">
                <thead>
                  <tr>
                    <th>{t('risk.col.host')}</th>
                    <th className="num">{t('risk.tile.kev')}</th>
                    <th className="num">{t('severity.critical')}</th>
                    <th className="num">{t('severity.high')}</th>
                    <th className="num">{t('severity.medium')}</th>
                    <th className="num">{t('severity.low')}</th>
                    <th className="num">{t('risk.col.total')}</th>
                    <th className="num">{t('risk.tile.fixable')}</th>
                    <th className="c-bar" />
                    <th className="c-actions" />
                  </tr>
                </thead>
                <tbody>
                  {(allHosts ? sorted : sorted.slice(0, topHosts)).map((h) => {
                    const to = `/vulns?agent_id=${encodeURIComponent(h.agent_id)}`;
                    return (
                      <tr key={h.agent_id} data-agent-id={h.agent_id} className="clickable" tabIndex={0} onClick={() => navigate(to)} onKeyDown={(e) => e.key === 'Enter' && navigate(to)}>
                        <td className="nowrap">
                          <Link to={to} className="strong" title={h.agent_id}>
                            {h.hostname || h.agent_id}
                          </Link>
                        </td>
                        <td className="num">
                          <Count n={h.known_exploited} tone="bad" />
                        </td>
                        <td className="num">
                          <Count n={h.critical} tone="bad" />
                        </td>
                        <td className="num">
                          <Count n={h.high} tone="warn" />
                        </td>
                        <td className="num">
                          <Count n={h.medium} />
                        </td>
                        <td className="num">
                          <Count n={h.low} />
                        </td>
                        <td className="num strong">{count(h.total)}</td>
                        <td className="num">
                          <Count n={h.fixable} />
                        </td>
                        <td className="c-bar">
                          <SeverityBar parts={severityBar(h)} />
                        </td>
                        <td className="c-actions small">
                          <Link to={hostRiskPath(h.agent_id)}>{t('risk.hostView')}</Link>
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )}
        </Section>
      </div>

      <div className="rule-grid">
        <div className="panel">
          <Section title={t('risk.topVulns')} actions={<Link to="/vulns/cves">{t('risk.allVulns')}</Link>}>
            <Loaded load={cves} count={(cves.data?.items ?? []).length} empty={t('vulns.none')}>
              <div className="table-scroll">
                <table className="table table-compact" data-testid="top-vulns">
                  <thead>
                    <tr>
                      <th>{t('risk.col.severity')}</th>
                      <th>{t('risk.col.vuln')}</th>
                      <th className="num">{t('risk.col.hosts')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {(cves.data?.items ?? []).map((v) => (
                      <tr key={v.vuln_id} data-vuln-id={v.vuln_id} className="clickable" tabIndex={0} onClick={() => navigate(vulnPath(v.vuln_id))} onKeyDown={(e) => e.key === 'Enter' && navigate(vulnPath(v.vuln_id))}>
                        <td className="nowrap">
                          <VulnSeverityBadge severity={v.severity} score={v.score} />
                        </td>
                        <td className="vuln-cell">
                          <Link to={vulnPath(v.vuln_id)} className="strong mono">
                            {v.vuln_id}
                          </Link>
                          {v.known_exploited && (
                            <>
                              {' '}
                              <KevBadge />
                            </>
                          )}
                          <div className="sub summary" title={v.summary}>
                            {(v.packages ?? []).join(', ')}
                            {v.summary && ` · ${v.summary}`}
                          </div>
                        </td>
                        <td className="num strong">{v.hosts}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </Loaded>
          </Section>
        </div>

        <div className="risk-side">
          <div className="panel">
            <Section title={t('risk.weakByTarget')} actions={<Link to="/weak-passwords">{t('risk.allWeak')}</Link>}>
              <Loaded load={weak} count={targets.length} empty={t('weak.none')}>
                <>
                  <table className="table table-compact" data-testid="weak-targets">
                    <thead>
                      <tr>
                        <th>{t('weak.col.target')}</th>
                        <th className="num">{t('severity.critical')}</th>
                        <th className="num">{t('severity.high')}</th>
                        <th className="num">{t('risk.col.total')}</th>
                        <th className="num">{t('risk.col.hosts')}</th>
                      </tr>
                    </thead>
                    <tbody>
                      {targets.map((g) => (
                        <tr key={g.target} data-target={g.target}>
                          <td>
                            <Link to={`/weak-passwords?target=${encodeURIComponent(g.target)}`}>{words.target(g.target)}</Link>
                          </td>
                          <td className="num">
                            <Count n={g.critical} tone="bad" />
                          </td>
                          <td className="num">
                            <Count n={g.high} tone="warn" />
                          </td>
                          <td className="num strong" data-testid="target-total">
                            {count(g.total)}
                          </td>
                          <td className="num">{count(g.hosts)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                  {weak.data?.truncated && <p className="hint">{t('risk.weakTruncated', { n: count(weak.data.items.length) })}</p>}
                </>
              </Loaded>
            </Section>
          </div>

          <div className="panel">
            <Section title={t('vulndb.title')} actions={<Link to="/vulndb">{t('vulndb.open')}</Link>}>
              <ErrorBanner error={db.error} onRetry={db.refresh} />
              {db.data === undefined && !db.error ? <Loading /> : db.data && dbFacts()}
            </Section>
          </div>
        </div>
      </div>
    </div>
  );

  function dbFacts(): ReactNode {
    const s = db.data!;
    const f = freshness(s, Date.now());
    return (
      <div data-testid="risk-db">
        <Facts
          rows={[
            [t('vulndb.advisories'), <span data-testid="db-advisories">{count(f.advisories)}</span>],
            [t('vulndb.kevEntries'), count(s.known_exploited ?? 0)],
            [t('vulndb.sources'), Object.keys(s.advisories ?? {}).sort().join(', ')],
            [t('vulndb.lastSync'), <span className={f.stale ? 'text-warn' : ''}>{f.lastSync ? <RelTime value={f.lastSync} /> : t('time.never')}</span>],
            [
              t('vulndb.lastMatch'),
              f.lastMatch ? (
                <>
                  <RelTime value={f.lastMatch} />
                  {s.service.last_fleet_match_took && <span className="muted"> · {s.service.last_fleet_match_took}</span>}
                </>
              ) : (
                t('time.never')
              ),
            ],
          ]}
        />
      </div>
    );
  }
}
