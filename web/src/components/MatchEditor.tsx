// The match of an exception: rows of an ECS field and its patterns (one a
// line), with the center's rules checked as one types.
import { useI18n, type MessageKey } from '../i18n';
import { maxFieldBytes, maxMatchFields, maxMatchPatterns, maxPatternBytes, type MatchIssue, type MatchProblem, type MatchRow } from '../lib/exceptionMatch';

const problemKey: Record<MatchProblem, MessageKey> = {
  emptyField: 'match.emptyField',
  badField: 'match.badField',
  duplicate: 'match.duplicate',
  noPatterns: 'match.noPatterns',
  tooManyPatterns: 'match.tooManyPatterns',
  longPattern: 'match.longPattern',
  badPattern: 'match.badPattern',
  tooManyFields: 'match.tooManyFields',
};

/** Fields offered as suggestions; any dotted ECS field may be typed. */
export const suggestedFields = [
  'process.executable',
  'process.name',
  'process.command_line',
  'process.parent.executable',
  'process.parent.name',
  'process.parent.command_line',
  'process.working_directory',
  'user.name',
  'file.path',
  'file.hash.sha256',
  'source.ip',
  'destination.ip',
  'destination.port',
  'dns.question.name',
  'host.name',
  'container.id',
];

/** useMatchIssueText turns an issue into a sentence. */
export function useMatchIssueText(): (i: MatchIssue) => string {
  const { t } = useI18n();
  return (i) => t(problemKey[i.problem], { field: i.field, max: maxMatchFields, patterns: maxMatchPatterns, bytes: maxPatternBytes, fieldBytes: maxFieldBytes });
}

interface Props {
  rows: MatchRow[];
  onChange: (rows: MatchRow[]) => void;
  issues: MatchIssue[];
  disabled?: boolean;
}

export function MatchEditor({ rows, onChange, issues, disabled }: Props) {
  const { t } = useI18n();
  const issueText = useMatchIssueText();
  const set = (i: number, patch: Partial<MatchRow>) => onChange(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const remove = (i: number) => onChange(rows.filter((_, j) => j !== i));
  const whole = issues.filter((x) => x.row < 0);
  return (
    <div className="match-editor" data-testid="match-editor">
      {rows.length === 0 && <div className="hint">{t('match.none')}</div>}
      {rows.map((r, i) => {
        const mine = issues.filter((x) => x.row === i);
        const fieldBad = mine.some((x) => ['emptyField', 'badField', 'duplicate'].includes(x.problem));
        const patternsBad = mine.some((x) => !['emptyField', 'badField', 'duplicate'].includes(x.problem));
        return (
          <div key={i} className="match-row" data-match-row={i}>
            <input
              className={`match-field mono ${fieldBad ? 'invalid' : ''}`}
              list="match-fields"
              placeholder={t('match.field')}
              aria-label={t('match.field')}
              value={r.field}
              disabled={disabled}
              onChange={(e) => set(i, { field: e.target.value })}
              data-match-field={i}
            />
            <span className="match-arrow">→</span>
            <textarea
              className={`match-patterns mono ${patternsBad ? 'invalid' : ''}`}
              rows={Math.min(4, Math.max(1, r.patterns.split('\n').length))}
              placeholder={t('match.patterns')}
              aria-label={t('match.patterns')}
              value={r.patterns}
              disabled={disabled}
              spellCheck={false}
              onChange={(e) => set(i, { patterns: e.target.value })}
              data-match-patterns={i}
            />
            <button type="button" className="btn btn-ghost btn-small" onClick={() => remove(i)} disabled={disabled} aria-label={t('match.remove')} title={t('match.remove')}>
              ✕
            </button>
            {mine.length > 0 && <div className="field-error match-issue">{mine.map(issueText).join(' ')}</div>}
          </div>
        );
      })}
      {whole.map((x) => (
        <div key={x.problem} className="field-error">
          {issueText(x)}
        </div>
      ))}
      <datalist id="match-fields">
        {suggestedFields.map((f) => (
          <option key={f} value={f} />
        ))}
      </datalist>
      <button type="button" className="btn btn-small btn-ghost btn-add" onClick={() => onChange([...rows, { field: '', patterns: '' }])} disabled={disabled} data-testid="add-match">
        + {t('match.add')}
      </button>
      <p className="hint">{t('match.help')}</p>
    </div>
  );
}
