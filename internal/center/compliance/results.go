package compliance

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/compliance/eval"
	"github.com/vigilsec/vigil/internal/store"
)

// Collector is the agent's collector whose items are the results.
const Collector = "compliance/baseline"

// itemFields is the part of a compliance item the center reads (see the
// collector's documentation for every field).
type itemFields struct {
	Vigil struct {
		Compliance struct {
			Policy        string          `json:"policy"`
			PolicyVersion string          `json:"policy_version"`
			Digest        string          `json:"digest"`
			Check         string          `json:"check"`
			Status        string          `json:"status"`
			Severity      string          `json:"severity"`
			Reason        string          `json:"reason"`
			Evidence      json.RawMessage `json:"evidence"`
			Counts        *eval.Counts    `json:"counts"`
			Score         *float64        `json:"score"`
		} `json:"compliance"`
	} `json:"vigil"`
}

// Result is one check's result on one host, as the center shows it: the
// agent's verdict with its evidence, the exception that covers it, and
// the check's texts from the policy.
type Result struct {
	AgentID       string `json:"agent_id"`
	Hostname      string `json:"hostname,omitempty"`
	PolicyID      string `json:"policy_id"`
	PolicyVersion string `json:"policy_version"`
	CheckID       string `json:"check_id"`
	// Status is pass, fail, error, not_applicable, or excepted (a
	// failure an exception accepts).
	Status   string          `json:"status"`
	Severity string          `json:"severity,omitempty"`
	Reason   string          `json:"reason,omitempty"`
	Evidence json.RawMessage `json:"evidence,omitempty"`
	// Exception is the exception that accepts the failure.
	Exception *store.ComplianceException `json:"exception,omitempty"`
	// Check is the check's texts and references, when the center knows
	// the policy.
	Check     *CheckInfo `json:"check,omitempty"`
	FirstSeen time.Time  `json:"first_seen"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// resultOf reads a check item; ok is false for an item that is not a
// check's (a policy's summary item, or one that does not decode).
func resultOf(rec store.AssetRecord) (Result, bool) {
	var f itemFields
	if len(rec.Fields) == 0 || json.Unmarshal(rec.Fields, &f) != nil {
		return Result{}, false
	}
	c := f.Vigil.Compliance
	if c.Check == "" || c.Policy == "" {
		return Result{}, false
	}
	return Result{AgentID: rec.AgentID, PolicyID: c.Policy, PolicyVersion: c.PolicyVersion, CheckID: c.Check,
		Status: c.Status, Severity: c.Severity, Reason: c.Reason, Evidence: c.Evidence,
		FirstSeen: rec.FirstSeen, UpdatedAt: rec.UpdatedAt}, true
}

// except applies the exceptions in force to a result: a failure that one
// covers becomes excepted. An error is never excepted.
func except(r *Result, exs []store.ComplianceException, now time.Time) {
	if r.Status != string(eval.Fail) {
		return
	}
	if e := exceptionFor(exs, r.PolicyID, r.CheckID, r.AgentID, now); e != nil {
		r.Status = string(eval.Excepted)
		r.Exception = e
	}
}

// exceptionFor returns the first exception in force that covers a check
// on a host, or nil.
func exceptionFor(exs []store.ComplianceException, policyID, checkID, agentID string, now time.Time) *store.ComplianceException {
	for i := range exs {
		e := &exs[i]
		if e.PolicyID != policyID || (e.CheckID != "" && e.CheckID != checkID) ||
			(e.AgentID != "" && e.AgentID != agentID) || (!e.ExpiresAt.IsZero() && !now.Before(e.ExpiresAt)) {
			continue
		}
		return e
	}
	return nil
}

// Summary is a host's standing on one policy.
type Summary struct {
	AgentID       string `json:"agent_id"`
	Hostname      string `json:"hostname,omitempty"`
	PolicyID      string `json:"policy_id"`
	PolicyVersion string `json:"policy_version,omitempty"`
	// Applicable is false when the policy's requirements do not hold on
	// the host (its system is another).
	Applicable bool        `json:"applicable"`
	Counts     eval.Counts `json:"counts"`
	// Score is passed / (passed + failed) in percent; nil with neither.
	Score     *float64  `json:"score"`
	UpdatedAt time.Time `json:"updated_at"`
}

// policyHeader is what a policy's summary item says: which policy a host
// evaluated, and whether it applies there.
type policyHeader struct{ Policy, PolicyVersion, Status string }

// policyFields reads a policy's summary item; ok is false for another
// item.
func policyFields(rec store.AssetRecord) (policyHeader, bool) {
	var f itemFields
	if len(rec.Fields) == 0 || json.Unmarshal(rec.Fields, &f) != nil || f.Vigil.Compliance.Policy == "" || f.Vigil.Compliance.Check != "" {
		return policyHeader{}, false
	}
	c := f.Vigil.Compliance
	return policyHeader{Policy: c.Policy, PolicyVersion: c.PolicyVersion, Status: c.Status}, true
}

// count adds a status to counts; a status the center does not know is
// counted as an error: it is not a pass.
func count(c *eval.Counts, status string) {
	if !c.Add(eval.Status(status)) {
		c.Add(eval.Error)
	}
}

// matchesText reports whether a result's check id or titles contain q,
// ignoring case.
func matchesText(r Result, q string) bool {
	q = strings.ToLower(q)
	if strings.Contains(strings.ToLower(r.CheckID), q) {
		return true
	}
	if r.Check == nil {
		return false
	}
	return strings.Contains(strings.ToLower(r.Check.Title.En), q) || strings.Contains(strings.ToLower(r.Check.Title.Zh), q)
}
