// Commands to several agents: what each needs, and the request a form makes.
import type { CommandRequest } from '../api/endpoints';
import type { CommandResult, Role } from '../api/types';
import { checkDuration, minute } from './duration';
import { labelsFromRows, parseLabelText, type LabelIssue } from './labels';

export type CommandName = 'ping' | 'status' | 'collect';

/** The commands the console sends, with the least role for each (docs/api.md). */
export const commandRoles: Record<CommandName, Role> = { ping: 'analyst', status: 'analyst', collect: 'responder' };

export const commandNames = Object.keys(commandRoles) as CommandName[];

/** Collectors offered for collect; any other name may be typed. */
export const knownCollectors = ['host/facts'];

export interface CommandForm {
  command: CommandName;
  /** The collector for collect, e.g. host/facts. */
  collector: string;
  target: 'selected' | 'selector';
  selected: string[];
  selectorText: string;
  timeout: string;
}

export type CommandFormProblem = 'noAgents' | 'noSelector' | 'badSelector' | 'noCollector' | 'badTimeout';

/** buildCommand checks a form and returns the request body, or what is wrong. */
export function buildCommand(
  f: CommandForm,
): { ok: true; body: CommandRequest } | { ok: false; problem: CommandFormProblem; issues?: LabelIssue[] } {
  const body: CommandRequest = { command: f.command };
  if (f.target === 'selected') {
    if (f.selected.length === 0) return { ok: false, problem: 'noAgents' };
    body.agent_ids = [...f.selected];
  } else {
    const { labels, issues } = labelsFromRows(parseLabelText(f.selectorText));
    if (issues.length > 0) return { ok: false, problem: 'badSelector', issues };
    if (Object.keys(labels).length === 0) return { ok: false, problem: 'noSelector' };
    body.selector = labels;
  }
  if (f.command === 'collect') {
    const name = f.collector.trim();
    if (!name) return { ok: false, problem: 'noCollector' };
    body.args = { name };
  }
  const timeout = f.timeout.trim();
  if (timeout) {
    if (checkDuration(timeout, 1000, 5 * minute) !== 'ok') return { ok: false, problem: 'badTimeout' };
    body.timeout = timeout;
  }
  return { ok: true, body };
}

/** tally counts the results that succeeded and failed. */
export function tally(results: CommandResult[] | null | undefined): { ok: number; failed: number } {
  let ok = 0;
  let failed = 0;
  for (const r of results ?? []) {
    if (r.ok) ok++;
    else failed++;
  }
  return { ok, failed };
}
