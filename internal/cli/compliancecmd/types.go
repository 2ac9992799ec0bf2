package compliancecmd

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/vigilsec/vigil/internal/compliance/eval"
	"github.com/vigilsec/vigil/internal/compliance/policy"
	"github.com/vigilsec/vigil/internal/store"
)

// The types below are what the tables read of the API's answers
// (docs/compliance.md); -o json prints the answers as the center sent
// them.

// CheckInfo is what the center shows of a check: texts and references.
type CheckInfo struct {
	Title       policy.Text         `json:"title"`
	Description *policy.Text        `json:"description,omitempty"`
	Rationale   policy.Text         `json:"rationale"`
	Remediation policy.Text         `json:"remediation"`
	Severity    policy.Severity     `json:"severity"`
	Profiles    []string            `json:"profiles,omitempty"`
	References  map[string][]string `json:"references,omitempty"`
}

// Result is one check's result on one host (GET /compliance).
type Result struct {
	AgentID       string                     `json:"agent_id"`
	Hostname      string                     `json:"hostname,omitempty"`
	PolicyID      string                     `json:"policy_id"`
	PolicyVersion string                     `json:"policy_version"`
	CheckID       string                     `json:"check_id"`
	Status        string                     `json:"status"`
	Severity      string                     `json:"severity,omitempty"`
	Reason        string                     `json:"reason,omitempty"`
	Evidence      json.RawMessage            `json:"evidence,omitempty"`
	Exception     *store.ComplianceException `json:"exception,omitempty"`
	Check         *CheckInfo                 `json:"check,omitempty"`
	FirstSeen     time.Time                  `json:"first_seen"`
	UpdatedAt     time.Time                  `json:"updated_at"`
}

// Summary is a host's standing on one policy (GET /compliance/hosts/{id},
// /compliance/summaries).
type Summary struct {
	AgentID       string      `json:"agent_id"`
	Hostname      string      `json:"hostname,omitempty"`
	PolicyID      string      `json:"policy_id"`
	PolicyVersion string      `json:"policy_version,omitempty"`
	Applicable    bool        `json:"applicable"`
	Counts        eval.Counts `json:"counts"`
	Score         *float64    `json:"score"`
	UpdatedAt     time.Time   `json:"updated_at"`
}

// Group is the standing of the hosts that share a label's value on one
// policy (GET /compliance/groups).
type Group struct {
	Label    string      `json:"label"`
	Value    string      `json:"value"`
	PolicyID string      `json:"policy_id"`
	Hosts    int         `json:"hosts"`
	Counts   eval.Counts `json:"counts"`
	Score    *float64    `json:"score"`
}

// CheckStanding is one check of a policy with the hosts counted by its
// status there (GET /compliance/checks).
type CheckStanding struct {
	PolicyID string      `json:"policy_id"`
	CheckID  string      `json:"check_id"`
	Severity string      `json:"severity"`
	Check    *CheckInfo  `json:"check,omitempty"`
	Hosts    eval.Counts `json:"hosts"`
}

// Drift is a check whose status changed on a host (GET /compliance/drift).
type Drift struct {
	AgentID   string     `json:"agent_id"`
	Hostname  string     `json:"hostname,omitempty"`
	PolicyID  string     `json:"policy_id"`
	CheckID   string     `json:"check_id"`
	Severity  string     `json:"severity,omitempty"`
	Check     *CheckInfo `json:"check,omitempty"`
	Before    string     `json:"before"`
	After     string     `json:"after"`
	Regressed bool       `json:"regressed"`
	ChangedAt time.Time  `json:"changed_at"`
}

// PolicyView is a policy of the center's catalogue
// (GET /compliance/policies).
type PolicyView struct {
	ID          string                      `json:"id"`
	Version     string                      `json:"version"`
	Name        policy.Text                 `json:"name"`
	Description policy.Text                 `json:"description"`
	Checks      int                         `json:"checks"`
	Shipped     bool                        `json:"shipped"`
	Format      string                      `json:"format"`
	Digest      string                      `json:"digest"`
	Author      string                      `json:"author,omitempty"`
	Skipped     []string                    `json:"skipped,omitempty"`
	Assignment  *store.ComplianceAssignment `json:"assignment,omitempty"`
}

// PolicyDetail is a policy with its checks
// (GET /compliance/policies/{id}).
type PolicyDetail struct {
	PolicyView
	Requirements *policy.Condition `json:"requirements,omitempty"`
	Items        []policy.Check    `json:"items"`
}

// decodeAll decodes each item of a listing into a T.
func decodeAll[T any](items []json.RawMessage) ([]T, error) {
	out := make([]T, 0, len(items))
	for i, raw := range items {
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, fmt.Errorf("item %d of the answer: %w", i, err)
		}
		out = append(out, v)
	}
	return out, nil
}
