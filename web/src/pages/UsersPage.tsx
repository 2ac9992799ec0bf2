// Users (admin): the listing, creation, role changes, disabling, password
// resets and deletion.
import { useState } from 'react';
import { deleteUser, listUsers, updateUser, type UserPatch } from '../api/admin';
import type { Role, User } from '../api/types';
import { ConfirmDelete, DeleteButton } from '../components/listActions';
import { Confirm } from '../components/Modal';
import { ListToolbar, PagedTable } from '../components/PagedList';
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
      <ListToolbar intro={t('users.intro')} count={t('users.count', { n: users.items.length })} list={users} newLabel={t('users.new')} onNew={() => setCreating(true)} newTestId="new-user" />
      <PagedTable
        list={users}
        empty={t('users.empty')}
        testId="users-table"
        error={error}
        columns={[t('users.col.name'), t('users.col.role'), t('users.col.state'), t('users.col.created'), t('users.col.updated'), null]}
      >
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
                <DeleteButton onClick={() => setDeleting(u)}>{t('action.delete')}</DeleteButton>
              </div>
            </td>
          </tr>
        ))}
      </PagedTable>
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
        <ConfirmDelete
          item={deleting}
          list={users}
          remove={deleteUser}
          title={t('users.deleteTitle', { name: deleting.name })}
          confirmLabel={t('action.delete')}
          onClose={() => setDeleting(null)}
        >
          {t('users.deleteText', { name: deleting.name })}
        </ConfirmDelete>
      )}
    </div>
  );
}
