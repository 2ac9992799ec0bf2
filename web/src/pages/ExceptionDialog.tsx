// Creating or editing an exception: the rule (every rule when empty), the
// agent (every agent when empty), the match, a reason and an optional
// expiry, checked as the center checks them before sending.
import { useMemo, useState } from 'react';
import { listAgents } from '../api/endpoints';
import { createException, listRules, updateException } from '../api/detect';
import type { RuleException } from '../api/types';
import { FormDialog } from '../components/FormDialog';
import { MatchEditor } from '../components/MatchEditor';
import { useAction } from '../components/useAction';
import { useI18n, type MessageKey } from '../i18n';
import { checkException, type ExceptionForm, type FormProblem } from '../lib/exceptionMatch';
import { useLoad } from '../lib/hooks';
import { toLocalInput, toRFC3339 } from '../lib/time';

const problemKey: Record<FormProblem, MessageKey> = {
  noMatch: 'exception.noMatch',
  noReason: 'exception.noReason',
  longReason: 'exception.longReason',
  badReason: 'exception.badReason',
  pastExpiry: 'exception.pastExpiry',
};

interface Props {
  /** The exception to edit; absent to create one. */
  existing?: RuleException;
  /** The form's first values. */
  initial: ExceptionForm;
  /** Where the values came from, said above the form (an alert). */
  intro?: string;
  onClose: () => void;
  onSaved: (e: RuleException) => void;
}

export function ExceptionDialog({ existing, initial, intro, onClose, onSaved }: Props) {
  const { t } = useI18n();
  const [form, setForm] = useState<ExceptionForm>(initial);
  const [expiresLocal, setExpiresLocal] = useState(toLocalInput(initial.expiresAt));
  const rules = useLoad((signal) => listRules({ limit: 1000 }, signal), []);
  const agents = useLoad((signal) => listAgents({}, signal), []);
  const ruleList = rules.data?.items ?? [];
  const agentList = agents.data?.items ?? [];
  const rule = useMemo(() => ruleList.find((r) => r.id === form.ruleId.trim()), [ruleList, form.ruleId]);
  const expiresAt = toRFC3339(expiresLocal);
  const checked = checkException({ ...form, expiresAt }, Date.now());
  const ruleUnknown = form.ruleId.trim() !== '' && rules.data !== undefined && !rule;
  const valid = checked.issues.length === 0 && checked.problems.length === 0 && !ruleUnknown;
  const action = useAction(async () => {
    const saved = existing ? await updateException(existing.id, checked.body) : await createException(checked.body);
    onSaved(saved);
  });
  const set = (patch: Partial<ExceptionForm>) => setForm({ ...form, ...patch });

  return (
    <FormDialog
      title={existing ? t('exception.editTitle') : t('exception.newTitle')}
      onClose={onClose}
      testId="exception-dialog"
      formId="exception-form"
      submitLabel={existing ? t('action.save') : t('action.create')}
      valid={valid}
      action={action}
      intro={intro ? <p className="hint">{intro}</p> : undefined}
      wide
    >
      <label>
        <span>{t('exception.rule')}</span>
        <input name="rule_id" list="exception-rules" className="mono" autoComplete="off" value={form.ruleId} onChange={(e) => set({ ruleId: e.target.value })} placeholder={t('exception.everyRule')} />
        <datalist id="exception-rules">
          {ruleList.map((r) => (
            <option key={r.id} value={r.id}>
              {r.title}
            </option>
          ))}
        </datalist>
        <small className={ruleUnknown ? 'field-error' : 'hint'} data-testid="exception-rule-note">
          {ruleUnknown ? t('exception.ruleUnknown') : rule ? rule.title : t('exception.everyRuleHint')}
        </small>
      </label>
      <label>
        <span>{t('exception.agent')}</span>
        <select name="agent_id" value={form.agentId} onChange={(e) => set({ agentId: e.target.value })}>
          <option value="">{t('exception.everyAgent')}</option>
          {form.agentId && !agentList.some((a) => a.id === form.agentId) && <option value={form.agentId}>{form.agentId}</option>}
          {agentList.map((a) => (
            <option key={a.id} value={a.id}>
              {a.hostname ? `${a.hostname} (${a.id})` : a.id}
            </option>
          ))}
        </select>
      </label>
      <div className="form-field">
        <span>{t('exception.match')}</span>
        <MatchEditor rows={form.rows} onChange={(rows) => set({ rows })} issues={checked.issues} />
      </div>
      <label>
        <span>{t('exception.reason')}</span>
        <textarea name="reason" rows={2} value={form.reason} onChange={(e) => set({ reason: e.target.value })} placeholder={t('exception.reasonPlaceholder')} />
      </label>
      <label>
        <span>{t('exception.expires')}</span>
        <span className="expiry-row">
          <input name="expires_at" type="datetime-local" value={expiresLocal} onChange={(e) => setExpiresLocal(e.target.value)} />
          {expiresLocal && (
            <button type="button" className="btn btn-ghost btn-small" onClick={() => setExpiresLocal('')}>
              {t('action.clear')}
            </button>
          )}
        </span>
        <small className="hint">{t('exception.expiresHint')}</small>
      </label>
      {checked.problems.length > 0 && (
        <div className="field-error" data-testid="exception-problems">
          {checked.problems.map((p) => t(problemKey[p])).join(' ')}
        </div>
      )}
    </FormDialog>
  );
}
