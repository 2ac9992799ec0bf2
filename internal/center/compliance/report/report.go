// Package report renders a compliance report as one self-contained,
// printable HTML document in English or Chinese, for security
// operations teams and auditors (MLPS 2.0 / GB/T 22239, CIS
// benchmarks).
//
// A host report (Report.Host set) shows one host's results on each
// policy: an executive summary, then per policy the failed and error
// checks (by severity, critical first, then by check id) with their
// references, reason, evidence and remediation, the excepted checks
// with their exceptions, and a compact table of the passed and not
// applicable checks. A fleet report (Report.Host nil) shows per policy
// every host's score, lowest first, and every check's number of hosts
// by status, the checks failing on most hosts first.
//
// The document has no script and loads nothing: its CSS is inline, it
// prints on A4 with each policy on a new page, and its font stacks
// name the common Chinese fonts. The caller gathers the data; Render
// checks it and writes the document.
package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
	"unicode/utf8"

	"github.com/vigilsec/vigil/internal/compliance/eval"
	"github.com/vigilsec/vigil/internal/compliance/policy"
)

// The languages of a report.
const (
	English = "en"
	Chinese = "zh"
)

// IsLang reports whether lang is a language Render writes ("en" or "zh").
func IsLang(lang string) bool { return lang == English || lang == Chinese }

// ErrInvalid is wrapped by every error Render returns for a report it
// refuses (the input's fault, not the writer's).
var ErrInvalid = errors.New("invalid compliance report")

// Report is what a compliance report shows.
type Report struct {
	// Lang is the report's language: "en" or "zh".
	Lang string
	// GeneratedAt is when the report was made; it is shown in UTC.
	GeneratedAt time.Time
	// Center names the center (its name or address); optional.
	Center string
	// Host is the host of a host report; nil makes a fleet report.
	Host *Host
	// Policies are the policies reported on, in the order given (at
	// least one).
	Policies []Policy
}

// Host is the host a host report is about.
type Host struct {
	AgentID  string
	Hostname string
	// OS names the operating system ("Debian GNU/Linux 12"); optional.
	OS     string
	Labels map[string]string
}

// Policy is one policy's standing: a host's results in a host report,
// the fleet's in a fleet report.
type Policy struct {
	ID      string
	Version string
	Name    policy.Text
	// Counts counts the checks by status: the host's checks in a host
	// report (it must agree with Results), the checks summed over the
	// hosts in a fleet report.
	Counts eval.Counts
	// Score is passed / (passed + failed) in percent (eval.Score of
	// Counts); nil when nothing passed or failed.
	Score *float64
	// Applicable is false when the policy's requirements do not hold
	// on the host (host report only).
	Applicable bool
	// UpdatedAt is when the latest results arrived; optional.
	UpdatedAt time.Time

	// Results holds every check's result on the host (host report only).
	Results []Result
	// Hosts holds every host's standing (fleet report only).
	Hosts []HostScore
	// Checks holds every check's standing across the hosts (fleet
	// report only).
	Checks []CheckStanding
}

// The statuses of a check (those of package eval).
const (
	StatusPass          = string(eval.Pass)
	StatusFail          = string(eval.Fail)
	StatusError         = string(eval.Error)
	StatusNotApplicable = string(eval.NotApplicable)
	StatusExcepted      = string(eval.Excepted)
)

// Result is one check's result on the host of a host report.
type Result struct {
	CheckID string
	// Status is pass, fail, error, not_applicable or excepted.
	Status string
	// Severity is critical, high, medium, low, or empty when unknown.
	Severity    string
	Title       policy.Text
	Rationale   policy.Text
	Remediation policy.Text
	// References maps a reference system ("cis", "mlps", "gbt22239")
	// to the items the check helps to meet.
	References map[string][]string
	// Reason says why the check is error or not applicable.
	Reason string
	// Evidence is the rule results that decided, as the agent sent
	// them: a JSON list of objects ({index, type, result, not,
	// applies_if, error, evidence: [lines]}, or any other fields).
	// Long values are cut in the document; what is not JSON is shown
	// as text.
	Evidence json.RawMessage
	// Exception is the exception that accepts a failure (status
	// excepted).
	Exception *Exception
}

// Exception accepts a check's failure for a reason until it expires.
type Exception struct {
	Reason string
	// ExpiresAt is when it ends; zero for never.
	ExpiresAt time.Time
	// CreatedBy is who accepted the failure.
	CreatedBy string
}

// HostScore is one host's standing on the policy of a fleet report.
type HostScore struct {
	AgentID  string
	Hostname string
	// Applicable is false when the policy's requirements do not hold on
	// the host; such hosts are listed after the others.
	Applicable bool
	// Counts counts the host's checks by status.
	Counts eval.Counts
	// Score is eval.Score of Counts; hosts without one come after the
	// scored hosts.
	Score     *float64
	UpdatedAt time.Time
}

// CheckStanding is one check's standing across the hosts of a fleet
// report.
type CheckStanding struct {
	CheckID string
	// Severity is critical, high, medium, low, or empty when unknown.
	Severity   string
	Title      policy.Text
	References map[string][]string
	// Hosts counts the hosts by the check's status on them (Total is
	// the number of hosts that reported the check).
	Hosts eval.Counts
}

// Render checks r and writes it as an HTML document to w. A report it
// refuses gives an error wrapping ErrInvalid, and nothing is written.
func Render(w io.Writer, r *Report) error {
	if err := validate(r); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	tmpls, err := pages()
	if err != nil {
		return fmt.Errorf("compliance report: %w", err)
	}
	v := buildView(r)
	var buf bytes.Buffer
	buf.Grow(v.sizeHint)
	if err := tmpls[r.Lang].Execute(&buf, v); err != nil {
		return fmt.Errorf("compliance report: template: %w", err)
	}
	out := buf.Bytes()
	if !utf8.Valid(out) {
		// Texts are shown as they came; bytes that are not UTF-8 show
		// as the replacement character, as a browser would show them.
		out = bytes.ToValidUTF8(out, []byte("\uFFFD"))
	}
	if _, err := w.Write(out); err != nil {
		return fmt.Errorf("compliance report: write: %w", err)
	}
	return nil
}

// validate says what is wrong with r, or nil.
func validate(r *Report) error {
	if r == nil {
		return errors.New("nil report")
	}
	if !IsLang(r.Lang) {
		return fmt.Errorf("unknown language %q (want %q or %q)", r.Lang, English, Chinese)
	}
	if r.GeneratedAt.IsZero() {
		return errors.New("the generation time is not set")
	}
	if r.Host != nil && r.Host.AgentID == "" {
		return errors.New("host report: the host has no agent id")
	}
	if len(r.Policies) == 0 {
		return errors.New("no policies")
	}
	seen := make(map[string]bool, len(r.Policies))
	for i := range r.Policies {
		p := &r.Policies[i]
		if p.ID == "" {
			return fmt.Errorf("policy %d: empty id", i+1)
		}
		if seen[p.ID] {
			return fmt.Errorf("policy %q: given twice", p.ID)
		}
		seen[p.ID] = true
		if err := validatePolicy(p, r.Host != nil); err != nil {
			return fmt.Errorf("policy %q: %w", p.ID, err)
		}
	}
	return nil
}

func validatePolicy(p *Policy, hostReport bool) error {
	if err := validateCounts(p.Counts); err != nil {
		return err
	}
	if err := validateScore(p.Score); err != nil {
		return err
	}
	if !hostReport {
		if len(p.Results) > 0 {
			return fmt.Errorf("a fleet report has no per-check results (%d given): use Hosts and Checks", len(p.Results))
		}
		return validateFleet(p)
	}
	if len(p.Hosts) > 0 || len(p.Checks) > 0 {
		return fmt.Errorf("a host report has no fleet standing (%d hosts, %d checks given): use Results", len(p.Hosts), len(p.Checks))
	}
	var tally eval.Counts
	ids := make(map[string]bool, len(p.Results))
	for i := range p.Results {
		res := &p.Results[i]
		if res.CheckID == "" {
			return fmt.Errorf("result %d: empty check id", i+1)
		}
		if ids[res.CheckID] {
			return fmt.Errorf("check %q: given twice", res.CheckID)
		}
		ids[res.CheckID] = true
		if !countStatus(&tally, res.Status) {
			return fmt.Errorf("check %q: unknown status %q (want pass, fail, error, not_applicable or excepted)", res.CheckID, res.Status)
		}
		if !knownSeverity(res.Severity) {
			return fmt.Errorf("check %q: unknown severity %q (want critical, high, medium, low or none)", res.CheckID, res.Severity)
		}
	}
	if tally != p.Counts {
		return fmt.Errorf("the counts %s do not agree with the results %s", countsString(p.Counts), countsString(tally))
	}
	return nil
}

func validateFleet(p *Policy) error {
	agents := make(map[string]bool, len(p.Hosts))
	for i := range p.Hosts {
		h := &p.Hosts[i]
		if h.AgentID == "" {
			return fmt.Errorf("host %d: empty agent id", i+1)
		}
		if agents[h.AgentID] {
			return fmt.Errorf("host %q: given twice", h.AgentID)
		}
		agents[h.AgentID] = true
		if err := validateCounts(h.Counts); err != nil {
			return fmt.Errorf("host %q: %w", h.AgentID, err)
		}
		if err := validateScore(h.Score); err != nil {
			return fmt.Errorf("host %q: %w", h.AgentID, err)
		}
	}
	ids := make(map[string]bool, len(p.Checks))
	for i := range p.Checks {
		c := &p.Checks[i]
		if c.CheckID == "" {
			return fmt.Errorf("check standing %d: empty check id", i+1)
		}
		if ids[c.CheckID] {
			return fmt.Errorf("check %q: given twice", c.CheckID)
		}
		ids[c.CheckID] = true
		if !knownSeverity(c.Severity) {
			return fmt.Errorf("check %q: unknown severity %q (want critical, high, medium, low or none)", c.CheckID, c.Severity)
		}
		if err := validateCounts(c.Hosts); err != nil {
			return fmt.Errorf("check %q: hosts: %w", c.CheckID, err)
		}
	}
	return nil
}

// validateCounts checks that no count is negative and that the total is
// their sum.
func validateCounts(c eval.Counts) error {
	if c.Pass < 0 || c.Fail < 0 || c.Error < 0 || c.NotApplicable < 0 || c.Excepted < 0 {
		return fmt.Errorf("negative counts %s", countsString(c))
	}
	if sum := c.Pass + c.Fail + c.Error + c.NotApplicable + c.Excepted; sum != c.Total {
		return fmt.Errorf("counts %s: the total is not their sum %d", countsString(c), sum)
	}
	return nil
}

func validateScore(s *float64) error {
	if s != nil && (math.IsNaN(*s) || *s < 0 || *s > 100) {
		return fmt.Errorf("score %v is not a percentage", *s)
	}
	return nil
}

func countsString(c eval.Counts) string {
	return fmt.Sprintf("{pass %d, fail %d, error %d, not_applicable %d, excepted %d, total %d}",
		c.Pass, c.Fail, c.Error, c.NotApplicable, c.Excepted, c.Total)
}

// countStatus counts status in c; false for an unknown status.
func countStatus(c *eval.Counts, status string) bool { return c.Add(eval.Status(status)) }
