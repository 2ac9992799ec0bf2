// Vulnerabilities: the findings (one per package and vulnerability on each
// host, most severe first) or, on the other tab, the vulnerabilities with
// the number of hosts each affects. Both take the same filters, kept in
// the URL, and page with the center's cursor.
import { listAgents } from '../api/endpoints';
import { listFindings, listVulnSummaries } from '../api/risk';
import { PagedTable, RefreshButton } from '../components/PagedList';
import { Tabs } from '../components/Tabs';
import { useI18n } from '../i18n';
import { useLoad } from '../lib/hooks';
import { filterCount, findingParams, findingQuery, readFindingFilter, type FindingFilter } from '../lib/risk';
import { usePaged } from '../lib/usePaged';
import { Link, navigate, useLocation, withQuery } from '../router';
import { PagedFrame } from './AssetViews';
import { FindingFilterBar } from './FindingFilterBar';
import { FindingsTable, KevBadge, VulnSeverityBadge, vulnPath } from './RiskViews';

/** Findings and vulnerabilities per page. */
export const vulnPageSize = 100;

export type VulnsView = 'findings' | 'cves';

export function VulnsPage({ view }: { view: VulnsView }) {
  const { t } = useI18n();
  const { query } = useLocation();
  const filter = readFindingFilter(query);
  const key = JSON.stringify(findingParams(filter));
  const agents = useLoad((signal) => listAgents({}, signal), []);
  const here = view === 'cves' ? '/vulns/cves' : '/vulns';
  const setFilter = (f: FindingFilter) => navigate(withQuery(here, findingParams(f)), true);
  const go = (v: VulnsView) => navigate(withQuery(v === 'cves' ? '/vulns/cves' : '/vulns', findingParams(filter)));

  return (
    <div className="page">
      <Tabs
        label={t('vulns.views')}
        testId="vulns-tabs"
        value={view}
        onChange={go}
        tabs={[
          { key: 'findings', label: t('vulns.tab.findings') },
          { key: 'cves', label: t('vulns.tab.cves') },
        ]}
      />
      <div className="inv-page-body">
        <FindingFilterBar value={filter} onChange={setFilter} agents={agents.data?.items ?? []} vulnId={view === 'findings'} testId="vuln-filter" />
        {view === 'cves' ? <VulnSummaries filter={filter} filterKey={key} /> : <Findings filter={filter} filterKey={key} />}
      </div>
    </div>
  );
}

function Findings({ filter, filterKey }: { filter: FindingFilter; filterKey: string }) {
  const { t } = useI18n();
  const list = usePaged((cursor, signal) => listFindings(findingQuery(filter, cursor, vulnPageSize), signal), [filterKey]);
  return (
    <>
      <div className="toolbar">
        <div className="toolbar-spacer" />
        {!list.initial && (
          <span className="count" data-testid="finding-count">
            {list.nextCursor ? t('vulns.countMore', { n: list.items.length }) : t('vulns.count', { n: list.items.length })}
          </span>
        )}
        <RefreshButton list={list} />
      </div>
      <PagedFrame list={list} empty={filterCount(filter) > 0 ? t('vulns.noMatch') : t('vulns.none')} moreTestId="more-findings">
        <div className="table-wrap">
          <FindingsTable items={list.items} withHost testId="findings-table" />
        </div>
      </PagedFrame>
    </>
  );
}

function VulnSummaries({ filter, filterKey }: { filter: FindingFilter; filterKey: string }) {
  const { t } = useI18n();
  const list = usePaged((cursor, signal) => listVulnSummaries(findingQuery(filter, cursor, vulnPageSize), signal), [filterKey]);
  const findingsOf = (id: string) => withQuery('/vulns', { ...findingParams(filter), vuln_id: id });
  return (
    <>
      <div className="toolbar">
        <div className="toolbar-spacer" />
        {!list.initial && (
          <span className="count" data-testid="cve-count">
            {list.nextCursor ? t('vulns.cveCountMore', { n: list.items.length }) : t('vulns.cveCount', { n: list.items.length })}
          </span>
        )}
        <RefreshButton list={list} />
      </div>
      <PagedTable
        list={list}
        empty={filterCount(filter) > 0 ? t('vulns.noMatch') : t('vulns.none')}
        testId="cves-table"
        moreTestId="more-cves"
        columns={[t('risk.col.severity'), t('risk.col.vuln'), t('risk.col.packages'), { label: t('risk.col.hosts'), className: 'num' }, t('risk.col.fix')]}
      >
        {list.items.map((v) => (
          <tr key={v.vuln_id} data-vuln-id={v.vuln_id} data-severity={v.severity} className="clickable" tabIndex={0} onClick={() => navigate(vulnPath(v.vuln_id))} onKeyDown={(e) => e.key === 'Enter' && navigate(vulnPath(v.vuln_id))}>
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
              {v.summary && (
                <div className="sub summary" title={v.summary}>
                  {v.summary}
                </div>
              )}
            </td>
            <td className="small">{(v.packages ?? []).join(', ')}</td>
            <td className="num">
              <Link to={findingsOf(v.vuln_id)} title={t('vulns.hostsLink')}>
                <span data-testid="cve-hosts">{v.hosts}</span>
              </Link>
            </td>
            <td>{v.fixable ? <span className="badge status-online">{t('risk.fixable')}</span> : <span className="muted small">{t('risk.noFix')}</span>}</td>
          </tr>
        ))}
      </PagedTable>
    </>
  );
}
