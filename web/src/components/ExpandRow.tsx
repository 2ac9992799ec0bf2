// A table row that opens, on click or Enter, a full-width row below it.
import { Fragment, useState, type ReactNode } from 'react';

interface Props {
  open: boolean;
  onToggle: () => void;
  /** data-* attributes of the row */
  data: Record<`data-${string}`, string | number | undefined>;
  /** the number of columns the opened row spans */
  span: number;
  /** the row's cells after the toggle mark */
  children: ReactNode;
  /** what the opened row shows */
  detail: () => ReactNode;
  /** more classes of the row */
  className?: string;
  /** the row's text on hover */
  title?: string;
}

/** ExpandRow is a clickable row with a ▸/▾ mark and its detail row when open. */
export function ExpandRow({ open, onToggle, data, span, children, detail, className, title }: Props) {
  return (
    <Fragment>
      <tr
        className={`clickable ${open ? 'selected' : ''} ${className ?? ''}`.trim()}
        {...data}
        title={title}
        tabIndex={0}
        onClick={onToggle}
        onKeyDown={(ev) => ev.key === 'Enter' && onToggle()}
        aria-expanded={open}
      >
        <td className="c-toggle">{open ? '▾' : '▸'}</td>
        {children}
      </tr>
      {open && (
        <tr className="expanded">
          <td colSpan={span}>{detail()}</td>
        </tr>
      )}
    </Fragment>
  );
}

/** useOpenRows remembers which rows are open, by key. */
export function useOpenRows<K extends string | number>() {
  const [open, setOpen] = useState<Partial<Record<K, boolean>>>({});
  return {
    isOpen: (k: K) => !!open[k],
    toggle: (k: K) => setOpen({ ...open, [k]: !open[k] }),
    closeAll: () => setOpen({}),
  };
}
