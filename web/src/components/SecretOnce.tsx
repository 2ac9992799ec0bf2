// The one time a new secret is shown: a warning, the secret to copy, and
// what else the caller adds.
import type { ReactNode } from 'react';
import { useI18n } from '../i18n';
import { CopyField } from './CopyField';
import { Modal } from './Modal';

interface Props {
  title: ReactNode;
  onClose: () => void;
  testId: string;
  /** label of the secret's field */
  label: string;
  secret: string;
  /** data-testid of the secret's field */
  secretTestId: string;
  children?: ReactNode;
}

/** SecretOnce shows a secret that cannot be read again, until "done". */
export function SecretOnce({ title, onClose, testId, label, secret, secretTestId, children }: Props) {
  const { t } = useI18n();
  return (
    <Modal
      title={title}
      onClose={onClose}
      testId={testId}
      wide
      footer={
        <button type="button" className="btn btn-primary" onClick={onClose} data-testid="done">
          {t('action.done')}
        </button>
      }
    >
      <div className="warn-banner">{t('secret.once')}</div>
      <CopyField label={label} value={secret} testId={secretTestId} multiline />
      {children}
    </Modal>
  );
}
