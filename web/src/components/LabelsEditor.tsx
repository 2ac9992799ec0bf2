// Rows of key and value inputs for labels or a selector, with the center's
// rules checked as one types.
import { useI18n, type MessageKey } from '../i18n';
import { maxKeyBytes, maxLabels, maxValueBytes, type LabelIssue, type LabelProblem, type LabelRow } from '../lib/labels';

const problemKey: Record<LabelProblem, MessageKey> = {
  emptyKey: 'labels.emptyKey',
  badKey: 'labels.badKey',
  longKey: 'labels.longKey',
  badValue: 'labels.badValue',
  longValue: 'labels.longValue',
  duplicate: 'labels.duplicate',
  tooMany: 'labels.tooMany',
};

/** useLabelIssueText turns an issue into a sentence. */
export function useLabelIssueText(): (i: LabelIssue) => string {
  const { t } = useI18n();
  return (i) => t(problemKey[i.problem], { key: i.key, keyMax: maxKeyBytes, valueMax: maxValueBytes, max: maxLabels });
}

interface Props {
  rows: LabelRow[];
  onChange: (rows: LabelRow[]) => void;
  issues: LabelIssue[];
  disabled?: boolean;
  testId?: string;
  /** Text shown when there are no rows. */
  emptyText?: string;
}

export function LabelsEditor({ rows, onChange, issues, disabled, testId, emptyText }: Props) {
  const { t } = useI18n();
  const issueText = useLabelIssueText();
  const set = (i: number, patch: Partial<LabelRow>) => onChange(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const remove = (i: number) => onChange(rows.filter((_, j) => j !== i));
  const whole = issues.filter((x) => x.row < 0);
  return (
    <div className="labels-editor" data-testid={testId}>
      {rows.length === 0 && <div className="hint">{emptyText ?? t('labels.none')}</div>}
      {rows.map((r, i) => {
        const mine = issues.filter((x) => x.row === i);
        return (
          <div key={i} className="label-row">
            <input
              className={`label-key mono ${mine.some((x) => !x.problem.endsWith('Value')) ? 'invalid' : ''}`}
              placeholder={t('labels.key')}
              aria-label={t('labels.key')}
              value={r.key}
              disabled={disabled}
              onChange={(e) => set(i, { key: e.target.value })}
              data-label-key={i}
            />
            <span className="label-eq">=</span>
            <input
              className={`label-value mono ${mine.some((x) => x.problem.endsWith('Value')) ? 'invalid' : ''}`}
              placeholder={t('labels.value')}
              aria-label={t('labels.value')}
              value={r.value}
              disabled={disabled}
              onChange={(e) => set(i, { value: e.target.value })}
              data-label-value={i}
            />
            <button type="button" className="btn btn-ghost btn-small" onClick={() => remove(i)} disabled={disabled} aria-label={t('labels.remove')} title={t('labels.remove')}>
              ✕
            </button>
            {mine.length > 0 && <div className="field-error label-issue">{mine.map(issueText).join(' ')}</div>}
          </div>
        );
      })}
      {whole.map((x) => (
        <div key={x.problem} className="field-error">
          {issueText(x)}
        </div>
      ))}
      <button type="button" className="btn btn-small btn-ghost btn-add" onClick={() => onChange([...rows, { key: '', value: '' }])} disabled={disabled} data-testid="add-label">
        + {t('labels.add')}
      </button>
    </div>
  );
}
