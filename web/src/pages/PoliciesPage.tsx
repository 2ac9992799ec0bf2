// Agent policies: everyone reads them, admins create, edit and delete them
// in the editor drawer.
import { listPolicies } from '../api/admin';
import { Labels } from '../components/badges';
import { ListToolbar, PagedTable } from '../components/PagedList';
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
      <ListToolbar
        intro={t('policies.intro')}
        count={t('policies.count', { n: policies.items.length })}
        list={policies}
        newLabel={t('policies.new')}
        onNew={() => navigate('/policies?new=1')}
        newTestId="new-policy"
        newDisabled={!canEdit}
        newTitle={canEdit ? '' : t('error.needAdmin')}
      />
      <PagedTable
        list={policies}
        empty={t('policies.empty')}
        testId="policies-table"
        columns={[t('policies.col.name'), t('policies.col.selector'), { label: t('policies.col.priority'), className: 'num' }, { label: t('policies.col.revision'), className: 'num' }, t('policies.col.updated')]}
      >
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
      </PagedTable>
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
