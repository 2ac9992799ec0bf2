// Creating an API token: name, role and lifetime.
import { useState, type FormEvent } from 'react';
import { createApiToken } from '../api/admin';
import type { ApiToken, Role } from '../api/types';
import { ErrorBanner } from '../components/feedback';
import { Modal } from '../components/Modal';
import { useI18n, type MessageKey } from '../i18n';
import { checkDuration, hour, minute } from '../lib/duration';
import { roles } from '../lib/roles';
import { checkName } from '../lib/validate';

const ttlPresets = ['720h', '2160h', '8760h'];

/** The longest lifetime the center gives an API token (ten years). */
const maxTtl = 10 * 365 * 24 * hour;

export function ApiTokenDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (k: ApiToken) => void }) {
  const { t } = useI18n();
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [ttl, setTtl] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const nameOk = checkName(name.trim());
  const ttlOk = ttl.trim() === '' || checkDuration(ttl, minute, maxTtl) === 'ok';
  const valid = nameOk && ttlOk;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!valid) return;
    setBusy(true);
    setError(null);
    try {
      onCreated(await createApiToken({ name: name.trim(), role, ...(ttl.trim() ? { ttl: ttl.trim() } : {}) }));
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <Modal
      title={t('apiTokens.new')}
      onClose={onClose}
      testId="api-token-dialog"
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            {t('action.cancel')}
          </button>
          <button type="submit" form="api-token-form" className="btn btn-primary" disabled={busy || !valid}>
            {busy ? t('common.working') : t('action.create')}
          </button>
        </>
      }
    >
      <ErrorBanner error={error} />
      <form id="api-token-form" className="form" onSubmit={submit}>
        <label>
          <span>{t('apiTokens.col.name')}</span>
          <input name="name" autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} className={name && !nameOk ? 'invalid' : ''} />
          <small className={name && !nameOk ? 'field-error' : 'hint'}>{t('form.nameHint')}</small>
        </label>
        <label>
          <span>{t('apiTokens.col.role')}</span>
          <select name="role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {roles.map((r) => (
              <option key={r} value={r}>
                {t(`role.${r}` as MessageKey)} — {t(`roleHelp.${r}` as MessageKey)}
              </option>
            ))}
          </select>
        </label>
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
      </form>
    </Modal>
  );
}
