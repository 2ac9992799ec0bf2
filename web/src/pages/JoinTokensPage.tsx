// Join tokens (admin): the listing, creation with the token shown once and
// the agent's install command, and revocation.
import { useState } from 'react';
import { deleteJoinToken, listJoinTokens } from '../api/admin';
import type { JoinToken } from '../api/types';
import { Labels } from '../components/badges';
import { ConfirmDelete, DeleteButton, useCreateOnce } from '../components/listActions';
import { ListToolbar, PagedTable } from '../components/PagedList';
import { AbsTime, Until } from '../components/time';
import { useI18n } from '../i18n';
import { useNow } from '../lib/hooks';
import { tokenState } from '../lib/joinTokens';
import { usePaged } from '../lib/usePaged';
import { JoinTokenCreated, JoinTokenDialog } from './JoinTokenDialog';

export function JoinTokensPage() {
  const { t } = useI18n();
  const now = useNow();
  const tokens = usePaged((cursor, signal) => listJoinTokens(cursor, signal), []);
  const create = useCreateOnce<JoinToken>(tokens);
  const [deleting, setDeleting] = useState<JoinToken | null>(null);

  return (
    <div className="page">
      <ListToolbar intro={t('joinTokens.intro')} count={t('joinTokens.count', { n: tokens.items.length })} list={tokens} newLabel={t('joinTokens.new')} onNew={create.start} newTestId="new-join-token" />
      <PagedTable
        list={tokens}
        empty={t('joinTokens.empty')}
        testId="join-tokens-table"
        columns={[t('joinTokens.col.id'), t('joinTokens.col.description'), t('joinTokens.col.labels'), t('joinTokens.col.created'), t('joinTokens.col.expires'), { label: t('joinTokens.col.uses'), className: 'num' }, null]}
      >
        {tokens.items.map((jt) => {
          const state = tokenState(jt, now);
          return (
            <tr key={jt.id} data-token-id={jt.id} data-state={state}>
              <td className="mono small">{jt.id}</td>
              <td>{jt.description || <span className="muted">—</span>}</td>
              <td>
                <Labels labels={jt.labels} />
              </td>
              <td>
                <div>{jt.created_by || <span className="muted">—</span>}</div>
                <div className="sub">
                  <AbsTime value={jt.created_at} />
                </div>
              </td>
              <td className="nowrap">
                {state === 'expired' ? (
                  <span className="badge status-lost">{t('joinTokens.expired')}</span>
                ) : (
                  <Until value={jt.expires_at} />
                )}
                <div className="sub">
                  <AbsTime value={jt.expires_at} />
                </div>
              </td>
              <td className="num nowrap">
                {jt.uses} / {jt.usage_limit > 0 ? jt.usage_limit : '∞'}
                {state === 'usedUp' && (
                  <div className="sub">
                    <span className="badge status-stopped">{t('joinTokens.usedUp')}</span>
                  </div>
                )}
              </td>
              <td className="actions">
                <DeleteButton onClick={() => setDeleting(jt)}>{t('action.delete')}</DeleteButton>
              </td>
            </tr>
          );
        })}
      </PagedTable>
      {create.creating && <JoinTokenDialog onClose={create.cancel} onCreated={create.onCreated} />}
      {create.created && <JoinTokenCreated token={create.created} onClose={create.done} />}
      {deleting && (
        <ConfirmDelete
          item={deleting}
          list={tokens}
          remove={deleteJoinToken}
          title={t('joinTokens.deleteTitle')}
          confirmLabel={t('joinTokens.deleteConfirm')}
          onClose={() => setDeleting(null)}
        >
          {t('joinTokens.deleteText', { id: deleting.id, description: deleting.description || deleting.id })}
        </ConfirmDelete>
      )}
    </div>
  );
}
