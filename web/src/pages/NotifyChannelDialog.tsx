// Creating and editing a notification channel of the API: the common
// fields, each write-only field kept, replaced or cleared, and the rest of
// the type's section as JSON; the fields the center refuses shown where
// they are.
import { useState, type ReactNode } from 'react';
import { ApiError } from '../api/client';
import { fieldProblems, putNotifyChannel } from '../api/notify';
import { notifyChannelTypes, severities, type NotifyChannel, type NotifyFieldProblem } from '../api/types';
import { useErrorText } from '../components/feedback';
import { FormDialog } from '../components/FormDialog';
import { useAction } from '../components/useAction';
import { useI18n, type MessageKey } from '../i18n';
import { buildConfig, channelForm, newChannelForm, placeProblems, secretFieldsOf, withType, type ChannelForm, type SecretMode, type Slot } from '../lib/notifyChannels';

const channelName = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** useExplain says what went wrong, a 409 with what it means for channels. */
export function useExplain(): (err: unknown) => string {
  const { t } = useI18n();
  const text = useErrorText();
  return (err) => (err instanceof ApiError && err.status === 409 ? t('notify.conflict', { message: err.message }) : text(err));
}

function Problems({ list }: { list: NotifyFieldProblem[] | undefined }) {
  if (!list?.length) return null;
  return (
    <>
      {list.map((p, i) => (
        <small key={i} className="field-error" data-problem={p.path}>
          {p.reason}
        </small>
      ))}
    </>
  );
}

interface Props {
  /** the channel edited; null for a new one */
  channel: NotifyChannel | null;
  onClose: () => void;
  onSaved: (ch: NotifyChannel) => void;
}

export function NotifyChannelDialog({ channel, onClose, onSaved }: Props) {
  const { t } = useI18n();
  const explain = useExplain();
  const [form, setForm] = useState<ChannelForm>(() => (channel ? channelForm(channel) : newChannelForm()));
  const set = (over: Partial<ChannelForm>) => setForm((f) => ({ ...f, ...over }));
  const built = buildConfig(form);
  const nameOk = channelName.test(form.name.trim());
  const action = useAction(async () => {
    if (!('config' in built)) return;
    try {
      onSaved(await putNotifyChannel(form.name.trim(), built.config));
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) throw new ApiError(409, err.code, explain(err), err.body);
      throw err;
    }
  });
  const problems = placeProblems(fieldProblems(action.error), form.type);
  const at = (slot: Slot) => <Problems list={problems[slot]} />;
  const setSecret = (field: string, mode: SecretMode, value?: string) =>
    setForm((f) => ({ ...f, secrets: { ...f.secrets, [field]: { ...f.secrets[field]!, mode, value: value ?? f.secrets[field]!.value } } }));
  const secretFields = secretFieldsOf(form.type);
  const label = (key: string): string => (['url', 'secret', 'password'].includes(key) ? t(`notify.secret.${key}` as MessageKey) : key);

  let sectionProblem: ReactNode = null;
  if ('problem' in built) sectionProblem = <small className="field-error">{built.problem.reason === 'json' ? t('notify.problem.json', { detail: built.problem.detail }) : t('notify.problem.object')}</small>;

  return (
    <FormDialog
      title={channel ? t('notify.editTitle', { name: channel.name }) : t('notify.new')}
      onClose={onClose}
      testId="notify-channel-dialog"
      formId="notify-channel-form"
      submitLabel={channel ? t('notify.save') : t('action.create')}
      valid={nameOk && 'config' in built}
      action={action}
      wide
      intro={fieldProblems(action.error).length > 0 ? <p className="hint">{t('notify.problems')}</p> : undefined}
    >
      <label>
        <span>{t('notify.col.name')}</span>
        <input name="name" autoComplete="off" value={form.name} readOnly={!!channel} onChange={(e) => set({ name: e.target.value })} className={form.name && !nameOk ? 'invalid' : ''} />
        <small className={form.name && !nameOk ? 'field-error' : 'hint'}>{t('notify.nameHint')}</small>
        {at('name')}
      </label>
      <label>
        <span>{t('notify.col.type')}</span>
        <select name="type" value={form.type} onChange={(e) => setForm((f) => withType(f, e.target.value))}>
          {notifyChannelTypes.map((ty) => (
            <option key={ty} value={ty}>
              {t(`notify.type.${ty}` as MessageKey)}
            </option>
          ))}
        </select>
        {at('type')}
      </label>
      <label className="check">
        <input name="disabled" type="checkbox" checked={form.disabled} onChange={(e) => set({ disabled: e.target.checked })} />
        <span>{t('notify.field.disabled')}</span>
      </label>
      <label>
        <span>{t('notify.field.language')}</span>
        <select name="language" value={form.language} onChange={(e) => set({ language: e.target.value })}>
          <option value="">{t('notify.lang.default')}</option>
          <option value="en">{t('notify.lang.en')}</option>
          <option value="zh">{t('notify.lang.zh')}</option>
        </select>
        {at('language')}
      </label>
      <label>
        <span>{t('notify.field.timeZone')}</span>
        <input name="time_zone" autoComplete="off" value={form.timeZone} onChange={(e) => set({ timeZone: e.target.value })} placeholder="UTC" />
        <small className="hint">{t('notify.timeZoneHint')}</small>
        {at('time_zone')}
      </label>
      <label>
        <span>{t('notify.field.minSeverity')}</span>
        <select name="min_severity" value={form.minSeverity} onChange={(e) => set({ minSeverity: e.target.value })}>
          <option value="">{t('notify.severity.any')}</option>
          {[...severities].reverse().map((s) => (
            <option key={s} value={s}>
              {t(`severity.${s}` as MessageKey)}
            </option>
          ))}
        </select>
        {at('min_severity')}
      </label>
      <label>
        <span>{t('notify.field.techniques')}</span>
        <input name="techniques" autoComplete="off" value={form.techniques} onChange={(e) => set({ techniques: e.target.value })} placeholder="T1059 T1562.001" />
        <small className="hint">{t('notify.techniquesHint')}</small>
        {at('techniques')}
      </label>
      {secretFields.length > 0 && (
        <fieldset className="secrets" data-testid="write-only">
          <legend>{t('notify.secrets')}</legend>
          <small className="hint">{t('notify.secretsHint')}</small>
          {secretFields.map((f) => {
            const s = form.secrets[f]!;
            return (
              <div key={f} className="secret-field" data-secret={f} data-set={String(s.shown.set)}>
                <span className="strong">{label(f)}</span>{' '}
                <span className={`badge ${s.shown.set ? 'status-online' : 'status-unknown'}`}>{s.shown.set ? t('notify.secret.set') : t('notify.secret.unset')}</span>
                {s.shown.redacted && <code className="small"> {s.shown.redacted}</code>}
                <div className="btn-row">
                  <select name={`${f}_mode`} aria-label={label(f)} value={s.mode} onChange={(e) => setSecret(f, e.target.value as SecretMode)}>
                    <option value="keep">{s.shown.set ? t('notify.secret.keep') : t('notify.secret.leave')}</option>
                    <option value="replace">{s.shown.set ? t('notify.secret.replace') : t('notify.secret.setNew')}</option>
                    {s.shown.set && <option value="clear">{t('notify.secret.clear')}</option>}
                  </select>
                  {s.mode === 'replace' && (
                    <input
                      name={f}
                      type={f === 'url' ? 'url' : 'password'}
                      autoComplete="off"
                      aria-label={t('notify.secret.newValue', { field: label(f) })}
                      value={s.value}
                      onChange={(e) => setSecret(f, 'replace', e.target.value)}
                    />
                  )}
                </div>
                {at(`secret:${f}`)}
              </div>
            );
          })}
        </fieldset>
      )}
      <label>
        <span>{t('notify.field.section', { type: form.type })}</span>
        <textarea name="section" className="mono" rows={8} spellCheck={false} value={form.section} onChange={(e) => set({ section: e.target.value })} />
        <small className="hint">{t('notify.sectionHint')}</small>
        {sectionProblem}
        {at('section')}
      </label>
      {problems.other && (
        <div className="field-error" data-testid="other-problems">
          {problems.other.map((p, i) => (
            <div key={i} data-problem={p.path}>
              {p.path ? `${p.path}: ${p.reason}` : p.reason}
            </div>
          ))}
        </div>
      )}
    </FormDialog>
  );
}
