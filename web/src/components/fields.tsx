// Form fields shared by several dialogs.
import type { Role } from '../api/types';
import { useI18n, type MessageKey } from '../i18n';
import { roles } from '../lib/roles';

/** NameField edits a name, marking it when it is not a valid name. */
export function NameField({ label, value, ok, onChange }: { label: string; value: string; ok: boolean; onChange: (v: string) => void }) {
  const { t } = useI18n();
  return (
    <label>
      <span>{label}</span>
      <input name="name" autoComplete="off" value={value} onChange={(e) => onChange(e.target.value)} className={value && !ok ? 'invalid' : ''} />
      <small className={value && !ok ? 'field-error' : 'hint'}>{t('form.nameHint')}</small>
    </label>
  );
}

/** RoleField picks a role, each explained. */
export function RoleField({ label, value, onChange }: { label: string; value: Role; onChange: (r: Role) => void }) {
  const { t } = useI18n();
  return (
    <label>
      <span>{label}</span>
      <select name="role" value={value} onChange={(e) => onChange(e.target.value as Role)}>
        {roles.map((r) => (
          <option key={r} value={r}>
            {t(`role.${r}` as MessageKey)} — {t(`roleHelp.${r}` as MessageKey)}
          </option>
        ))}
      </select>
    </label>
  );
}
