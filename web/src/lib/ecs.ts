// Reading ECS documents: nested objects, with flat dotted keys allowed at
// any level as ECS permits.
import type { EcsEvent } from '../api/types';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function lookup(m: Record<string, unknown>, parts: string[]): unknown {
  for (let i = parts.length; i >= 1; i--) {
    const k = parts.slice(0, i).join('.');
    if (!(k in m)) continue;
    const v = m[k];
    if (i === parts.length) return v;
    if (isObject(v)) {
      const found = lookup(v, parts.slice(i));
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** field returns the value at a dotted path, or undefined. */
export function field(e: EcsEvent, path: string): unknown {
  return lookup(e, path.split('.'));
}

/** text returns the value at path as display text: lists are joined, objects are left out. */
export function text(e: EcsEvent, path: string): string {
  const v = field(e, path);
  if (v === undefined || v === null) return '';
  if (Array.isArray(v)) return v.filter((x) => !isObject(x)).join(', ');
  if (isObject(v)) return '';
  return String(v);
}

/** summary is the one line that best tells what an event is about. */
export function summary(e: EcsEvent): string {
  const msg = text(e, 'message');
  if (msg) return msg;
  for (const p of ['process.command_line', 'process.executable', 'file.path', 'dns.question.name', 'url.full']) {
    const v = text(e, p);
    if (v) return v;
  }
  const src = text(e, 'source.ip');
  const dst = text(e, 'destination.ip');
  if (src || dst) {
    const port = text(e, 'destination.port');
    return `${src || '?'} → ${dst || '?'}${port ? `:${port}` : ''}`;
  }
  return '';
}
