// Compliance exceptions: which failures are accepted (policy, check or
// every check, host or every host), why, by whom and until when (expired
// ones shown on demand, marked); filtered by policy, kept in the URL;
// created and deleted by analysts.
import { useState } from 'react';
import { deleteException, listExceptions, listPolicies } from '../api/compliance';
import { listAgents } from '../api/endpoints';
import type { ComplianceException } from '../api/types';
import { FilterSelect } from '../components/FilterBar';
import { ConfirmDelete, DeleteButton } from '../components/listActions';
import { PagedTable, RefreshButton } from '../components/PagedList';
import { AbsTime, Until } from '../components/time';
import { useI18n } from '../i18n';
import { exceptionExpired } from '../lib/compliance';
import { useLoad, useNow } from '../lib/hooks';
import { usePaged } from '../lib/usePaged';
import { Link, navigate, useLocation, withQuery } from '../router';
import { allows, useSession } from '../session';
import { ComplianceExceptionDialog } from './ComplianceExceptionDialog';
import { compliancePolicyPath, hostCompliancePath, useText } from './ComplianceViews';

export function ComplianceExceptionsView() {
  const { t } = useI18n();
  const text = useText();
  const { query } = useLocation();
  const session = useSession();
  const now = useNow();
  const canEdit = allows(session, 'analyst');
  const filter = { policy_id: query.get('policy_id') ?? '', expired: query.get('expired') === 'true' ? 'true' : '' };
  const created = query.get('created') ?? '';
  const list = usePaged((_cursor, signal) => listExceptions({ policy_id: filter.policy_id, expired: filter.expired === 'true' }, signal), [filter.policy_id, filter.expired]);
  const policies = useLoad((signal) => listPolicies(signal), []);
  const agents = useLoad((signal) => listAgents({}, signal), []);
  const names = new Map((policies.data?.items ?? []).map((p) => [p.id, p.name]));
  const hosts = new Map((agents.data?.items ?? []).map((a) => [a.id, a.hostname]));
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<ComplianceException | null>(null);
  const setFilter = (k: keyof typeof filter, v: string) => navigate(withQuery('/compliance/exceptions', { ...filter, [k]: v }), true);

  return (
    <>
      <div className="toolbar">
        <p className="page-intro">{t('cexc.intro')}</p>
        <div className="toolbar-spacer" />
        {!list.initial && <span className="count">{t('cexc.count', { n: list.items.length })}</span>}
        <RefreshButton list={list} />
        <button
          type="button"
          className="btn btn-primary btn-small"
          onClick={() => setCreating(true)}
          disabled={!canEdit}
          title={canEdit ? '' : t('error.needAnalyst')}
          data-testid="new-compliance-exception"
        >
          {t('cexc.create')}
        </button>
      </div>
      <div className="toolbar toolbar-wrap" data-testid="cexc-filter">
        <FilterSelect
          name="policy_id"
          label={t('cexc.policy')}
          all={t('cexc.anyPolicy')}
          value={filter.policy_id}
          onChange={(v) => setFilter('policy_id', v)}
          options={(policies.data?.items ?? []).map((p) => ({ value: p.id, label: text(p.name) || p.id }))}
          className="w-filter"
        />
        <label className="check-inline">
          <input type="checkbox" name="expired" checked={filter.expired === 'true'} onChange={(e) => setFilter('expired', e.target.checked ? 'true' : '')} />
          <span>{t('cexc.showExpired')}</span>
        </label>
      </div>
      <PagedTable
        list={list}
        empty={t('cexc.none')}
        testId="compliance-exceptions"
        columns={[t('cexc.col.scope'), t('exception.reason'), t('exceptions.col.expires'), { className: 'c-actions' }]}
      >
        {list.items.map((e) => {
          const expired = exceptionExpired(e, now);
          return (
            <tr key={e.id} data-exception-id={e.id} data-expired={expired} className={`${expired ? 'row-off' : ''} ${created === e.id ? 'selected' : ''}`}>
              <td>
                <div>
                  <Link to={compliancePolicyPath(e.policy_id, e.check_id || undefined)}>{text(names.get(e.policy_id)) || e.policy_id}</Link>
                </div>
                <div className="sub">
                  {e.check_id ? <span className="mono">{e.check_id}</span> : <span className="tag">{t('cexc.everyCheck')}</span>}
                  {' · '}
                  {e.agent_id ? (
                    <Link to={hostCompliancePath(e.agent_id)} className="mono">
                      {hosts.get(e.agent_id) || e.agent_id}
                    </Link>
                  ) : (
                    t('cexc.everyHost')
                  )}
                </div>
              </td>
              <td className="reason-cell">
                <div>{e.reason}</div>
                <div className="sub">
                  {e.author} · <AbsTime value={e.created_at} />
                </div>
              </td>
              <td className="nowrap">
                {!e.expires_at ? (
                  <span className="muted">{t('exceptions.noExpiry')}</span>
                ) : expired ? (
                  <span className="badge rule-off" data-testid="expired">
                    {t('exceptions.expired')}
                  </span>
                ) : (
                  <Until value={e.expires_at} />
                )}
                {e.expires_at && (
                  <div className="sub">
                    <AbsTime value={e.expires_at} />
                  </div>
                )}
              </td>
              <td className="c-actions">{canEdit && <DeleteButton onClick={() => setDeleting(e)}>{t('action.delete')}</DeleteButton>}</td>
            </tr>
          );
        })}
      </PagedTable>
      {creating && (
        <ComplianceExceptionDialog
          onClose={() => setCreating(false)}
          onSaved={(x) => {
            setCreating(false);
            navigate(withQuery('/compliance/exceptions', { ...filter, created: x.id }), true);
            list.reload();
          }}
        />
      )}
      {deleting && (
        <ConfirmDelete item={deleting} list={list} remove={deleteException} title={t('cexc.deleteTitle')} confirmLabel={t('action.delete')} onClose={() => setDeleting(null)}>
          {t('cexc.deleteText', { reason: deleting.reason })}
        </ConfirmDelete>
      )}
    </>
  );
}
