// A new compliance exception: a failure accepted for a reason until an
// expiry. Opened from a result, it names the check and the host and may
// widen to every host or every check of the policy; opened from the
// exceptions list, the policy, check and host are chosen. The reason and
// the expiry are checked as the center checks them before sending.
import { useState } from 'react';
import { createException, listPolicies, type ComplianceExceptionPost } from '../api/compliance';
import { listAgents } from '../api/endpoints';
import type { ComplianceException, LocalText } from '../api/types';
import { FormDialog } from '../components/FormDialog';
import { useAction } from '../components/useAction';
import { useI18n, type MessageKey } from '../i18n';
import { checkExceptionForm, type ExceptionProblem } from '../lib/compliance';
import { useLoad } from '../lib/hooks';
import { toRFC3339 } from '../lib/time';
import { useText } from './ComplianceViews';

const problemKey: Record<ExceptionProblem, MessageKey> = {
  noReason: 'exception.noReason',
  longReason: 'exception.longReason',
  badReason: 'exception.badReason',
  pastExpiry: 'exception.pastExpiry',
};

/** The result an exception is made from. */
export interface ExceptionTarget {
  policyId: string;
  policyName?: LocalText;
  checkId: string;
  checkTitle?: LocalText;
  agentId: string;
  hostname?: string;
}

interface Props {
  /** The result it is made from; absent to choose everything. */
  target?: ExceptionTarget;
  onClose: () => void;
  onSaved: (e: ComplianceException) => void;
}

export function ComplianceExceptionDialog({ target, onClose, onSaved }: Props) {
  const { t } = useI18n();
  const text = useText();
  const [policyId, setPolicyId] = useState(target?.policyId ?? '');
  const [checkId, setCheckId] = useState(target?.checkId ?? '');
  const [agentId, setAgentId] = useState(target?.agentId ?? '');
  const [everyHost, setEveryHost] = useState(false);
  const [everyCheck, setEveryCheck] = useState(false);
  const [reason, setReason] = useState('');
  const [expiresLocal, setExpiresLocal] = useState('');
  const policies = useLoad((signal) => (target ? Promise.resolve(null) : listPolicies(signal)), [target?.policyId]);
  const agents = useLoad((signal) => (target ? Promise.resolve(null) : listAgents({}, signal)), [target?.agentId]);
  const expiresAt = toRFC3339(expiresLocal);
  const problems = checkExceptionForm(reason, expiresAt, Date.now());
  const valid = problems.length === 0 && policyId !== '';
  const body: ComplianceExceptionPost = { policy_id: policyId, reason };
  const check = target ? (everyCheck ? '' : target.checkId) : checkId.trim();
  const agent = target ? (everyHost ? '' : target.agentId) : agentId;
  if (check) body.check_id = check;
  if (agent) body.agent_id = agent;
  if (expiresAt) body.expires_at = expiresAt;
  const action = useAction(async () => onSaved(await createException(body)));

  return (
    <FormDialog
      title={t('cexc.newTitle')}
      onClose={onClose}
      testId="compliance-exception-dialog"
      formId="compliance-exception-form"
      submitLabel={t('action.create')}
      valid={valid}
      action={action}
      intro={<p className="hint">{t('cexc.intro')}</p>}
    >
      {target ? (
        <div className="form-field" data-testid="exception-scope">
          <span>{t('cexc.scope')}</span>
          <div className="scope-lines">
            <div>
              <span className="muted">{t('cexc.policy')}</span> {text(target.policyName) || target.policyId}
            </div>
            <div>
              <span className="muted">{t('cexc.check')}</span> {everyCheck ? t('cexc.everyCheck') : <>{text(target.checkTitle) || target.checkId} <span className="mono small">{target.checkId}</span></>}
            </div>
            <div>
              <span className="muted">{t('cexc.host')}</span> {everyHost ? t('cexc.everyHost') : target.hostname || target.agentId}
            </div>
          </div>
          <label className="check-inline">
            <input type="checkbox" name="every_check" checked={everyCheck} onChange={(e) => setEveryCheck(e.target.checked)} />
            <span>{t('cexc.widenChecks')}</span>
          </label>
          <label className="check-inline">
            <input type="checkbox" name="every_host" checked={everyHost} onChange={(e) => setEveryHost(e.target.checked)} />
            <span>{t('cexc.widenHosts')}</span>
          </label>
        </div>
      ) : (
        <>
          <label>
            <span>{t('cexc.policy')}</span>
            <select name="policy_id" value={policyId} onChange={(e) => setPolicyId(e.target.value)}>
              <option value="">{t('cexc.choosePolicy')}</option>
              {(policies.data?.items ?? []).map((p) => (
                <option key={p.id} value={p.id}>
                  {text(p.name) || p.id}
                </option>
              ))}
            </select>
          </label>
          <label>
            <span>{t('cexc.check')}</span>
            <input name="check_id" className="mono" value={checkId} onChange={(e) => setCheckId(e.target.value)} placeholder={t('cexc.everyCheck')} autoComplete="off" />
            <small className="hint">{t('cexc.checkHint')}</small>
          </label>
          <label>
            <span>{t('cexc.host')}</span>
            <select name="agent_id" value={agentId} onChange={(e) => setAgentId(e.target.value)}>
              <option value="">{t('cexc.everyHost')}</option>
              {(agents.data?.items ?? []).map((a) => (
                <option key={a.id} value={a.id}>
                  {a.hostname || a.id}
                </option>
              ))}
            </select>
          </label>
        </>
      )}
      <label>
        <span>{t('exception.reason')}</span>
        <textarea name="reason" rows={2} value={reason} onChange={(e) => setReason(e.target.value)} placeholder={t('cexc.reasonPlaceholder')} />
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
      {(reason !== '' || expiresLocal !== '') && problems.length > 0 && (
        <div className="field-error" data-testid="exception-problems">
          {problems.map((p) => t(problemKey[p])).join(' ')}
        </div>
      )}
    </FormDialog>
  );
}
