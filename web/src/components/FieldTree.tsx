// A fields document (ECS-style nested objects) as a tree: objects open and
// close, leaves show their value with its type's colour. Rendered as text
// nodes only. Very deep documents are cut at a depth, the rest shown as JSON.
import { useState, type ReactNode } from 'react';
import { useI18n } from '../i18n';
import { showValue } from '../lib/inventory';

/** How deep the tree goes before the rest of a branch is shown as JSON. */
export const fieldTreeDepth = 16;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** isBranch tells a node with children: an object with keys, or a list holding objects or lists. */
function isBranch(v: unknown): boolean {
  if (isObject(v)) return Object.keys(v).length > 0;
  return Array.isArray(v) && v.some((x) => isObject(x) || Array.isArray(x));
}

function entries(v: unknown): [string, unknown][] {
  if (Array.isArray(v)) return v.map((x, i) => [`[${i}]`, x]);
  return isObject(v) ? Object.entries(v) : [];
}

function valueClass(v: unknown): string {
  if (Array.isArray(v) && v.length > 0) return valueClass(v[0]);
  if (typeof v === 'number') return 'ft-num';
  if (typeof v === 'boolean' || v === null) return 'ft-lit';
  return 'ft-str';
}

interface Props {
  value: unknown;
  testId?: string;
}

/** FieldTree shows a document's fields, every branch open at first. */
export function FieldTree({ value, testId }: Props) {
  const { t } = useI18n();
  const [closed, setClosed] = useState<ReadonlySet<string>>(new Set());
  const toggle = (path: string) => {
    const next = new Set(closed);
    if (!next.delete(path)) next.add(path);
    setClosed(next);
  };
  if (!isObject(value) || Object.keys(value).length === 0) {
    return <p className="hint">{t('inv.noFields')}</p>;
  }

  const render = (v: unknown, path: string, depth: number): ReactNode => (
    <ul className={depth === 0 ? 'ftree' : 'ftree-sub'}>
      {entries(v).map(([k, x]) => {
        const p = path ? (k.startsWith('[') ? `${path}${k}` : `${path}.${k}`) : k;
        if (!isBranch(x)) {
          return (
            <li key={k} className="ft-leaf" data-path={p}>
              <span className="ft-key">{k}</span>
              <span className={`ft-val ${valueClass(x)}`}>{x === '' ? '""' : showValue(x)}</span>
            </li>
          );
        }
        const open = !closed.has(p);
        const kids = entries(x).length;
        return (
          <li key={k} className="ft-node" data-path={p}>
            <button type="button" className="ft-toggle" aria-expanded={open} onClick={() => toggle(p)} title={open ? t('inv.collapse') : t('inv.expand')}>
              <span className="ft-mark">{open ? '▾' : '▸'}</span>
              <span className="ft-key">{k}</span>
              {!open && <span className="ft-count">{kids}</span>}
            </button>
            {open && (depth + 1 >= fieldTreeDepth ? <pre className="ft-deep">{JSON.stringify(x, null, 2)}</pre> : render(x, p, depth + 1))}
          </li>
        );
      })}
    </ul>
  );
  return (
    <div className="ftree-wrap" data-testid={testId}>
      {render(value, '', 0)}
    </div>
  );
}
