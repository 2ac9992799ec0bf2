// Creating a user and setting a new password.
import { useState } from 'react';
import { createUser, updateUser } from '../api/admin';
import type { Role, User } from '../api/types';
import { NameField, RoleField } from '../components/fields';
import { FormDialog } from '../components/FormDialog';
import { useAction } from '../components/useAction';
import { useI18n } from '../i18n';
import { checkName, checkPassword } from '../lib/validate';

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
  const nameOk = checkName(name.trim());
  const valid = nameOk && checkPassword(pw) === 'ok' && pw === again;
  const action = useAction(async () => onCreated(await createUser({ name: name.trim(), role, password: pw })));

  return (
    <FormDialog title={t('users.new')} onClose={onClose} testId="user-dialog" formId="user-form" submitLabel={t('action.create')} valid={valid} action={action}>
      <NameField label={t('users.col.name')} value={name} ok={nameOk} onChange={setName} />
      <RoleField label={t('users.col.role')} value={role} onChange={setRole} />
      <PasswordFields pw={pw} setPw={setPw} again={again} setAgain={setAgain} />
    </FormDialog>
  );
}

export function PasswordDialog({ user, onClose, onSaved }: { user: User; onClose: () => void; onSaved: (u: User) => void }) {
  const { t } = useI18n();
  const [pw, setPw] = useState('');
  const [again, setAgain] = useState('');
  const valid = checkPassword(pw) === 'ok' && pw === again;
  const action = useAction(async () => {
    onSaved(await updateUser(user.id, { password: pw }));
    onClose();
  });

  return (
    <FormDialog
      title={t('users.passwordTitle', { name: user.name })}
      onClose={onClose}
      testId="password-dialog"
      formId="password-form"
      submitLabel={t('users.setPassword')}
      valid={valid}
      action={action}
      intro={<p className="hint">{t('users.passwordEnds')}</p>}
    >
      <PasswordFields pw={pw} setPw={setPw} again={again} setAgain={setAgain} />
    </FormDialog>
  );
}
