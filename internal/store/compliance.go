package store

import (
	"context"
	"time"
)

// ---- compliance: uploaded policies, assignments, exceptions, scores ----
//
// The results of the checks themselves travel and are kept as inventory
// items of kind "compliance" (one per policy and check, collector
// compliance/baseline), so that their history is the inventory's history.

// CompliancePolicy is a compliance policy an operator uploaded (the
// shipped policies are built into the center and the agent and are not
// stored).
type CompliancePolicy struct {
	// ID is the policy's id (policy.id in the file), unique.
	ID string `json:"id"`
	// Version is policy.version in the file.
	Version string `json:"version"`
	// Digest is the hex SHA-256 of the policy's canonical content.
	Digest string `json:"digest"`
	// Name is the policy's English name, for listings.
	Name string `json:"name"`
	// Format is "vigil" or "wazuh-sca".
	Format string `json:"format"`
	// Checks counts its checks.
	Checks int `json:"checks"`
	// Content is the file as uploaded; not returned by listings.
	Content   []byte    `json:"-"`
	Author    string    `json:"author"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ComplianceAssignment says which hosts evaluate a policy and how often.
type ComplianceAssignment struct {
	// PolicyID names a shipped or uploaded policy; one assignment per
	// policy.
	PolicyID string `json:"policy_id"`
	// Selector are labels a host must all have; empty selects every
	// host (the policy's own requirements still decide whether it
	// applies to a host's system).
	Selector map[string]string `json:"selector"`
	// IntervalSeconds is how often the hosts evaluate it (0: the
	// collector's default, daily).
	IntervalSeconds int64     `json:"interval_seconds"`
	Disabled        bool      `json:"disabled"`
	Author          string    `json:"author"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// ComplianceException accepts a check's failure, for a reason, until it
// expires: the check shows as excepted and does not count in scores.
type ComplianceException struct {
	ID       string `json:"id"`
	PolicyID string `json:"policy_id"`
	// CheckID is the check; empty for every check of the policy.
	CheckID string `json:"check_id"`
	// AgentID is the host; empty for every host.
	AgentID string `json:"agent_id"`
	Reason  string `json:"reason"`
	// ExpiresAt is when it ends (zero: never).
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	Author    string    `json:"author"`
	CreatedAt time.Time `json:"created_at"`
}

// ComplianceScore is one host's score for one policy at one time: the
// score history of a host, written when its results change (at most one
// per host, policy and day is kept: a later one of the same day replaces
// it).
type ComplianceScore struct {
	AgentID  string    `json:"agent_id"`
	PolicyID string    `json:"policy_id"`
	At       time.Time `json:"at"`
	Passed   int       `json:"passed"`
	Failed   int       `json:"failed"`
	Errors   int       `json:"errors"`
	Excepted int       `json:"excepted"`
	// NotApplicable counts the checks that do not apply to the host.
	NotApplicable int `json:"not_applicable"`
	// Score is passed / (passed + failed) in percent, 0 with neither;
	// computed by the store.
	Score float64 `json:"score"`
}

// ComplianceScoreFilter selects score history entries.
type ComplianceScoreFilter struct {
	AgentID  string
	PolicyID string
	Since    time.Time // At >= Since
	Until    time.Time // At < Until
	Page
}

// ComplianceStore keeps uploaded policies, assignments, exceptions and
// the score history.
type ComplianceStore interface {
	// PutPolicy creates or replaces an uploaded policy (CreatedAt kept;
	// zero times mean now) and reports whether it is new; ErrInvalid for
	// an empty id or content, a format other than vigil or wazuh-sca, or
	// negative checks.
	PutPolicy(ctx context.Context, p CompliancePolicy) (bool, error)
	// GetPolicy returns an uploaded policy with its content; ErrNotFound.
	GetPolicy(ctx context.Context, id string) (CompliancePolicy, error)
	// Policies returns every uploaded policy with its content, by id.
	Policies(ctx context.Context) ([]CompliancePolicy, error)
	// DeletePolicy removes an uploaded policy and its assignment;
	// ErrNotFound.
	DeletePolicy(ctx context.Context, id string) error

	// PutAssignment creates or replaces a policy's assignment (zero
	// UpdatedAt means now); ErrInvalid for an empty policy id or a
	// negative interval.
	PutAssignment(ctx context.Context, a ComplianceAssignment) error
	// Assignments returns every assignment, by policy id.
	Assignments(ctx context.Context) ([]ComplianceAssignment, error)
	// DeleteAssignment removes a policy's assignment; ErrNotFound.
	DeleteAssignment(ctx context.Context, policyID string) error

	// CreateException stores a new exception, setting a random ID (and
	// CreatedAt when zero); ErrInvalid for an empty policy id or reason.
	CreateException(ctx context.Context, e ComplianceException) (ComplianceException, error)
	// Exceptions returns the exceptions of a policy (every policy when
	// policyID is empty), those expired at or before now (zero: the
	// current time) left out unless expired is set, newest first.
	Exceptions(ctx context.Context, policyID string, now time.Time, expired bool) ([]ComplianceException, error)
	// DeleteException removes an exception; ErrNotFound.
	DeleteException(ctx context.Context, id string) error

	// PutScore records a host's score for a policy, replacing one of the
	// same host, policy and UTC day (a zero At means now); ErrInvalid for
	// an empty agent or policy id or negative counts.
	PutScore(ctx context.Context, s ComplianceScore) error
	// Scores returns score history entries, newest first.
	Scores(ctx context.Context, f ComplianceScoreFilter) ([]ComplianceScore, string, error)
	// DeleteAgentScores removes a host's score history.
	DeleteAgentScores(ctx context.Context, agentID string) error
}
