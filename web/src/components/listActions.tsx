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

interface ConfirmDeleteProps<T extends { id: string }> {
  item: T;
  list: Pick<Paged<T>, 'patch'>;
  title: ReactNode;
  confirmLabel: string;
  /** remove deletes the item on the center */
  remove: (id: string) => Promise<unknown>;
  onClose: () => void;
  children: ReactNode;
}

/** ConfirmDelete asks before deleting an item, then drops it from the listing. */
export function ConfirmDelete<T extends { id: string }>({ item, list, title, confirmLabel, remove, onClose, children }: ConfirmDeleteProps<T>) {
  return (
    <Confirm
      title={title}
      confirmLabel={confirmLabel}
      onClose={onClose}
      onConfirm={async () => {
        await remove(item.id);
        list.patch((items) => items.filter((x) => x.id !== item.id));
      }}
    >
      {children}
    </Confirm>
  );
}
