// Patches: the upgrades that fix the fleet's vulnerabilities, one per
// package, grouped by ecosystem (the most severe first), each with the
// hosts that need it, the vulnerabilities it fixes and the command that
// applies it. A host chosen in the filter gets its own upgrades and the one
// command that applies all its OS package upgrades.
import { listAgents } from '../api/endpoints';
import { listPatches } from '../api/risk';
import { CopyField } from '../components/CopyField';
import { Empty, ErrorBanner, Loading } from '../components/feedback';
import { useI18n } from '../i18n';
import { useLoad } from '../lib/hooks';
import { filterCount, findingParams, findingQuery, groupPatches, readFindingFilter, type FindingFilter } from '../lib/risk';
import { navigate, useLocation, withQuery } from '../router';
import { FindingFilterBar } from './FindingFilterBar';
import { KevBadge, PatchTable, VulnSeverityBadge } from './RiskViews';

export function PatchesPage() {
  const { t } = useI18n();
  const { query } = useLocation();
  const filter = readFindingFilter(query);
  const key = JSON.stringify(findingParams(filter));
  const agents = useLoad((signal) => listAgents({}, signal), []);
  const patches = useLoad((signal) => listPatches(findingQuery({ ...filter, fixable: false }), signal), [key]);
  const setFilter = (f: FindingFilter) => navigate(withQuery('/patches', findingParams({ ...f, fixable: false })), true);
  const items = patches.data?.items ?? [];
  const groups = groupPatches(items);
  const host = filter.agent_id ? patches.data?.hostname || agents.data?.items?.find((a) => a.id === filter.agent_id)?.hostname || filter.agent_id : '';

  return (
    <div className="page" data-testid="patches-page">
      <p className="page-intro risk-intro">{t('patches.intro')}</p>
      <FindingFilterBar value={filter} onChange={setFilter} agents={agents.data?.items ?? []} flags={['known_exploited', 'running']} vulnId testId="patch-filter" />
      <div className="toolbar">
        <div className="toolbar-spacer" />
        {patches.data && (
          <span className="count" data-testid="patch-count">
            {t('patches.count', { n: items.length })}
          </span>
        )}
        <button type="button" className="btn btn-small" onClick={patches.refresh} disabled={patches.loading}>
          {t('action.refresh')}
        </button>
      </div>
      <ErrorBanner error={patches.error} onRetry={patches.refresh} />
      {patches.data === undefined && !patches.error && <Loading />}
      {patches.data && filter.agent_id && (
        <div className="panel panel-body host-patch" data-testid="host-patch">
          <div className="strong">{t('patches.hostTitle', { host })}</div>
          {patches.data.command ? (
            <CopyField value={patches.data.command} label={t('patches.hostCommand')} testId="host-patch-command" multiline />
          ) : (
            <p className="muted small">{t('patches.noHostCommand')}</p>
          )}
        </div>
      )}
      {patches.data && items.length === 0 && <Empty>{filterCount(filter) > 0 ? t('patches.noMatch') : t('patches.none')}</Empty>}
      {groups.map((g) => (
        <div className="panel patch-group" key={g.ecosystem} data-ecosystem={g.ecosystem} data-testid="patch-group">
          <div className="section-head patch-group-head">
            <h3>{g.ecosystem || t('patches.noEcosystem')}</h3>
            <VulnSeverityBadge severity={g.severity} />
            {g.knownExploited && <KevBadge />}
            <span className="muted small">{t('patches.groupSummary', { n: g.patches.length, vulns: g.vulns })}</span>
            {g.manual > 0 && <span className="muted small">· {t('patches.manual', { n: g.manual })}</span>}
          </div>
          <div className="table-scroll">
            <PatchTable patches={g.patches} fleet={!filter.agent_id} testId="patch-table" />
          </div>
        </div>
      ))}
    </div>
  );
}
