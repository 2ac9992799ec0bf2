// Creating an API token: name, role and lifetime.
import { useState } from 'react';
import { createApiToken } from '../api/admin';
import type { ApiToken, Role } from '../api/types';
import { NameField, RoleField } from '../components/fields';
import { FormDialog } from '../components/FormDialog';
import { useAction } from '../components/useAction';
import { useI18n } from '../i18n';
import { checkDuration, hour, minute } from '../lib/duration';
import { checkName } from '../lib/validate';

const ttlPresets = ['720h', '2160h', '8760h'];

/** The longest lifetime the center gives an API token (ten years). */
const maxTtl = 10 * 365 * 24 * hour;

export function ApiTokenDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (k: ApiToken) => void }) {
  const { t } = useI18n();
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [ttl, setTtl] = useState('');
  const nameOk = checkName(name.trim());
  const ttlOk = ttl.trim() === '' || checkDuration(ttl, minute, maxTtl) === 'ok';
  const valid = nameOk && ttlOk;
  const action = useAction(async () => onCreated(await createApiToken({ name: name.trim(), role, ...(ttl.trim() ? { ttl: ttl.trim() } : {}) })));

  return (
    <FormDialog title={t('apiTokens.new')} onClose={onClose} testId="api-token-dialog" formId="api-token-form" submitLabel={t('action.create')} valid={valid} action={action}>
      <NameField label={t('apiTokens.col.name')} value={name} ok={nameOk} onChange={setName} />
      <RoleField label={t('apiTokens.col.role')} value={role} onChange={setRole} />
      <label>
        <span>{t('apiTokens.ttl')}</span>
        <input name="ttl" list="api-ttl-presets" value={ttl} placeholder={t('apiTokens.ttlNever')} onChange={(e) => setTtl(e.target.value)} className={ttlOk ? '' : 'invalid'} />
        <datalist id="api-ttl-presets">
          {ttlPresets.map((p) => (
            <option key={p} value={p} />
          ))}
        </datalist>
        <small className={ttlOk ? 'hint' : 'field-error'}>{t('apiTokens.ttlHint')}</small>
      </label>
    </FormDialog>
  );
}
