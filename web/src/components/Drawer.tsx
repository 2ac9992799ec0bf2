// A panel sliding over the right of a listing, closed by Escape, the close
// button or a click outside.
import { useEffect, useRef, type ReactNode } from 'react';
import { useI18n } from '../i18n';

interface DrawerProps {
  title: ReactNode;
  subtitle?: ReactNode;
  onClose: () => void;
  children: ReactNode;
  testId?: string;
  /** Shown under the header, outside the scrolling body (tabs). */
  nav?: ReactNode;
  /** A wider panel, for tables. */
  wide?: boolean;
}

export function Drawer({ title, subtitle, onClose, children, testId, nav, wide }: DrawerProps) {
  const { t } = useI18n();
  const panel = useRef<HTMLElement>(null);
  useEffect(() => {
    panel.current?.focus();
  }, []);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      // Escape in a comment being written does not throw the text away,
      // and in a search box with text it clears the box (the browser's way).
      if (e.key !== 'Escape') return;
      if (e.target instanceof HTMLTextAreaElement && e.target.value) return;
      if (e.target instanceof HTMLInputElement && e.target.type === 'search' && e.target.value) return;
      onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
  return (
    <div className="drawer-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <aside className={wide ? 'drawer drawer-wide' : 'drawer'} role="dialog" aria-modal="true" data-testid={testId} ref={panel} tabIndex={-1}>
        <header className="drawer-head">
          <div>
            <h2>{title}</h2>
            {subtitle && <div className="drawer-sub">{subtitle}</div>}
          </div>
          <button type="button" className="btn btn-ghost" onClick={onClose} aria-label={t('action.close')}>
            ✕
          </button>
        </header>
        {nav}
        <div className="drawer-body">{children}</div>
      </aside>
    </div>
  );
}

/** Section is a titled block inside a drawer. */
export function Section({ title, children, actions }: { title: ReactNode; children: ReactNode; actions?: ReactNode }) {
  return (
    <section className="section">
      <div className="section-head">
        <h3>{title}</h3>
        {actions}
      </div>
      {children}
    </section>
  );
}

/** Facts is a two-column list of names and values (className changes the columns). */
export function Facts({ rows, className }: { rows: [ReactNode, ReactNode][]; className?: string }) {
  return (
    <dl className={className ? `facts ${className}` : 'facts'}>
      {rows.map(([k, v], i) => (
        <div key={i} className="fact">
          <dt>{k}</dt>
          <dd>{v === '' || v === undefined || v === null ? <span className="muted">—</span> : v}</dd>
        </div>
      ))}
    </dl>
  );
}
