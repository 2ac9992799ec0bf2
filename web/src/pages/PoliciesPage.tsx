// Agent policies: everyone reads them, admins create, edit and delete them
// in the editor drawer.
import { listPolicies } from '../api/admin';
import { Labels } from '../components/badges';
import { Empty, ErrorBanner, Loading } from '../components/feedback';
import { AbsTime, RelTime } from '../components/time';
import { useI18n } from '../i18n';
import { usePaged } from '../lib/usePaged';
import { navigate, useLocation } from '../router';
import { allows, useSession } from '../session';
import { PolicyEditor } from './PolicyEditor';

export function PoliciesPage({ selected }: { selected?: string }) {
  const { t } = useI18n();
  const { query } = useLocation();
  const session = useSession();
  const policies = usePaged((cursor, signal) => listPolicies(cursor, signal), []);
  const creating = query.get('new') === '1' && !selected;
  const canEdit = allows(session, 'admin');
  const names = policies.items.map((p) => p.name);

  return (
    <div className="page">
      <div className="toolbar">
        <p className="page-intro">{t('policies.intro')}</p>
        <div className="toolbar-spacer" />
        <span className="count">{t('policies.count', { n: policies.items.length })}</span>
        <button type="button" className="btn btn-small" onClick={policies.reload} disabled={policies.loading}>
          {t('action.refresh')}
        </button>
        <button
          type="button"
          className="btn btn-primary btn-small"
          onClick={() => navigate('/policies?new=1')}
          disabled={!canEdit}
          title={canEdit ? '' : t('error.needAdmin')}
          data-testid="new-policy"
        >
          {t('policies.new')}
        </button>
      </div>
      <ErrorBanner error={policies.error} onRetry={policies.reload} />
      {policies.initial ? (
        <Loading />
      ) : policies.items.length === 0 && !policies.error ? (
        <Empty>{t('policies.empty')}</Empty>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="policies-table">
            <thead>
              <tr>
                <th>{t('policies.col.name')}</th>
                <th>{t('policies.col.selector')}</th>
                <th className="num">{t('policies.col.priority')}</th>
                <th className="num">{t('policies.col.revision')}</th>
                <th>{t('policies.col.updated')}</th>
              </tr>
            </thead>
            <tbody>
              {policies.items.map((p) => {
                const open = () => navigate(`/policies/${encodeURIComponent(p.name)}`);
                return (
                  <tr
                    key={p.name}
                    data-policy={p.name}
                    className={`clickable ${selected === p.name ? 'selected' : ''}`}
                    tabIndex={0}
                    onClick={open}
                    onKeyDown={(e) => e.key === 'Enter' && open()}
                  >
                    <td className="strong mono">{p.name}</td>
                    <td>{Object.keys(p.selector ?? {}).length === 0 ? <span className="tag">{t('policies.allAgents')}</span> : <Labels labels={p.selector} />}</td>
                    <td className="num">{p.priority}</td>
                    <td className="num">{p.revision}</td>
                    <td>
                      <div>{p.updated_by || <span className="muted">—</span>}</div>
                      <div className="sub" title="">
                        <RelTime value={p.updated_at} /> · <AbsTime value={p.updated_at} />
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {policies.nextCursor && (
        <div className="more">
          <button type="button" className="btn" onClick={policies.loadMore} disabled={policies.loading}>
            {policies.loading ? t('common.loading') : t('action.loadMore')}
          </button>
        </div>
      )}
      {(selected || creating) && (
        <PolicyEditor
          name={selected}
          taken={names}
          canEdit={canEdit}
          onClose={() => navigate('/policies')}
          onSaved={(p) => {
            policies.reload();
            navigate(`/policies/${encodeURIComponent(p.name)}`, true);
          }}
          onDeleted={() => {
            policies.reload();
            navigate('/policies');
          }}
        />
      )}
    </div>
  );
}
