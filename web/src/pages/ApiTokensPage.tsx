// API tokens and console sessions (admin): the listing, creation with the
// secret shown once, and revocation.
import { useState } from 'react';
import { deleteApiToken, listApiTokens, listUsers } from '../api/admin';
import type { ApiToken } from '../api/types';
import { ConfirmDelete, DeleteButton, useCreateOnce } from '../components/listActions';
import { ListToolbar, PagedTable } from '../components/PagedList';
import { SecretOnce } from '../components/SecretOnce';
import { AbsTime, RelTime, Until } from '../components/time';
import { useI18n, type MessageKey } from '../i18n';
import { useLoad } from '../lib/hooks';
import { usePaged } from '../lib/usePaged';
import { useSession } from '../session';
import { ApiTokenDialog } from './ApiTokenDialog';

export function ApiTokensPage() {
  const { t } = useI18n();
  const session = useSession();
  const tokens = usePaged((cursor, signal) => listApiTokens(cursor, signal), []);
  // User names for the sessions, which carry only the user's id.
  const users = useLoad((signal) => listUsers('', signal, 1000), []);
  const userName = new Map((users.data?.items ?? []).map((u) => [u.id, u.name]));
  const create = useCreateOnce<ApiToken>(tokens);
  const [deleting, setDeleting] = useState<ApiToken | null>(null);
  const ownId = session?.token.match(/^vg[ts]_([^_]+)_/)?.[1];

  return (
    <div className="page">
      <ListToolbar intro={t('apiTokens.intro')} count={t('apiTokens.count', { n: tokens.items.length })} list={tokens} newLabel={t('apiTokens.new')} onNew={create.start} newTestId="new-api-token" />
      <PagedTable
        list={tokens}
        empty={t('apiTokens.empty')}
        testId="api-tokens-table"
        columns={[t('apiTokens.col.name'), t('apiTokens.col.kind'), t('apiTokens.col.role'), t('apiTokens.col.created'), t('apiTokens.col.expires'), t('apiTokens.col.lastUsed'), null]}
      >
        {tokens.items.map((k) => (
          <tr key={k.id} data-token-id={k.id} data-token-name={k.name} data-kind={k.kind}>
            <td>
              <div className="strong">
                {k.name || (k.user_id && userName.get(k.user_id)) || <span className="muted">—</span>}
                {k.id === ownId && <span className="you">{t('apiTokens.yours')}</span>}
              </div>
              <div className="sub mono">{k.id}</div>
            </td>
            <td>
              <span className={`tag kind-${k.kind}`}>{k.kind === 'session' ? t('apiTokens.kindSession') : t('apiTokens.kindApi')}</span>
              {k.kind === 'session' && k.user_id && <div className="sub">{userName.get(k.user_id) ?? k.user_id}</div>}
            </td>
            <td>{t(`role.${k.role}` as MessageKey)}</td>
            <td className="nowrap small">
              <AbsTime value={k.created_at} />
            </td>
            <td className="nowrap small">{k.expires_at ? <Until value={k.expires_at} /> : <span className="muted">{t('apiTokens.never')}</span>}</td>
            <td className="nowrap small">
              <RelTime value={k.last_used_at} />
            </td>
            <td className="actions">
              <DeleteButton onClick={() => setDeleting(k)}>{k.kind === 'session' ? t('apiTokens.endSession') : t('apiTokens.revoke')}</DeleteButton>
            </td>
          </tr>
        ))}
      </PagedTable>
      {create.creating && <ApiTokenDialog onClose={create.cancel} onCreated={create.onCreated} />}
      {create.created && (
        <SecretOnce
          title={t('apiTokens.createdTitle', { name: create.created.name })}
          onClose={create.done}
          testId="api-token-created"
          label={t('apiTokens.secret')}
          secret={create.created.token ?? ''}
          secretTestId="api-token-secret"
        >
          <p className="hint">{t('apiTokens.useHint')}</p>
        </SecretOnce>
      )}
      {deleting && (
        <ConfirmDelete
          item={deleting}
          list={tokens}
          remove={deleteApiToken}
          title={deleting.kind === 'session' ? t('apiTokens.endTitle') : t('apiTokens.revokeTitle', { name: deleting.name })}
          confirmLabel={deleting.kind === 'session' ? t('apiTokens.endSession') : t('apiTokens.revoke')}
          onClose={() => setDeleting(null)}
        >
          {deleting.id === ownId ? t('apiTokens.revokeOwn') : t('apiTokens.revokeText')}
        </ConfirmDelete>
      )}
    </div>
  );
}
