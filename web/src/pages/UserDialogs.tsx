// Creating a user and setting a new password.
import { useState, type FormEvent } from 'react';
import { createUser, updateUser } from '../api/admin';
import type { Role, User } from '../api/types';
import { ErrorBanner } from '../components/feedback';
import { Modal } from '../components/Modal';
import { useI18n, type MessageKey } from '../i18n';
import { checkName, checkPassword } from '../lib/validate';
import { roles } from '../lib/roles';

function PasswordFields({ pw, setPw, again, setAgain }: { pw: string; setPw: (s: string) => void; again: string; setAgain: (s: string) => void }) {
  const { t } = useI18n();
  const check = checkPassword(pw);
  return (
    <>
      <label>
        <span>{t('users.password')}</span>
        <input name="password" type="password" autoComplete="new-password" value={pw} onChange={(e) => setPw(e.target.value)} />
        <small className={pw && check !== 'ok' ? 'field-error' : 'hint'}>{t('users.passwordHint')}</small>
      </label>
      <label>
        <span>{t('users.passwordAgain')}</span>
        <input name="password_again" type="password" autoComplete="new-password" value={again} onChange={(e) => setAgain(e.target.value)} />
        {again && again !== pw && <small className="field-error">{t('users.passwordMismatch')}</small>}
      </label>
    </>
  );
}

export function UserDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (u: User) => void }) {
  const { t } = useI18n();
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [pw, setPw] = useState('');
  const [again, setAgain] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const nameOk = checkName(name.trim());
  const valid = nameOk && checkPassword(pw) === 'ok' && pw === again;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!valid) return;
    setBusy(true);
    setError(null);
    try {
      onCreated(await createUser({ name: name.trim(), role, password: pw }));
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <Modal
      title={t('users.new')}
      onClose={onClose}
      testId="user-dialog"
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            {t('action.cancel')}
          </button>
          <button type="submit" form="user-form" className="btn btn-primary" disabled={busy || !valid}>
            {busy ? t('common.working') : t('action.create')}
          </button>
        </>
      }
    >
      <ErrorBanner error={error} />
      <form id="user-form" className="form" onSubmit={submit}>
        <label>
          <span>{t('users.col.name')}</span>
          <input name="name" autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} className={name && !nameOk ? 'invalid' : ''} />
          <small className={name && !nameOk ? 'field-error' : 'hint'}>{t('form.nameHint')}</small>
        </label>
        <label>
          <span>{t('users.col.role')}</span>
          <select name="role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {roles.map((r) => (
              <option key={r} value={r}>
                {t(`role.${r}` as MessageKey)} — {t(`roleHelp.${r}` as MessageKey)}
              </option>
            ))}
          </select>
        </label>
        <PasswordFields pw={pw} setPw={setPw} again={again} setAgain={setAgain} />
      </form>
    </Modal>
  );
}

export function PasswordDialog({ user, onClose, onSaved }: { user: User; onClose: () => void; onSaved: (u: User) => void }) {
  const { t } = useI18n();
  const [pw, setPw] = useState('');
  const [again, setAgain] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const valid = checkPassword(pw) === 'ok' && pw === again;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!valid) return;
    setBusy(true);
    setError(null);
    try {
      onSaved(await updateUser(user.id, { password: pw }));
      onClose();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <Modal
      title={t('users.passwordTitle', { name: user.name })}
      onClose={onClose}
      testId="password-dialog"
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            {t('action.cancel')}
          </button>
          <button type="submit" form="password-form" className="btn btn-primary" disabled={busy || !valid}>
            {busy ? t('common.working') : t('users.setPassword')}
          </button>
        </>
      }
    >
      <ErrorBanner error={error} />
      <p className="hint">{t('users.passwordEnds')}</p>
      <form id="password-form" className="form" onSubmit={submit}>
        <PasswordFields pw={pw} setPw={setPw} again={again} setAgain={setAgain} />
      </form>
    </Modal>
  );
}
