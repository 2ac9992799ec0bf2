package compare

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/vigilsec/vigil/bench/compliance/lynis"
)

// Verdict is one side's verdict on a control.
type Verdict string

// The verdicts.
const (
	Pass Verdict = "pass"
	Fail Verdict = "fail"
	// NA: the side did not judge the control here (Lynis skipped the
	// test or found it not applicable; Vigil's check is
	// not_applicable).
	NA Verdict = "n/a"
	// Error: Vigil could not evaluate the check.
	Error Verdict = "error"
	// Unknown: Lynis left nothing that decides (its test is not in
	// the audit, or no line of its log says).
	Unknown Verdict = "unknown"
)

// Probe reads Lynis's verdict on one item from an audit: a test's
// findings, details, report values and log lines. Failure is looked for
// first, then success; a probe without a success condition passes when
// its test ran and nothing failed.
type Probe struct {
	// Test is the Lynis test id (SSH-7408).
	Test string
	// Block limits the log lines read to those after the first line
	// matching Block, up to the next line matching BlockEnd (or the
	// end of the test): FILE-7524 logs one block per file.
	Block, BlockEnd *regexp.Regexp

	// Fail when a warning or suggestion of Test has a text matching
	// Finding, when a details[] entry of Test has the field Detail, when
	// the report has FailValue ("key=value"), or when a log line
	// matches one of Fail.
	Finding   *regexp.Regexp
	Detail    string
	FailValue string
	Fail      []*regexp.Regexp
	// Pass when the report has PassValue or a log line matches one of
	// Pass. With neither, the absence of a failure is a pass.
	PassValue string
	Pass      []*regexp.Regexp
	// NA when a log line matches one of NA: the test ran but did not
	// judge the item (the sysctl key does not exist, the mount point
	// is not mounted).
	NA []*regexp.Regexp
}

// Reading is a verdict with what decided it.
type Reading struct {
	Verdict Verdict `json:"verdict"`
	// Evidence is the Lynis line or value that decided, or why nothing did.
	Evidence string `json:"evidence"`
}

// needsLog reports whether the probe reads the log.
func (p *Probe) needsLog() bool {
	return p.Block != nil || len(p.Fail) > 0 || len(p.Pass) > 0 || len(p.NA) > 0
}

// Read reads the probe's verdict from an audit.
func (p *Probe) Read(a *lynis.Audit) Reading {
	status, reason := a.TestStatus(p.Test)
	switch status {
	case lynis.Unknown:
		return Reading{Unknown, p.Test + " is not in the audit"}
	case lynis.Skipped:
		return Reading{NA, fmt.Sprintf("%s skipped: %s", p.Test, reason)}
	}
	if r, ok := p.reportFailure(a.Report); ok {
		return r
	}
	if a.Log == nil && p.needsLog() {
		return Reading{Unknown, p.Test + ": the verdict needs the log, which was not read"}
	}
	var lines []string
	if a.Log != nil {
		t := a.Log.Test(p.Test)
		if t == nil && p.needsLog() {
			return Reading{Unknown, p.Test + " ran but is not in the log"}
		}
		if t != nil {
			lines = t.Lines
		}
		if p.Block != nil {
			block, ok := p.block(lines)
			if !ok {
				return Reading{Unknown, fmt.Sprintf("%s: no log line matches %s", p.Test, p.Block)}
			}
			lines = block
		}
	}
	if l, ok := firstMatch(lines, p.NA); ok {
		return Reading{NA, p.Test + ": " + l}
	}
	if l, ok := firstMatch(lines, p.Fail); ok {
		return Reading{Fail, p.Test + ": " + l}
	}
	if p.PassValue != "" && hasValue(a.Report, p.PassValue) {
		return Reading{Pass, p.Test + ": " + p.PassValue}
	}
	if l, ok := firstMatch(lines, p.Pass); ok {
		return Reading{Pass, p.Test + ": " + l}
	}
	if p.PassValue == "" && len(p.Pass) == 0 {
		return Reading{Pass, p.Test + " ran without this finding"}
	}
	return Reading{Unknown, p.Test + ": no line of the log decides"}
}

// reportFailure looks for a failure in the report.
func (p *Probe) reportFailure(r *lynis.Report) (Reading, bool) {
	if r == nil {
		return Reading{}, false
	}
	if p.Finding != nil {
		for _, f := range r.Findings(p.Test) {
			if p.Finding.MatchString(f.Text) {
				ev := p.Test + ": " + f.Text
				if f.Details != "" && f.Details != "-" {
					ev += " (" + f.Details + ")"
				}
				return Reading{Fail, ev}, true
			}
		}
	}
	if p.Detail != "" {
		for _, d := range r.DetailsOf(p.Test) {
			if d.Field() == p.Detail {
				return Reading{Fail, fmt.Sprintf("%s: %s is %s, Lynis prefers %s", p.Test, p.Detail, d.Fields["value"], d.Fields["prefval"])}, true
			}
		}
	}
	if p.FailValue != "" && hasValue(r, p.FailValue) {
		return Reading{Fail, p.Test + ": " + p.FailValue}, true
	}
	return Reading{}, false
}

// block returns the lines after the first one matching Block, up to the
// next matching BlockEnd.
func (p *Probe) block(lines []string) ([]string, bool) {
	for i, l := range lines {
		if !p.Block.MatchString(l) {
			continue
		}
		rest := lines[i+1:]
		if p.BlockEnd != nil {
			for j, m := range rest {
				if p.BlockEnd.MatchString(m) {
					return rest[:j], true
				}
			}
		}
		return rest, true
	}
	return nil, false
}

// hasValue reports whether the report has key=value among the values
// of key.
func hasValue(r *lynis.Report, kv string) bool {
	if r == nil {
		return false
	}
	key, value, _ := strings.Cut(kv, "=")
	for _, v := range r.Values[key] {
		if v == value {
			return true
		}
	}
	return false
}

func firstMatch(lines []string, res []*regexp.Regexp) (string, bool) {
	for _, l := range lines {
		for _, re := range res {
			if re.MatchString(l) {
				return strings.TrimSpace(l), true
			}
		}
	}
	return "", false
}

// combine makes one reading of several: a failure fails; all not
// judged is not judged; an unknown part is unknown; else a pass, noting
// the parts Lynis did not judge.
func combine(rs []Reading) Reading {
	if len(rs) == 1 {
		return rs[0]
	}
	var fails, passes, nas, unknowns []string
	seen := map[string]bool{}
	for _, r := range rs {
		if seen[string(r.Verdict)+r.Evidence] {
			continue
		}
		seen[string(r.Verdict)+r.Evidence] = true
		switch r.Verdict {
		case Fail:
			fails = append(fails, r.Evidence)
		case Pass:
			passes = append(passes, r.Evidence)
		case NA:
			nas = append(nas, r.Evidence)
		default:
			unknowns = append(unknowns, r.Evidence)
		}
	}
	switch {
	case len(fails) > 0:
		return Reading{Fail, strings.Join(fails, "; ")}
	case len(unknowns) > 0:
		return Reading{Unknown, strings.Join(unknowns, "; ")}
	case len(passes) == 0:
		return Reading{NA, strings.Join(nas, "; ")}
	}
	ev := strings.Join(passes, "; ")
	if len(nas) > 0 {
		ev += "; not judged: " + strings.Join(nas, "; ")
	}
	return Reading{Pass, ev}
}
