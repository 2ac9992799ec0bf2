// Labels and selectors: the rows a form edits, and the center's rules for
// them (keys of letters, digits and ._/- up to 63 bytes, printable values up
// to 255 bytes, at most 64 labels).
import type { Labels } from '../api/types';

export const maxLabels = 64;
export const maxKeyBytes = 63;
export const maxValueBytes = 255;

export interface LabelRow {
  key: string;
  value: string;
}

/** What is wrong with a row (or, for tooMany, with the whole set). */
export type LabelProblem = 'emptyKey' | 'badKey' | 'longKey' | 'badValue' | 'longValue' | 'duplicate' | 'tooMany';

export interface LabelIssue {
  /** The row, or -1 for the whole set. */
  row: number;
  problem: LabelProblem;
  key: string;
}

const keyPattern = /^[A-Za-z0-9._/-]+$/;
// Control characters (C0, DEL, C1) are not printable.
const controlPattern = /[\u0000-\u001f\u007f-\u009f]/;

function byteLength(s: string): number {
  return new TextEncoder().encode(s).length;
}

/** rowsFromLabels lists labels sorted by key. */
export function rowsFromLabels(labels: Labels | null | undefined): LabelRow[] {
  return Object.entries(labels ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => ({ key, value }));
}

/**
 * labelsFromRows checks the rows and builds the labels. Rows with an empty
 * key and value are ignored (a blank line of the form); keys and values are
 * trimmed.
 */
export function labelsFromRows(rows: LabelRow[]): { labels: Labels; issues: LabelIssue[] } {
  // A Map, so that keys such as __proto__ or constructor are plain keys.
  const seen = new Map<string, string>();
  const issues: LabelIssue[] = [];
  let n = 0;
  rows.forEach((r, row) => {
    const key = r.key.trim();
    const value = r.value.trim();
    if (!key && !value) return;
    n++;
    if (!key) issues.push({ row, problem: 'emptyKey', key });
    else if (!keyPattern.test(key)) issues.push({ row, problem: 'badKey', key });
    else if (byteLength(key) > maxKeyBytes) issues.push({ row, problem: 'longKey', key });
    else if (seen.has(key)) issues.push({ row, problem: 'duplicate', key });
    if (controlPattern.test(value)) issues.push({ row, problem: 'badValue', key });
    else if (byteLength(value) > maxValueBytes) issues.push({ row, problem: 'longValue', key });
    if (key && !seen.has(key)) seen.set(key, value);
  });
  if (n > maxLabels) issues.push({ row: -1, problem: 'tooMany', key: '' });
  return { labels: Object.fromEntries(seen), issues };
}

/** parseLabelText reads "k=v, k2=v2" (comma or newline separated) into rows; a part without "=" is a key with an empty value. */
export function parseLabelText(text: string): LabelRow[] {
  return text
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean)
    .map((part) => {
      const i = part.indexOf('=');
      return i < 0 ? { key: part, value: '' } : { key: part.slice(0, i), value: part.slice(i + 1) };
    });
}

/** formatLabels writes labels as sorted k=v pairs joined by ", ". */
export function formatLabels(labels: Labels | null | undefined): string {
  return rowsFromLabels(labels)
    .map((r) => `${r.key}=${r.value}`)
    .join(', ');
}

/** sameLabels compares two label sets. */
export function sameLabels(a: Labels | null | undefined, b: Labels | null | undefined): boolean {
  return formatLabels(a) === formatLabels(b);
}
