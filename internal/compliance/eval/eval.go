// Package eval evaluates a compliance policy read-only on a host (or
// a fixture tree standing for one): every rule type of
// docs/policies.md, conditions, applies_if and requirements, with the
// evidence that decided each check, counts and the score. Files are
// read below Env.Root and each is read once per run; commands go
// through Env.Runner and only when the allow-list has them.
package eval

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/compliance/policy"
)

// Env is the host a policy is evaluated on.
type Env struct {
	// Root is the host's root: "/" (or "") for this machine, else a
	// folder holding a host's files (/etc, /proc, /var/lib/dpkg ...).
	Root string
	// Runner runs the allowed commands; nil makes every command rule
	// an error. Service activity falls back to the running processes.
	Runner Runner
	// Now is the clock for ages (last_change_days); time.Now when nil.
	Now func() time.Time
	// Logger gets debug lines; slog.Default when nil.
	Logger *slog.Logger
}

// Status is a check's result.
type Status string

// The results of a check.
const (
	Pass          Status = "pass"
	Fail          Status = "fail"
	Error         Status = "error"
	NotApplicable Status = "not_applicable"
	Excepted      Status = "excepted"
)

// The results of one rule, after its `not`.
const (
	RuleHolds = "holds"
	RuleFails = "fails"
	RuleError = "error"
)

// RuleResult is the result of one rule with its evidence.
type RuleResult struct {
	Index    int      `json:"index"`
	Type     string   `json:"type"`
	Not      bool     `json:"not,omitempty"`
	Result   string   `json:"result"`
	Evidence []string `json:"evidence,omitempty"`
	Error    string   `json:"error,omitempty"`
}

// CheckResult is the result of one check.
type CheckResult struct {
	ID       string          `json:"id"`
	Severity policy.Severity `json:"severity,omitempty"`
	Status   Status          `json:"status"`
	// Reason says why a check is error, not_applicable or excepted.
	Reason string `json:"reason,omitempty"`
	// AppliesIf holds the results of the applies_if rules.
	AppliesIf []RuleResult `json:"applies_if,omitempty"`
	Rules     []RuleResult `json:"rules,omitempty"`
}

// Counts counts the checks by status.
type Counts struct {
	Pass          int `json:"pass"`
	Fail          int `json:"fail"`
	Error         int `json:"error"`
	NotApplicable int `json:"not_applicable"`
	Excepted      int `json:"excepted"`
	Total         int `json:"total"`
}

// Report is the result of a policy on a host.
type Report struct {
	PolicyID      string `json:"policy_id"`
	PolicyVersion string `json:"policy_version"`
	Digest        string `json:"digest"`
	// Applicable is false when the policy's requirements do not hold:
	// every check is then not_applicable (or error when they could not
	// be evaluated).
	Applicable   bool          `json:"applicable"`
	Requirements []RuleResult  `json:"requirements,omitempty"`
	Results      []CheckResult `json:"results"`
	Counts       Counts        `json:"counts"`
	// Score is passed / (passed + failed) in percent; nil when no check
	// passed or failed.
	Score    *float64      `json:"score"`
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration_ns"`
}

// Result returns the result of check id, or nil.
func (r *Report) Result(id string) *CheckResult {
	for i := range r.Results {
		if r.Results[i].ID == id {
			return &r.Results[i]
		}
	}
	return nil
}

// Exception turns a failure of a check into `excepted` until it expires.
type Exception struct {
	CheckID string
	Reason  string
	Expires time.Time // zero: never
}

// ApplyExceptions turns the failures that an unexpired exception
// covers into excepted and recounts. Only failures are excepted: an
// error stays an error.
func (r *Report) ApplyExceptions(ex []Exception, now time.Time) {
	for _, e := range ex {
		if !e.Expires.IsZero() && !now.Before(e.Expires) {
			continue
		}
		if res := r.Result(e.CheckID); res != nil && res.Status == Fail {
			res.Status, res.Reason = Excepted, e.Reason
		}
	}
	r.recount()
}

func (r *Report) recount() {
	var c Counts
	for _, res := range r.Results {
		c.Add(res.Status)
	}
	r.Counts = c
	r.Score = Score(c)
}

// Add counts one result of status st; false (and nothing counted) for a
// status that is not one of the five.
func (c *Counts) Add(st Status) bool {
	switch st {
	case Pass:
		c.Pass++
	case Fail:
		c.Fail++
	case Error:
		c.Error++
	case NotApplicable:
		c.NotApplicable++
	case Excepted:
		c.Excepted++
	default:
		return false
	}
	c.Total++
	return true
}

// Merge adds the counts o to c.
func (c *Counts) Merge(o Counts) {
	c.Pass += o.Pass
	c.Fail += o.Fail
	c.Error += o.Error
	c.NotApplicable += o.NotApplicable
	c.Excepted += o.Excepted
	c.Total += o.Total
}

// Score is passed / (passed + failed) as a percentage, nil when
// nothing passed or failed; errors, not_applicable and excepted checks
// are not counted.
func Score(c Counts) *float64 {
	if c.Pass+c.Fail == 0 {
		return nil
	}
	s := 100 * float64(c.Pass) / float64(c.Pass+c.Fail)
	return &s
}

// Run evaluates p on env's host. It never fails as a whole: what
// cannot be evaluated makes checks `error`.
func Run(ctx context.Context, p *policy.Policy, env Env) Report {
	start := time.Now()
	h := newHost(ctx, env)
	rep := Report{PolicyID: p.Meta.ID, PolicyVersion: p.Meta.Version, Digest: p.RulesDigest(), Applicable: true, Started: h.now}
	forced, reason := Status(""), ""
	if p.Requirements != nil {
		ok, results, err := h.condition(p.Requirements)
		rep.Requirements = results
		switch {
		case err != nil:
			rep.Applicable = false
			forced, reason = Error, "requirements could not be evaluated: "+err.Error()
		case !ok:
			rep.Applicable = false
			forced, reason = NotApplicable, "the policy's requirements do not hold on this host"
		}
	}
	rep.Results = make([]CheckResult, 0, len(p.Checks))
	for i := range p.Checks {
		c := &p.Checks[i]
		res := CheckResult{ID: c.ID, Severity: c.Severity}
		switch {
		case forced != "":
			res.Status, res.Reason = forced, reason
		case ctx.Err() != nil:
			res.Status, res.Reason = Error, "evaluation stopped: "+ctx.Err().Error()
		default:
			h.check(c, &res)
		}
		rep.Results = append(rep.Results, res)
	}
	rep.recount()
	rep.Duration = time.Since(start)
	h.log.Debug("compliance policy evaluated", "policy", p.Meta.ID, "checks", len(p.Checks),
		"pass", rep.Counts.Pass, "fail", rep.Counts.Fail, "error", rep.Counts.Error,
		"files_read", h.fs.Reads(), "duration", rep.Duration)
	return rep
}

// check evaluates one check into res.
func (h *host) check(c *policy.Check, res *CheckResult) {
	if c.AppliesIf != nil {
		ok, results, err := h.condition(c.AppliesIf)
		res.AppliesIf = results
		switch {
		case err != nil:
			res.Status, res.Reason = Error, "applies_if could not be evaluated: "+err.Error()
			return
		case !ok:
			res.Status, res.Reason = NotApplicable, "applies_if does not hold"
			return
		}
	}
	ok, results, err := h.rules(c.Condition, c.Rules)
	res.Rules = results
	switch {
	case err != nil:
		res.Status, res.Reason = Error, err.Error()
	case ok:
		res.Status = Pass
	default:
		res.Status = Fail
	}
}

func (h *host) condition(c *policy.Condition) (bool, []RuleResult, error) {
	return h.rules(c.Condition, c.Rules)
}

// rules combines rules as cond says. A rule that errors makes the
// whole an error unless the other rules decide it: `all` with a rule
// that fails, `any` with one that holds, `none` with one that holds.
// Evaluation stops as soon as the result is decided.
func (h *host) rules(cond policy.Combine, rules []policy.Rule) (bool, []RuleResult, error) {
	if cond == "" {
		cond = policy.All
	}
	results := make([]RuleResult, 0, len(rules))
	var firstErr error
	for i := range rules {
		r := &rules[i]
		o := h.rule(r)
		rr := RuleResult{Index: i, Type: r.Type(), Not: r.Not, Evidence: boundEvidence(o.evidence)}
		holds := o.holds != r.Not
		switch {
		case o.err != nil:
			rr.Result, rr.Error = RuleError, clip(o.err.Error(), maxEvidenceLine)
			if firstErr == nil {
				firstErr = fmt.Errorf("rule %d (%s): %s", i, r.Type(), rr.Error)
			}
		case holds:
			rr.Result = RuleHolds
		default:
			rr.Result = RuleFails
		}
		results = append(results, rr)
		if o.err != nil {
			continue
		}
		switch {
		case cond == policy.All && !holds:
			return false, results, nil
		case cond == policy.Any && holds:
			return true, results, nil
		case cond == policy.None && holds:
			return false, results, nil
		}
	}
	if firstErr != nil {
		return false, results, firstErr
	}
	switch cond {
	case policy.Any:
		return false, results, nil
	default: // all: every rule held; none: no rule held
		return true, results, nil
	}
}

// outcome is a rule's result before its `not`.
type outcome struct {
	holds    bool
	err      error
	evidence []string
}

func holds(ok bool, evidence ...string) outcome { return outcome{holds: ok, evidence: evidence} }

func failed(err error, evidence ...string) outcome { return outcome{err: err, evidence: evidence} }

// rule evaluates one rule, turning a panic of a parser into an error
// of the rule rather than of the agent.
func (h *host) rule(r *policy.Rule) (o outcome) {
	defer func() {
		if v := recover(); v != nil {
			o = failed(fmt.Errorf("internal error evaluating the %s rule: %v", r.Type(), v))
			h.log.Error("compliance rule panicked", "type", r.Type(), "panic", v)
		}
	}()
	if err := h.ctx.Err(); err != nil {
		return failed(fmt.Errorf("evaluation stopped: %w", err))
	}
	switch {
	case r.File != nil:
		return h.file(r.File)
	case r.Content != nil:
		return h.content(r.Content)
	case r.Config != nil:
		return h.config(r.Config)
	case r.Command != nil:
		return h.command(r.Command)
	case r.Sysctl != nil:
		return h.sysctl(r.Sysctl)
	case r.Package != nil:
		return h.pkg(r.Package)
	case r.Service != nil:
		return h.service(r.Service)
	case r.Module != nil:
		return h.module(r.Module)
	case r.Mount != nil:
		return h.mount(r.Mount)
	case r.Account != nil:
		return h.account(r.Account)
	case r.Group != nil:
		return h.group(r.Group)
	case r.Port != nil:
		return h.port(r.Port)
	case r.OS != nil:
		return h.os(r.OS)
	case r.Process != nil:
		return h.process(r.Process)
	}
	return failed(errors.New("a rule without a type"))
}

// Bounds of the evidence of one rule.
const (
	maxEvidenceItems = 10
	maxEvidenceLine  = 300
)

// boundEvidence keeps the first items, each clipped, with hashes removed.
func boundEvidence(ev []string) []string {
	if len(ev) == 0 {
		return nil
	}
	out := make([]string, 0, min(len(ev), maxEvidenceItems+1))
	for i, e := range ev {
		if i == maxEvidenceItems {
			out = append(out, fmt.Sprintf("... and %d more", len(ev)-i))
			break
		}
		out = append(out, clip(redact(e), maxEvidenceLine))
	}
	return out
}

func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "?")
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && (s[cut]&0xC0) == 0x80 {
		cut--
	}
	return s[:cut] + "..."
}
