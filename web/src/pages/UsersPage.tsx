// Users (admin): the listing, creation, role changes, disabling, password
// resets and deletion.
import { useState } from 'react';
import { deleteUser, listUsers, updateUser, type UserPatch } from '../api/admin';
import type { Role, User } from '../api/types';
import { Empty, ErrorBanner, Loading } from '../components/feedback';
import { Confirm } from '../components/Modal';
import { AbsTime } from '../components/time';
import { useI18n, type MessageKey } from '../i18n';
import { roles } from '../lib/roles';
import { usePaged } from '../lib/usePaged';
import { useSession } from '../session';
import { PasswordDialog, UserDialog } from './UserDialogs';

export function UsersPage() {
  const { t } = useI18n();
  const session = useSession();
  const users = usePaged((cursor, signal) => listUsers(cursor, signal), []);
  const [creating, setCreating] = useState(false);
  const [resetting, setResetting] = useState<User | null>(null);
  const [disabling, setDisabling] = useState<User | null>(null);
  const [deleting, setDeleting] = useState<User | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const { patch } = users;
  const replace = (u: User) => patch((items) => items.map((x) => (x.id === u.id ? u : x)));

  const change = async (u: User, p: UserPatch) => {
    setBusy(u.id);
    setError(null);
    try {
      replace(await updateUser(u.id, p));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  return (
    <div className="page">
      <div className="toolbar">
        <p className="page-intro">{t('users.intro')}</p>
        <div className="toolbar-spacer" />
        <span className="count">{t('users.count', { n: users.items.length })}</span>
        <button type="button" className="btn btn-small" onClick={users.reload} disabled={users.loading}>
          {t('action.refresh')}
        </button>
        <button type="button" className="btn btn-primary btn-small" onClick={() => setCreating(true)} data-testid="new-user">
          {t('users.new')}
        </button>
      </div>
      <ErrorBanner error={users.error ?? error} onRetry={users.error ? users.reload : undefined} />
      {users.initial ? (
        <Loading />
      ) : users.items.length === 0 && !users.error ? (
        <Empty>{t('users.empty')}</Empty>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="users-table">
            <thead>
              <tr>
                <th>{t('users.col.name')}</th>
                <th>{t('users.col.role')}</th>
                <th>{t('users.col.state')}</th>
                <th>{t('users.col.created')}</th>
                <th>{t('users.col.updated')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {users.items.map((u) => (
                <tr key={u.id} data-user={u.name} data-user-id={u.id} data-disabled={u.disabled}>
                  <td>
                    <div className="strong">
                      {u.name}
                      {session?.kind === 'session' && session.name === u.name && <span className="you">{t('users.you')}</span>}
                    </div>
                    <div className="sub mono">{u.id}</div>
                  </td>
                  <td>
                    <select
                      name="role"
                      aria-label={t('users.col.role')}
                      value={u.role}
                      disabled={busy === u.id}
                      onChange={(e) => void change(u, { role: e.target.value as Role })}
                    >
                      {roles.map((r) => (
                        <option key={r} value={r}>
                          {t(`role.${r}` as MessageKey)}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>
                    {u.disabled ? (
                      <span className="badge status-stopped">{t('users.disabled')}</span>
                    ) : (
                      <span className="badge status-online">{t('users.enabled')}</span>
                    )}
                  </td>
                  <td className="nowrap small">
                    <AbsTime value={u.created_at} />
                  </td>
                  <td className="nowrap small">
                    <AbsTime value={u.updated_at} />
                  </td>
                  <td className="actions">
                    <div className="btn-row">
                      {u.disabled ? (
                        <button type="button" className="btn btn-small" disabled={busy === u.id} onClick={() => void change(u, { disabled: false })} data-action="enable">
                          {t('users.enable')}
                        </button>
                      ) : (
                        <button type="button" className="btn btn-small" disabled={busy === u.id} onClick={() => setDisabling(u)} data-action="disable">
                          {t('users.disable')}
                        </button>
                      )}
                      <button type="button" className="btn btn-small" onClick={() => setResetting(u)} data-action="password">
                        {t('users.resetPassword')}
                      </button>
                      <button type="button" className="btn btn-small btn-danger-ghost" onClick={() => setDeleting(u)} data-action="delete">
                        {t('action.delete')}
                      </button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {users.nextCursor && (
        <div className="more">
          <button type="button" className="btn" onClick={users.loadMore} disabled={users.loading}>
            {users.loading ? t('common.loading') : t('action.loadMore')}
          </button>
        </div>
      )}
      {creating && (
        <UserDialog
          onClose={() => setCreating(false)}
          onCreated={(u) => {
            setCreating(false);
            patch((items) => [...items, u].sort((a, b) => a.name.localeCompare(b.name)));
          }}
        />
      )}
      {resetting && <PasswordDialog user={resetting} onClose={() => setResetting(null)} onSaved={replace} />}
      {disabling && (
        <Confirm
          title={t('users.disableTitle', { name: disabling.name })}
          confirmLabel={t('users.disable')}
          onClose={() => setDisabling(null)}
          onConfirm={async () => replace(await updateUser(disabling.id, { disabled: true }))}
        >
          {t('users.disableText', { name: disabling.name })}
        </Confirm>
      )}
      {deleting && (
        <Confirm
          title={t('users.deleteTitle', { name: deleting.name })}
          confirmLabel={t('action.delete')}
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await deleteUser(deleting.id);
            patch((items) => items.filter((x) => x.id !== deleting.id));
          }}
        >
          {t('users.deleteText', { name: deleting.name })}
        </Confirm>
      )}
    </div>
  );
}
