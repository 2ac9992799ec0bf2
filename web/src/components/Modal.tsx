// A centred dialog over the page, closed by Escape, the close button or a
// click outside; and a confirmation built on it.
import { useEffect, useRef, type ReactNode } from 'react';
import { useI18n } from '../i18n';
import { ErrorBanner } from './feedback';
import { useAction } from './useAction';

interface ModalProps {
  title: ReactNode;
  onClose: () => void;
  children: ReactNode;
  footer?: ReactNode;
  testId?: string;
  wide?: boolean;
}

export function Modal({ title, onClose, children, footer, testId, wide }: ModalProps) {
  const { t } = useI18n();
  const panel = useRef<HTMLDivElement>(null);
  useEffect(() => {
    // Focus the first field, else the dialog itself.
    const first = panel.current?.querySelector<HTMLElement>('input:not([type=hidden]):not([readonly]), textarea:not([readonly]), select');
    (first ?? panel.current)?.focus();
  }, []);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      e.stopPropagation();
      onClose();
    };
    // Capture, so that a drawer below does not close as well.
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [onClose]);
  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className={`modal ${wide ? 'modal-wide' : ''}`} role="dialog" aria-modal="true" data-testid={testId} ref={panel} tabIndex={-1}>
        <header className="modal-head">
          <h2>{title}</h2>
          <button type="button" className="btn btn-ghost" onClick={onClose} aria-label={t('action.close')}>
            ✕
          </button>
        </header>
        <div className="modal-body">{children}</div>
        {footer && <footer className="modal-foot">{footer}</footer>}
      </div>
    </div>
  );
}

interface ConfirmProps {
  title: ReactNode;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => Promise<unknown>;
  onClose: () => void;
  danger?: boolean;
}

/** Confirm asks before an action, runs it, and shows its error (staying open) or closes. */
export function Confirm({ title, children, confirmLabel, onConfirm, onClose, danger = true }: ConfirmProps) {
  const { t } = useI18n();
  const { busy, error, run } = useAction(async () => {
    await onConfirm();
    onClose();
  });
  return (
    <Modal
      title={title}
      onClose={busy ? () => undefined : onClose}
      testId="confirm"
      footer={
        <>
          <button type="button" className="btn" onClick={onClose} disabled={busy}>
            {t('action.cancel')}
          </button>
          <button type="button" className={`btn ${danger ? 'btn-danger' : 'btn-primary'}`} onClick={() => void run()} disabled={busy} data-testid="confirm-ok">
            {busy ? t('common.working') : confirmLabel}
          </button>
        </>
      }
    >
      <ErrorBanner error={error} />
      <div className="confirm-text">{children}</div>
    </Modal>
  );
}
