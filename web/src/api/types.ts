// Shapes of the center's REST API (docs/api.md); field names are the JSON
// tags of the center's model types.

export type AgentStatus = 'enrolled' | 'online' | 'stopped' | 'uninstalled' | 'lost';
export const agentStatuses: AgentStatus[] = ['enrolled', 'online', 'stopped', 'uninstalled', 'lost'];

export interface Agent {
  id: string;
  hostname: string;
  status: AgentStatus;
  status_reason?: string;
  status_changed_at: string;
  last_seen: string;
  enrolled_at: string;
  labels: Record<string, string> | null;
  os?: string;
  platform?: string;
  platform_version?: string;
  kernel?: string;
  arch?: string;
  ips: string[] | null;
  boot_time?: string;
  agent_version?: string;
  machine_id?: string;
  user_key?: string;
  join_token_id?: string;
  /** The last reported state: a JSON object, or the same encoded as a string. */
  last_state?: unknown;
}

export interface StatusChange {
  agent_id: string;
  at: string;
  from: AgentStatus | '';
  to: AgentStatus;
  reason: string;
}

export type Severity = 'low' | 'medium' | 'high' | 'critical';
export const severities: Severity[] = ['critical', 'high', 'medium', 'low'];

export type AlertState = 'new' | 'acknowledged' | 'resolved' | 'false_positive';
export const alertStates: AlertState[] = ['new', 'acknowledged', 'resolved', 'false_positive'];

export interface AlertComment {
  at: string;
  author: string;
  state: AlertState;
  text: string;
}

export interface Alert {
  id: string;
  agent_id: string;
  hostname?: string;
  rule_id: string;
  title: string;
  description?: string;
  severity: Severity;
  state: AlertState;
  techniques: string[] | null;
  dedup_key: string;
  count: number;
  created_at: string;
  updated_at: string;
  last_seen: string;
  evidence?: Record<string, unknown>;
  event_ids?: string[];
  comments?: AlertComment[];
}

/** An ECS document: nested JSON objects. */
export type EcsEvent = Record<string, unknown>;

export interface Listing<T> {
  items: T[] | null;
  next_cursor?: string;
}

export type Role = 'admin' | 'responder' | 'analyst' | 'viewer';

export interface Me {
  name: string;
  role: Role;
  kind: string;
}

export interface LoginResponse {
  token: string;
  expires_at: string;
  user: { id?: string; name: string; role: Role };
}

export interface CommandResult {
  agent_id: string;
  hostname?: string;
  ok: boolean;
  error?: string;
  output?: unknown;
  duration_ms: number;
}

export interface CommandResponse {
  id: string;
  command: string;
  results: CommandResult[] | null;
}

/**
 * One standard stream of a process as the agent describes it: a string
 * ("socket:tcp 10.0.0.5:51234->203.0.113.9:4444", "pipe", "" for neither),
 * or the object of the events' process.stdio.
 */
export type StdioEntry = string | { fd?: number; type?: string; transport?: string; local?: string; remote?: string };

/** One live process in the output of the "processes" command. */
export interface ProcessInfo {
  entity_id: string;
  parent_entity_id?: string;
  pid: number;
  ppid: number;
  name: string;
  executable?: string;
  args?: string[];
  working_directory?: string;
  /** The effective user's name. */
  user?: string;
  uid: number;
  euid: number;
  /** The login (audit) user, absent when unset. */
  login_user?: string;
  tty?: string;
  container_id?: string;
  sha256?: string;
  /** RFC 3339. */
  start: string;
  /** File descriptors 0-2 by position. */
  stdio?: StdioEntry[];
}

/** The output of the "processes" command. */
export interface ProcessesOutput {
  taken_at: string;
  /** How the agent keeps its process table (ebpf, proc-connector ...). */
  mechanism?: string;
  processes: ProcessInfo[] | null;
}

/** The error envelope every failing call returns. */
export interface ErrorEnvelope {
  error?: { code?: string; message?: string };
}

export type Labels = Record<string, string>;

/** A join token; the secret (token) only in the answer that created it. */
export interface JoinToken {
  id: string;
  description?: string;
  labels: Labels | null;
  created_at: string;
  created_by: string;
  expires_at: string;
  /** Enrollments allowed; 0 means unlimited. */
  usage_limit: number;
  uses: number;
  token?: string;
}

/** An API token or a console session; the secret (token) only when created. */
export interface ApiToken {
  id: string;
  name: string;
  kind: 'api' | 'session' | string;
  user_id?: string;
  role: Role;
  created_at: string;
  /** Absent when the token never expires. */
  expires_at?: string;
  last_used_at?: string;
  token?: string;
}

export interface User {
  id: string;
  name: string;
  role: Role;
  disabled: boolean;
  created_at: string;
  updated_at: string;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  role?: Role | '';
  action: string;
  target?: string;
  result: 'ok' | 'denied' | 'error' | string;
  detail?: Record<string, unknown>;
  source_ip?: string;
}

/** A stored agent policy; spec is the agent policy document (protojson). */
export interface AgentPolicy {
  name: string;
  selector: Labels | null;
  priority: number;
  spec: unknown;
  revision: number;
  updated_at: string;
  updated_by: string;
}

/** What an inventory item is (the center's asset kinds, in the order the console shows them). */
export const assetKinds = [
  'host',
  'disk',
  'mount',
  'interface',
  'user',
  'group',
  'process',
  'port',
  'package',
  'library',
  'middleware',
  'website',
  'service',
  'task',
  'module',
  'sysctl',
  'container',
  'image',
  'pod',
  'k8s_namespace',
  'k8s_node',
  'k8s_service',
  'k8s_workload',
] as const;
export type AssetKind = (typeof assetKinds)[number];

/** One item of a host's inventory, with the agent's hostname. */
export interface Asset {
  agent_id: string;
  hostname?: string;
  collector: string;
  /** One of assetKinds; an unknown kind from a newer center is shown as it is. */
  kind: string;
  /** Unique within the agent's collector and kind. */
  key: string;
  name: string;
  version?: string;
  /** The item as an ECS-style nested document (package.*, process.*, user.* ...). */
  fields?: Record<string, unknown> | null;
  first_seen: string;
  updated_at: string;
}

export type AssetAction = 'added' | 'changed' | 'removed';
export const assetActions: AssetAction[] = ['added', 'changed', 'removed'];

/** One entry of the inventory's history. */
export interface AssetChange {
  id: string;
  agent_id: string;
  hostname?: string;
  collector: string;
  kind: string;
  key: string;
  name: string;
  action: AssetAction | string;
  at: string;
  /** The version before and after the change ("" or absent when there is none). */
  before?: string;
  after?: string;
  before_fields?: Record<string, unknown> | null;
  after_fields?: Record<string, unknown> | null;
}

/** Items of one kind, and how many agents have any. */
export interface AssetKindCount {
  kind: string;
  items: number;
  agents: number;
}

/** One collector's set on an agent: its digest, size and times. */
export interface InventorySet {
  agent_id: string;
  collector: string;
  digest: string;
  items: number;
  /** The last change applied. */
  updated_at: string;
  /** The last report, changed or not. */
  checked_at: string;
}

/** GET /assets/summary: items per kind, and an agent's sets when asked for one agent. */
export interface AssetSummary {
  kinds: AssetKindCount[] | null;
  sets?: InventorySet[] | null;
}
