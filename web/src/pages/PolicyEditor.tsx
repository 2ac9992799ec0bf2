// One agent policy in a drawer: selector, priority and the spec as JSON
// text. The center checks the spec; its error is shown as it answered.
import { useEffect, useState, type FormEvent } from 'react';
import { deletePolicy, getPolicy, putPolicy } from '../api/admin';
import type { AgentPolicy } from '../api/types';
import { Drawer, Section } from '../components/Drawer';
import { ErrorBanner, Loading } from '../components/feedback';
import { LabelsEditor } from '../components/LabelsEditor';
import { Confirm } from '../components/Modal';
import { AbsTime } from '../components/time';
import { useI18n } from '../i18n';
import { useLoad } from '../lib/hooks';
import { labelsFromRows, rowsFromLabels, type LabelRow } from '../lib/labels';
import { exampleSpec, formatSpec, parseSpec } from '../lib/policySpec';
import { checkName } from '../lib/validate';

interface Props {
  /** The policy to edit; absent for a new one. */
  name?: string;
  /** Names already in use (a new policy must not replace one by accident). */
  taken: string[];
  canEdit: boolean;
  onClose: () => void;
  onSaved: (p: AgentPolicy) => void;
  onDeleted: () => void;
}

export function PolicyEditor({ name, taken, canEdit, onClose, onSaved, onDeleted }: Props) {
  const { t } = useI18n();
  const creating = name === undefined;
  const loaded = useLoad((signal) => (creating ? Promise.resolve(null) : getPolicy(name, signal)), [name]);
  const [newName, setNewName] = useState('');
  const [rows, setRows] = useState<LabelRow[]>([]);
  const [priority, setPriority] = useState('0');
  const [spec, setSpec] = useState(creating ? formatSpec(exampleSpec) : '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState<AgentPolicy | null>(null);
  const [deleting, setDeleting] = useState(false);
  const current = saved ?? loaded.data;

  // Fill the form once the stored policy has arrived.
  useEffect(() => {
    const p = loaded.data;
    if (!p) return;
    setRows(rowsFromLabels(p.selector));
    setPriority(String(p.priority ?? 0));
    setSpec(formatSpec(p.spec));
  }, [loaded.data]);

  const { labels, issues } = labelsFromRows(rows);
  const parsed = parseSpec(spec);
  const prio = Number(priority);
  const prioOk = priority.trim() !== '' && Number.isInteger(prio) && Math.abs(prio) <= 2 ** 31 - 1;
  const nameTrim = newName.trim();
  const nameProblem = !creating ? '' : !checkName(nameTrim) ? t('form.nameHint') : taken.includes(nameTrim) ? t('policies.nameTaken') : '';
  const valid = canEdit && parsed.ok && prioOk && issues.length === 0 && !nameProblem;

  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (!valid || !parsed.ok) return;
    setBusy(true);
    setError(null);
    try {
      const p = await putPolicy(creating ? nameTrim : name, { selector: labels, priority: prio, spec: parsed.value });
      setSaved(p);
      onSaved(p);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const specNote = parsed.ok
    ? t('policies.specOk')
    : parsed.code === 'empty'
      ? t('policies.specEmpty')
      : parsed.code === 'notObject'
        ? t('policies.specNotObject')
        : parsed.line
          ? t('policies.specSyntaxAt', { line: parsed.line, column: parsed.column ?? 0, message: parsed.message })
          : t('policies.specSyntax', { message: parsed.message });

  return (
    <Drawer
      testId="policy-editor"
      onClose={onClose}
      title={creating ? t('policies.new') : name}
      subtitle={
        current && (
          <span className="drawer-status muted">
            {t('policies.revisionBy', { revision: current.revision, by: current.updated_by || '—' })} · <AbsTime value={current.updated_at} />
          </span>
        )
      }
    >
      <ErrorBanner error={loaded.error} onRetry={loaded.refresh} />
      {!creating && !loaded.data && !loaded.error && <Loading />}
      {(creating || loaded.data) && (
        <form onSubmit={save} data-testid="policy-form">
          {!canEdit && <div className="info-banner">{t('policies.readOnly')}</div>}
          <div data-testid="policy-error">
            <ErrorBanner error={error} />
          </div>
          {saved && !error && !busy && (
            <div className="ok-banner" data-testid="policy-saved">
              {t('policies.saved', { revision: saved.revision })}
            </div>
          )}
          <Section title={t('policies.target')}>
            <div className="form">
              {creating && (
                <label>
                  <span>{t('policies.col.name')}</span>
                  <input name="name" autoComplete="off" value={newName} onChange={(e) => setNewName(e.target.value)} className={newName && nameProblem ? 'invalid' : ''} />
                  {newName && nameProblem && <small className="field-error">{nameProblem}</small>}
                </label>
              )}
              <label className="w-priority">
                <span>{t('policies.col.priority')}</span>
                <input name="priority" type="number" step={1} value={priority} onChange={(e) => setPriority(e.target.value)} disabled={!canEdit} className={prioOk ? '' : 'invalid'} />
                <small className="hint">{t('policies.priorityHint')}</small>
              </label>
              <div className="form-field">
                <span>{t('policies.col.selector')}</span>
                <LabelsEditor rows={rows} onChange={setRows} issues={issues} disabled={!canEdit} testId="policy-selector" emptyText={t('policies.selectorEmpty')} />
              </div>
            </div>
          </Section>
          <Section
            title={t('policies.spec')}
            actions={
              <button type="button" className="btn btn-small" disabled={!canEdit || !parsed.ok} onClick={() => parsed.ok && setSpec(formatSpec(parsed.value))}>
                {t('policies.format')}
              </button>
            }
          >
            <textarea
              name="spec"
              className={`code-input ${parsed.ok ? '' : 'invalid'}`}
              spellCheck={false}
              rows={12}
              value={spec}
              onChange={(e) => setSpec(e.target.value)}
              readOnly={!canEdit}
              aria-label={t('policies.spec')}
            />
            <div className={parsed.ok ? 'hint' : 'field-error'} data-testid="spec-note">
              {specNote}
            </div>
            <p className="hint">{t('policies.specHelp')}</p>
          </Section>
          {canEdit && (
            <div className="btn-row form-actions">
              <button type="submit" className="btn btn-primary" disabled={busy || !valid} data-testid="save-policy">
                {busy ? t('common.working') : t('action.save')}
              </button>
              {!creating && (
                <button type="button" className="btn btn-danger-ghost" onClick={() => setDeleting(true)} data-testid="delete-policy">
                  {t('action.delete')}
                </button>
              )}
            </div>
          )}
        </form>
      )}
      {deleting && name && (
        <Confirm
          title={t('policies.deleteTitle', { name })}
          confirmLabel={t('action.delete')}
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            await deletePolicy(name);
            onDeleted();
          }}
        >
          {t('policies.deleteText')}
        </Confirm>
      )}
    </Drawer>
  );
}
