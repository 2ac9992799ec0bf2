package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// ---- threat intelligence ----
//
// Indicators of compromise that operators import or add. Their meaning
// (the formats they come in, how values are normalized and matched)
// belongs to package intel; the store keeps what it is given.

// IndicatorType is the kind of value an indicator holds.
type IndicatorType string

// Indicator types.
const (
	// IndicatorIP is an IPv4 or IPv6 address, or a network in CIDR
	// notation ("203.0.113.0/24").
	IndicatorIP IndicatorType = "ip"
	// IndicatorDomain is a domain name; its subdomains match too.
	IndicatorDomain IndicatorType = "domain"
	// IndicatorURL is a URL.
	IndicatorURL IndicatorType = "url"
	// IndicatorMD5, IndicatorSHA1 and IndicatorSHA256 are file hashes
	// in lower-case hex.
	IndicatorMD5    IndicatorType = "md5"
	IndicatorSHA1   IndicatorType = "sha1"
	IndicatorSHA256 IndicatorType = "sha256"
)

// IndicatorTypes lists every indicator type.
var IndicatorTypes = []IndicatorType{IndicatorIP, IndicatorDomain, IndicatorURL, IndicatorMD5, IndicatorSHA1, IndicatorSHA256}

// Indicator is one indicator of compromise.
type Indicator struct {
	// ID is IndicatorID(Type, Value, Source): importing the same
	// indicator from the same source again updates it.
	ID    string        `json:"id"`
	Type  IndicatorType `json:"type"`
	Value string        `json:"value"` // normalized by package intel
	// Source names the feed or list the indicator came from ("manual"
	// for those added one by one).
	Source      string `json:"source"`
	Description string `json:"description,omitempty"`
	// Severity is low, medium, high or critical.
	Severity string `json:"severity"`
	// Confidence is 0 to 100.
	Confidence int      `json:"confidence"`
	Tags       []string `json:"tags"`
	// Techniques are ATT&CK technique ids.
	Techniques []string  `json:"techniques"`
	Reference  string    `json:"reference,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	UpdatedBy  string    `json:"updated_by,omitempty"`
	// ExpiresAt is when the indicator stops matching; zero: never.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	// Hits counts the events the indicator matched; LastHitAt is the
	// latest (zero: none).
	Hits      int64     `json:"hits"`
	LastHitAt time.Time `json:"last_hit_at,omitzero"`
}

// IndicatorID is the id of the indicator of type t and (normalized)
// value from source.
func IndicatorID(t IndicatorType, value, source string) string {
	h := sha256.Sum256([]byte(string(t) + "\x00" + value + "\x00" + source))
	return hex.EncodeToString(h[:12])
}

// IndicatorFilter selects indicators.
type IndicatorFilter struct {
	Type   IndicatorType // "" for any
	Source string        // "" for any
	// Q matches a substring of the value or the description, case
	// insensitively.
	Q string
	// Expired includes the indicators whose ExpiresAt passed at At.
	Expired bool
	// At is the time the listing judges expiry at; zero means now.
	At time.Time
	Page
}

// IntelSource is one source of indicators with its count.
type IntelSource struct {
	Name      string    `json:"name"`
	Count     int       `json:"count"`
	UpdatedAt time.Time `json:"updated_at"`
}

// IntelStore keeps the indicators of compromise.
type IntelStore interface {
	// Put writes indicators in one transaction: a new id is added, a
	// known one replaced keeping its CreatedAt, Hits and LastHitAt. The
	// ID of each must be IndicatorID of its type, value and source, else
	// ErrInvalid (as for an empty value, source or unknown type). A zero
	// UpdatedAt means now. It returns how many were added and updated.
	Put(ctx context.Context, ins []Indicator) (added, updated int, err error)
	// Get returns one indicator; ErrNotFound.
	Get(ctx context.Context, id string) (Indicator, error)
	// List returns indicators by type, then value, then source.
	List(ctx context.Context, f IndicatorFilter) ([]Indicator, string, error)
	// Delete removes one indicator; ErrNotFound.
	Delete(ctx context.Context, id string) error
	// DeleteSource removes every indicator of a source and returns how
	// many.
	DeleteSource(ctx context.Context, source string) (int, error)
	// Each calls fn with every indicator that has not expired at at, in
	// id order; an error of fn ends the walk and is returned.
	Each(ctx context.Context, at time.Time, fn func(Indicator) error) error
	// Revision grows with every change of the indicators (Put, Delete,
	// DeleteSource; not RecordHits): matchers reload when it moved.
	Revision(ctx context.Context) (int64, error)
	// RecordHits adds counts to the hits of indicators by id and moves
	// their LastHitAt to at (it never moves back; zero at means now);
	// unknown ids and zero counts are skipped, ErrInvalid for a
	// negative count.
	RecordHits(ctx context.Context, hits map[string]int64, at time.Time) error
	// Sources lists the sources, by name, with their counts (expired
	// indicators included).
	Sources(ctx context.Context) ([]IntelSource, error)
}

// ---- behaviour baselines ----
//
// What the center learned of each host's users' logins: from where and
// when they log in. Package baseline learns and judges; the store keeps
// the profiles.

// LoginProfile is the learned login behaviour of one user on one host.
type LoginProfile struct {
	AgentID string `json:"agent_id"`
	User    string `json:"user"`
	// FirstSeen and LastSeen bound the successful logins learned.
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// Logins counts the successful logins learned.
	Logins int64 `json:"logins"`
	// Hours counts the logins per hour of the day, in the baseline's
	// time zone.
	Hours [24]int64 `json:"hours"`
	// Sources are the remote addresses the user logged in from, most
	// recently seen first (bounded by package baseline).
	Sources []LoginSource `json:"sources"`
	// LearnedAt is when the profile leaves (or left) learning, set by
	// package baseline when the login completing its minimum count is
	// learned; zero before.
	LearnedAt time.Time `json:"learned_at,omitzero"`
	// Revision counts the writes of the profile: 1 when created.
	Revision int64 `json:"revision"`
}

// LoginSource is one address a user logged in from.
type LoginSource struct {
	IP        string    `json:"ip"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	Count     int64     `json:"count"`
}

// LoginProfileFilter selects login profiles.
type LoginProfileFilter struct {
	AgentID string // "" for any
	User    string // "" for any
	Page
}

// BaselineStore keeps the behaviour baselines.
type BaselineStore interface {
	// PutLoginProfiles writes profiles in one transaction, each
	// replacing the stored one of its agent and user; the stored
	// Revision becomes the previous one plus one (1 for a new profile),
	// whatever the given Revision. ErrInvalid for an empty agent id or
	// user.
	PutLoginProfiles(ctx context.Context, ps []LoginProfile) error
	// GetLoginProfile returns one profile; ErrNotFound.
	GetLoginProfile(ctx context.Context, agentID, user string) (LoginProfile, error)
	// ListLoginProfiles returns profiles by agent id, then user.
	ListLoginProfiles(ctx context.Context, f LoginProfileFilter) ([]LoginProfile, string, error)
	// DeleteLoginProfiles removes the profiles of an agent, of one of its
	// users when user is not "", and returns how many.
	DeleteLoginProfiles(ctx context.Context, agentID, user string) (int, error)
	// EachLoginProfile calls fn with every profile, by agent id then
	// user; an error of fn ends the walk and is returned.
	EachLoginProfile(ctx context.Context, fn func(LoginProfile) error) error
}
