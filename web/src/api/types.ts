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
  /** The incident the alert is in, once detection has put it into one. */
  incident_id?: string;
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
  'weak-password',
  'compliance',
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

// ---- detection: incidents, rules, rule files, exceptions, ATT&CK coverage ----

export type IncidentState = 'open' | 'investigating' | 'resolved' | 'false_positive';
export const incidentStates: IncidentState[] = ['open', 'investigating', 'resolved', 'false_positive'];

/** Something alerts share, which ties them into one incident. */
export interface Entity {
  kind: 'process' | 'ip' | 'user' | 'file_hash' | 'file' | 'domain' | string;
  value: string;
}

export interface IncidentComment {
  at: string;
  author: string;
  state: IncidentState;
  text: string;
}

/** A group of related alerts, on one host or across hosts. */
export interface Incident {
  id: string;
  title: string;
  severity: Severity;
  state: IncidentState;
  /** The hosts involved, in the order they joined (hostnames in the same order). */
  agent_ids: string[] | null;
  hostnames?: string[] | null;
  techniques: string[] | null;
  rule_ids?: string[] | null;
  entities?: Entity[] | null;
  alert_count: number;
  assignee?: string;
  first_seen: string;
  last_seen: string;
  created_at?: string;
  updated_at?: string;
  comments?: IncidentComment[] | null;
}

/** The body of POST /incidents/{id}/state: a state, an assignee or both. */
export interface IncidentStateChange {
  state?: IncidentState;
  assignee?: string;
  comment?: string;
}

/** One line of an incident's timeline: an event, marked with the alerts it raised. */
export interface TimelineEntry {
  time: string;
  agent_id: string;
  hostname?: string;
  category: string;
  action: string;
  summary: string;
  event_id: string;
  event: EcsEvent;
  alert_ids?: string[] | null;
}

/** A process of an incident's tree. */
export interface ProcessNode {
  entity_id: string;
  agent_id: string;
  pid?: number;
  executable?: string;
  command_line?: string;
  user?: string;
  start?: string;
  alert_ids?: string[] | null;
  events: number;
  children?: ProcessNode[] | null;
}

/** A remote address the incident's processes talked to. */
export interface TimelinePeer {
  ip: string;
  ports: number[] | null;
  direction?: string;
  count: number;
  first: string;
  last: string;
  processes?: string[] | null;
}

/** A file the incident's processes changed. */
export interface TimelineFile {
  agent_id: string;
  path: string;
  actions: string[] | null;
  count: number;
  processes?: string[] | null;
}

/** GET /incidents/{id}/timeline: what happened around an incident (事件还原). */
export interface Timeline {
  incident: Incident;
  alerts: Alert[] | null;
  entries: TimelineEntry[] | null;
  processes: ProcessNode[] | null;
  peers: TimelinePeer[] | null;
  files: TimelineFile[] | null;
  techniques: { id: string; alerts: number }[] | null;
  truncated: boolean;
  since: string;
  until: string;
}

export type RuleLevel = 'informational' | 'low' | 'medium' | 'high' | 'critical';
export const ruleLevels: RuleLevel[] = ['informational', 'low', 'medium', 'high', 'critical'];
export const ruleKinds = ['detection', 'correlation'] as const;
export const ruleStatuses = ['stable', 'test', 'experimental', 'deprecated', 'unsupported'] as const;
export const ruleSources = ['builtin', 'imported'] as const;

/** An operator's choice for one rule, kept by rule id. */
export interface RuleSetting {
  rule_id: string;
  disabled: boolean;
  severity?: Severity | '';
  author: string;
  updated_at: string;
}

/** A loaded Sigma rule (detection or correlation). */
export interface Rule {
  id: string;
  name?: string;
  title: string;
  description?: string;
  kind: 'detection' | 'correlation' | string;
  level: RuleLevel | string;
  status?: string;
  author?: string;
  source: 'builtin' | 'imported' | string;
  file: string;
  line: number;
  techniques: string[] | null;
  tags: string[] | null;
  falsepositives: string[] | null;
  references: string[] | null;
  logsource: { product?: string; category?: string; service?: string };
  disabled: boolean;
  /** A match raises an alert by itself. */
  alerts: boolean;
  /** Correlation rules use its matches. */
  correlated: boolean;
  /** The severity of its alerts: from its level, or the operator's choice. */
  severity: Severity;
  setting?: RuleSetting;
}

/** A rule or a rule file that was not loaded, and why. */
export interface RuleProblem {
  source: 'builtin' | 'imported' | string;
  file: string;
  line?: number;
  rule_id?: string;
  title?: string;
  reason: string;
}

/** An imported rule file, without its content. */
export interface RuleFile {
  name: string;
  sha256: string;
  size: number;
  author: string;
  created_at: string;
  updated_at: string;
  /** Its loaded rules. */
  rules: number;
  /** Its rules (or itself) not loaded. */
  problems: number;
}

/** The answer of an import that stored files. */
export interface RuleImportResult {
  stored: { name: string; sha256: string; created: boolean; rules: number }[] | null;
  skipped: string[] | null;
  problems: RuleProblem[] | null;
}

/** An allow-list entry: the alerts it keeps detection from raising. */
export interface RuleException {
  id: string;
  /** Absent: every rule. */
  rule_id?: string;
  /** Absent: every agent. */
  agent_id?: string;
  /** ECS field path -> patterns, one of which the field's value must match. */
  match: Record<string, string[]> | null;
  reason: string;
  author: string;
  expires_at?: string;
  created_at: string;
  updated_at: string;
  /** Alerts it suppressed, the last at last_hit. */
  hits: number;
  last_hit?: string;
}

/** The body of POST /exceptions and PUT /exceptions/{id}. */
export interface ExceptionPut {
  rule_id?: string;
  agent_id?: string;
  match: Record<string, string[]>;
  reason: string;
  expires_at?: string;
}

/** One technique of the ATT&CK matrix with its counts. */
export interface AttackCell {
  id: string;
  name: string;
  name_zh?: string;
  /** Enabled rules tagged with this very id. */
  covered: number;
  /** Alerts of this very id. */
  fired: number;
  /** The same, with those of the sub-techniques shown under it. */
  total_covered: number;
  total_fired: number;
  sub_techniques?: AttackCell[] | null;
}

export interface AttackTactic {
  id: string;
  short_name: string;
  name: string;
  name_zh?: string;
}

export interface AttackColumn {
  tactic: AttackTactic;
  techniques: AttackCell[] | null;
  covered_techniques: number;
  fired_techniques: number;
}

/** GET /attack/coverage: the ATT&CK matrix with the enabled rules and the alerts of each technique. */
export interface AttackCoverage {
  version: string;
  columns: AttackColumn[] | null;
  unmapped?: AttackCell[] | null;
  /** Enabled rules. */
  rules: number;
  since: string;
  /** Alerts counted. */
  alerts: number;
  truncated: boolean;
}

// ---- risk: vulnerability findings, patches, weak passwords, the vulnerability database ----

/** The severities of advisories and findings, most severe first. */
export type VulnSeverity = 'critical' | 'high' | 'medium' | 'low' | 'none' | 'unknown';
export const vulnSeverities: VulnSeverity[] = ['critical', 'high', 'medium', 'low', 'none', 'unknown'];

/** One vulnerability of one package or library on one host (GET /vulns). */
export interface VulnFinding {
  agent_id: string;
  hostname?: string;
  /** The inventory item's kind (package or library) and key. */
  asset_kind: string;
  asset_key: string;
  /** The CVE when the advisories name one, else the advisory id. */
  vuln_id: string;
  advisories: string[] | null;
  aliases?: string[] | null;
  ecosystem: string;
  package: string;
  /** The installed version. */
  version: string;
  /** The version that fixes it; absent when no fix is known. */
  fixed_version?: string;
  /** Where a library was found. */
  path?: string;
  severity: VulnSeverity | string;
  /** The CVSS base score. */
  score?: number;
  known_exploited: boolean;
  summary?: string;
  /** A process of the package (or using the library) runs, and holds a listening socket. */
  running: boolean;
  listening: boolean;
  first_seen: string;
  updated_at: string;
}

/** One host's findings counted by severity (GET /vulns/hosts). */
export interface VulnHostSummary {
  agent_id: string;
  hostname?: string;
  critical: number;
  high: number;
  medium: number;
  low: number;
  /** The severities none and unknown. */
  other: number;
  known_exploited: number;
  fixable: number;
  total: number;
}

/** One vulnerability across the fleet (GET /vulns/cves). */
export interface VulnSummary {
  vuln_id: string;
  severity: VulnSeverity | string;
  score?: number;
  known_exploited: boolean;
  summary?: string;
  hosts: number;
  packages: string[] | null;
  /** A fix is known for at least one affected package. */
  fixable: boolean;
}

/** An entry of the known exploited catalogue (CISA KEV). */
export interface KnownExploitedEntry {
  cve: string;
  vendor?: string;
  product?: string;
  name?: string;
  date_added?: string;
  due_date?: string;
  /** Known to be used in ransomware campaigns. */
  ransomware?: boolean;
}

/** One record of the vulnerability database, with its OSV record when read alone. */
export interface Advisory {
  id: string;
  source: string;
  modified: string;
  published?: string;
  withdrawn?: string;
  aliases: string[] | null;
  summary?: string;
  severity: VulnSeverity | string;
  score?: number;
  ecosystems: string[] | null;
  packages: string[] | null;
  /** The OSV record as imported. */
  record?: unknown;
}

/** GET /vulns/cves/{id}: the vulnerability, its advisories and its known exploited entry. */
export interface VulnDetail extends VulnSummary {
  advisories: Advisory[] | null;
  known_exploited_entry?: KnownExploitedEntry;
}

/** One package upgrade that fixes vulnerabilities, on one host or across the fleet. */
export interface Patch {
  agent_id?: string;
  ecosystem: string;
  /** package or library */
  kind: string;
  package: string;
  /** The version to upgrade to: the highest fixed version among its findings. */
  fixed_version: string;
  /** The installed versions it replaces. */
  versions: string[] | null;
  paths?: string[] | null;
  vulns: string[] | null;
  severity: VulnSeverity | string;
  known_exploited: boolean;
  hosts: number;
  /** The command that applies it; absent for a library bundled in an application. */
  command?: string;
}

/** GET /patches: one host's upgrades (with the command applying its OS package upgrades at once) or the fleet's. */
export interface Patches {
  agent_id?: string;
  hostname?: string;
  command?: string;
  items: Patch[] | null;
}

/** A weak password or unauthenticated service found on a host (GET /weak-passwords). */
export interface WeakPassword {
  agent_id: string;
  hostname?: string;
  collector: string;
  key: string;
  name: string;
  target: string;
  type: string;
  severity: string;
  reason?: string;
  /** The item's fields; vigil.weak_password holds the evidence and the masked hint. */
  fields?: Record<string, unknown>;
  first_seen: string;
  updated_at: string;
}

/** An uploaded word list, without its words. */
export interface Wordlist {
  name: string;
  count: number;
  sha256: string;
  author: string;
  created_at: string;
  updated_at: string;
}

export type VulnJobState = 'running' | 'done' | 'failed';

/** An import or sync of the vulnerability database, with its progress. */
export interface VulnJob {
  id: string;
  kind: 'import' | 'sync' | string;
  source?: string;
  state: VulnJobState | string;
  /** download, read, store, index or match. */
  phase?: string;
  /** The phase's steps done and in all (records, bytes, hosts); total 0 when unknown. */
  done: number;
  total: number;
  added: number;
  updated: number;
  unchanged: number;
  rejected: number;
  problems?: string[] | null;
  message?: string;
  error?: string;
  started_at: string;
  ended_at?: string;
  author?: string;
}

/** A feed of the vulnerability database: configured for sync, imported, or both. */
export interface VulnSource {
  name: string;
  url?: string;
  configured: boolean;
  disabled?: boolean;
  etag?: string;
  last_modified?: string;
  sha256?: string;
  records: number;
  rejected: number;
  synced_at?: string;
  /** The last attempt's error. */
  error?: string;
  updated_at?: string;
}

/** The matching index's figures. */
export interface VulnIndexStats {
  advisories?: number;
  packages?: number;
  entries?: number;
  ranges?: number;
  withdrawn?: number;
  unmatchable?: number;
  known_exploited?: number;
  ecosystems?: Record<string, { advisories: number; packages: number }> | null;
}

/** GET /vulndb: the database's state. */
export interface VulnDBStatus {
  /** Advisories per source. */
  advisories: Record<string, number> | null;
  known_exploited: number;
  sources: VulnSource[] | null;
  service: {
    index_built_at?: string;
    index?: VulnIndexStats;
    last_fleet_match?: string;
    last_fleet_match_took?: string;
    hosts_matched: number;
    host_errors: number;
    last_error?: string;
  };
  jobs: VulnJob[] | null;
}

// ---- compliance: baselines, results, scores, the policy catalogue, exceptions ----

/** A check's result on a host: pass, fail, error (could not be evaluated), not_applicable, or excepted (a failure an exception accepts). */
export type ComplianceStatus = 'pass' | 'fail' | 'error' | 'not_applicable' | 'excepted';
/** The statuses, the ones that need attention first. */
export const complianceStatuses: ComplianceStatus[] = ['fail', 'error', 'excepted', 'pass', 'not_applicable'];

/** A text of a policy in both languages. */
export interface LocalText {
  en: string;
  zh: string;
}

/** Checks counted by status. */
export interface ComplianceCounts {
  pass: number;
  fail: number;
  error: number;
  not_applicable: number;
  excepted: number;
  total: number;
}

/** What a result shows of its check: texts and references (compliance.CheckInfo). */
export interface CheckInfo {
  title: LocalText;
  description?: LocalText;
  rationale: LocalText;
  remediation: LocalText;
  /** low, medium, high or critical ("" for a Wazuh SCA check). */
  severity: string;
  profiles?: string[] | null;
  /** Ids per framework: cis (CIS numbers), mlps (GB/T 22239-2019 clauses), nist_800_53, url ... */
  references?: Record<string, string[] | null> | null;
}

/** One rule's result as the agent reported it: the evidence of a result. */
export interface RuleEvidence {
  index: number;
  /** The rule's type: file, content, config, command, sysctl, package ... */
  type: string;
  /** holds, fails or error (after the rule's not). */
  result: string;
  not?: boolean;
  /** A rule of the check's applies_if (or the policy's requirements). */
  applies_if?: boolean;
  error?: string;
  /** Lines such as "/etc/ssh/sshd_config:33: PermitRootLogin yes" or "sshd -T:2: permitrootlogin no". */
  evidence?: string[];
}

/** An exception that accepts a check's failure for a reason until it expires. */
export interface ComplianceException {
  id: string;
  policy_id: string;
  /** "" for every check of the policy. */
  check_id: string;
  /** "" for every host. */
  agent_id: string;
  reason: string;
  /** Absent: never expires. */
  expires_at?: string;
  author: string;
  created_at: string;
}

/** One check's result on one host (GET /compliance). */
export interface ComplianceResult {
  agent_id: string;
  hostname?: string;
  policy_id: string;
  policy_version: string;
  check_id: string;
  status: ComplianceStatus | string;
  severity?: string;
  /** Why a check is error, not_applicable or excepted. */
  reason?: string;
  /** The rule results that decided, as the agent sent them. */
  evidence?: unknown;
  exception?: ComplianceException;
  check?: CheckInfo;
  first_seen: string;
  updated_at: string;
}

/** A host's standing on one policy (GET /compliance/hosts/{id}, /compliance/summaries). */
export interface ComplianceSummary {
  agent_id: string;
  hostname?: string;
  policy_id: string;
  policy_version?: string;
  /** false when the policy's requirements do not hold on the host (another system). */
  applicable: boolean;
  counts: ComplianceCounts;
  /** passed / (passed + failed) in percent; null with neither. */
  score: number | null;
  updated_at: string;
}

/** The standing of a group of hosts on a policy (GET /compliance/groups). */
export interface ComplianceGroup {
  /** The label grouped by ("" for the whole fleet). */
  label: string;
  /** The label's value ("" for the hosts without it). */
  value: string;
  policy_id: string;
  /** Hosts of the group the policy applies to. */
  hosts: number;
  counts: ComplianceCounts;
  score: number | null;
}

/** One check's standing across the fleet (GET /compliance/checks). */
export interface CheckStanding {
  policy_id: string;
  check_id: string;
  severity?: string;
  check?: CheckInfo;
  /** Hosts counted by the check's status on them. */
  hosts: ComplianceCounts;
}

/** A change of a check's status on a host (GET /compliance/drift). */
export interface ComplianceDrift {
  agent_id: string;
  hostname?: string;
  policy_id: string;
  check_id: string;
  severity?: string;
  check?: CheckInfo;
  /** The status before ("" when first seen) and after. */
  before: string;
  after: string;
  /** It passed and now fails or errs. */
  regressed: boolean;
  changed_at: string;
}

/** A host's score for a policy on a day (GET /compliance/scores). */
export interface ComplianceScore {
  agent_id: string;
  policy_id: string;
  at: string;
  passed: number;
  failed: number;
  errors: number;
  excepted: number;
  not_applicable: number;
  score: number;
}

/** Which hosts evaluate a policy and how often. */
export interface ComplianceAssignment {
  policy_id: string;
  /** Labels a host must all have; empty for every host. */
  selector: Record<string, string> | null;
  /** How often, in seconds (0: daily, the collector's default). */
  interval_seconds: number;
  disabled: boolean;
  author: string;
  updated_at: string;
}

/** A policy of the catalogue, without its checks (GET /compliance/policies). */
export interface CompliancePolicy {
  id: string;
  version: string;
  name: LocalText;
  description: LocalText;
  checks: number;
  /** Built into Vigil; else uploaded by an operator. */
  shipped: boolean;
  /** vigil or wazuh-sca. */
  format: string;
  digest: string;
  author?: string;
  /** The checks of a Wazuh SCA file that could not be translated, as file:line: reason. */
  skipped?: string[] | null;
  assignment?: ComplianceAssignment;
}

/** A check of a policy as GET /compliance/policies/{id} lists it. */
export interface PolicyCheck {
  id: string;
  title: LocalText;
  description?: LocalText;
  rationale: LocalText;
  remediation: LocalText;
  severity: string;
  profiles?: string[] | null;
  references?: Record<string, string[] | null> | null;
}

/** GET /compliance/policies/{id}: the policy with its checks. */
export interface CompliancePolicyDetail extends CompliancePolicy {
  requirements?: unknown;
  items: PolicyCheck[] | null;
}

/** The kinds of notification channel (docs/detection.md). */
export type NotifyChannelType = 'webhook' | 'syslog' | 'email' | 'dingtalk' | 'wecom' | 'feishu';
export const notifyChannelTypes: NotifyChannelType[] = ['webhook', 'syslog', 'email', 'dingtalk', 'wecom', 'feishu'];

/** A write-only field as the center shows it: whether it is set and, for a URL, the URL without its credentials. */
export interface WriteOnly {
  set: boolean;
  redacted?: string;
}

/** NotifyStats count a channel's deliveries since the center started. */
export interface NotifyStats {
  sent: number;
  failed: number;
  retried: number;
  dropped: number;
  queued: number;
  last_sent_at?: string;
  last_error?: string;
  last_error_at?: string;
}

/** NotifyChannelConfig is a channel's configuration as PUT takes it, write-only fields shown as WriteOnly. */
export interface NotifyChannelConfig {
  name?: string;
  type: NotifyChannelType | string;
  disabled?: boolean;
  language?: 'en' | 'zh' | string;
  time_zone?: string;
  filter?: { min_severity?: Severity | string; rule_ids?: string[]; techniques?: string[] };
  delivery?: Record<string, number | string>;
  [section: string]: unknown;
}

/** NotifyChannel is one notification channel of the file or of the API. */
export interface NotifyChannel {
  name: string;
  type: NotifyChannelType | string;
  source: 'file' | 'api' | string;
  disabled: boolean;
  running: boolean;
  problem?: string;
  config: NotifyChannelConfig | null;
  revision?: number;
  created_at?: string;
  created_by?: string;
  updated_at?: string;
  updated_by?: string;
  stats: NotifyStats;
}

/** NotifyTestResult is the outcome of a test message. */
export interface NotifyTestResult {
  ok: boolean;
  error?: string;
  permanent?: boolean;
  duration_ms: number;
}

/** NotifyFieldProblem is one invalid field of a refused channel configuration. */
export interface NotifyFieldProblem {
  path: string;
  reason: string;
}

/** The kinds of value an indicator of compromise holds. */
export type IndicatorType = 'ip' | 'domain' | 'url' | 'md5' | 'sha1' | 'sha256';
export const indicatorTypes: IndicatorType[] = ['ip', 'domain', 'url', 'md5', 'sha1', 'sha256'];

/** Indicator is one indicator of compromise (GET /intel). */
export interface Indicator {
  id: string;
  type: IndicatorType | string;
  /** The value as the center normalized it. */
  value: string;
  source: string;
  description?: string;
  severity: Severity | string;
  /** 0 to 100. */
  confidence: number;
  tags: string[] | null;
  techniques: string[] | null;
  reference?: string;
  created_at: string;
  updated_at: string;
  updated_by?: string;
  /** Absent: it never expires. */
  expires_at?: string;
  hits: number;
  /** Absent: it never matched. */
  last_hit_at?: string;
}

/** One entry of a feed or of a POST /intel body that was not stored, and why. */
export interface ImportProblem {
  line?: number;
  entry?: string;
  reason: string;
}

/** ImportResult is what POST /intel and POST /intel/import did. */
export interface ImportResult {
  format: string;
  source: string;
  read: number;
  added: number;
  updated: number;
  removed: number;
  skipped: number;
  problems: ImportProblem[] | null;
}

/** One indicator of a POST /intel body: the type is detected when absent. */
export interface NewIndicator {
  type?: IndicatorType;
  value: string;
  description?: string;
  severity?: Severity;
  confidence?: number;
  tags?: string[];
  techniques?: string[];
  reference?: string;
  expires_at?: string;
}

/** The body of POST /intel. */
export interface AddIndicatorsRequest {
  source?: string;
  indicators: NewIndicator[];
}

/** IntelSource is one source of indicators (GET /intel/sources). */
export interface IntelSource {
  name: string;
  count: number;
  updated_at: string;
}

/** IntelCheck is what GET /intel/check says of a value: its type, normalized form and the indicators it matches. */
export interface IntelCheck {
  value: string;
  type: IndicatorType | string;
  normalized: string;
  matches: Indicator[] | null;
}

/** LoginSource is one address a user logged in from. */
export interface LoginSource {
  ip: string;
  first_seen: string;
  last_seen: string;
  count: number;
}

/** LoginProfileView is the learned login behaviour of one user on one host (GET /baselines/logins). */
export interface LoginProfileView {
  agent_id: string;
  hostname: string;
  user: string;
  first_seen: string;
  last_seen: string;
  logins: number;
  /** 24 counts, hour 0 to 23 in the baseline's time zone. */
  hours: number[] | null;
  sources: LoginSource[] | null;
  revision: number;
  status: 'learning' | 'learned' | string;
  /** When the profile left learning; absent while learning. */
  learned_at?: string;
  /** The baseline's time zone, e.g. Asia/Shanghai. */
  time_zone: string;
}
