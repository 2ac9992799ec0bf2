// The ATT&CK coverage: technique names from the coverage answer (the
// console keeps no table of its own), the matrix laid out for display,
// and the periods the page offers.
import type { AttackCell, AttackColumn, AttackCoverage } from '../api/types';

/** A technique's names, with its parent's for a sub-technique. */
export interface TechniqueInfo {
  id: string;
  name: string;
  nameZh: string;
  parent?: { id: string; name: string; nameZh: string };
}

/** parentId is the technique of a sub-technique ("T1059.004" -> "T1059"), "" for a technique. */
export function parentId(id: string): string {
  const i = id.indexOf('.');
  return i < 0 ? '' : id.slice(0, i);
}

/** techniqueIndex collects every technique the coverage names, with its parent's names. */
export function techniqueIndex(cov: AttackCoverage | null | undefined): Map<string, TechniqueInfo> {
  const out = new Map<string, TechniqueInfo>();
  const add = (c: AttackCell) => {
    if (!out.has(c.id) && c.name) out.set(c.id, { id: c.id, name: c.name, nameZh: c.name_zh || '' });
  };
  for (const col of cov?.columns ?? []) {
    for (const c of col.techniques ?? []) {
      add(c);
      for (const s of c.sub_techniques ?? []) add(s);
    }
  }
  for (const c of cov?.unmapped ?? []) add(c);
  for (const info of out.values()) {
    const p = out.get(parentId(info.id));
    if (p) info.parent = { id: p.id, name: p.name, nameZh: p.nameZh };
  }
  return out;
}

/** techniqueName says a technique's name in a language: "Command and Scripting Interpreter: Unix Shell"; "" when unknown. */
export function techniqueName(index: ReadonlyMap<string, TechniqueInfo>, id: string, lang: 'en' | 'zh', withParent = true): string {
  const t = index.get(id.toUpperCase());
  if (!t) return '';
  const own = (lang === 'zh' && t.nameZh) || t.name;
  if (!withParent || !t.parent) return own;
  const parent = (lang === 'zh' && t.parent.nameZh) || t.parent.name;
  return lang === 'zh' ? `${parent}：${own}` : `${parent}: ${own}`;
}

/** techniqueMatches reports whether an alert's technique is id or one of its sub-techniques. */
export function techniqueMatches(techniques: readonly string[] | null | undefined, id: string): boolean {
  const want = id.toUpperCase();
  return (techniques ?? []).some((t) => {
    const u = t.toUpperCase();
    return u === want || (!want.includes('.') && u.startsWith(`${want}.`));
  });
}

/** A cell's colour: fired (by how many alerts, 1 to 3), covered by rules, or neither. */
export type Heat = 'none' | 'covered' | 'fired-1' | 'fired-2' | 'fired-3';

/** heat grades a cell against the largest fired count of the matrix. */
export function heat(covered: number, fired: number, maxFired: number): Heat {
  if (fired > 0) {
    const r = maxFired > 0 ? fired / maxFired : 1;
    return r > 2 / 3 ? 'fired-3' : r > 1 / 3 ? 'fired-2' : 'fired-1';
  }
  return covered > 0 ? 'covered' : 'none';
}

/** What the matrix shows: every technique, those covered by rules, or those with alerts. */
export type Show = 'all' | 'covered' | 'fired';

/** One cell as drawn: a technique or, under an open one, a sub-technique. */
export interface MatrixCell {
  /** Unique in the matrix: tactic and technique. */
  key: string;
  cell: AttackCell;
  sub: boolean;
  heat: Heat;
  /** How many sub-techniques it has (0 for a sub-technique). */
  subs: number;
  open: boolean;
}

export interface MatrixColumn {
  column: AttackColumn;
  cells: MatrixCell[];
  /** Techniques of the column that the filter shows. */
  shown: number;
}

/** cellKey names a technique within its tactic's column (a technique may sit under several tactics). */
export function cellKey(tactic: string, id: string): string {
  return `${tactic}/${id}`;
}

function shows(c: AttackCell, show: Show): boolean {
  if (show === 'covered') return c.total_covered > 0;
  if (show === 'fired') return c.total_fired > 0;
  return true;
}

/** maxFired is the largest fired count of any cell, the scale of the colours. */
export function maxFired(cov: AttackCoverage | null | undefined): number {
  let max = 0;
  for (const col of cov?.columns ?? [])
    for (const c of col.techniques ?? []) {
      max = Math.max(max, c.total_fired);
      for (const s of c.sub_techniques ?? []) max = Math.max(max, s.fired);
    }
  return max;
}

/**
 * layoutMatrix lists, for each tactic, the techniques the filter shows and,
 * under each open one, its sub-techniques (those the filter shows). A
 * technique is coloured by its totals, a sub-technique by its own counts.
 */
export function layoutMatrix(cov: AttackCoverage | null | undefined, show: Show, open: ReadonlySet<string>): MatrixColumn[] {
  const scale = maxFired(cov);
  return (cov?.columns ?? []).map((column) => {
    const cells: MatrixCell[] = [];
    let shown = 0;
    for (const c of column.techniques ?? []) {
      if (!shows(c, show)) continue;
      shown++;
      const key = cellKey(column.tactic.short_name, c.id);
      const subs = c.sub_techniques ?? [];
      const isOpen = subs.length > 0 && open.has(key);
      cells.push({ key, cell: c, sub: false, heat: heat(c.total_covered, c.total_fired, scale), subs: subs.length, open: isOpen });
      if (!isOpen) continue;
      for (const s of subs) {
        if (show === 'covered' && s.covered === 0) continue;
        if (show === 'fired' && s.fired === 0) continue;
        cells.push({ key: cellKey(column.tactic.short_name, s.id), cell: s, sub: true, heat: heat(s.covered, s.fired, scale), subs: 0, open: false });
      }
    }
    return { column, cells, shown };
  });
}

/** expandableKeys are the keys of every technique with sub-techniques (to open them all). */
export function expandableKeys(cov: AttackCoverage | null | undefined): Set<string> {
  const out = new Set<string>();
  for (const col of cov?.columns ?? []) for (const c of col.techniques ?? []) if ((c.sub_techniques ?? []).length > 0) out.add(cellKey(col.tactic.short_name, c.id));
  return out;
}

/** Totals of the matrix, each technique counted once however many tactics it is under. */
export interface CoverageTotals {
  techniques: number;
  covered: number;
  fired: number;
  subTechniques: number;
  subCovered: number;
}

export function coverageTotals(cov: AttackCoverage | null | undefined): CoverageTotals {
  const tech = new Map<string, AttackCell>();
  const subs = new Map<string, AttackCell>();
  for (const col of cov?.columns ?? [])
    for (const c of col.techniques ?? []) {
      tech.set(c.id, c);
      for (const s of c.sub_techniques ?? []) subs.set(s.id, s);
    }
  const all = [...tech.values()];
  return {
    techniques: all.length,
    covered: all.filter((c) => c.total_covered > 0).length,
    fired: all.filter((c) => c.total_fired > 0).length,
    subTechniques: subs.size,
    subCovered: [...subs.values()].filter((c) => c.covered > 0).length,
  };
}

/** findCell returns a technique or sub-technique of the matrix by id, with the tactics it is under. */
export function findCell(cov: AttackCoverage | null | undefined, id: string): { cell: AttackCell; tactics: AttackColumn['tactic'][] } | null {
  let found: AttackCell | null = null;
  const tactics: AttackColumn['tactic'][] = [];
  const want = id.toUpperCase();
  for (const col of cov?.columns ?? []) {
    for (const c of col.techniques ?? []) {
      const hit = c.id === want ? c : (c.sub_techniques ?? []).find((s) => s.id === want);
      if (hit) {
        found = found ?? hit;
        tactics.push(col.tactic);
      }
    }
  }
  if (!found) {
    const u = (cov?.unmapped ?? []).find((c) => c.id === want);
    return u ? { cell: u, tactics: [] } : null;
  }
  return { cell: found, tactics };
}

/** The periods of alerts the matrix counts. */
export const periods = { '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000, '90d': 90 * 86_400_000 } as const;
export type Period = keyof typeof periods;
export const defaultPeriod: Period = '30d';

/** isPeriod tells a known period from any other text. */
export function isPeriod(v: unknown): v is Period {
  return typeof v === 'string' && Object.hasOwn(periods, v);
}

/** periodSince is the start of a period ending at now, to the minute (so that a page asks the same while it stays open). */
export function periodSince(period: Period, now: number): string {
  const t = Math.floor((now - periods[period]) / 60_000) * 60_000;
  return new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
