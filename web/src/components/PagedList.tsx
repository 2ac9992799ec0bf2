// The frame of a listing read page by page: a toolbar with its count and
// refresh, the error, loading and empty states, the table and "load more".
import type { ReactNode } from 'react';
import { useI18n } from '../i18n';
import type { Load } from '../lib/hooks';
import type { Paged } from '../lib/usePaged';
import { Empty, ErrorBanner, Loading } from './feedback';

/** Reloadable is the part of a listing that a refresh button needs. */
export type Reloadable = Pick<Paged<unknown>, 'reload' | 'loading'>;

/** reloadable is a one-shot load as a refresh button needs it. */
export function reloadable(load: Pick<Load<unknown>, 'refresh' | 'loading'>): Reloadable {
  return { reload: load.refresh, loading: load.loading };
}

interface ToolbarProps {
  intro: ReactNode;
  /** the count, shown when given */
  count?: ReactNode;
  /** data-testid of the count */
  countTestId?: string;
  list: Reloadable;
  /** the label of the "new" button, shown when given */
  newLabel?: string;
  onNew?: () => void;
  newTestId?: string;
  newDisabled?: boolean;
  newTitle?: string;
  /** other buttons, after the refresh */
  children?: ReactNode;
}

/** ListToolbar shows a listing's introduction, its count, refresh, other buttons and "new". */
export function ListToolbar({ intro, count, countTestId, list, newLabel, onNew, newTestId, newDisabled, newTitle, children }: ToolbarProps) {
  return (
    <div className="toolbar">
      <p className="page-intro">{intro}</p>
      <div className="toolbar-spacer" />
      {count !== undefined && (
        <span className="count" data-testid={countTestId}>
          {count}
        </span>
      )}
      <RefreshButton list={list} />
      {children}
      {newLabel && (
        <button type="button" className="btn btn-primary btn-small" onClick={onNew} disabled={newDisabled} title={newTitle} data-testid={newTestId}>
          {newLabel}
        </button>
      )}
    </div>
  );
}

/** RefreshButton starts a listing over from its first page. */
export function RefreshButton({ list }: { list: Reloadable }) {
  const { t } = useI18n();
  return (
    <button type="button" className="btn btn-small" onClick={list.reload} disabled={list.loading}>
      {t('action.refresh')}
    </button>
  );
}

/** Column is a table column's header: its text, or its text and class (none for an actions column). */
export type Column = ReactNode | { label?: ReactNode; className: string };

interface BodyProps<T> {
  list: Paged<T>;
  /** the text shown when the listing has no items */
  empty: ReactNode;
  /** data-testid of the table */
  testId: string;
  /** the table's columns: a header text, or its text and class */
  columns: Column[];
  /** the table's rows */
  children: ReactNode;
  /** another error to show when the listing itself has none */
  error?: unknown;
  /** data-testid of the "load more" button */
  moreTestId?: string;
}

/** PagedTable shows a listing's error, loading and empty states, its table and "load more". */
export function PagedTable<T>({ list, empty, testId, columns, children, error, moreTestId }: BodyProps<T>) {
  const { t } = useI18n();
  return (
    <>
      <ErrorBanner error={list.error ?? error} onRetry={list.error || error === undefined ? list.reload : undefined} />
      {list.initial ? (
        <Loading />
      ) : list.items.length === 0 && !list.error ? (
        <Empty>{empty}</Empty>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid={testId}>
            <thead>
              <tr>
                {columns.map((c, i) =>
                  c !== null && typeof c === 'object' && 'className' in c ? (
                    <th key={i} className={c.className}>
                      {c.label}
                    </th>
                  ) : (
                    <th key={i}>{c}</th>
                  ),
                )}
              </tr>
            </thead>
            <tbody>{children}</tbody>
          </table>
        </div>
      )}
      {list.nextCursor && (
        <div className="more">
          <button type="button" className="btn" onClick={list.loadMore} disabled={list.loading} data-testid={moreTestId}>
            {list.loading ? t('common.loading') : t('action.loadMore')}
          </button>
        </div>
      )}
    </>
  );
}
