// The ATT&CK matrix of the fake center, laid out as the center's coverage
// answer from the center's own table of tactics and techniques
// (internal/attack/data): every active technique under each of its
// tactics, by name, its sub-techniques of that tactic under it, with the
// counts given (covered rules, fired alerts) and their totals; ids the
// matrix does not show are listed apart. Names are never made up here.
import { readFileSync } from 'node:fs';

const dataDir = new URL('../../internal/attack/data/', import.meta.url);

/** rows reads a tab-separated table, leaving out comments and blank lines. */
function rows(file) {
  return readFileSync(new URL(file, dataDir), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'));
}

/** loadAttack reads the table once: tactics in matrix order, techniques by id, the version. */
export function loadAttack() {
  const tactics = rows('tactics.tsv').map((l) => {
    const [id, short, name, zh] = l.split('\t');
    return { id, short_name: short, name, name_zh: zh };
  });
  const techniques = new Map();
  let version = '';
  for (const l of rows('techniques.tsv')) {
    const f = l.split('\t');
    if (f[0] === '@version') {
      version = f[1];
      continue;
    }
    const [id, tacticList, , name, zh, status, revokedBy] = f;
    techniques.set(id, { id, tactics: tacticList.split(','), name, name_zh: zh, status, revoked_by: revokedBy === '-' ? '' : revokedBy });
  }
  return { tactics, techniques, version };
}

/** place returns the id counts are kept under (a revoked id counts for its replacement) and whether the matrix shows it. */
function place(table, key) {
  let id = String(key).trim().toUpperCase();
  const seen = new Set();
  for (let t = table.techniques.get(id); t && t.status === 'revoked' && t.revoked_by && !seen.has(id); t = table.techniques.get(id)) {
    seen.add(id);
    id = t.revoked_by;
  }
  const t = table.techniques.get(id);
  return [id, !!t && t.status === 'active'];
}

const byName = (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * matrix lays out the coverage of covered and fired (counts by technique
 * id) as GET /attack/coverage answers it, without rules, since, alerts and
 * truncated, which the caller adds.
 */
export function matrix(table, covered, fired) {
  const shown = new Map();
  const hidden = new Map();
  const tally = (counts, key) => {
    for (const [k, n] of Object.entries(counts)) {
      if (n <= 0) continue;
      const [id, inMatrix] = place(table, k);
      const dst = inMatrix ? shown : hidden;
      const c = dst.get(id) ?? { covered: 0, fired: 0 };
      c[key] += n;
      dst.set(id, c);
    }
  };
  tally(covered, 'covered');
  tally(fired, 'fired');
  const cell = (t) => {
    const c = shown.get(t.id) ?? { covered: 0, fired: 0 };
    return { id: t.id, name: t.name, ...(t.name_zh ? { name_zh: t.name_zh } : {}), covered: c.covered, fired: c.fired, total_covered: c.covered, total_fired: c.fired };
  };
  const active = [...table.techniques.values()].filter((t) => t.status === 'active');
  const columns = table.tactics.map((tactic) => {
    const techniques = [];
    let coveredTechniques = 0;
    let firedTechniques = 0;
    for (const t of active) {
      if (t.id.includes('.') || !t.tactics.includes(tactic.short_name)) continue;
      const c = cell(t);
      const subs = active.filter((s) => s.id.startsWith(`${t.id}.`) && s.tactics.includes(tactic.short_name)).map(cell).sort(byName);
      for (const s of subs) {
        c.total_covered += s.covered;
        c.total_fired += s.fired;
      }
      if (subs.length > 0) c.sub_techniques = subs;
      if (c.total_covered > 0) coveredTechniques++;
      if (c.total_fired > 0) firedTechniques++;
      techniques.push(c);
    }
    techniques.sort(byName);
    return { tactic, techniques, covered_techniques: coveredTechniques, fired_techniques: firedTechniques };
  });
  const unmapped = [...hidden]
    .map(([id, c]) => {
      const t = table.techniques.get(id);
      return { id, name: t?.name ?? '', ...(t?.name_zh ? { name_zh: t.name_zh } : {}), covered: c.covered, fired: c.fired, total_covered: c.covered, total_fired: c.fired };
    })
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  const cov = { version: table.version, columns };
  if (unmapped.length > 0) cov.unmapped = unmapped;
  return cov;
}
