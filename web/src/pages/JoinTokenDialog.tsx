// Creating a join token, and the one time its secret is shown.
import { useState } from 'react';
import { createJoinToken } from '../api/admin';
import type { JoinToken } from '../api/types';
import { Labels } from '../components/badges';
import { CopyField } from '../components/CopyField';
import { FormDialog } from '../components/FormDialog';
import { LabelsEditor } from '../components/LabelsEditor';
import { SecretOnce } from '../components/SecretOnce';
import { AbsTime } from '../components/time';
import { useAction } from '../components/useAction';
import { useI18n } from '../i18n';
import { checkDuration, hour, minute } from '../lib/duration';
import { installCommand } from '../lib/install';
import { labelsFromRows, type LabelRow } from '../lib/labels';

const ttlPresets = ['1h', '24h', '168h', '720h'];

interface DialogProps {
  onClose: () => void;
  onCreated: (t: JoinToken) => void;
}

export function JoinTokenDialog({ onClose, onCreated }: DialogProps) {
  const { t } = useI18n();
  const [description, setDescription] = useState('');
  const [ttl, setTtl] = useState('24h');
  const [limit, setLimit] = useState('0');
  const [rows, setRows] = useState<LabelRow[]>([]);
  const { labels, issues } = labelsFromRows(rows);
  const ttlCheck = checkDuration(ttl, minute, 720 * hour);
  const limitN = Number(limit);
  const limitOk = limit.trim() !== '' && Number.isInteger(limitN) && limitN >= 0 && limitN <= 1_000_000;
  const valid = ttlCheck === 'ok' && limitOk && issues.length === 0;
  const action = useAction(async () => onCreated(await createJoinToken({ ttl: ttl.trim(), labels, usage_limit: limitN, description: description.trim() })));

  return (
    <FormDialog
      title={t('joinTokens.new')}
      onClose={onClose}
      testId="join-token-dialog"
      formId="join-token-form"
      formClass="form form-grid"
      submitLabel={t('action.create')}
      valid={valid}
      action={action}
    >
      <label>
        <span>{t('joinTokens.description')}</span>
        <input name="description" maxLength={256} value={description} onChange={(e) => setDescription(e.target.value)} placeholder={t('joinTokens.descriptionHint')} />
      </label>
      <div className="form-pair">
        <label>
          <span>{t('joinTokens.ttl')}</span>
          <input name="ttl" list="ttl-presets" value={ttl} onChange={(e) => setTtl(e.target.value)} className={ttlCheck === 'ok' ? '' : 'invalid'} />
          <datalist id="ttl-presets">
            {ttlPresets.map((p) => (
              <option key={p} value={p} />
            ))}
          </datalist>
          <small className={ttlCheck === 'ok' ? 'hint' : 'field-error'}>{t('joinTokens.ttlHint')}</small>
        </label>
        <label>
          <span>{t('joinTokens.usageLimit')}</span>
          <input name="usage_limit" type="number" min={0} max={1000000} step={1} value={limit} onChange={(e) => setLimit(e.target.value)} className={limitOk ? '' : 'invalid'} />
          <small className={limitOk ? 'hint' : 'field-error'}>{t('joinTokens.usageLimitHint')}</small>
        </label>
      </div>
      <div className="form-field">
        <span>{t('joinTokens.labels')}</span>
        <LabelsEditor rows={rows} onChange={setRows} issues={issues} testId="join-token-labels" emptyText={t('joinTokens.labelsHint')} />
      </div>
    </FormDialog>
  );
}

/** JoinTokenCreated shows the new token once, with the command that installs an agent with it. */
export function JoinTokenCreated({ token, onClose }: { token: JoinToken; onClose: () => void }) {
  const { t } = useI18n();
  const secret = token.token ?? '';
  return (
    <SecretOnce title={t('joinTokens.createdTitle')} onClose={onClose} testId="join-token-created" label={t('joinTokens.token')} secret={secret} secretTestId="join-token-secret">
      <CopyField label={t('joinTokens.install')} value={installCommand(window.location.origin, secret)} testId="install-command" multiline />
      <p className="hint">{t('joinTokens.installHint')}</p>
      <dl className="facts facts-inline">
        <div className="fact">
          <dt>{t('joinTokens.col.id')}</dt>
          <dd className="mono">{token.id}</dd>
        </div>
        <div className="fact">
          <dt>{t('joinTokens.col.expires')}</dt>
          <dd>
            <AbsTime value={token.expires_at} />
          </dd>
        </div>
        <div className="fact">
          <dt>{t('joinTokens.col.labels')}</dt>
          <dd>
            <Labels labels={token.labels} />
          </dd>
        </div>
        <div className="fact">
          <dt>{t('joinTokens.usageLimit')}</dt>
          <dd>{token.usage_limit > 0 ? token.usage_limit : t('joinTokens.unlimited')}</dd>
        </div>
      </dl>
    </SecretOnce>
  );
}
