// The agent policy document as text in an editor: parsing with a position
// for syntax errors, and pretty printing. The center checks the content.

export type SpecParse =
  | { ok: true; value: Record<string, unknown> }
  | { ok: false; code: 'empty' | 'notObject' | 'syntax'; message: string; line?: number; column?: number };

/** exampleSpec is what a new policy starts from. */
export const exampleSpec = {
  collectors: { 'host/facts': { enabled: true, intervalSeconds: 3600 } },
  budget: { cpuPercent: 2 },
};

/** lineColumn turns an offset in text into a 1-based line and column. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: (lines[lines.length - 1] ?? '').length + 1 };
}

/** parseSpec reads editor text as one JSON object. */
export function parseSpec(text: string): SpecParse {
  if (!text.trim()) return { ok: false, code: 'empty', message: '' };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const lc = /line (\d+) column (\d+)/.exec(message);
    if (lc) return { ok: false, code: 'syntax', message, line: Number(lc[1]), column: Number(lc[2]) };
    const pos = /position (\d+)/.exec(message);
    if (pos) return { ok: false, code: 'syntax', message, ...lineColumn(text, Number(pos[1])) };
    return { ok: false, code: 'syntax', message };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ok: false, code: 'notObject', message: '' };
  return { ok: true, value: v as Record<string, unknown> };
}

/** formatSpec pretty-prints a spec (an object, or JSON text of one) with two-space indents. */
export function formatSpec(spec: unknown): string {
  let v = spec;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      return v as string;
    }
  }
  return JSON.stringify(v ?? {}, null, 2);
}
