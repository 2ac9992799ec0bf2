package store

import (
	"context"
	"encoding/json"
	"time"
)

// ---- risk: the vulnerability database, findings, word lists ----

// Advisory is one record of the vulnerability database: an OSV record as
// imported, with the facts the center lists and filters on taken out of
// it.
type Advisory struct {
	// ID is the record's id ("DEBIAN-CVE-2023-5363", "DSA-5532-1",
	// "GHSA-jfh8-c2jp-5v3q").
	ID string `json:"id"`
	// Source is the feed it was imported from ("Debian", "Maven", a
	// file's name).
	Source    string    `json:"source"`
	Modified  time.Time `json:"modified"`
	Published time.Time `json:"published,omitzero"`
	// Withdrawn is zero unless the record was withdrawn.
	Withdrawn time.Time `json:"withdrawn,omitzero"`
	// Aliases are the other ids it names: its aliases and the upstream
	// vulnerabilities (the CVEs of a Debian advisory).
	Aliases []string `json:"aliases"`
	Summary string   `json:"summary,omitempty"`
	// Severity is critical, high, medium, low, none or unknown.
	Severity string `json:"severity"`
	// Score is the CVSS base score, 0 when the record gives none.
	Score float64 `json:"score,omitempty"`
	// Ecosystems are the ecosystems of its affected packages
	// ("Debian:12", "Maven").
	Ecosystems []string `json:"ecosystems"`
	// Packages are the names of its affected packages.
	Packages []string `json:"packages"`
	// Record is the OSV JSON as imported.
	Record json.RawMessage `json:"record,omitempty"`
}

// AdvisoryPut is the outcome of VulnStore.PutAdvisories.
type AdvisoryPut struct {
	Added, Updated, Unchanged int
}

// AdvisoryFilter selects advisories. Empty fields match everything.
type AdvisoryFilter struct {
	// ID matches the id or any alias exactly.
	ID        string
	Ecosystem string // exact
	Source    string // exact
	Severity  string // exact
	// Q matches the id, aliases, summary or package names (substring,
	// case-insensitive).
	Q string
	Page
}

// KnownExploited is one entry of a catalogue of vulnerabilities known to
// be exploited (CISA KEV).
type KnownExploited struct {
	CVE       string    `json:"cve"`
	Vendor    string    `json:"vendor,omitempty"`
	Product   string    `json:"product,omitempty"`
	Name      string    `json:"name,omitempty"`
	DateAdded time.Time `json:"date_added,omitzero"`
	DueDate   time.Time `json:"due_date,omitzero"`
	// Ransomware says the vulnerability is known to be used in ransomware
	// campaigns.
	Ransomware bool `json:"ransomware,omitempty"`
}

// VulnSource is the state of one feed of the vulnerability database: a
// sync source or an imported file.
type VulnSource struct {
	Name string `json:"name"`
	// URL is where it is synced from ("" for an upload).
	URL string `json:"url,omitempty"`
	// ETag and LastModified are the HTTP validators of the last download,
	// so that an unchanged feed is not downloaded again.
	ETag         string    `json:"etag,omitempty"`
	LastModified string    `json:"last_modified,omitempty"`
	SHA256       string    `json:"sha256,omitempty"` // of the last file read
	Records      int       `json:"records"`
	Rejected     int       `json:"rejected"`
	SyncedAt     time.Time `json:"synced_at,omitzero"`
	// Error is the last attempt's error, "" when it succeeded.
	Error     string    `json:"error,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// VulnFinding is one vulnerability of one package or library on one
// host.
type VulnFinding struct {
	AgentID string `json:"agent_id"`
	// AssetKind is the inventory item's kind (package or library) and
	// AssetKey its key.
	AssetKind string `json:"asset_kind"`
	AssetKey  string `json:"asset_key"`
	// VulnID is the vulnerability shown: the CVE when the advisories name
	// one, else the advisory id.
	VulnID string `json:"vuln_id"`
	// Advisories are the ids of the advisories that matched.
	Advisories []string `json:"advisories"`
	Aliases    []string `json:"aliases"`
	Ecosystem  string   `json:"ecosystem"`
	Package    string   `json:"package"`
	// Version is the installed version; FixedVersion the version that
	// fixes it ("" when no fix is known).
	Version      string `json:"version"`
	FixedVersion string `json:"fixed_version,omitempty"`
	// Path is where a library was found.
	Path     string  `json:"path,omitempty"`
	Severity string  `json:"severity"`
	Score    float64 `json:"score,omitempty"`
	// KnownExploited: the vulnerability is in a known-exploited catalogue.
	KnownExploited bool   `json:"known_exploited"`
	Summary        string `json:"summary,omitempty"`
	// Running and Listening say whether a process of the package runs,
	// and holds a listening socket.
	Running   bool      `json:"running"`
	Listening bool      `json:"listening"`
	FirstSeen time.Time `json:"first_seen"`
	UpdatedAt time.Time `json:"updated_at"`
}

// VulnFindingFilter selects findings. Empty fields match everything.
type VulnFindingFilter struct {
	AgentID   string
	VulnID    string // exact
	Ecosystem string // exact
	// Package matches the package name exactly.
	Package string
	// Severities, when set, are the severities kept.
	Severities []string
	// KnownExploited, Running, Fixable keep only findings that are known
	// exploited, whose program runs, that have a fix.
	KnownExploited bool
	Running        bool
	Fixable        bool
	// Q matches the vulnerability id, advisories, package or summary
	// (substring, case-insensitive).
	Q string
	Page
}

// VulnReplace is the outcome of VulnStore.ReplaceFindings.
type VulnReplace struct {
	Added, Removed, Kept int
}

// VulnHostSummary counts one agent's findings by severity.
type VulnHostSummary struct {
	AgentID  string `json:"agent_id"`
	Critical int    `json:"critical"`
	High     int    `json:"high"`
	Medium   int    `json:"medium"`
	Low      int    `json:"low"`
	// Other counts the severities none and unknown.
	Other          int `json:"other"`
	KnownExploited int `json:"known_exploited"`
	Fixable        int `json:"fixable"`
	Total          int `json:"total"`
}

// VulnSummary is one vulnerability across the fleet.
type VulnSummary struct {
	VulnID         string   `json:"vuln_id"`
	Severity       string   `json:"severity"`
	Score          float64  `json:"score,omitempty"`
	KnownExploited bool     `json:"known_exploited"`
	Summary        string   `json:"summary,omitempty"`
	Hosts          int      `json:"hosts"`
	Packages       []string `json:"packages"`
	// Fixable: a fix is known for at least one affected package.
	Fixable bool `json:"fixable"`
}

// Wordlist is a list of passwords an operator uploaded for the weak
// password checks.
type Wordlist struct {
	Name string `json:"name"`
	// Words, one per line; not returned by listings.
	Words     []string  `json:"-"`
	Count     int       `json:"count"`
	SHA256    string    `json:"sha256"` // of the words joined by newlines, computed by the store
	Author    string    `json:"author"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// VulnStore keeps the vulnerability database and the findings.
type VulnStore interface {
	// PutAdvisories stores advisories in one transaction: a new id is
	// added; an existing one is replaced only when Modified is later (or
	// the record differs with the same Modified), else unchanged.
	// ErrInvalid for an empty id or a zero Modified.
	PutAdvisories(ctx context.Context, advs []Advisory) (AdvisoryPut, error)
	// GetAdvisory returns an advisory with its record; ErrNotFound.
	GetAdvisory(ctx context.Context, id string) (Advisory, error)
	// ListAdvisories returns advisories without their records, by id.
	ListAdvisories(ctx context.Context, f AdvisoryFilter) ([]Advisory, string, error)
	// ScanAdvisories calls fn for every advisory with its record, by id,
	// reading in batches (the index is built from it); an error from fn
	// stops it and is returned.
	ScanAdvisories(ctx context.Context, fn func(Advisory) error) error
	// CountAdvisories returns the number of advisories per source.
	CountAdvisories(ctx context.Context) (map[string]int, error)
	// DeleteSource removes the advisories of a source and its state;
	// the number of advisories removed.
	DeleteSource(ctx context.Context, source string) (int, error)

	// ReplaceKnownExploited replaces the known-exploited catalogue.
	ReplaceKnownExploited(ctx context.Context, entries []KnownExploited) error
	// KnownExploited returns the catalogue, by CVE.
	KnownExploited(ctx context.Context) ([]KnownExploited, error)

	// PutSource creates or replaces a feed's state (zero UpdatedAt means
	// now); ErrInvalid for an empty name.
	PutSource(ctx context.Context, s VulnSource) error
	// Sources returns every feed's state, by name.
	Sources(ctx context.Context) ([]VulnSource, error)

	// ReplaceFindings makes an agent's findings exactly fs (AgentID is
	// set by the store), in one transaction. A finding is identified by
	// asset key and vulnerability id: one present before keeps its
	// FirstSeen; UpdatedAt is at for every finding written.
	ReplaceFindings(ctx context.Context, agentID string, fs []VulnFinding, at time.Time) (VulnReplace, error)
	// ListFindings returns findings, by severity (critical first), score
	// (highest first), agent, vulnerability and asset key.
	ListFindings(ctx context.Context, f VulnFindingFilter) ([]VulnFinding, string, error)
	// HostSummaries returns each agent's counts (one agent's when agentID
	// is set), for agents that have findings, by agent id.
	HostSummaries(ctx context.Context, agentID string) ([]VulnHostSummary, error)
	// VulnSummaries returns the vulnerabilities the filter's findings
	// name, with the number of hosts each affects, by severity, hosts
	// (most first) and id.
	VulnSummaries(ctx context.Context, f VulnFindingFilter) ([]VulnSummary, string, error)
	// DeleteAgentFindings removes an agent's findings.
	DeleteAgentFindings(ctx context.Context, agentID string) error

	// PutWordlist creates or replaces a word list (CreatedAt kept; zero
	// times mean now); it reports whether it is new. ErrInvalid for an
	// empty name.
	PutWordlist(ctx context.Context, w Wordlist) (bool, error)
	// Wordlists returns every list, by name, with its words.
	Wordlists(ctx context.Context) ([]Wordlist, error)
	// DeleteWordlist removes a list; ErrNotFound when there is none.
	DeleteWordlist(ctx context.Context, name string) error
}
