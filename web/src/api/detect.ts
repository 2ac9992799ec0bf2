// Routes of detection: incidents, rules and their settings, imported rule
// files, exceptions and the ATT&CK coverage.
import { request, requestText } from './client';
import type {
  Alert,
  AttackCoverage,
  ExceptionPut,
  Incident,
  IncidentStateChange,
  Listing,
  Rule,
  RuleException,
  RuleFile,
  RuleImportResult,
  RuleProblem,
  Severity,
  Timeline,
} from './types';

const one = (s: string) => encodeURIComponent(s);

export interface IncidentFilter {
  state?: string;
  severity?: string;
  agent_id?: string;
  cursor?: string;
}

export function listIncidents(f: IncidentFilter, signal?: AbortSignal): Promise<Listing<Incident>> {
  return request('GET', '/incidents', { query: { ...f, limit: 100 }, signal });
}

export function getIncident(id: string, signal?: AbortSignal): Promise<Incident> {
  return request('GET', `/incidents/${one(id)}`, { signal });
}

export function setIncidentState(id: string, body: IncidentStateChange): Promise<Incident> {
  return request('POST', `/incidents/${one(id)}/state`, { body });
}

export function incidentAlerts(id: string, cursor: string, signal?: AbortSignal): Promise<Listing<Alert>> {
  return request('GET', `/incidents/${one(id)}/alerts`, { query: { cursor, limit: 100 }, signal });
}

/** incidentTimeline reads what happened from `before` the first alert to `after` the last (Go durations). */
export function incidentTimeline(id: string, span: { before?: string; after?: string }, signal?: AbortSignal): Promise<Timeline> {
  return request('GET', `/incidents/${one(id)}/timeline`, { query: span, signal });
}

export interface RuleFilter {
  q?: string;
  kind?: string;
  level?: string;
  status?: string;
  source?: string;
  technique?: string;
  /** "true", "false" or "" for both. */
  disabled?: string;
  cursor?: string;
  limit?: number;
}

export function listRules(f: RuleFilter, signal?: AbortSignal): Promise<Listing<Rule>> {
  return request('GET', '/rules', { query: { ...f, limit: f.limit ?? 100 }, signal });
}

export function getRule(id: string, signal?: AbortSignal): Promise<Rule> {
  return request('GET', `/rules/${one(id)}`, { signal });
}

/** ruleSource is the YAML file the rule is in, unchanged. */
export function ruleSource(id: string, signal?: AbortSignal): Promise<string> {
  return requestText('GET', `/rules/${one(id)}/source`, { signal });
}

/** putRuleSetting switches a rule off or on and chooses its alerts' severity ("" keeps its level's); answers the rule. */
export function putRuleSetting(id: string, setting: { disabled: boolean; severity: Severity | '' }): Promise<Rule> {
  return request('PUT', `/rules/${one(id)}/setting`, { body: setting });
}

/** deleteRuleSetting puts a rule back to its defaults. */
export function deleteRuleSetting(id: string): Promise<void> {
  return request('DELETE', `/rules/${one(id)}/setting`);
}

export function ruleProblems(cursor: string, signal?: AbortSignal): Promise<Listing<RuleProblem>> {
  return request('GET', '/rules/problems', { query: { cursor, limit: 1000 }, signal });
}

/** One file of an import: its relative name and YAML text. */
export interface ImportFile {
  name: string;
  content: string;
}

/**
 * importRules sends rule files. A file with a problem and no force is an
 * ApiError 422 whose body lists the problems (see importProblems).
 */
export function importRules(files: ImportFile[], force: boolean): Promise<RuleImportResult> {
  return request('POST', '/rules/import', { body: { files, force } });
}

export function listRuleFiles(cursor: string, signal?: AbortSignal): Promise<Listing<RuleFile>> {
  return request('GET', '/rule-files', { query: { cursor, limit: 100 }, signal });
}

/** ruleFilePath is the route of an imported file: its name's parts escaped, the slashes kept. */
export function ruleFilePath(name: string): string {
  return `/rule-files/${name.split('/').map(one).join('/')}`;
}

export function deleteRuleFile(name: string): Promise<void> {
  return request('DELETE', ruleFilePath(name));
}

export interface ExceptionFilter {
  rule_id?: string;
  agent_id?: string;
  /** "true" leaves out expired exceptions. */
  active?: string;
  cursor?: string;
}

export function listExceptions(f: ExceptionFilter, signal?: AbortSignal): Promise<Listing<RuleException>> {
  return request('GET', '/exceptions', { query: { ...f, limit: 100 }, signal });
}

export function createException(body: ExceptionPut): Promise<RuleException> {
  return request('POST', '/exceptions', { body });
}

export function updateException(id: string, body: ExceptionPut): Promise<RuleException> {
  return request('PUT', `/exceptions/${one(id)}`, { body });
}

export function deleteException(id: string): Promise<void> {
  return request('DELETE', `/exceptions/${one(id)}`);
}

/** attackCoverage lays the enabled rules and the alerts raised since `since` (RFC 3339; default 30 days) on the matrix. */
export function attackCoverage(since: string | undefined, signal?: AbortSignal): Promise<AttackCoverage> {
  return request('GET', '/attack/coverage', { query: { since }, signal });
}
