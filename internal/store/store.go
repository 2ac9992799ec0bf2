// Package store defines Vigil's storage: one interface per aggregate and the
// model types they hold. Implementations live in store/sqlite (the embedded
// default) and store/postgres; store/storetest is the conformance suite both
// pass. This package has no driver and no I/O of its own.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/vigilsec/vigil/internal/event"
)

// Errors every implementation returns (wrapped) so that callers can use errors.Is.
var (
	ErrNotFound      = errors.New("not found")
	ErrAlreadyExists = errors.New("already exists")
	ErrTokenExpired  = errors.New("join token expired")
	ErrTokenUsedUp   = errors.New("join token usage limit reached")
	ErrConflict      = errors.New("conflict")
	// ErrInvalid is returned for input the store does not hold: an empty
	// name, an unknown state or severity, a negative count.
	ErrInvalid = errors.New("invalid")
	// ErrBadCursor is returned for a listing cursor the store did not issue
	// (or issued for another listing).
	ErrBadCursor = errors.New("bad cursor")
)

// Store is the whole storage of a center.
type Store interface {
	Agents() AgentStore
	JoinTokens() JoinTokenStore
	Events() EventStore
	Alerts() AlertStore
	Users() UserStore
	APITokens() APITokenStore
	Audit() AuditStore
	AgentPolicies() AgentPolicyStore
	Inventory() InventoryStore
	Rules() RuleStore
	Exceptions() ExceptionStore
	Incidents() IncidentStore
	State() StateStore
	Vulns() VulnStore
	Compliance() ComplianceStore
	NotifyChannels() NotifyChannelStore
	// Intel keeps the indicators of compromise.
	Intel() IntelStore
	// Baselines keeps the behaviour baselines (login profiles).
	Baselines() BaselineStore
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	Close() error
}

// Page is the paging part of every listing. Cursor is opaque; an empty
// NextCursor in the result means there is nothing more.
type Page struct {
	Limit  int    // 0 means the default (100); at most 1000
	Cursor string // from a previous listing's next cursor
}

// DefaultLimit and MaxLimit bound Page.Limit.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// ---- agents ----

// AgentStatus is the health state of an agent as the center sees it.
type AgentStatus string

// Agent statuses.
const (
	StatusEnrolled    AgentStatus = "enrolled" // enrolled, not yet connected to the bus
	StatusOnline      AgentStatus = "online"
	StatusStopped     AgentStatus = "stopped"     // said goodbye (SIGTERM, service stop)
	StatusUninstalled AgentStatus = "uninstalled" // vigil-agent uninstall told the center
	StatusLost        AgentStatus = "lost"        // went away without a goodbye
)

// Agent is one enrolled agent.
type Agent struct {
	ID              string            `json:"id"`
	Hostname        string            `json:"hostname"`
	Status          AgentStatus       `json:"status"`
	StatusReason    string            `json:"status_reason,omitempty"` // e.g. "SIGTERM by pid 812 (systemctl stop vigil-agent)", "connection closed"
	StatusChangedAt time.Time         `json:"status_changed_at"`
	LastSeen        time.Time         `json:"last_seen"`
	EnrolledAt      time.Time         `json:"enrolled_at"`
	Labels          map[string]string `json:"labels"`
	OS              string            `json:"os,omitempty"`
	Platform        string            `json:"platform,omitempty"`
	PlatformVersion string            `json:"platform_version,omitempty"`
	Kernel          string            `json:"kernel,omitempty"`
	Arch            string            `json:"arch,omitempty"`
	IPs             []string          `json:"ips"`
	BootTime        time.Time         `json:"boot_time,omitempty"`
	AgentVersion    string            `json:"agent_version,omitempty"`
	MachineID       string            `json:"machine_id,omitempty"`
	// UserKey is the agent's NATS user public key (an NKEY starting with U).
	UserKey string `json:"user_key"`
	// JoinTokenID is the join token it enrolled with.
	JoinTokenID string `json:"join_token_id,omitempty"`
	// LastState is the last state the agent reported (plugins, stats) as a
	// JSON document; kept so that a lost agent still shows what it said last.
	LastState []byte `json:"last_state,omitempty"`
}

// AgentFilter selects agents in a listing. Empty fields match everything.
type AgentFilter struct {
	Status AgentStatus
	// Labels must all match (key=value).
	Labels map[string]string
	// Q matches hostname, id or any IP (substring, case-insensitive).
	Q string
	Page
}

// StatusChange is one entry of an agent's health history.
type StatusChange struct {
	AgentID string      `json:"agent_id"`
	At      time.Time   `json:"at"`
	From    AgentStatus `json:"from"`
	To      AgentStatus `json:"to"`
	Reason  string      `json:"reason"`
}

// AgentStore keeps enrolled agents and their health history.
type AgentStore interface {
	// Create inserts a new agent; ErrAlreadyExists when the id is taken.
	Create(ctx context.Context, a Agent) error
	Get(ctx context.Context, id string) (Agent, error)
	// List returns agents ordered by hostname, then id.
	List(ctx context.Context, f AgentFilter) ([]Agent, string, error)
	// Update replaces the mutable fields (hostname, facts, labels, last
	// state, last seen) of an existing agent; status fields are left alone.
	Update(ctx context.Context, a Agent) error
	// SetStatus records a status change (and its history entry) when the
	// status differs from the stored one; it reports whether it changed.
	SetStatus(ctx context.Context, id string, to AgentStatus, reason string, at time.Time) (changed bool, err error)
	// TouchMany sets last_seen for many agents at once (heartbeats are
	// batched in memory and flushed periodically).
	TouchMany(ctx context.Context, lastSeen map[string]time.Time) error
	// SetLabels replaces an agent's labels.
	SetLabels(ctx context.Context, id string, labels map[string]string) error
	// Delete removes the agent and its history; ErrNotFound when absent.
	Delete(ctx context.Context, id string) error
	// History returns status changes, newest first.
	History(ctx context.Context, id string, limit int) ([]StatusChange, error)
}

// ---- join tokens ----

// JoinToken lets agents enroll. Only a hash of its secret is stored.
type JoinToken struct {
	ID          string            `json:"id"`
	SecretHash  []byte            `json:"-"`
	Description string            `json:"description,omitempty"`
	Labels      map[string]string `json:"labels"`
	CreatedAt   time.Time         `json:"created_at"`
	CreatedBy   string            `json:"created_by"`
	ExpiresAt   time.Time         `json:"expires_at"`
	// UsageLimit is the number of enrollments allowed; 0 means unlimited.
	UsageLimit int `json:"usage_limit"`
	Uses       int `json:"uses"`
}

// JoinTokenStore keeps join tokens.
type JoinTokenStore interface {
	Create(ctx context.Context, t JoinToken) error
	Get(ctx context.Context, id string) (JoinToken, error)
	List(ctx context.Context, p Page) ([]JoinToken, string, error)
	Delete(ctx context.Context, id string) error
	// Consume atomically counts one use of the token at time now. It returns
	// ErrNotFound, ErrTokenExpired or ErrTokenUsedUp (and counts nothing)
	// when the token cannot be used.
	Consume(ctx context.Context, id string, now time.Time) (JoinToken, error)
}

// ---- events ----

// EventFilter selects events. Empty fields match everything.
type EventFilter struct {
	AgentID  string
	Category string
	Action   string
	Since    time.Time // @timestamp >= Since
	Until    time.Time // @timestamp < Until
	// Q is free text matched (substring, case-insensitive) against the
	// event's Text(): message, command line, executable, path, user, ips.
	Q string
	// Ascending lists in ingest order, oldest first (for following new
	// events); the default is newest first.
	Ascending bool
	Page
}

// EventStore keeps events.
type EventStore interface {
	// Insert stores events in one transaction. It is idempotent on
	// event.id: an event whose id is already stored is skipped. It returns
	// how many were new. Every event must pass event.Validate.
	Insert(ctx context.Context, events []event.Event) (inserted int, err error)
	List(ctx context.Context, f EventFilter) ([]event.Event, string, error)
	Count(ctx context.Context) (int64, error)
	// DeleteBefore removes events whose @timestamp is before t (retention).
	DeleteBefore(ctx context.Context, t time.Time) (int64, error)
}

// ---- alerts ----

// Severity of an alert.
type Severity string

// Severities, lowest first.
const (
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

// Rank orders severities: 1 for low up to 4 for critical, 0 for anything
// else.
func (s Severity) Rank() int {
	switch s {
	case SeverityLow:
		return 1
	case SeverityMedium:
		return 2
	case SeverityHigh:
		return 3
	case SeverityCritical:
		return 4
	}
	return 0
}

// AlertState is where an alert is in triage.
type AlertState string

// Alert states: new -> acknowledged -> resolved | false_positive.
const (
	AlertNew           AlertState = "new"
	AlertAcknowledged  AlertState = "acknowledged"
	AlertResolved      AlertState = "resolved"
	AlertFalsePositive AlertState = "false_positive"
)

// Alert is a detection that needs triage.
type Alert struct {
	ID          string     `json:"id"`
	AgentID     string     `json:"agent_id"`
	Hostname    string     `json:"hostname,omitempty"`
	RuleID      string     `json:"rule_id"`
	Title       string     `json:"title"`
	Description string     `json:"description,omitempty"`
	Severity    Severity   `json:"severity"`
	State       AlertState `json:"state"`
	Techniques  []string   `json:"techniques"` // ATT&CK ids, e.g. T1562.001
	// DedupKey merges repeats: an open alert (new or acknowledged) with the
	// same key is counted instead of duplicated.
	DedupKey  string         `json:"dedup_key"`
	Count     int            `json:"count"`
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
	LastSeen  time.Time      `json:"last_seen"`
	Evidence  map[string]any `json:"evidence,omitempty"`
	EventIDs  []string       `json:"event_ids,omitempty"`
	Comments  []AlertComment `json:"comments,omitempty"`
	// IncidentID is the incident the alert is in, set by
	// IncidentStore.Attach ("" until then; AlertStore.Raise ignores it).
	IncidentID string `json:"incident_id,omitempty"`
}

// AlertComment is a note left with a state change.
type AlertComment struct {
	At     time.Time  `json:"at"`
	Author string     `json:"author"`
	State  AlertState `json:"state"`
	Text   string     `json:"text"`
}

// AlertFilter selects alerts. Empty fields match everything.
type AlertFilter struct {
	AgentID  string
	State    AlertState
	Severity Severity
	RuleID   string
	// Technique is an ATT&CK technique id ("T1059", "T1059.004"); a
	// technique also matches its sub-techniques.
	Technique string
	// Since keeps the alerts created at or after it.
	Since time.Time
	// IncidentID selects the alerts of one incident.
	IncidentID string
	Page
}

// AlertStore keeps alerts.
type AlertStore interface {
	// Raise stores a new alert or, when an open alert with the same DedupKey
	// exists, increments its count and last_seen. It returns the stored alert
	// and whether it was new.
	Raise(ctx context.Context, a Alert) (Alert, bool, error)
	Get(ctx context.Context, id string) (Alert, error)
	// List returns alerts newest first.
	List(ctx context.Context, f AlertFilter) ([]Alert, string, error)
	// SetState moves an alert to a new state, appending the comment.
	SetState(ctx context.Context, id string, state AlertState, c AlertComment) (Alert, error)
}

// ---- users and API tokens ----

// Role grants a set of permissions; each role includes the ones below it.
type Role string

// Roles, most powerful first.
const (
	RoleAdmin     Role = "admin"
	RoleResponder Role = "responder"
	RoleAnalyst   Role = "analyst"
	RoleViewer    Role = "viewer"
)

// User is a person who signs in to the console or the API.
type User struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	Role         Role      `json:"role"`
	PasswordHash string    `json:"-"` // argon2id PHC string
	Disabled     bool      `json:"disabled"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// UserStore keeps users.
type UserStore interface {
	Create(ctx context.Context, u User) error // ErrAlreadyExists on a taken name
	Get(ctx context.Context, id string) (User, error)
	GetByName(ctx context.Context, name string) (User, error)
	List(ctx context.Context, p Page) ([]User, string, error)
	Update(ctx context.Context, u User) error
	Delete(ctx context.Context, id string) error
}

// APIToken is a bearer credential: a long-lived API token or a console
// session. Only the SHA-256 of the secret is stored.
type APIToken struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Kind       string    `json:"kind"` // "api" or "session"
	UserID     string    `json:"user_id,omitempty"`
	Role       Role      `json:"role"`
	Hash       []byte    `json:"-"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at,omitempty"` // zero: never
	LastUsedAt time.Time `json:"last_used_at,omitempty"`
}

// APITokenStore keeps API tokens and sessions.
type APITokenStore interface {
	Create(ctx context.Context, t APIToken) error
	GetByHash(ctx context.Context, hash []byte) (APIToken, error)
	List(ctx context.Context, p Page) ([]APIToken, string, error)
	Delete(ctx context.Context, id string) error
	// DeleteByUser removes every token of a user (on delete or disable).
	DeleteByUser(ctx context.Context, userID string) error
	Touch(ctx context.Context, id string, at time.Time) error
}

// ---- audit ----

// AuditEntry records one state-changing call or response action.
type AuditEntry struct {
	ID       int64          `json:"id"`
	At       time.Time      `json:"at"`
	Actor    string         `json:"actor"` // user name, "token:<name>", "system"
	Role     Role           `json:"role,omitempty"`
	Action   string         `json:"action"` // e.g. agent.delete, command.collect, alert.state
	Target   string         `json:"target,omitempty"`
	Result   string         `json:"result"` // ok, denied, error
	Detail   map[string]any `json:"detail,omitempty"`
	SourceIP string         `json:"source_ip,omitempty"`
}

// AuditFilter selects audit entries.
type AuditFilter struct {
	Actor  string
	Action string // prefix match: "agent." matches agent.delete
	Since  time.Time
	Until  time.Time
	Page
}

// AuditStore is append-only.
type AuditStore interface {
	Append(ctx context.Context, e AuditEntry) (int64, error)
	// List returns entries newest first.
	List(ctx context.Context, f AuditFilter) ([]AuditEntry, string, error)
}

// ---- agent policies ----

// AgentPolicy is a named policy document applied to the agents its selector
// matches. Among matching policies the highest priority wins (then name).
type AgentPolicy struct {
	Name      string            `json:"name"`
	Selector  map[string]string `json:"selector"` // labels that must all match; empty matches every agent
	Priority  int               `json:"priority"`
	Spec      json.RawMessage   `json:"spec"` // protojson of busv1.AgentPolicy (revision ignored)
	Revision  uint64            `json:"revision"`
	UpdatedAt time.Time         `json:"updated_at"`
	UpdatedBy string            `json:"updated_by"`
}

// AgentPolicyStore keeps agent policies.
type AgentPolicyStore interface {
	// Put creates or replaces a policy, incrementing its revision.
	Put(ctx context.Context, p AgentPolicy) (AgentPolicy, error)
	Get(ctx context.Context, name string) (AgentPolicy, error)
	List(ctx context.Context) ([]AgentPolicy, error)
	Delete(ctx context.Context, name string) error
}

// ---- inventory ----

// Asset change actions, as recorded in AssetChange.Action.
const (
	AssetAdded   = "added"
	AssetChanged = "changed"
	AssetRemoved = "removed"
)

// AssetRecord is one inventory item the center holds for an agent.
type AssetRecord struct {
	AgentID   string          `json:"agent_id"`
	Collector string          `json:"collector"`
	Kind      string          `json:"kind"`
	Key       string          `json:"key"`
	Name      string          `json:"name"`
	Version   string          `json:"version,omitempty"`
	Fields    json.RawMessage `json:"fields,omitempty"` // a JSON object, or nil
	// Hash is event.AssetHash of the item; the set's digest is computed
	// from the hashes.
	Hash      [32]byte  `json:"-"`
	FirstSeen time.Time `json:"first_seen"`
	UpdatedAt time.Time `json:"updated_at"`
}

// AssetRef names an item within an agent's collector set.
type AssetRef struct {
	Kind string `json:"kind"`
	Key  string `json:"key"`
}

// AssetChange is one entry of the inventory's history: an item added,
// changed or removed.
type AssetChange struct {
	ID        string    `json:"id"` // opaque, increasing in the order changes were recorded
	AgentID   string    `json:"agent_id"`
	Collector string    `json:"collector"`
	Kind      string    `json:"kind"`
	Key       string    `json:"key"`
	Name      string    `json:"name"`
	Action    string    `json:"action"` // AssetAdded, AssetChanged, AssetRemoved
	At        time.Time `json:"at"`
	// Before and After are the item's version (or "") before and after the
	// change; BeforeFields and AfterFields its fields.
	Before       string          `json:"before,omitempty"`
	After        string          `json:"after,omitempty"`
	BeforeFields json.RawMessage `json:"before_fields,omitempty"`
	AfterFields  json.RawMessage `json:"after_fields,omitempty"`
}

// InventoryChanges change one agent's set for one collector from the state
// whose digest is BaseDigest to the state whose digest is Digest.
type InventoryChanges struct {
	AgentID    string
	Collector  string
	BaseDigest string
	Digest     string
	Upserts    []AssetRecord // AgentID, Collector, FirstSeen, UpdatedAt are set by the store
	Removed    []AssetRef
	At         time.Time // when the inventory was taken (change times, UpdatedAt)
	// Last marks the last part of an inventory's changes. The changes of
	// a set's first inventory, up to and including its last part, are its
	// baseline and are not recorded as history.
	Last bool
	// NoHistory lists kinds whose changes are not recorded (processes,
	// which come and go).
	NoHistory []string
}

// InventoryResult is the outcome of InventoryStore.Apply.
type InventoryResult struct {
	// Resync: the store did not hold BaseDigest, or the changes did not
	// lead to Digest; nothing was changed.
	Resync bool
	// Digest is the digest of the set held now.
	Digest                  string
	Added, Changed, Removed int
}

// AssetDigest is an item's identity and hash, for InventoryStore.State.
type AssetDigest struct {
	Kind string
	Key  string
	Hash [32]byte
}

// AssetFilter selects inventory items. Empty fields match everything.
type AssetFilter struct {
	AgentID   string
	Kind      string
	Collector string
	// Name matches the item's name exactly, ignoring case.
	Name string
	// Q is free text matched (substring, case-insensitive) against the
	// item's key, name, version and fields.
	Q string
	// Match, when set, is applied to the items the other fields select;
	// the store keeps reading until the page is full (version ranges:
	// "redis below 6").
	Match func(AssetRecord) bool
	Page
}

// AssetChangeFilter selects history entries, newest first.
type AssetChangeFilter struct {
	AgentID string
	Kind    string
	Action  string
	// Q matches the key or name (substring, case-insensitive).
	Q     string
	Since time.Time // At >= Since
	Until time.Time // At < Until
	Page
}

// AssetCount is the number of items of one kind held for one agent.
type AssetCount struct {
	AgentID string `json:"agent_id"`
	Kind    string `json:"kind"`
	Count   int64  `json:"count"`
}

// InventorySet describes one collector's set for one agent.
type InventorySet struct {
	AgentID   string    `json:"agent_id"`
	Collector string    `json:"collector"`
	Digest    string    `json:"digest"`
	Items     int64     `json:"items"`
	UpdatedAt time.Time `json:"updated_at"` // last change applied
	CheckedAt time.Time `json:"checked_at"` // last report, changed or not
}

// InventoryStore keeps every agent's inventory and its history.
type InventoryStore interface {
	// Apply applies changes in one transaction: only when the set's
	// digest is BaseDigest (a set never written has
	// event.InventoryDigest(nil)), and only when the result's digest is
	// Digest; otherwise nothing changes and the result says Resync. An
	// upsert whose hash equals the stored one changes nothing. Changes
	// whose BaseDigest equals Digest and that carry no items only mark
	// the set checked.
	Apply(ctx context.Context, c InventoryChanges) (InventoryResult, error)
	// State returns the digest of an agent's set for a collector and one
	// page of its items' hashes, ordered by kind and key.
	State(ctx context.Context, agentID, collector string, p Page) (digest string, items []AssetDigest, next string, err error)
	// List returns items, ordered by agent, kind and key.
	List(ctx context.Context, f AssetFilter) ([]AssetRecord, string, error)
	// Changes returns history entries, newest first.
	Changes(ctx context.Context, f AssetChangeFilter) ([]AssetChange, string, error)
	// Counts returns the number of items per agent and kind (one agent's
	// when agentID is set).
	Counts(ctx context.Context, agentID string) ([]AssetCount, error)
	// Sets returns the collector sets held for an agent.
	Sets(ctx context.Context, agentID string) ([]InventorySet, error)
	// DeleteAgent removes an agent's items, sets and history, the
	// vulnerability findings made from its items, and its compliance
	// score history.
	DeleteAgent(ctx context.Context, agentID string) error
	// DeleteChangesBefore removes history entries older than t (retention).
	DeleteChangesBefore(ctx context.Context, t time.Time) (int64, error)
}
