// A row of tabs (WAI-ARIA tablist): the chosen one is pressed, arrow keys
// move between them.
import { useRef, type KeyboardEvent, type ReactNode } from 'react';

export interface Tab<K extends string> {
  key: K;
  label: ReactNode;
}

interface Props<K extends string> {
  tabs: Tab<K>[];
  value: K;
  onChange: (k: K) => void;
  label: string;
  testId?: string;
}

export function Tabs<K extends string>({ tabs, value, onChange, label, testId }: Props<K>) {
  const list = useRef<HTMLDivElement>(null);
  const onKey = (e: KeyboardEvent) => {
    if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
    const i = tabs.findIndex((t) => t.key === value);
    const next = tabs[(i + (e.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length];
    if (!next) return;
    e.preventDefault();
    onChange(next.key);
    list.current?.querySelector<HTMLButtonElement>(`[data-tab="${next.key}"]`)?.focus();
  };
  return (
    <div className="tabs" role="tablist" aria-label={label} ref={list} onKeyDown={onKey} data-testid={testId}>
      {tabs.map((t) => (
        <button
          key={t.key}
          type="button"
          role="tab"
          className={`tab ${t.key === value ? 'tab-active' : ''}`}
          aria-selected={t.key === value}
          tabIndex={t.key === value ? 0 : -1}
          data-tab={t.key}
          onClick={() => onChange(t.key)}
        >
          {t.label}
        </button>
      ))}
    </div>
  );
}
