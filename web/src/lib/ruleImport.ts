// Importing Sigma rule files: the names and sizes the center accepts,
// checked before sending, and the problems it answers (per file, by line).
import { ApiError } from '../api/client';
import type { RuleProblem } from '../api/types';

export const maxImportFiles = 1000;
export const maxRuleFileBytes = 1 << 20;
export const maxRuleFileName = 255;
export const maxImportBytes = 32 << 20;

export type NameProblem = 'empty' | 'long' | 'absolute' | 'badPart' | 'dotPart' | 'badChars' | 'ruleTest' | 'notYaml';

const partChars = /^[A-Za-z0-9._+-]+$/;

function byteLength(s: string): number {
  return new TextEncoder().encode(s).length;
}

/** checkRuleFileName says what the center would refuse in a file's name, '' when nothing. */
export function checkRuleFileName(name: string): NameProblem | '' {
  if (!name) return 'empty';
  if (byteLength(name) > maxRuleFileName) return 'long';
  if (name.startsWith('/')) return 'absolute';
  const parts = name.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..')) return 'badPart';
  if (parts.some((p) => p.startsWith('.'))) return 'dotPart';
  if (parts.some((p) => !partChars.test(p))) return 'badChars';
  const lower = name.toLowerCase();
  if (lower.endsWith('.test.yml') || lower.endsWith('.test.yaml')) return 'ruleTest';
  if (!lower.endsWith('.yml') && !lower.endsWith('.yaml')) return 'notYaml';
  return '';
}

/** importName is a chosen file's name in the import: the folder (if any) and the file's base name. */
export function importName(folder: string, fileName: string): string {
  const base = fileName.split(/[/\\]/).pop() ?? fileName;
  const dir = folder
    .trim()
    .split('/')
    .filter((p) => p !== '')
    .join('/');
  return dir ? `${dir}/${base}` : base;
}

/** A chosen file, its name in the import and what is wrong with it before sending. */
export interface Chosen {
  name: string;
  size: number;
  problem: NameProblem | 'tooBig' | 'twice' | '';
}

/** checkChosen checks every chosen file (name, size, a name given twice). */
export function checkChosen(files: readonly { name: string; size: number }[]): Chosen[] {
  const seen = new Set<string>();
  return files.map((f) => {
    let problem: Chosen['problem'] = checkRuleFileName(f.name);
    if (!problem && f.size > maxRuleFileBytes) problem = 'tooBig';
    if (!problem && seen.has(f.name)) problem = 'twice';
    seen.add(f.name);
    return { name: f.name, size: f.size, problem };
  });
}

/** importProblems reads the problems of a refused import (422), or null for any other failure. */
export function importProblems(err: unknown): RuleProblem[] | null {
  if (!(err instanceof ApiError) || err.status !== 422) return null;
  const body = err.body as { problems?: unknown } | undefined;
  return Array.isArray(body?.problems) ? (body.problems as RuleProblem[]) : [];
}

/** problemLine is a problem as "file:line: reason" (without the line when there is none). */
export function problemLine(p: RuleProblem): string {
  return p.line ? `${p.file}:${p.line}: ${p.reason}` : `${p.file}: ${p.reason}`;
}

/** groupProblems gathers problems by file (files in the order first met), each file's by line. */
export function groupProblems(problems: readonly RuleProblem[] | null | undefined): { file: string; problems: RuleProblem[] }[] {
  const byFile = new Map<string, RuleProblem[]>();
  for (const p of problems ?? []) byFile.set(p.file, [...(byFile.get(p.file) ?? []), p]);
  return [...byFile].map(([file, list]) => ({ file, problems: [...list].sort((a, b) => (a.line ?? 0) - (b.line ?? 0)) }));
}
