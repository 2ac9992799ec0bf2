// Adding indicators by hand (values pasted one a line, with their source,
// severity, confidence, tags and expiry) and importing a feed (the file's
// bytes sent with its source, format and defaults, its upload's progress
// shown); then what the center did: read, added, updated, removed and
// skipped, with each problem's line.
import { useState, type ReactNode } from 'react';
import { addIndicators, importIntel, refusal } from '../api/intel';
import { indicatorTypes, type ImportProblem, type ImportResult } from '../api/types';
import { ErrorBanner } from '../components/feedback';
import { FormDialog } from '../components/FormDialog';
import { Modal } from '../components/Modal';
import { UploadStatus, useUpload } from '../components/upload';
import { useAction } from '../components/useAction';
import { useI18n, type MessageKey } from '../i18n';
import { bytes, count } from '../lib/format';
import { useNow } from '../lib/hooks';
import {
  addProblems,
  buildAddRequest,
  importFormats,
  importProblems,
  importQuery,
  intelSeverities,
  maxImportBytes,
  newAddForm,
  newImportForm,
  splitValues,
  suggestSource,
  type AddForm,
  type AddProblem,
  type ImportForm,
  type ImportProblemKey,
} from '../lib/intel';
import { useTypeName } from './intelWords';

/** Problems shown before "and N more". */
const problemsShown = 100;

/** ProblemList shows entries the center did not store: line, entry and reason. */
export function ProblemList({ problems, testId = 'intel-problems' }: { problems: readonly ImportProblem[]; testId?: string }) {
  const { t } = useI18n();
  if (problems.length === 0) return null;
  const shown = problems.slice(0, problemsShown);
  return (
    <div className="problem-table" data-testid={testId}>
      <table className="table table-compact">
        <thead>
          <tr>
            <th className="num">{t('intel.problem.line')}</th>
            <th>{t('intel.problem.entry')}</th>
            <th>{t('intel.problem.reason')}</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((p, i) => (
            <tr key={i} data-line={p.line ?? ''}>
              <td className="num mono">{p.line ?? '—'}</td>
              <td className="mono small intel-entry" title={p.entry}>
                {p.entry || <span className="muted">—</span>}
              </td>
              <td className="problem-reason">{p.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {problems.length > shown.length && <div className="hint">{t('intel.problem.more', { n: problems.length - shown.length })}</div>}
    </div>
  );
}

/** ImportResultView says what an addition or import did and what it skipped. */
export function ImportResultView({ result }: { result: ImportResult }) {
  const { t } = useI18n();
  const problems = result.problems ?? [];
  const stored = result.added + result.updated;
  return (
    <div className="import-result" data-testid="intel-result" data-format={result.format} data-source={result.source}>
      <div className={stored > 0 || result.removed > 0 ? 'ok-banner' : 'warn-banner'}>{t('intel.result.summary', { source: result.source, format: result.format || '—' })}</div>
      <div className="job-counts" data-testid="intel-result-counts">
        {(['read', 'added', 'updated', 'removed', 'skipped'] as const).map((k) => (
          <span key={k} data-count={k} className={k === 'skipped' && result.skipped > 0 ? 'text-warn' : ''}>
            {t(`intel.result.${k}` as MessageKey, { n: count(result[k]) })}
          </span>
        ))}
      </div>
      <ProblemList problems={problems} />
    </div>
  );
}

/** Refused shows the reasons a 400 gave for an addition or import. */
function Refused({ error }: { error: unknown }) {
  const r = refusal(error);
  return (
    <>
      <ProblemList problems={r.problems} testId="intel-refused" />
      {r.fields.length > 0 && (
        <div className="field-error" data-testid="intel-refused-fields">
          {r.fields.map((f, i) => (
            <div key={i} data-problem={f.path}>
              {f.path ? `${f.path}: ${f.reason}` : f.reason}
            </div>
          ))}
        </div>
      )}
    </>
  );
}

/** SeveritySelect offers the severities, or the center's default. */
function SeveritySelect({ value, onChange, name }: { value: string; onChange: (v: string) => void; name: string }) {
  const { t } = useI18n();
  return (
    <select name={name} value={value} onChange={(e) => onChange(e.target.value)}>
      <option value="">{t('intel.form.centerDefault')}</option>
      {intelSeverities.map((s) => (
        <option key={s} value={s}>
          {t(`severity.${s}` as MessageKey)}
        </option>
      ))}
    </select>
  );
}

function Field({ label, hint, problem, children }: { label: string; hint?: ReactNode; problem?: string; children: ReactNode }) {
  return (
    <label>
      <span>{label}</span>
      {children}
      {problem ? <small className="field-error">{problem}</small> : hint ? <small className="hint">{hint}</small> : null}
    </label>
  );
}

interface AddProps {
  onClose: () => void;
  /** Called once the center stored something. */
  onStored: () => void;
}

/** AddIndicatorsDialog sends pasted values as indicators of one source (POST /intel) and shows what the center did. */
export function AddIndicatorsDialog({ onClose, onStored }: AddProps) {
  const { t } = useI18n();
  const now = useNow();
  const typeName = useTypeName();
  const [form, setForm] = useState<AddForm>(newAddForm);
  const [result, setResult] = useState<ImportResult | null>(null);
  const set = (over: Partial<AddForm>) => setForm((f) => ({ ...f, ...over }));
  const problems = addProblems(form, now);
  const values = splitValues(form.values);
  const action = useAction(async () => {
    const r = await addIndicators(buildAddRequest(form));
    setResult(r);
    onStored();
  });
  const has = (p: AddProblem) => problems.includes(p);

  if (result) {
    return (
      <Modal
        title={t('intel.addTitle')}
        onClose={onClose}
        testId="intel-add-dialog"
        wide
        footer={
          <button type="button" className="btn btn-primary" onClick={onClose} data-testid="intel-dialog-done">
            {t('action.done')}
          </button>
        }
      >
        <ImportResultView result={result} />
      </Modal>
    );
  }
  return (
    <FormDialog
      title={t('intel.addTitle')}
      onClose={onClose}
      testId="intel-add-dialog"
      wide
      formId="intel-add-form"
      submitLabel={t('intel.addSend', { n: values.length })}
      submitTestId="intel-add-send"
      valid={problems.length === 0}
      action={action}
      intro={<Refused error={action.error} />}
    >
      <Field label={t('intel.form.values')} hint={t('intel.form.valuesHint', { n: values.length })}>
        <textarea name="values" className="mono" rows={7} spellCheck={false} value={form.values} onChange={(e) => set({ values: e.target.value })} placeholder={'203.0.113.7\nevil.example.com\nhttp://198.51.100.9/x.sh'} />
      </Field>
      <div className="form-pair">
        <Field label={t('intel.col.type')} hint={t('intel.form.typeHint')}>
          <select name="type" value={form.type} onChange={(e) => set({ type: e.target.value as AddForm['type'] })}>
            <option value="">{t('intel.form.detect')}</option>
            {indicatorTypes.map((ty) => (
              <option key={ty} value={ty}>
                {typeName(ty)}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t('intel.col.source')} hint={t('intel.form.sourceHint')} problem={has('source') ? t('intel.importSourceBad') : undefined}>
          <input name="source" autoComplete="off" value={form.source} onChange={(e) => set({ source: e.target.value })} className={has('source') ? 'invalid' : ''} />
        </Field>
        <Field label={t('intel.col.severity')}>
          <SeveritySelect name="severity" value={form.severity} onChange={(v) => set({ severity: v as AddForm['severity'] })} />
        </Field>
        <Field label={t('intel.col.confidence')} hint={t('intel.form.confidenceHint')} problem={has('confidence') ? t('intel.form.confidenceBad') : undefined}>
          <input name="confidence" inputMode="numeric" autoComplete="off" value={form.confidence} onChange={(e) => set({ confidence: e.target.value })} className={has('confidence') ? 'invalid' : ''} />
        </Field>
        <Field label={t('intel.tags')} hint={t('intel.form.tagsHint')}>
          <input name="tags" autoComplete="off" value={form.tags} onChange={(e) => set({ tags: e.target.value })} placeholder="c2, botnet" />
        </Field>
        <Field label={t('intel.form.expiresAt')} hint={t('intel.form.expiresAtHint')} problem={has('expiresAt') ? t('intel.form.expiresAtBad') : undefined}>
          <input name="expires_at" type="datetime-local" value={form.expiresAt} onChange={(e) => set({ expiresAt: e.target.value })} className={has('expiresAt') ? 'invalid' : ''} />
        </Field>
      </div>
      <Field label={t('intel.description')}>
        <input name="description" autoComplete="off" value={form.description} onChange={(e) => set({ description: e.target.value })} />
      </Field>
    </FormDialog>
  );
}

interface ImportProps {
  /** The sources known, offered for the name. */
  sources: string[];
  onClose: () => void;
  onStored: () => void;
}

/** ImportIntelDialog sends a feed to POST /intel/import with its upload's progress and shows what the center did. */
export function ImportIntelDialog({ sources, onClose, onStored }: ImportProps) {
  const { t } = useI18n();
  const [file, setFile] = useState<File | null>(null);
  const [form, setForm] = useState<ImportForm>(newImportForm);
  const upload = useUpload();
  const [result, setResult] = useState<ImportResult | null>(null);
  const set = (over: Partial<ImportForm>) => setForm((f) => ({ ...f, ...over }));
  const problems = importProblems(form, file);
  const has = (p: ImportProblemKey) => problems.includes(p);
  const { sent, uploading, error } = upload;
  const locked = uploading || !!result;

  const send = async () => {
    if (!file || problems.length > 0 || locked) return;
    await upload.send(
      file,
      (onProgress, signal) => importIntel(file, importQuery(form), onProgress, signal),
      (r) => {
        setResult(r);
        onStored();
      },
    );
  };
  const close = () => {
    upload.abort();
    onClose();
  };

  return (
    <Modal
      title={t('intel.importTitle')}
      onClose={close}
      testId="intel-import-dialog"
      wide
      footer={
        <>
          <button type="button" className={result ? 'btn btn-primary' : 'btn'} onClick={close} data-testid="intel-dialog-done">
            {result ? t('action.done') : t('action.cancel')}
          </button>
          {!result && (
            <button type="button" className="btn btn-primary" onClick={() => void send()} disabled={locked || problems.length > 0} data-testid="intel-import-send">
              {uploading ? t('common.working') : t('intel.importSend')}
            </button>
          )}
        </>
      }
    >
      <p className="hint">{t('intel.importIntro')}</p>
      <ErrorBanner error={error} />
      <Refused error={error} />
      <div className="form">
        <Field label={t('intel.importFile')} hint={file ? t('intel.importSize', { size: bytes(file.size) }) : t('intel.importFileHint')} problem={has('tooBig') ? t('intel.importTooBig', { max: bytes(maxImportBytes) }) : undefined}>
          <input
            name="file"
            type="file"
            disabled={locked}
            data-testid="intel-import-file"
            onChange={(e) => {
              const f = e.target.files?.[0] ?? null;
              setFile(f);
              if (f && !form.source) set({ source: suggestSource(f.name) });
            }}
          />
        </Field>
        <div className="form-pair">
          <Field label={t('intel.col.source')} hint={t('intel.importSourceHint')} problem={form.source && has('source') ? t('intel.importSourceBad') : undefined}>
            <input name="source" list="intel-source-names" autoComplete="off" disabled={locked} value={form.source} onChange={(e) => set({ source: e.target.value })} placeholder="feodo-ips" />
            <datalist id="intel-source-names">
              {sources.map((n) => (
                <option key={n} value={n} />
              ))}
            </datalist>
          </Field>
          <Field label={t('intel.importFormat')} hint={t('intel.importFormatHint')}>
            <select name="format" disabled={locked} value={form.format} onChange={(e) => set({ format: e.target.value as ImportForm['format'] })}>
              <option value="">{t('intel.format.auto')}</option>
              {importFormats.map((f) => (
                <option key={f} value={f}>
                  {t(`intel.format.${f}` as MessageKey)}
                </option>
              ))}
            </select>
          </Field>
        </div>
        <label className="check check-row">
          <input name="replace" type="checkbox" disabled={locked} checked={form.replace} onChange={(e) => set({ replace: e.target.checked })} />
          <span>{t('intel.importReplace')}</span>
        </label>
        <small className={form.replace ? 'warn-text' : 'hint'} data-testid="replace-hint">
          {form.replace ? t('intel.importReplaceOn', { source: form.source.trim() || '…' }) : t('intel.importReplaceOff')}
        </small>
        <fieldset className="intel-defaults">
          <legend>{t('intel.importDefaults')}</legend>
          <small className="hint">{t('intel.importDefaultsHint')}</small>
          <div className="form-pair">
            <Field label={t('intel.col.severity')}>
              <SeveritySelect name="severity" value={form.severity} onChange={(v) => set({ severity: v as ImportForm['severity'] })} />
            </Field>
            <Field label={t('intel.col.confidence')} hint={t('intel.form.confidenceHint')} problem={has('confidence') ? t('intel.form.confidenceBad') : undefined}>
              <input name="confidence" inputMode="numeric" autoComplete="off" disabled={locked} value={form.confidence} onChange={(e) => set({ confidence: e.target.value })} />
            </Field>
            <Field label={t('intel.tags')} hint={t('intel.form.tagsHint')}>
              <input name="tags" autoComplete="off" disabled={locked} value={form.tags} onChange={(e) => set({ tags: e.target.value })} placeholder="c2, botnet" />
            </Field>
            <Field label={t('intel.importExpiresIn')} hint={t('intel.importExpiresInHint')} problem={has('expiresIn') ? t('intel.importExpiresInBad') : undefined}>
              <input name="expires_in" autoComplete="off" disabled={locked} value={form.expiresIn} onChange={(e) => set({ expiresIn: e.target.value })} placeholder="720h" />
            </Field>
          </div>
        </fieldset>
      </div>
      {sent && !result && (
        <UploadStatus
          sent={sent}
          testId="intel-upload"
          title={sent.loaded >= sent.total ? t('intel.importReading') : t('intel.importUploading')}
          bytesKey="intel.importBytes"
          barLabel={t('intel.importUploading')}
          barTestId="intel-upload-bar"
          waitWhenSent
        />
      )}
      {result && <ImportResultView result={result} />}
    </Modal>
  );
}
