// Routes of compliance baselines: results and their fleet views (hosts'
// summaries, groups by label, checks by failing hosts, drift, the score
// history), the printable report, the policy catalogue with uploads and
// assignments, exceptions, and the on-demand run of the baseline
// collector on a host.
import { request, requestFile, upload, type FileAnswer, type Query } from './client';
import { runCommand } from './endpoints';
import type {
  CheckStanding,
  CommandResponse,
  ComplianceAssignment,
  ComplianceDrift,
  ComplianceException,
  ComplianceGroup,
  CompliancePolicy,
  CompliancePolicyDetail,
  ComplianceResult,
  ComplianceScore,
  ComplianceSummary,
  Listing,
} from './types';

const one = (s: string) => encodeURIComponent(s);

export interface ResultFilter {
  agent_id?: string;
  policy_id?: string;
  check_id?: string;
  /** pass, fail, error, not_applicable or excepted (after exceptions). */
  status?: string;
  severity?: string;
  /** A substring of the check id or its titles. */
  q?: string;
  cursor?: string;
  limit?: number;
}

/** listResults lists check results with their evidence, exception and texts. */
export function listResults(f: ResultFilter, signal?: AbortSignal): Promise<Listing<ComplianceResult>> {
  return request('GET', '/compliance', { query: { ...f, limit: f.limit ?? 100 }, signal });
}

/** hostSummaries gives one host's counts and score per policy it evaluated. */
export function hostSummaries(agentId: string, signal?: AbortSignal): Promise<Listing<ComplianceSummary>> {
  return request('GET', `/compliance/hosts/${one(agentId)}`, { signal });
}

export interface SummaryFilter {
  policy_id?: string;
  agent_id?: string;
  /** Host labels k=v, all of which must match. */
  label?: string[];
  cursor?: string;
  limit?: number;
}

/** listSummaries lists every host's standing on every policy (by policy, lowest score first). */
export function listSummaries(f: SummaryFilter, signal?: AbortSignal): Promise<Listing<ComplianceSummary>> {
  return request('GET', '/compliance/summaries', { query: { ...f, limit: f.limit ?? 1000 } as Query, signal });
}

/** listGroups scores the groups of hosts by the value of a label (by policy without one). */
export function listGroups(label: string, policyId: string, signal?: AbortSignal): Promise<Listing<ComplianceGroup>> {
  return request('GET', '/compliance/groups', { query: { label, policy_id: policyId }, signal });
}

/** listChecks lists a policy's checks across the fleet, those failing on most hosts first. */
export function listChecks(policyId: string, cursor = '', signal?: AbortSignal): Promise<Listing<CheckStanding>> {
  return request('GET', '/compliance/checks', { query: { policy_id: policyId, cursor, limit: 1000 }, signal });
}

export interface DriftFilter {
  /** RFC 3339. */
  since?: string;
  until?: string;
  agent_id?: string;
  policy_id?: string;
  /** Only checks that passed and now fail or err. */
  regressed?: boolean;
  cursor?: string;
  limit?: number;
}

/** listDrift lists changes of checks' statuses, newest first. */
export function listDrift(f: DriftFilter, signal?: AbortSignal): Promise<Listing<ComplianceDrift>> {
  return request('GET', '/compliance/drift', { query: { ...f, regressed: f.regressed ? 'true' : undefined, limit: f.limit ?? 50 }, signal });
}

export interface ScoreFilter {
  agent_id?: string;
  policy_id?: string;
  since?: string;
  until?: string;
  cursor?: string;
  limit?: number;
}

/** listScores lists the score history, one entry per host, policy and day, newest first. */
export function listScores(f: ScoreFilter, signal?: AbortSignal): Promise<Listing<ComplianceScore>> {
  return request('GET', '/compliance/scores', { query: { ...f, limit: f.limit ?? 1000 }, signal });
}

export interface ReportRequest {
  /** A host's report (all its policies, or policy_id's). */
  agent_id?: string;
  /** Without agent_id: the fleet report of this policy. */
  policy_id?: string;
  lang: 'en' | 'zh';
}

/** complianceReport fetches the printable HTML report, in the language asked for. */
export function complianceReport(r: ReportRequest, signal?: AbortSignal): Promise<FileAnswer> {
  return requestFile('/compliance/report', { query: { agent_id: r.agent_id, policy_id: r.policy_id, lang: r.lang }, signal });
}

export function listPolicies(signal?: AbortSignal): Promise<Listing<CompliancePolicy>> {
  return request('GET', '/compliance/policies', { signal });
}

/** getPolicy reads a policy with its checks. */
export function getPolicy(id: string, signal?: AbortSignal): Promise<CompliancePolicyDetail> {
  return request('GET', `/compliance/policies/${one(id)}`, { signal });
}

/** The formats a policy file may have. */
export type PolicyFormat = 'vigil' | 'wazuh-sca';

/** putPolicy uploads a policy file under its policy.id (admin); a bad file is a 422 listing every problem with its line. */
export function putPolicy(id: string, text: string, format: PolicyFormat): Promise<CompliancePolicy> {
  return upload('PUT', `/compliance/policies/${one(id)}`, text, {
    query: { format: format === 'wazuh-sca' ? format : undefined },
    contentType: 'application/yaml; charset=utf-8',
  });
}

/** deletePolicy removes an uploaded policy and its assignment (admin). */
export function deletePolicy(id: string): Promise<void> {
  return request('DELETE', `/compliance/policies/${one(id)}`);
}

/** The body of an assignment. */
export interface AssignmentPut {
  selector: Record<string, string>;
  interval_seconds: number;
  disabled: boolean;
}

/** putAssignment assigns a policy to the hosts whose labels match (admin). */
export function putAssignment(policyId: string, a: AssignmentPut): Promise<ComplianceAssignment> {
  return request('PUT', `/compliance/policies/${one(policyId)}/assignment`, { body: a });
}

/** deleteAssignment stops a policy from running anywhere (admin). */
export function deleteAssignment(policyId: string): Promise<void> {
  return request('DELETE', `/compliance/policies/${one(policyId)}/assignment`);
}

/** listExceptions lists the exceptions (of a policy), the expired ones too with expired. */
export function listExceptions(f: { policy_id?: string; expired?: boolean }, signal?: AbortSignal): Promise<Listing<ComplianceException>> {
  return request('GET', '/compliance/exceptions', { query: { policy_id: f.policy_id, expired: f.expired ? 'true' : undefined }, signal });
}

/** The body of a new exception: check_id "" for every check, agent_id "" for every host, expires_at "" for never. */
export interface ComplianceExceptionPost {
  policy_id: string;
  check_id?: string;
  agent_id?: string;
  reason: string;
  expires_at?: string;
}

/** createException accepts a failure for a reason (analyst). */
export function createException(body: ComplianceExceptionPost): Promise<ComplianceException> {
  return request('POST', '/compliance/exceptions', { body });
}

export function deleteException(id: string): Promise<void> {
  return request('DELETE', `/compliance/exceptions/${one(id)}`);
}

/** The collector that evaluates the assigned policies on a host. */
export const baselineCollector = 'compliance/baseline';
/** How long a run may take before the center stops waiting (the collector's own limit is 2 min). */
export const baselineTimeout = '3m';

/** runBaseline sends the collect command that evaluates a host's policies now (the collect command's role, responder). */
export function runBaseline(agentId: string): Promise<CommandResponse> {
  return runCommand({ command: 'collect', args: { name: baselineCollector }, agent_ids: [agentId], timeout: baselineTimeout });
}
