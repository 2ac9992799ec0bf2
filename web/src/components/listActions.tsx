// Creating items of a listing with their secret shown once, and deleting
// them after a confirmation.
import { useState, type ReactNode } from 'react';
import type { Paged } from '../lib/usePaged';
import { Confirm } from './Modal';

/** useCreateOnce tracks the creation dialog and the item just created, whose secret shows once. */
export function useCreateOnce<T>(list: Pick<Paged<T>, 'reload'>) {
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<T | null>(null);
  return {
    creating,
    created,
    start: () => setCreating(true),
    cancel: () => setCreating(false),
    done: () => setCreated(null),
    onCreated: (item: T) => {
      setCreating(false);
      setCreated(item);
      list.reload();
    },
  };
}

/** DeleteButton is a row's delete action. */
export function DeleteButton({ onClick, children }: { onClick: () => void; children: ReactNode }) {
  return (
    <button type="button" className="btn btn-small btn-danger-ghost" onClick={onClick} data-action="delete">
      {children}
    </button>
  );
}

interface BaseConfirmDeleteProps<T> {
  item: T;
  /** the listing the item is dropped from once deleted */
  list?: Pick<Paged<T>, 'patch'>;
  title: ReactNode;
  confirmLabel: string;
  /** remove deletes the item on the center, given its key */
  remove: (key: string) => Promise<unknown>;
  /** called once the item is deleted */
  onDeleted?: () => void;
  onClose: () => void;
  children: ReactNode;
}

/** An item is known to the center by its id, or by the key keyOf tells (required of items without an id). */
type KeyProps<T> = T extends { id: string } ? { keyOf?: (item: T) => string } : { keyOf: (item: T) => string };

type ConfirmDeleteProps<T> = BaseConfirmDeleteProps<T> & KeyProps<T>;

const idOf = (item: unknown) => (item as { id: string }).id;

/** ConfirmDelete asks before deleting an item, then drops it from the listing. */
export function ConfirmDelete<T>(props: ConfirmDeleteProps<T>) {
  const { item, list, title, confirmLabel, remove, onDeleted, onClose, children } = props;
  const keyOf: (item: T) => string = (props as { keyOf?: (item: T) => string }).keyOf ?? idOf;
  return (
    <Confirm
      title={title}
      confirmLabel={confirmLabel}
      onClose={onClose}
      onConfirm={async () => {
        const key = keyOf(item);
        await remove(key);
        list?.patch((items) => items.filter((x) => keyOf(x) !== key));
        onDeleted?.();
      }}
    >
      {children}
    </Confirm>
  );
}
