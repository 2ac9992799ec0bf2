// Join tokens (admin): the listing, creation with the token shown once and
// the agent's install command, and revocation.
import { useState } from 'react';
import { deleteJoinToken, listJoinTokens } from '../api/admin';
import type { JoinToken } from '../api/types';
import { Labels } from '../components/badges';
import { Empty, ErrorBanner, Loading } from '../components/feedback';
import { Confirm } from '../components/Modal';
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
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<JoinToken | null>(null);
  const [deleting, setDeleting] = useState<JoinToken | null>(null);

  return (
    <div className="page">
      <div className="toolbar">
        <p className="page-intro">{t('joinTokens.intro')}</p>
        <div className="toolbar-spacer" />
        <span className="count">{t('joinTokens.count', { n: tokens.items.length })}</span>
        <button type="button" className="btn btn-small" onClick={tokens.reload} disabled={tokens.loading}>
          {t('action.refresh')}
        </button>
        <button type="button" className="btn btn-primary btn-small" onClick={() => setCreating(true)} data-testid="new-join-token">
          {t('joinTokens.new')}
        </button>
      </div>
      <ErrorBanner error={tokens.error} onRetry={tokens.reload} />
      {tokens.initial ? (
        <Loading />
      ) : tokens.items.length === 0 && !tokens.error ? (
        <Empty>{t('joinTokens.empty')}</Empty>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="join-tokens-table">
            <thead>
              <tr>
                <th>{t('joinTokens.col.id')}</th>
                <th>{t('joinTokens.col.description')}</th>
                <th>{t('joinTokens.col.labels')}</th>
                <th>{t('joinTokens.col.created')}</th>
                <th>{t('joinTokens.col.expires')}</th>
                <th className="num">{t('joinTokens.col.uses')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
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
                      <button type="button" className="btn btn-small btn-danger-ghost" onClick={() => setDeleting(jt)} data-action="delete">
                        {t('action.delete')}
                      </button>
                    </td>
                  </tr>
                );
              })}
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
        <JoinTokenDialog
          onClose={() => setCreating(false)}
          onCreated={(jt) => {
            setCreating(false);
            setCreated(jt);
            tokens.reload();
          }}
        />
      )}
      {created && <JoinTokenCreated token={created} onClose={() => setCreated(null)} />}
      {deleting && (
        <Confirm
          title={t('joinTokens.deleteTitle')}
          confirmLabel={t('joinTokens.deleteConfirm')}
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await deleteJoinToken(deleting.id);
            tokens.patch((items) => items.filter((x) => x.id !== deleting.id));
          }}
        >
          {t('joinTokens.deleteText', { id: deleting.id, description: deleting.description || deleting.id })}
        </Confirm>
      )}
    </div>
  );
}
