package store

import (
	"context"
	"time"
)

// ---- detection: imported rules, rule settings, exceptions ----

// RuleFile is a Sigma YAML file an operator imported (`vigil rules
// import`, the API or the console). The shipped rule pack is built into
// the center and is not stored; its rules are switched on and off with
// RuleSetting.
type RuleFile struct {
	// Name is the file's name within the imported set, unique, such as
	// "linux/process_creation/proc_creation_lnx_susp_curl.yml".
	Name string `json:"name"`
	// Content is the YAML text, unchanged.
	Content []byte `json:"-"`
	// SHA256 is the hex digest of Content, computed by the store.
	SHA256    string    `json:"sha256"`
	Author    string    `json:"author"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// RuleSetting is an operator's choice for one rule (shipped or imported),
// by the rule's Sigma id.
type RuleSetting struct {
	RuleID   string `json:"rule_id"`
	Disabled bool   `json:"disabled"`
	// Severity, when set, replaces the severity the rule's level gives.
	Severity  Severity  `json:"severity,omitempty"`
	Author    string    `json:"author"`
	UpdatedAt time.Time `json:"updated_at"`
}

// RuleStore keeps imported rule files and rule settings.
type RuleStore interface {
	// PutFile stores a file, replacing one of the same name (CreatedAt
	// kept; zero times mean now). It reports whether the file is new;
	// ErrInvalid for an empty name.
	PutFile(ctx context.Context, f RuleFile) (bool, error)
	// DeleteFile removes a file; ErrNotFound when there is none.
	DeleteFile(ctx context.Context, name string) error
	// Files returns every imported file, by name, with its content.
	Files(ctx context.Context) ([]RuleFile, error)
	// PutSetting stores a rule's setting, replacing the previous one (a
	// zero UpdatedAt means now); ErrInvalid for an empty rule id or a
	// severity that is neither empty nor known.
	PutSetting(ctx context.Context, s RuleSetting) error
	// DeleteSetting removes a rule's setting (the rule is back to its
	// defaults); ErrNotFound when there is none.
	DeleteSetting(ctx context.Context, ruleID string) error
	// Settings returns every setting, by rule id.
	Settings(ctx context.Context) ([]RuleSetting, error)
}

// Exception is an allow-list entry: alerts of RuleID (every rule when
// empty) on AgentID (every agent when empty) whose event matches every
// field of Match are not raised. Exceptions are data, never edits of
// rules.
type Exception struct {
	ID      string `json:"id"`
	RuleID  string `json:"rule_id,omitempty"`
	AgentID string `json:"agent_id,omitempty"`
	// Match maps ECS field paths to patterns; an event matches when, for
	// every field, its value matches one of the patterns (case-insensitive,
	// '*' and '?' wildcards). An empty Match matches every event.
	Match  map[string][]string `json:"match"`
	Reason string              `json:"reason"`
	Author string              `json:"author"`
	// ExpiresAt, when not zero, ends the exception.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Hits counts the alerts the exception suppressed; LastHit is the
	// latest. Only ExceptionStore.AddHits changes them.
	Hits    int64     `json:"hits"`
	LastHit time.Time `json:"last_hit,omitzero"`
}

// ExceptionFilter selects exceptions. Empty fields match everything.
type ExceptionFilter struct {
	// RuleID and AgentID match the exception's fields exactly: an
	// exception of every rule (empty RuleID) is not one of rule "x".
	RuleID  string
	AgentID string
	// ActiveAt, when not zero, leaves out the exceptions expired at that
	// time (ExpiresAt at or before it).
	ActiveAt time.Time
	Page
}

// ExceptionStore keeps exceptions.
type ExceptionStore interface {
	// Create stores a new exception: a random id when ID is empty, now
	// for a zero CreatedAt, CreatedAt for a zero UpdatedAt, no hits.
	// ErrAlreadyExists when the id is taken; ErrInvalid for a Match
	// with an empty field or a field without patterns.
	Create(ctx context.Context, e Exception) (Exception, error)
	Get(ctx context.Context, id string) (Exception, error)
	// List returns exceptions newest first.
	List(ctx context.Context, f ExceptionFilter) ([]Exception, string, error)
	// Update replaces an exception's rule, agent, match, reason and
	// expiry (not its author, creation or hits), stamping UpdatedAt (now
	// when zero); ErrNotFound when there is none.
	Update(ctx context.Context, e Exception) (Exception, error)
	// Delete removes an exception; ErrNotFound when there is none.
	Delete(ctx context.Context, id string) error
	// AddHits atomically adds n (at least 1) suppressed alerts to
	// exception id, the last at at (LastHit never moves back);
	// ErrNotFound when there is none.
	AddHits(ctx context.Context, id string, n int64, at time.Time) error
}

// ---- incidents ----

// IncidentState is where an incident is in its handling.
type IncidentState string

// Incident states: open -> investigating -> resolved | false_positive.
const (
	IncidentOpen          IncidentState = "open"
	IncidentInvestigating IncidentState = "investigating"
	IncidentResolved      IncidentState = "resolved"
	IncidentFalsePositive IncidentState = "false_positive"
)

// Entity kinds that tie alerts into incidents.
const (
	EntityProcess  = "process"   // a process.entity_id (and its ancestors')
	EntityIP       = "ip"        // a remote address
	EntityUser     = "user"      // a user name, "name@host" for host-local accounts
	EntityFileHash = "file_hash" // a SHA-256
	EntityFile     = "file"      // an "agent:path" of a file
	EntityDomain   = "domain"    // a DNS name
)

// Entity is something alerts can share: an incident gathers the alerts
// that share one within a time window.
type Entity struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

// Incident is a group of related alerts, on one host or across hosts.
type Incident struct {
	ID       string        `json:"id"`
	Title    string        `json:"title"`
	Severity Severity      `json:"severity"`
	State    IncidentState `json:"state"`
	// AgentIDs and Hostnames are the hosts involved, in the order they
	// joined.
	AgentIDs   []string `json:"agent_ids"`
	Hostnames  []string `json:"hostnames"`
	Techniques []string `json:"techniques"`
	// RuleIDs are the rules whose alerts the incident holds.
	RuleIDs []string `json:"rule_ids"`
	// Entities are what its alerts share and brought in, in the order
	// they came (bounded by MaxIncidentEntities; the oldest are kept).
	Entities []Entity `json:"entities"`
	// AlertCount is the number of alerts in the incident.
	AlertCount int    `json:"alert_count"`
	Assignee   string `json:"assignee,omitempty"`
	// FirstSeen is the earliest creation and LastSeen the latest last
	// sighting of its alerts.
	FirstSeen time.Time         `json:"first_seen"`
	LastSeen  time.Time         `json:"last_seen"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
	Comments  []IncidentComment `json:"comments,omitempty"`
}

// IncidentComment is a note left with an incident's state change.
type IncidentComment struct {
	At     time.Time     `json:"at"`
	Author string        `json:"author"`
	State  IncidentState `json:"state"`
	Text   string        `json:"text"`
}

// MaxIncidentEntities bounds Incident.Entities.
const MaxIncidentEntities = 500

// Join says how an alert joins an incident.
type Join struct {
	// AlertID is the stored alert; the store reads it (host, rule,
	// techniques, severity, times) in the same transaction.
	AlertID string
	// Entities are the alert's entities; the alert joins the open incident
	// that shares one of them and was last seen within Window before the
	// alert's last sighting, else a new incident. Entities with an empty
	// kind or value and repeats are dropped, and only the first
	// MaxIncidentEntities are used.
	Entities []Entity
	// Window bounds how long ago a candidate incident was last seen; zero
	// puts no bound.
	Window time.Duration
	// SameHost marks a host alert: one about the alert's host (its agent)
	// itself rather than an event on it, such as an agent lost or
	// uninstalled. An agent that goes silent minutes after a reverse shell
	// on its host is what an attacker who kills the agent looks like, so
	// when no open incident shares one of its entities, a host alert joins
	// the open incident involving its host that was last seen within
	// Window before the alert (the most recently seen), else a new
	// incident. The store remembers the host alert's last sighting in its
	// incident: an alert of the same host without SameHost that shares no
	// entity with an open incident joins the open incident holding a host
	// alert of its host seen within Window before it (the most recently
	// seen incident), so that the order in which a host alert and the
	// alerts around it are attached does not matter. Ignored for an alert
	// without an agent.
	SameHost bool
	// Title is the title of a new incident (the alert's title when empty).
	Title string
	// At is when the alert joins (the incident's UpdatedAt, and its
	// CreatedAt when new); zero means now.
	At time.Time
}

// IncidentFilter selects incidents. Empty fields match everything.
type IncidentFilter struct {
	// AgentID selects the incidents involving that host.
	AgentID  string
	State    IncidentState
	Severity Severity
	Page
}

// IncidentStore keeps incidents and the alerts' membership.
type IncidentStore interface {
	// Attach puts a stored alert into an incident in one transaction:
	// the open (open or investigating) incident sharing the most of the
	// alert's entities among those last seen within the window (the most
	// recent on a tie); failing that, for an alert with an agent, the
	// open incident of its host that Join.SameHost describes; else a new
	// one. The incident takes the alert's host, techniques, rule and
	// entities, the highest severity, and first/last seen; the alert's
	// IncidentID is set. Attaching an alert that is already in an incident
	// only updates that incident (the alert is not counted again; a host
	// alert's sighting moves on). Concurrent Attaches of alerts that would
	// join one incident one after the other (alerts sharing an entity, a
	// host alert and another alert of its host) end in one incident. It
	// returns the incident and whether it is new; ErrNotFound when the
	// alert is not stored.
	Attach(ctx context.Context, j Join) (Incident, bool, error)
	Get(ctx context.Context, id string) (Incident, error)
	// List returns incidents, most recently seen first (then by id,
	// descending).
	List(ctx context.Context, f IncidentFilter) ([]Incident, string, error)
	// SetState moves an incident to a new state, appending the comment
	// (stamped with the state; its At defaults to now); an empty assignee
	// leaves it unchanged. ErrInvalid for an unknown state.
	SetState(ctx context.Context, id string, state IncidentState, assignee string, c IncidentComment) (Incident, error)
	// Alerts returns the incident's alerts, oldest first; ErrNotFound
	// when there is no such incident.
	Alerts(ctx context.Context, id string, p Page) ([]Alert, string, error)
}

// ---- state of center services ----

// StateStore keeps small blobs of a service's state under a key (such as
// the correlation windows of detection), so that it survives a restart.
type StateStore interface {
	// Put stores value under key, replacing the previous one;
	// ErrInvalid for an empty key.
	Put(ctx context.Context, key string, value []byte) error
	// Get returns the value of key; ErrNotFound when there is none.
	Get(ctx context.Context, key string) ([]byte, error)
	// Delete removes key; ErrNotFound when there is none.
	Delete(ctx context.Context, key string) error
}
