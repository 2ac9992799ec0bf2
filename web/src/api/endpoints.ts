// One function per API route the console uses.
import { request } from './client';
import type {
  Agent,
  Alert,
  AlertState,
  Asset,
  AssetChange,
  AssetSummary,
  CommandResponse,
  EcsEvent,
  Labels,
  Listing,
  LoginResponse,
  Me,
  StatusChange,
} from './types';

export function login(username: string, password: string): Promise<LoginResponse> {
  return request('POST', '/login', { body: { username, password }, noAuthRedirect: true });
}

export function logout(): Promise<void> {
  return request('POST', '/logout', { noAuthRedirect: true });
}

/** me checks a token (the session's, or the one given) and says whose it is. */
export function me(token?: string): Promise<Me> {
  return request('GET', '/me', { token, noAuthRedirect: token !== undefined });
}

export interface AgentFilter {
  status?: string;
  labels?: string[];
  q?: string;
}

export function listAgents(f: AgentFilter, signal?: AbortSignal): Promise<Listing<Agent>> {
  return request('GET', '/agents', {
    query: { status: f.status, label: f.labels, q: f.q, limit: 1000 },
    signal,
  });
}

export function getAgent(id: string, signal?: AbortSignal): Promise<Agent> {
  return request('GET', `/agents/${encodeURIComponent(id)}`, { signal });
}

export async function agentHistory(id: string, signal?: AbortSignal): Promise<StatusChange[]> {
  const res = await request<Listing<StatusChange> | StatusChange[]>(
    'GET',
    `/agents/${encodeURIComponent(id)}/history`,
    { signal },
  );
  if (Array.isArray(res)) return res;
  return res?.items ?? [];
}

export function sendCommand(command: string, agentIds: string[], timeout = '10s', signal?: AbortSignal): Promise<CommandResponse> {
  return request('POST', '/agents/commands', { body: { command, agent_ids: agentIds, timeout }, signal });
}

/** The body of POST /agents/commands: agent_ids, selector or both. */
export interface CommandRequest {
  command: string;
  args?: Record<string, string>;
  agent_ids?: string[];
  selector?: Labels;
  timeout?: string;
}

export function runCommand(body: CommandRequest): Promise<CommandResponse> {
  return request('POST', '/agents/commands', { body });
}

export function setAgentLabels(id: string, labels: Labels): Promise<Agent> {
  return request('PUT', `/agents/${encodeURIComponent(id)}/labels`, { body: { labels } });
}

export function deleteAgent(id: string): Promise<void> {
  return request('DELETE', `/agents/${encodeURIComponent(id)}`);
}

/** agentPolicy is the effective policy document the agent gets. */
export function agentPolicy(id: string, signal?: AbortSignal): Promise<Record<string, unknown>> {
  return request('GET', `/agents/${encodeURIComponent(id)}/policy`, { signal });
}

export interface AlertFilter {
  state?: string;
  severity?: string;
  agent_id?: string;
  rule_id?: string;
  /** The alerts of one incident. */
  incident_id?: string;
  /** An ATT&CK technique id; a technique also matches its sub-techniques. */
  technique?: string;
  /** Alerts raised at or after this time (RFC 3339). */
  since?: string;
  cursor?: string;
  /** Page size (default 100, at most 1000). */
  limit?: number;
}

export function listAlerts(f: AlertFilter, signal?: AbortSignal): Promise<Listing<Alert>> {
  return request('GET', '/alerts', { query: { ...f, limit: f.limit ?? 100 }, signal });
}

export function getAlert(id: string, signal?: AbortSignal): Promise<Alert> {
  return request('GET', `/alerts/${encodeURIComponent(id)}`, { signal });
}

export function setAlertState(id: string, state: AlertState, comment: string): Promise<Alert> {
  return request('POST', `/alerts/${encodeURIComponent(id)}/state`, { body: { state, comment } });
}

export interface EventFilter {
  agent_id?: string;
  /** Page size (default 100, at most 1000). */
  limit?: number;
  /** Newest first (default), or oldest first: in ingest order either way. */
  order?: 'asc' | 'desc';
  category?: string;
  action?: string;
  q?: string;
  since?: string;
  until?: string;
  cursor?: string;
}

export function listEvents(f: EventFilter, signal?: AbortSignal): Promise<Listing<EcsEvent>> {
  return request('GET', '/events', { query: { ...f, limit: f.limit ?? 100 }, signal });
}

export interface AssetFilter {
  kind?: string;
  agent_id?: string;
  collector?: string;
  /** Exact name, ignoring case. */
  name?: string;
  /** The inventory search (docs/inventory.md): name:redis version<6, port:3000 ... */
  q?: string;
  limit?: number;
  cursor?: string;
}

/** listAssets lists inventory items; a search the center cannot parse is a 400 with its reason. */
export function listAssets(f: AssetFilter, signal?: AbortSignal): Promise<Listing<Asset>> {
  return request('GET', '/assets', { query: { ...f, limit: f.limit ?? 100 }, signal });
}

export interface AssetChangeFilter {
  agent_id?: string;
  kind?: string;
  action?: string;
  /** A substring of the key or name. */
  q?: string;
  since?: string;
  until?: string;
  limit?: number;
  cursor?: string;
}

/** listAssetChanges lists the inventory's history, newest first. */
export function listAssetChanges(f: AssetChangeFilter, signal?: AbortSignal): Promise<Listing<AssetChange>> {
  return request('GET', '/assets/changes', { query: { ...f, limit: f.limit ?? 100 }, signal });
}

/** assetSummary counts items per kind, for the fleet or one agent (with its collector sets). */
export function assetSummary(agentId: string | undefined, signal?: AbortSignal): Promise<AssetSummary> {
  return request('GET', '/assets/summary', { query: { agent_id: agentId }, signal });
}
