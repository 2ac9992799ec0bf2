// A dialog around one form: its error, the form's fields, and cancel and
// submit buttons; with the busy and error state of the action it runs.
import type { FormEvent, ReactNode } from 'react';
import { useI18n } from '../i18n';
import { ErrorBanner } from './feedback';
import { Modal } from './Modal';
import type { Action } from './useAction';

interface Props {
  title: ReactNode;
  onClose: () => void;
  testId: string;
  /** id of the form, tying the submit button to it */
  formId: string;
  formClass?: string;
  submitLabel: string;
  /** data-testid of the submit button */
  submitTestId?: string;
  /** whether the fields allow submitting */
  valid: boolean;
  action: Action;
  /** shown between the error and the form */
  intro?: ReactNode;
  /** a wider dialog, for long forms */
  wide?: boolean;
  children: ReactNode;
}

/** FormDialog shows a form in a dialog and runs its action when valid. */
export function FormDialog({ title, onClose, testId, formId, formClass = 'form', submitLabel, submitTestId, valid, action, intro, wide, children }: Props) {
  const { t } = useI18n();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (valid) void action.run();
  };
  return (
    <Modal
      title={title}
      onClose={onClose}
      testId={testId}
      wide={wide}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            {t('action.cancel')}
          </button>
          <button type="submit" form={formId} className="btn btn-primary" disabled={action.busy || !valid} data-testid={submitTestId}>
            {action.busy ? t('common.working') : submitLabel}
          </button>
        </>
      }
    >
      <ErrorBanner error={action.error} />
      {intro}
      <form id={formId} className={formClass} onSubmit={submit}>
        {children}
      </form>
    </Modal>
  );
}
