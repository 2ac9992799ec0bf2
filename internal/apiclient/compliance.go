package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/compliance/eval"
	"github.com/vigilsec/vigil/internal/compliance/policy"
	"github.com/vigilsec/vigil/internal/store"
)

// The compliance routes (/api/v1/compliance..., docs/compliance.md)
// answer their items as Raw values: decoded, and as the center sent them.

// ComplianceCheckInfo is what the center shows of a check: its texts in
// English and Chinese, severity and references.
type ComplianceCheckInfo struct {
	Title       policy.Text         `json:"title"`
	Description *policy.Text        `json:"description,omitempty"`
	Rationale   policy.Text         `json:"rationale"`
	Remediation policy.Text         `json:"remediation"`
	Severity    policy.Severity     `json:"severity"`
	Profiles    []string            `json:"profiles,omitempty"`
	References  map[string][]string `json:"references,omitempty"`
}

// ComplianceResult is one check's result on one host. Status is pass,
// fail, error, not_applicable or excepted (a failure an exception in
// force accepts: Exception is set); Evidence is the rule results the
// agent reported, as it sent them. Check is nil when the center's
// catalogue does not know the check.
type ComplianceResult struct {
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
	Check         *ComplianceCheckInfo       `json:"check,omitempty"`
	FirstSeen     time.Time                  `json:"first_seen"`
	UpdatedAt     time.Time                  `json:"updated_at"`
}

// ComplianceSummary is a host's standing on one policy: the checks
// counted by status and the score (nil when none passed or failed).
// Applicable is false when the policy's requirements do not hold on the
// host (another system).
type ComplianceSummary struct {
	AgentID       string      `json:"agent_id"`
	Hostname      string      `json:"hostname,omitempty"`
	PolicyID      string      `json:"policy_id"`
	PolicyVersion string      `json:"policy_version,omitempty"`
	Applicable    bool        `json:"applicable"`
	Counts        eval.Counts `json:"counts"`
	Score         *float64    `json:"score"`
	UpdatedAt     time.Time   `json:"updated_at"`
}

// ComplianceGroup is the standing on one policy of the hosts that share
// a label's value (Value "" for the hosts without the label; Label ""
// for the whole fleet), with their counts summed.
type ComplianceGroup struct {
	Label    string      `json:"label"`
	Value    string      `json:"value"`
	PolicyID string      `json:"policy_id"`
	Hosts    int         `json:"hosts"`
	Counts   eval.Counts `json:"counts"`
	Score    *float64    `json:"score"`
}

// ComplianceCheckStanding is one check of a policy with the hosts
// counted by its status there.
type ComplianceCheckStanding struct {
	PolicyID string               `json:"policy_id"`
	CheckID  string               `json:"check_id"`
	Severity string               `json:"severity"`
	Check    *ComplianceCheckInfo `json:"check,omitempty"`
	Hosts    eval.Counts          `json:"hosts"`
}

// ComplianceDrift is a change of a check's status on a host: Before is
// empty when the check was first seen; Regressed when it passed and now
// fails or is an error.
type ComplianceDrift struct {
	AgentID   string               `json:"agent_id"`
	Hostname  string               `json:"hostname,omitempty"`
	PolicyID  string               `json:"policy_id"`
	CheckID   string               `json:"check_id"`
	Severity  string               `json:"severity,omitempty"`
	Check     *ComplianceCheckInfo `json:"check,omitempty"`
	Before    string               `json:"before"`
	After     string               `json:"after"`
	Regressed bool                 `json:"regressed"`
	ChangedAt time.Time            `json:"changed_at"`
}

// CompliancePolicy is a policy of the center's catalogue, shipped or
// uploaded (Format vigil or wazuh-sca; Skipped lists the checks of a
// Wazuh SCA file that could not be translated), with its assignment.
type CompliancePolicy struct {
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

// CompliancePolicyDetail is a policy with its requirements and checks.
type CompliancePolicyDetail struct {
	CompliancePolicy
	Requirements *policy.Condition `json:"requirements,omitempty"`
	Items        []policy.Check    `json:"items"`
}

// ComplianceResultFilter selects check results; empty fields match all.
type ComplianceResultFilter struct {
	AgentID  string
	PolicyID string
	CheckID  string
	// Status is pass, fail, error, not_applicable or excepted.
	Status string
	// Severity is low, medium, high or critical.
	Severity string
	// Q is a substring of the check's id or titles.
	Q string
	store.Page
}

// ComplianceFleetFilter selects the hosts the fleet views (summaries,
// checks) count; empty fields match every host.
type ComplianceFleetFilter struct {
	PolicyID string
	AgentID  string
	// Labels are labels a host must all have.
	Labels map[string]string
	store.Page
}

// ComplianceGroupFilter says how to group the hosts: by the value of the
// label key Label (empty: one group per policy), on PolicyID alone when
// set.
type ComplianceGroupFilter struct {
	Label    string
	PolicyID string
	store.Page
}

// ComplianceDriftFilter selects status changes; empty fields match all.
type ComplianceDriftFilter struct {
	AgentID  string
	PolicyID string
	// Since and Until bound the time of the change (Since included).
	Since, Until time.Time
	// Regressed keeps the checks that passed and now fail or err.
	Regressed bool
	store.Page
}

// ComplianceExceptionFilter selects compliance exceptions: those in
// force, with Expired the ended ones too.
type ComplianceExceptionFilter struct {
	PolicyID string
	Expired  bool
}

// ComplianceAssignmentRequest assigns a policy to the hosts whose labels
// match every label of Selector (empty: every host).
type ComplianceAssignmentRequest struct {
	Selector map[string]string
	// Interval is how often the hosts evaluate the policy: 0 for the
	// collector's default (daily), else whole seconds from 10 minutes
	// to 30 days.
	Interval time.Duration
	// Disabled keeps the assignment but stops the evaluation.
	Disabled bool
}

// ComplianceExceptionRequest accepts the failures of a policy's check
// (every check when CheckID is empty) on a host (every host when AgentID
// is empty) for Reason, until ExpiresAt (zero: never).
type ComplianceExceptionRequest struct {
	PolicyID  string    `json:"policy_id"`
	CheckID   string    `json:"check_id"`
	AgentID   string    `json:"agent_id"`
	Reason    string    `json:"reason"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// ComplianceReportQuery says which report: a host's (AgentID; PolicyID
// narrows it to that policy) or, without AgentID, the fleet's on
// PolicyID. Lang is en or zh (empty: the center's default, en).
type ComplianceReportQuery struct {
	AgentID  string
	PolicyID string
	Lang     string
}

// ComplianceReport is a printable report: a self-contained HTML page.
type ComplianceReport struct {
	HTML []byte
	// FileName is the name the center suggests for the page, made safe
	// to create in a folder: a bare name of ASCII letters, digits, '.',
	// '_' and '-', not starting with a dot; empty when it suggests none.
	FileName string
}

// Bounds of what the compliance routes send and take.
const (
	// MaxCompliancePolicy bounds an uploaded policy file, as the center
	// does.
	MaxCompliancePolicy = 4 << 20
	// MaxComplianceReport bounds a report (a fleet report of a large
	// policy over thousands of hosts stays far below).
	MaxComplianceReport = 64 << 20
)

// ComplianceResults lists check results matching f, with the checks'
// texts and the exceptions that cover them.
func (c *Client) ComplianceResults(ctx context.Context, f ComplianceResultFilter) (Page[Raw[ComplianceResult]], error) {
	q := url.Values{}
	setIf(q, "agent_id", f.AgentID)
	setIf(q, "policy_id", f.PolicyID)
	setIf(q, "check_id", f.CheckID)
	setIf(q, "status", f.Status)
	setIf(q, "severity", f.Severity)
	setIf(q, "q", f.Q)
	var page Page[Raw[ComplianceResult]]
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("compliance"), query: pageQuery(q, f.Page)}, &page)
	return page, err
}

// ComplianceHostSummaries returns one host's standing on each policy it
// evaluated.
func (c *Client) ComplianceHostSummaries(ctx context.Context, agentID string) ([]Raw[ComplianceSummary], error) {
	if err := need("agent id", agentID); err != nil {
		return nil, err
	}
	return wholeList[ComplianceSummary](ctx, c, request{method: http.MethodGet, path: pathOf("compliance", "hosts", agentID)})
}

// fleetQuery is the query of the fleet views.
func fleetQuery(f ComplianceFleetFilter) url.Values {
	q := url.Values{}
	setIf(q, "policy_id", f.PolicyID)
	setIf(q, "agent_id", f.AgentID)
	addLabels(q, f.Labels)
	return pageQuery(q, f.Page)
}

// ComplianceSummaries lists the standing of every host f selects on
// every policy it evaluated, lowest score first.
func (c *Client) ComplianceSummaries(ctx context.Context, f ComplianceFleetFilter) (Page[Raw[ComplianceSummary]], error) {
	var page Page[Raw[ComplianceSummary]]
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("compliance", "summaries"), query: fleetQuery(f)}, &page)
	return page, err
}

// ComplianceGroups lists the standing of groups of hosts per policy.
func (c *Client) ComplianceGroups(ctx context.Context, f ComplianceGroupFilter) (Page[Raw[ComplianceGroup]], error) {
	q := url.Values{}
	setIf(q, "label", f.Label)
	setIf(q, "policy_id", f.PolicyID)
	var page Page[Raw[ComplianceGroup]]
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("compliance", "groups"), query: pageQuery(q, f.Page)}, &page)
	return page, err
}

// ComplianceChecks lists the checks of policy f.PolicyID (required) with
// the hosts f selects counted by status, those failing on most hosts
// first.
func (c *Client) ComplianceChecks(ctx context.Context, f ComplianceFleetFilter) (Page[Raw[ComplianceCheckStanding]], error) {
	var page Page[Raw[ComplianceCheckStanding]]
	if err := need("policy id", f.PolicyID); err != nil {
		return page, err
	}
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("compliance", "checks"), query: fleetQuery(f)}, &page)
	return page, err
}

// ComplianceDrift lists the changes of checks' statuses on hosts, newest
// first. A page may hold fewer items than its limit while more follow:
// go on while NextCursor is set (All does).
func (c *Client) ComplianceDrift(ctx context.Context, f ComplianceDriftFilter) (Page[Raw[ComplianceDrift]], error) {
	q := url.Values{}
	setIf(q, "agent_id", f.AgentID)
	setIf(q, "policy_id", f.PolicyID)
	setTime(q, "since", f.Since)
	setTime(q, "until", f.Until)
	if f.Regressed {
		q.Set("regressed", strconv.FormatBool(true))
	}
	var page Page[Raw[ComplianceDrift]]
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("compliance", "drift"), query: pageQuery(q, f.Page)}, &page)
	return page, err
}

// ComplianceScores lists the score history, one entry per host, policy
// and day, newest first.
func (c *Client) ComplianceScores(ctx context.Context, f store.ComplianceScoreFilter) (Page[Raw[store.ComplianceScore]], error) {
	q := url.Values{}
	setIf(q, "agent_id", f.AgentID)
	setIf(q, "policy_id", f.PolicyID)
	setTime(q, "since", f.Since)
	setTime(q, "until", f.Until)
	var page Page[Raw[store.ComplianceScore]]
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("compliance", "scores"), query: pageQuery(q, f.Page)}, &page)
	return page, err
}

// CompliancePolicies lists the catalogue, shipped and uploaded policies
// by id, with their assignments.
func (c *Client) CompliancePolicies(ctx context.Context) ([]Raw[CompliancePolicy], error) {
	return wholeList[CompliancePolicy](ctx, c, request{method: http.MethodGet, path: pathOf("compliance", "policies")})
}

// CompliancePolicy returns one policy with its checks.
func (c *Client) CompliancePolicy(ctx context.Context, id string) (Raw[CompliancePolicyDetail], error) {
	var d Raw[CompliancePolicyDetail]
	if err := need("policy id", id); err != nil {
		return d, err
	}
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("compliance", "policies", id)}, &d)
	return d, err
}

// PutCompliancePolicy uploads file, a policy in Vigil's format (format
// "" or vigil) or a Wazuh SCA file (wazuh-sca) whose policy id is id, as
// a new policy or a new version of an uploaded one, and returns it and
// whether it is new. A file with problems is refused with 422 and every
// problem with its line; a shipped policy's id with 409. The agents'
// policies are published again with it.
func (c *Client) PutCompliancePolicy(ctx context.Context, id string, file []byte, format string) (Raw[CompliancePolicy], bool, error) {
	var p Raw[CompliancePolicy]
	if err := need("policy id", id); err != nil {
		return p, false, err
	}
	if len(file) > MaxCompliancePolicy {
		return p, false, fmt.Errorf("policy %s: %d bytes, the center takes at most %d", id, len(file), MaxCompliancePolicy)
	}
	q := url.Values{}
	setIf(q, "format", format)
	created := false
	r := request{method: http.MethodPut, path: pathOf("compliance", "policies", id), query: q}
	err := c.send(ctx, r, upload{contentType: "application/yaml", body: bytes.NewReader(file), size: int64(len(file))},
		func(resp *http.Response) error {
			if resp.StatusCode >= 400 {
				return decodeError(resp)
			}
			created = resp.StatusCode == http.StatusCreated
			return decodeAnswer(resp.Body, &p, r)
		})
	return p, created, err
}

// DeleteCompliancePolicy deletes an uploaded policy and its assignment;
// its hosts stop evaluating it. A shipped policy answers 409.
func (c *Client) DeleteCompliancePolicy(ctx context.Context, id string) error {
	if err := need("policy id", id); err != nil {
		return err
	}
	return c.do(ctx, request{method: http.MethodDelete, path: pathOf("compliance", "policies", id)}, nil)
}

// AssignCompliancePolicy assigns policy id to the hosts a selects,
// replacing its assignment, and returns the assignment as stored. The
// agents' policies are published again.
func (c *Client) AssignCompliancePolicy(ctx context.Context, id string, a ComplianceAssignmentRequest) (Raw[store.ComplianceAssignment], error) {
	var as Raw[store.ComplianceAssignment]
	if err := need("policy id", id); err != nil {
		return as, err
	}
	if a.Interval < 0 || a.Interval%time.Second != 0 {
		return as, fmt.Errorf("interval %s: want 0 or whole seconds", a.Interval)
	}
	body := struct {
		Selector        map[string]string `json:"selector"`
		IntervalSeconds int64             `json:"interval_seconds"`
		Disabled        bool              `json:"disabled"`
	}{a.Selector, int64(a.Interval / time.Second), a.Disabled}
	if body.Selector == nil {
		body.Selector = map[string]string{}
	}
	err := c.do(ctx, request{method: http.MethodPut, path: pathOf("compliance", "policies", id, "assignment"), body: body}, &as)
	return as, err
}

// UnassignCompliancePolicy removes the assignment of policy id: no host
// evaluates it any more.
func (c *Client) UnassignCompliancePolicy(ctx context.Context, id string) error {
	if err := need("policy id", id); err != nil {
		return err
	}
	return c.do(ctx, request{method: http.MethodDelete, path: pathOf("compliance", "policies", id, "assignment")}, nil)
}

// ComplianceExceptions lists the compliance exceptions f selects, newest
// first.
func (c *Client) ComplianceExceptions(ctx context.Context, f ComplianceExceptionFilter) ([]Raw[store.ComplianceException], error) {
	q := url.Values{}
	setIf(q, "policy_id", f.PolicyID)
	if f.Expired {
		q.Set("expired", strconv.FormatBool(true))
	}
	return wholeList[store.ComplianceException](ctx, c, request{method: http.MethodGet, path: pathOf("compliance", "exceptions"), query: q})
}

// CreateComplianceException creates an exception and returns it: the
// failures it covers show as excepted and leave the scores.
func (c *Client) CreateComplianceException(ctx context.Context, e ComplianceExceptionRequest) (Raw[store.ComplianceException], error) {
	var created Raw[store.ComplianceException]
	err := c.do(ctx, request{method: http.MethodPost, path: pathOf("compliance", "exceptions"), body: e}, &created)
	return created, err
}

// DeleteComplianceException deletes a compliance exception: its failures
// count again.
func (c *Client) DeleteComplianceException(ctx context.Context, id string) error {
	if err := need("exception id", id); err != nil {
		return err
	}
	return c.do(ctx, request{method: http.MethodDelete, path: pathOf("compliance", "exceptions", id)}, nil)
}

// ComplianceReport returns the printable report q names, of at most
// MaxComplianceReport bytes.
func (c *Client) ComplianceReport(ctx context.Context, q ComplianceReportQuery) (ComplianceReport, error) {
	var rep ComplianceReport
	query := url.Values{}
	setIf(query, "agent_id", q.AgentID)
	setIf(query, "policy_id", q.PolicyID)
	setIf(query, "lang", q.Lang)
	r := request{method: http.MethodGet, path: pathOf("compliance", "report"), query: query, accept: "text/html"}
	err := c.roundTrip(ctx, r, func(resp *http.Response) error {
		if resp.StatusCode >= 400 {
			return decodeError(resp)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			return fmt.Errorf("%s %s answered %q, not an HTML report", r.method, r.path, ct)
		}
		doc, err := readBounded(resp.Body, MaxComplianceReport, "the compliance report")
		if err != nil {
			return err
		}
		rep = ComplianceReport{HTML: doc, FileName: attachmentName(resp.Header.Get("Content-Disposition"))}
		return nil
	})
	return rep, err
}

// wholeList fetches a listing the center answers in one page; its items
// are never nil.
func wholeList[T any](ctx context.Context, c *Client, r request) ([]Raw[T], error) {
	var page Page[Raw[T]]
	if err := c.do(ctx, r, &page); err != nil {
		return nil, err
	}
	if page.Items == nil {
		page.Items = []Raw[T]{}
	}
	return page.Items, nil
}

// maxFileName bounds the file name attachmentName returns.
const maxFileName = 200

// attachmentName is the file name of a Content-Disposition header, made
// safe to create in a folder: no folders (the last element of a path,
// with / or \), no leading dot, only ASCII letters, digits, '.', '_'
// and '-' (anything else becomes '_'), at most 200 bytes; "" when the
// header names none or nothing usable is left.
func attachmentName(header string) string {
	_, params, err := mime.ParseMediaType(header)
	if err != nil {
		return ""
	}
	name := path.Base(strings.ReplaceAll(params["filename"], `\`, "/"))
	name = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' {
			return r
		}
		return '_'
	}, name)
	name = strings.TrimLeft(name, ".")
	if len(name) > maxFileName {
		name = name[:maxFileName]
	}
	if name == "" || name == "_" {
		return ""
	}
	return name
}
