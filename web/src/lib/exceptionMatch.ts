// Exceptions: the match editor's rows (an ECS field and its patterns, one
// a line) checked as the center checks them, the match taken from an
// alert's event, and reading an exception's expiry.
import type { EcsEvent, ExceptionPut, RuleException } from '../api/types';
import { text } from './ecs';

export const maxMatchFields = 32;
export const maxMatchPatterns = 64;
export const maxPatternBytes = 1024;
export const maxFieldBytes = 128;
export const maxFieldParts = 10;
export const maxReasonBytes = 4096;

/** One row of the editor: a field and its patterns, one a line. */
export interface MatchRow {
  field: string;
  patterns: string;
}

export type MatchProblem = 'emptyField' | 'badField' | 'duplicate' | 'noPatterns' | 'tooManyPatterns' | 'longPattern' | 'badPattern' | 'tooManyFields';

export interface MatchIssue {
  /** The row, or -1 for the whole match. */
  row: number;
  problem: MatchProblem;
  field: string;
}

const partPattern = /^[A-Za-z0-9_-]+$/;
// Control characters (C0, DEL, C1) are not printable.
const controlPattern = /[\u0000-\u001f\u007f-\u009f]/;
const controlGlobal = /[\u0000-\u001f\u007f-\u009f]/g;

function byteLength(s: string): number {
  return new TextEncoder().encode(s).length;
}

/** checkFieldPath accepts a dotted ECS field (the first part may start with @, as @timestamp). */
export function checkFieldPath(field: string): boolean {
  if (!field || byteLength(field) > maxFieldBytes) return false;
  const parts = field.split('.');
  if (parts.length > maxFieldParts) return false;
  return parts.every((p, i) => partPattern.test(i === 0 ? p.replace(/^@/, '') : p));
}

/** splitPatterns reads one pattern a line, leaving out blank lines (a pattern keeps its spaces). */
export function splitPatterns(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((s) => s.replace(/\r$/, ''))
    .filter((s) => s.trim() !== '');
}

/**
 * matchFromRows checks the rows and builds the match. A row with neither a
 * field nor a pattern is a blank line of the form and is left out.
 */
export function matchFromRows(rows: readonly MatchRow[]): { match: Record<string, string[]>; issues: MatchIssue[] } {
  const match = new Map<string, string[]>();
  const issues: MatchIssue[] = [];
  let n = 0;
  rows.forEach((r, row) => {
    const field = r.field.trim();
    const patterns = splitPatterns(r.patterns);
    if (!field && patterns.length === 0) return;
    n++;
    if (!field) issues.push({ row, problem: 'emptyField', field });
    else if (!checkFieldPath(field)) issues.push({ row, problem: 'badField', field });
    else if (match.has(field)) issues.push({ row, problem: 'duplicate', field });
    if (patterns.length === 0) issues.push({ row, problem: 'noPatterns', field });
    else if (patterns.length > maxMatchPatterns) issues.push({ row, problem: 'tooManyPatterns', field });
    if (patterns.some((p) => byteLength(p) > maxPatternBytes)) issues.push({ row, problem: 'longPattern', field });
    else if (patterns.some((p) => controlPattern.test(p))) issues.push({ row, problem: 'badPattern', field });
    if (field && !match.has(field)) match.set(field, patterns);
  });
  if (n > maxMatchFields) issues.push({ row: -1, problem: 'tooManyFields', field: '' });
  return { match: Object.fromEntries(match), issues };
}

/** rowsFromMatch lists a match's fields by name, their patterns one a line. */
export function rowsFromMatch(match: Record<string, string[]> | null | undefined): MatchRow[] {
  return Object.entries(match ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([field, patterns]) => ({ field, patterns: patterns.join('\n') }));
}

/**
 * escapePattern makes a pattern that matches value exactly: *, ? and \ are
 * taken literally, and a character that a pattern may not hold (a control
 * character such as a newline) is matched by ? (any one character).
 */
export function escapePattern(value: string): string {
  return value.replace(/[\\*?]/g, (c) => `\\${c}`).replace(controlGlobal, '?');
}

/** The fields an exception made from an event names, by event category, in the order they tell the most. */
const fieldsByCategory: Record<string, string[]> = {
  process: ['process.executable', 'process.command_line', 'process.parent.executable', 'user.name'],
  network: ['process.executable', 'destination.ip', 'destination.port', 'user.name'],
  file: ['file.path', 'process.executable', 'user.name'],
  authentication: ['user.name', 'source.ip'],
  session: ['user.name', 'source.ip'],
  dns: ['dns.question.name', 'process.executable'],
  driver: ['file.path', 'process.executable'],
  package: ['package.name', 'process.executable'],
  iam: ['user.name', 'user.target.name', 'process.executable'],
};
const fallbackFields = ['process.executable', 'process.command_line', 'file.path', 'user.name', 'destination.ip', 'dns.question.name'];

/** eventMatchRows proposes match rows from an alert's event: its main fields, each matching its value exactly. */
export function eventMatchRows(event: EcsEvent | null | undefined): MatchRow[] {
  if (!event) return [];
  const categories = text(event, 'event.category').split(', ').filter(Boolean);
  const fields = categories.map((c) => fieldsByCategory[c]).find(Boolean) ?? fallbackFields;
  const rows: MatchRow[] = [];
  for (const field of fields) {
    const v = text(event, field);
    if (!v || byteLength(v) > maxPatternBytes) continue;
    rows.push({ field, patterns: escapePattern(v) });
  }
  return rows;
}

/** isExpired reports whether an exception has ended at now. */
export function isExpired(e: Pick<RuleException, 'expires_at'>, now: number): boolean {
  if (!e.expires_at) return false;
  const t = Date.parse(e.expires_at);
  return !Number.isNaN(t) && t > Date.parse('1971-01-01T00:00:00Z') && t <= now;
}

/** ExceptionForm is what the dialog edits. */
export interface ExceptionForm {
  ruleId: string;
  agentId: string;
  rows: MatchRow[];
  reason: string;
  /** RFC 3339, or "" for none. */
  expiresAt: string;
}

export type FormProblem = 'noMatch' | 'noReason' | 'longReason' | 'badReason' | 'pastExpiry';

/** checkException checks the form as the center does; the body to send when there is no problem. */
export function checkException(f: ExceptionForm, now: number): { body: ExceptionPut; issues: MatchIssue[]; problems: FormProblem[] } {
  const { match, issues } = matchFromRows(f.rows);
  const problems: FormProblem[] = [];
  const ruleId = f.ruleId.trim();
  const agentId = f.agentId.trim();
  if (Object.keys(match).length === 0 && !ruleId && !agentId) problems.push('noMatch');
  const reason = f.reason;
  if (!reason.trim()) problems.push('noReason');
  else if (byteLength(reason) > maxReasonBytes) problems.push('longReason');
  else if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/.test(reason)) problems.push('badReason');
  if (f.expiresAt) {
    const t = Date.parse(f.expiresAt);
    if (Number.isNaN(t) || t <= now) problems.push('pastExpiry');
  }
  const body: ExceptionPut = { match, reason };
  if (ruleId) body.rule_id = ruleId;
  if (agentId) body.agent_id = agentId;
  if (f.expiresAt) body.expires_at = f.expiresAt;
  return { body, issues, problems };
}
