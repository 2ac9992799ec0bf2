// Importing Sigma rule files (responder): the chosen .yml files, their
// names in the import (an optional folder before them) checked as the
// center checks them, and force; then what the center said: the problems
// of each file by line (a 422 stores nothing), or what was stored,
// skipped and why.
import { useState } from 'react';
import { importRules, type ImportFile } from '../api/detect';
import type { RuleImportResult, RuleProblem } from '../api/types';
import { ErrorBanner } from '../components/feedback';
import { Modal } from '../components/Modal';
import { useI18n, type MessageKey } from '../i18n';
import { bytes } from '../lib/format';
import { checkChosen, groupProblems, importName, importProblems, maxImportFiles, maxRuleFileBytes, problemLine, type Chosen } from '../lib/ruleImport';

interface Picked {
  file: File;
  name: string;
}

interface Props {
  onClose: () => void;
  /** Files were stored: the listings read again. */
  onImported: () => void;
}

const problemKey: Record<Exclude<Chosen['problem'], ''>, MessageKey> = {
  empty: 'import.name.empty',
  long: 'import.name.long',
  absolute: 'import.name.absolute',
  badPart: 'import.name.badPart',
  dotPart: 'import.name.dotPart',
  badChars: 'import.name.badChars',
  ruleTest: 'import.name.ruleTest',
  notYaml: 'import.name.notYaml',
  tooBig: 'import.name.tooBig',
  twice: 'import.name.twice',
};

export function RuleImportDialog({ onClose, onImported }: Props) {
  const { t } = useI18n();
  const [files, setFiles] = useState<File[]>([]);
  const [folder, setFolder] = useState('');
  const [force, setForce] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [refused, setRefused] = useState<{ message: string; problems: RuleProblem[] } | null>(null);
  const [result, setResult] = useState<RuleImportResult | null>(null);
  const picked: Picked[] = files.map((file) => ({ file, name: importName(folder, file.name) }));
  const chosen = checkChosen(picked.map((p) => ({ name: p.name, size: p.file.size })));
  const tooMany = picked.length > maxImportFiles;
  const ready = picked.length > 0 && !tooMany && chosen.every((c) => !c.problem);

  const send = async () => {
    setBusy(true);
    setError(null);
    setRefused(null);
    setResult(null);
    try {
      const body: ImportFile[] = await Promise.all(picked.map(async (p) => ({ name: p.name, content: await p.file.text() })));
      const res = await importRules(body, force);
      setResult(res);
      if ((res.stored ?? []).length > 0) onImported();
    } catch (err) {
      const problems = importProblems(err);
      if (problems) setRefused({ message: err instanceof Error ? err.message : String(err), problems });
      else setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      title={t('import.title')}
      onClose={busy ? () => undefined : onClose}
      testId="import-dialog"
      wide
      footer={
        <>
          <button type="button" className="btn" onClick={onClose} disabled={busy}>
            {result ? t('action.done') : t('action.cancel')}
          </button>
          {!result && (
            <button type="button" className="btn btn-primary" onClick={() => void send()} disabled={busy || !ready} data-testid="import-send">
              {busy ? t('common.working') : force ? t('import.sendForce') : t('import.send')}
            </button>
          )}
        </>
      }
    >
      <p className="hint">{t('import.intro', { max: maxImportFiles, size: bytes(maxRuleFileBytes) })}</p>
      <ErrorBanner error={error} />
      <div className="form">
        <label>
          <span>{t('import.files')}</span>
          <input
            name="files"
            type="file"
            multiple
            accept=".yml,.yaml"
            data-testid="import-files"
            onChange={(e) => {
              setFiles(Array.from(e.target.files ?? []));
              setRefused(null);
              setResult(null);
            }}
          />
        </label>
        <label>
          <span>{t('import.folder')}</span>
          <input name="folder" className="mono" value={folder} onChange={(e) => setFolder(e.target.value)} placeholder="custom/linux" autoComplete="off" />
          <small className="hint">{t('import.folderHint')}</small>
        </label>
        <label className="check-inline">
          <input type="checkbox" name="force" checked={force} onChange={(e) => setForce(e.target.checked)} />
          <span>{t('import.force')}</span>
        </label>
        <small className="hint">{t('import.forceHint')}</small>
      </div>
      {picked.length > 0 && (
        <table className="table table-compact" data-testid="import-chosen">
          <thead>
            <tr>
              <th>{t('import.col.name')}</th>
              <th className="num">{t('ruleFiles.col.size')}</th>
              <th>{t('import.col.check')}</th>
            </tr>
          </thead>
          <tbody>
            {chosen.map((c, i) => (
              <tr key={`${c.name}-${i}`} data-file={c.name} data-ok={!c.problem}>
                <td className="mono small">{c.name}</td>
                <td className="num small">{bytes(c.size)}</td>
                <td className={c.problem ? 'field-error' : 'muted small'}>{c.problem ? t(problemKey[c.problem], { max: bytes(maxRuleFileBytes) }) : t('import.nameOk')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {tooMany && <div className="field-error">{t('import.tooMany', { max: maxImportFiles })}</div>}
      {refused && (
        <div className="import-refused" data-testid="import-problems" role="alert">
          <div className="error-banner">
            <strong>{t('import.refused')}</strong>
            <span className="error-message">{refused.message}</span>
          </div>
          <ProblemsByFile problems={refused.problems} />
          {!force && <p className="hint">{t('import.refusedHint')}</p>}
        </div>
      )}
      {result && <ImportResult result={result} />}
    </Modal>
  );
}

/** ProblemsByFile lists problems under their file, each as file:line: reason. */
export function ProblemsByFile({ problems }: { problems: readonly RuleProblem[] }) {
  return (
    <div className="problems-by-file">
      {groupProblems(problems).map((g) => (
        <div key={g.file} className="problem-file" data-file={g.file}>
          <div className="mono strong">{g.file}</div>
          <ul>
            {g.problems.map((p, i) => (
              <li key={i} className="mono small" data-line={p.line ?? 0}>
                {problemLine(p)}
                {p.title && <span className="muted"> ({p.title})</span>}
              </li>
            ))}
          </ul>
        </div>
      ))}
    </div>
  );
}

function ImportResult({ result }: { result: RuleImportResult }) {
  const { t } = useI18n();
  const stored = result.stored ?? [];
  const skipped = result.skipped ?? [];
  const problems = result.problems ?? [];
  return (
    <div className="import-result" data-testid="import-result">
      <div className={stored.length > 0 ? 'ok-banner' : 'warn-banner'}>{t('import.done', { stored: stored.length, skipped: skipped.length })}</div>
      {stored.length > 0 && (
        <ul className="import-stored">
          {stored.map((s) => (
            <li key={s.name} data-file={s.name}>
              <span className="mono">{s.name}</span> · {s.created ? t('import.created') : t('import.replaced')} · {t('import.rules', { n: s.rules })}
            </li>
          ))}
        </ul>
      )}
      {(skipped.length > 0 || problems.length > 0) && (
        <div data-testid="import-problems">
          <div className="strong">{skipped.length > 0 ? t('import.skipped', { files: skipped.join(', ') }) : t('import.problems')}</div>
          <ProblemsByFile problems={problems} />
        </div>
      )}
    </div>
  );
}
