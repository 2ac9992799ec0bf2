// API tokens and console sessions (admin): the listing, creation with the
// secret shown once, and revocation.
import { useState } from 'react';
import { deleteApiToken, listApiTokens, listUsers } from '../api/admin';
import type { ApiToken } from '../api/types';
import { CopyField } from '../components/CopyField';
import { Empty, ErrorBanner, Loading } from '../components/feedback';
import { Confirm, Modal } from '../components/Modal';
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
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<ApiToken | null>(null);
  const [deleting, setDeleting] = useState<ApiToken | null>(null);
  const ownId = session?.token.match(/^vg[ts]_([^_]+)_/)?.[1];

  return (
    <div className="page">
      <div className="toolbar">
        <p className="page-intro">{t('apiTokens.intro')}</p>
        <div className="toolbar-spacer" />
        <span className="count">{t('apiTokens.count', { n: tokens.items.length })}</span>
        <button type="button" className="btn btn-small" onClick={tokens.reload} disabled={tokens.loading}>
          {t('action.refresh')}
        </button>
        <button type="button" className="btn btn-primary btn-small" onClick={() => setCreating(true)} data-testid="new-api-token">
          {t('apiTokens.new')}
        </button>
      </div>
      <ErrorBanner error={tokens.error} onRetry={tokens.reload} />
      {tokens.initial ? (
        <Loading />
      ) : tokens.items.length === 0 && !tokens.error ? (
        <Empty>{t('apiTokens.empty')}</Empty>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="api-tokens-table">
            <thead>
              <tr>
                <th>{t('apiTokens.col.name')}</th>
                <th>{t('apiTokens.col.kind')}</th>
                <th>{t('apiTokens.col.role')}</th>
                <th>{t('apiTokens.col.created')}</th>
                <th>{t('apiTokens.col.expires')}</th>
                <th>{t('apiTokens.col.lastUsed')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
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
                    <button type="button" className="btn btn-small btn-danger-ghost" onClick={() => setDeleting(k)} data-action="delete">
                      {k.kind === 'session' ? t('apiTokens.endSession') : t('apiTokens.revoke')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {tokens.nextCursor && (
        <div className="more">
          <button type="button" className="btn" onClick={tokens.loadMore} disabled={tokens.loading}>
            {tokens.loading ? t('common.loading') : t('action.loadMore')}
          </button>
        </div>
      )}
      {creating && (
        <ApiTokenDialog
          onClose={() => setCreating(false)}
          onCreated={(k) => {
            setCreating(false);
            setCreated(k);
            tokens.reload();
          }}
        />
      )}
      {created && (
        <Modal
          title={t('apiTokens.createdTitle', { name: created.name })}
          onClose={() => setCreated(null)}
          testId="api-token-created"
          wide
          footer={
            <button type="button" className="btn btn-primary" onClick={() => setCreated(null)} data-testid="done">
              {t('action.done')}
            </button>
          }
        >
          <div className="warn-banner">{t('secret.once')}</div>
          <CopyField label={t('apiTokens.secret')} value={created.token ?? ''} testId="api-token-secret" multiline />
          <p className="hint">{t('apiTokens.useHint')}</p>
        </Modal>
      )}
      {deleting && (
        <Confirm
          title={deleting.kind === 'session' ? t('apiTokens.endTitle') : t('apiTokens.revokeTitle', { name: deleting.name })}
          confirmLabel={deleting.kind === 'session' ? t('apiTokens.endSession') : t('apiTokens.revoke')}
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await deleteApiToken(deleting.id);
            tokens.patch((items) => items.filter((x) => x.id !== deleting.id));
          }}
        >
          {deleting.id === ownId ? t('apiTokens.revokeOwn') : t('apiTokens.revokeText')}
        </Confirm>
      )}
    </div>
  );
}
