// The policy catalogue: the shipped and uploaded policies with their
// checks and assignment; admins upload a policy file (Vigil's format or a
// Wazuh SCA file, the center's problems shown line by line when it is
// refused), delete an uploaded one, and edit an assignment (the labels a
// host must have, how often it runs, switched off, or removed).
import { useState } from 'react';
import { deleteAssignment, deletePolicy, listPolicies, putAssignment, putPolicy, type PolicyFormat } from '../api/compliance';
import type { CompliancePolicy } from '../api/types';
import { Labels } from '../components/badges';
import { FormDialog } from '../components/FormDialog';
import { ErrorBanner } from '../components/feedback';
import { LabelsEditor } from '../components/LabelsEditor';
import { ConfirmDelete } from '../components/listActions';
import { Confirm, Modal } from '../components/Modal';
import { PagedTable, RefreshButton } from '../components/PagedList';
import { useAction } from '../components/useAction';
import { useI18n } from '../i18n';
import { checkPolicyId, guessPolicyFile, intervalText, maxPolicyBytes, parseInterval, policyProblems, type PolicyProblem } from '../lib/compliance';
import { bytes, count } from '../lib/format';
import { labelsFromRows, rowsFromLabels, type LabelRow } from '../lib/labels';
import { usePaged } from '../lib/usePaged';
import { Link } from '../router';
import { allows, useSession } from '../session';
import { compliancePolicyPath, useText } from './ComplianceViews';

export function CompliancePoliciesView() {
  const { t } = useI18n();
  const text = useText();
  const session = useSession();
  const admin = allows(session, 'admin');
  const list = usePaged((_cursor, signal) => listPolicies(signal), []);
  const [uploading, setUploading] = useState(false);
  const [assigning, setAssigning] = useState<CompliancePolicy | null>(null);
  const [deleting, setDeleting] = useState<CompliancePolicy | null>(null);
  const [uploaded, setUploaded] = useState('');

  return (
    <>
      <div className="toolbar">
        <p className="page-intro">{t('cpol.intro')}</p>
        <div className="toolbar-spacer" />
        {!list.initial && <span className="count">{t('cpol.count', { n: list.items.length })}</span>}
        <RefreshButton list={list} />
        <button
          type="button"
          className="btn btn-primary btn-small"
          onClick={() => setUploading(true)}
          disabled={!admin}
          title={admin ? '' : t('error.needAdmin')}
          data-testid="upload-policy"
        >
          {t('cpol.upload')}
        </button>
      </div>
      <PagedTable
        list={list}
        empty={t('cpol.none')}
        testId="policies-table"
        columns={[t('compliance.col.policy'), t('cpol.col.version'), t('cpol.col.source'), { label: t('cpol.col.checks'), className: 'num' }, t('cpol.col.assignment'), { className: 'c-actions' }]}
      >
        {list.items.map((p) => {
          const a = p.assignment;
          return (
            <tr key={p.id} data-policy-id={p.id} data-shipped={p.shipped ? 'true' : 'false'} className={uploaded === p.id ? 'selected' : ''}>
              <td>
                <Link to={compliancePolicyPath(p.id)} className="strong">
                  {text(p.name) || p.id}
                </Link>
                <div className="sub mono">{p.id}</div>
              </td>
              <td className="mono small">{p.version || '—'}</td>
              <td>
                <span className={`badge ${p.shipped ? 'status-online' : 'status-enrolled'}`}>{p.shipped ? t('cpol.shipped') : t('cpol.uploaded')}</span>{' '}
                <span className="tag">{p.format === 'wazuh-sca' ? t('cpol.format.sca') : t('cpol.format.vigil')}</span>
                {!p.shipped && p.author && <div className="sub">{t('cpol.by', { author: p.author })}</div>}
              </td>
              <td className="num">
                <span className="strong">{count(p.checks)}</span>
                {(p.skipped ?? []).length > 0 && (
                  <div className="sub text-warn" title={(p.skipped ?? []).join('\n')} data-testid="policy-skipped">
                    {t('cpol.skipped', { n: (p.skipped ?? []).length })}
                  </div>
                )}
              </td>
              <td data-testid="policy-assignment">
                {!a ? (
                  <span className="muted">{t('cpol.notAssigned')}</span>
                ) : (
                  <>
                    {a.disabled && <span className="badge status-stopped">{t('cpol.disabled')}</span>}{' '}
                    {Object.keys(a.selector ?? {}).length === 0 ? <span className="tag">{t('cpol.everyHost')}</span> : <Labels labels={a.selector} />}
                    <div className="sub">{a.interval_seconds ? t('cpol.every', { d: intervalText(a.interval_seconds) }) : t('cpol.daily')}</div>
                  </>
                )}
              </td>
              <td className="c-actions">
                {admin && (
                  <span className="btn-row">
                    <button type="button" className="btn btn-small" onClick={() => setAssigning(p)} data-action="assign">
                      {t('cpol.assign')}
                    </button>
                    {!p.shipped && (
                      <button type="button" className="btn btn-small btn-danger-ghost" onClick={() => setDeleting(p)} data-action="delete">
                        {t('action.delete')}
                      </button>
                    )}
                  </span>
                )}
              </td>
            </tr>
          );
        })}
      </PagedTable>
      {uploading && (
        <UploadDialog
          known={list.items}
          onClose={() => setUploading(false)}
          onSaved={(p) => {
            setUploading(false);
            setUploaded(p.id);
            list.reload();
          }}
        />
      )}
      {assigning && (
        <AssignmentDialog
          policy={assigning}
          onClose={() => setAssigning(null)}
          onSaved={() => {
            setAssigning(null);
            list.reload();
          }}
        />
      )}
      {deleting && (
        <ConfirmDelete item={deleting} list={list} remove={deletePolicy} title={t('cpol.deleteTitle', { id: deleting.id })} confirmLabel={t('action.delete')} onClose={() => setDeleting(null)}>
          {t('cpol.deleteText', { name: text(deleting.name) || deleting.id })}
        </ConfirmDelete>
      )}
    </>
  );
}

/** UploadDialog reads a policy file, guesses its format and id, sends it and shows the center's problems when it refuses it. */
function UploadDialog({ known, onClose, onSaved }: { known: CompliancePolicy[]; onClose: () => void; onSaved: (p: CompliancePolicy) => void }) {
  const { t } = useI18n();
  const [file, setFile] = useState<{ name: string; text: string; size: number } | null>(null);
  const [id, setId] = useState('');
  const [format, setFormat] = useState<PolicyFormat>('vigil');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [problems, setProblems] = useState<PolicyProblem[] | null>(null);
  const tooBig = file !== null && file.size > maxPolicyBytes;
  const shipped = known.some((p) => p.id === id && p.shipped);
  const replacing = known.some((p) => p.id === id && !p.shipped);
  const ready = file !== null && !tooBig && checkPolicyId(id) && !shipped && !busy;

  const pick = async (f: File | undefined) => {
    setError(null);
    setProblems(null);
    if (!f) {
      setFile(null);
      return;
    }
    const text = f.size > maxPolicyBytes ? '' : await f.text();
    setFile({ name: f.name, text, size: f.size });
    const guess = guessPolicyFile(text);
    if (guess.format) setFormat(guess.format);
    if (guess.id) setId(guess.id);
  };
  const send = async () => {
    if (!file || !ready) return;
    setBusy(true);
    setError(null);
    setProblems(null);
    try {
      onSaved(await putPolicy(id, file.text, format));
    } catch (err) {
      setProblems(policyProblems(err));
      setError(err);
      setBusy(false);
    }
  };

  return (
    <Modal
      title={t('cpol.uploadTitle')}
      onClose={busy ? () => undefined : onClose}
      testId="policy-upload-dialog"
      wide
      footer={
        <>
          <button type="button" className="btn" onClick={onClose} disabled={busy}>
            {t('action.cancel')}
          </button>
          <button type="button" className="btn btn-primary" onClick={() => void send()} disabled={!ready} data-testid="policy-upload-send">
            {busy ? t('common.working') : replacing ? t('cpol.replace') : t('cpol.uploadButton')}
          </button>
        </>
      }
    >
      <p className="hint">{t('cpol.uploadIntro', { size: bytes(maxPolicyBytes) })}</p>
      <div className="form">
        <label>
          <span>{t('cpol.file')}</span>
          <input name="file" type="file" accept=".yml,.yaml,application/yaml,text/yaml" data-testid="policy-file" onChange={(e) => void pick(e.target.files?.[0])} />
          {tooBig && <small className="field-error">{t('cpol.tooBig', { size: bytes(maxPolicyBytes) })}</small>}
        </label>
        <label>
          <span>{t('cpol.format')}</span>
          <select name="format" value={format} onChange={(e) => setFormat(e.target.value as PolicyFormat)}>
            <option value="vigil">{t('cpol.format.vigil')}</option>
            <option value="wazuh-sca">{t('cpol.format.sca')}</option>
          </select>
        </label>
        <label>
          <span>{t('cpol.id')}</span>
          <input name="id" className={`mono ${id && !checkPolicyId(id) ? 'invalid' : ''}`} value={id} onChange={(e) => setId(e.target.value.trim())} autoComplete="off" />
          <small className={(id && !checkPolicyId(id)) || shipped ? 'field-error' : 'hint'} data-testid="policy-id-note">
            {shipped ? t('cpol.shippedId') : replacing ? t('cpol.replaceHint', { id }) : t('cpol.idHint')}
          </small>
        </label>
      </div>
      {problems ? (
        <div className="import-refused" data-testid="policy-problems" role="alert">
          <div className="strong">{t('cpol.refused', { n: problems.length })}</div>
          <table className="table table-compact problem-table">
            <thead>
              <tr>
                <th className="num">{t('cpol.col.line')}</th>
                <th>{t('cpol.col.field')}</th>
                <th>{t('cpol.col.problem')}</th>
              </tr>
            </thead>
            <tbody>
              {problems.map((p, i) => (
                <tr key={i} data-line={p.line}>
                  <td className="num mono">{p.line > 0 ? p.line : '—'}</td>
                  <td className="mono small">{p.field || '—'}</td>
                  <td className="problem-reason">{p.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <ErrorBanner error={error} />
      )}
    </Modal>
  );
}

/** AssignmentDialog edits which hosts run a policy (labels), how often, and whether it is switched off; or removes the assignment. */
function AssignmentDialog({ policy, onClose, onSaved }: { policy: CompliancePolicy; onClose: () => void; onSaved: () => void }) {
  const { t } = useI18n();
  const text = useText();
  const a = policy.assignment;
  const [rows, setRows] = useState<LabelRow[]>(rowsFromLabels(a?.selector ?? {}));
  const [intervalStr, setIntervalStr] = useState(intervalText(a?.interval_seconds ?? 0));
  const [disabled, setDisabled] = useState(a?.disabled ?? false);
  const [removing, setRemoving] = useState(false);
  const { labels, issues } = labelsFromRows(rows);
  const iv = parseInterval(intervalStr);
  const valid = issues.length === 0 && iv.problem === '';
  const action = useAction(async () => {
    await putAssignment(policy.id, { selector: labels, interval_seconds: iv.seconds, disabled });
    onSaved();
  });
  if (removing) {
    return (
      <Confirm
        title={t('cpol.unassignTitle', { id: policy.id })}
        confirmLabel={t('cpol.unassign')}
        onClose={() => setRemoving(false)}
        onConfirm={async () => {
          await deleteAssignment(policy.id);
          onSaved();
        }}
      >
        {t('cpol.unassignText', { name: text(policy.name) || policy.id })}
      </Confirm>
    );
  }
  return (
    <FormDialog
      title={t('cpol.assignTitle', { name: text(policy.name) || policy.id })}
      onClose={onClose}
      testId="assignment-dialog"
      formId="assignment-form"
      submitLabel={t('action.save')}
      valid={valid}
      action={action}
      intro={<p className="hint">{t('cpol.assignIntro')}</p>}
    >
      <div className="form-field">
        <span>{t('cpol.selector')}</span>
        <LabelsEditor rows={rows} onChange={setRows} issues={issues} testId="assignment-selector" emptyText={t('cpol.everyHostHint')} />
      </div>
      <label>
        <span>{t('cpol.interval')}</span>
        <input name="interval" className={`mono w-timeout ${iv.problem ? 'invalid' : ''}`} value={intervalStr} onChange={(e) => setIntervalStr(e.target.value)} placeholder="24h" autoComplete="off" />
        <small className={iv.problem ? 'field-error' : 'hint'} data-testid="interval-note">
          {iv.problem === 'invalid' ? t('cpol.intervalInvalid') : iv.problem === 'range' ? t('cpol.intervalRange') : t('cpol.intervalHint')}
        </small>
      </label>
      <label className="check-inline">
        <input type="checkbox" name="disabled" checked={disabled} onChange={(e) => setDisabled(e.target.checked)} />
        <span>{t('cpol.disable')}</span>
      </label>
      {a && (
        <div>
          <button type="button" className="btn btn-small btn-danger-ghost" onClick={() => setRemoving(true)} data-testid="unassign">
            {t('cpol.unassign')}
          </button>
        </div>
      )}
    </FormDialog>
  );
}
