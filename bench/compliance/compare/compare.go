package compare

import (
	"fmt"
	"strings"

	"github.com/vigilsec/vigil/bench/compliance/lynis"
	"github.com/vigilsec/vigil/internal/compliance/eval"
)

// Line is one row of the comparison with both verdicts.
type Line struct {
	Control string `json:"control"`
	Lynis   string `json:"lynis"`
	CheckID string `json:"check_id"`
	// Scope names the part of the check Lynis covers.
	Scope string `json:"scope"`
	// LynisReading is Lynis's verdict and what decided it.
	LynisReading Reading `json:"lynis_verdict"`
	// Vigil is the verdict of the whole check as Vigil ships it.
	Vigil Reading `json:"vigil_verdict"`
	// Scoped is Vigil's verdict on the part Lynis covers, read as Lynis
	// reads it; equal to Vigil when the scope is the whole check.
	Scoped Reading `json:"vigil_scoped_verdict"`
	// Agree: Lynis's verdict is Vigil's.
	Agree bool `json:"agree"`
	// ScopedAgree: Lynis's verdict is Vigil's scoped verdict.
	ScopedAgree bool `json:"scoped_agree"`
	// Reading and Note are the row's texts.
	Reading string `json:"reading"`
	Note    string `json:"note"`
}

// Result is the whole comparison.
type Result struct {
	LynisVersion  string `json:"lynis_version"`
	PolicyID      string `json:"policy_id"`
	PolicyVersion string `json:"policy_version"`
	Lines         []Line `json:"lines"`
	Agree         int    `json:"agree"`
	// AgreeNotJudged counts the agreements where neither side judged
	// the control (Lynis n/a, Vigil not_applicable).
	AgreeNotJudged int `json:"agree_not_judged"`
	Differ         int `json:"differ"`
	// DifferOnScope counts the differences where Lynis agrees with
	// Vigil's verdict on the part Lynis covers: the difference is what
	// CIS asks beyond Lynis (persistence, more keys, more files).
	DifferOnScope int `json:"differ_agree_on_scope"`
}

// Compare reads Lynis's verdict for every row from the audit and sets
// it beside the verdict of the row's check in full (the shipped CIS
// policy evaluated on the same host) and in scoped (ScopedPolicy
// evaluated there; it may be nil when no row has a scope).
func Compare(rows []Row, a *lynis.Audit, full, scoped *eval.Report) Result {
	res := Result{LynisVersion: a.Version(), PolicyID: full.PolicyID, PolicyVersion: full.PolicyVersion}
	for i := range rows {
		r := &rows[i]
		var readings []Reading
		for j := range r.Probes {
			readings = append(readings, r.Probes[j].Read(a))
		}
		l := Line{Control: r.Control, Lynis: r.Lynis, CheckID: r.CheckID(), Scope: r.Scope.String(),
			LynisReading: combine(readings), Reading: r.Reading, Note: r.Note}
		l.Vigil = vigilReading(full, r.CheckID())
		l.Scoped = l.Vigil
		if !r.Scope.IsZero() {
			if scoped == nil {
				l.Scoped = Reading{Unknown, "no scoped evaluation"}
			} else {
				l.Scoped = vigilReading(scoped, r.Key())
			}
		}
		l.Agree = l.LynisReading.Verdict == l.Vigil.Verdict
		l.ScopedAgree = l.LynisReading.Verdict == l.Scoped.Verdict
		switch {
		case l.Agree:
			res.Agree++
			if l.Vigil.Verdict == NA {
				res.AgreeNotJudged++
			}
		default:
			res.Differ++
			if l.ScopedAgree {
				res.DifferOnScope++
			}
		}
		res.Lines = append(res.Lines, l)
	}
	return res
}

// vigilReading is the verdict of check id in rep, with the evidence
// that decided it.
func vigilReading(rep *eval.Report, id string) Reading {
	c := rep.Result(id)
	if c == nil {
		return Reading{Unknown, id + " is not in the Vigil report"}
	}
	switch c.Status {
	case eval.Pass:
		return Reading{Pass, evidence(c.Rules, eval.RuleHolds)}
	case eval.Fail, eval.Excepted:
		return Reading{Fail, evidence(c.Rules, eval.RuleFails)}
	case eval.NotApplicable:
		ev := c.Reason
		if e := evidence(c.AppliesIf, eval.RuleFails); e != "" {
			ev += ": " + e
		}
		return Reading{NA, ev}
	}
	return Reading{Error, c.Reason}
}

// evidence is the evidence of the first rule with result, else (a
// check whose condition is `none` passes on failing rules) of the first
// rule with any.
func evidence(rules []eval.RuleResult, result string) string {
	for _, r := range rules {
		if r.Result == result && len(r.Evidence) > 0 {
			return strings.Join(r.Evidence, "; ")
		}
	}
	for _, r := range rules {
		if len(r.Evidence) > 0 {
			return r.Result + ": " + strings.Join(r.Evidence, "; ")
		}
	}
	return ""
}

// Differences returns the lines whose verdicts differ.
func (r *Result) Differences() []Line {
	var out []Line
	for _, l := range r.Lines {
		if !l.Agree {
			out = append(out, l)
		}
	}
	return out
}

// Summary is one sentence with the counts.
func (r *Result) Summary() string {
	return fmt.Sprintf("%d controls compared: %d agree (%d on a verdict, %d where neither judges), %d differ (on %d of them Lynis agrees with Vigil's verdict on the part Lynis covers)",
		len(r.Lines), r.Agree, r.Agree-r.AgreeNotJudged, r.AgreeNotJudged, r.Differ, r.DifferOnScope)
}

// shortCheck drops the policy prefix of a check id.
func shortCheck(id string) string { return strings.TrimPrefix(id, PolicyID+".") }
