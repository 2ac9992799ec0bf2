package report

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/compliance/eval"
	"github.com/vigilsec/vigil/internal/compliance/policy"
)

// maxReasonRunes bounds a check's reason (the agent's; at most 2 KiB
// from an agent of this project).
const maxReasonRunes = 2000

// view is what the template lays out: every text already in the
// report's language and every list in its order.
type view struct {
	HTMLLang  string
	Fleet     bool
	Scope     string
	Host      *hostView
	Center    string
	Generated string
	Policies  []*policyView
	// SeverityColumns are the columns of the summary's severity table.
	SeverityColumns []labelView

	sizeHint int
}

// labelView is a translated label with its CSS class.
type labelView struct{ Label, Class string }

// hostView is the host of a host report; Labels are "key=value", by key.
type hostView struct {
	AgentID, Hostname, OS string
	Labels                []string
}

// policyView is one policy's part of the document.
type policyView struct {
	Anchor     string
	ID         string
	Version    string
	Name       string
	Applicable bool
	Updated    string
	Score      scoreView
	Counts     eval.Counts
	// HostCount is the number of hosts of a fleet report.
	HostCount int
	// BySeverity counts the failed checks (host report) or the checks
	// failing on a host (fleet report), one per SeverityColumns.
	BySeverity []int

	Failing  []checkView
	Excepted []checkView
	Others   []checkView

	Hosts  []hostRow
	Checks []standingRow
}

// scoreView is a score's text, bar width (percent) and CSS class.
type scoreView struct {
	Text  string
	Width string
	Class string
}

// refView is a reference system's label and its items.
type refView struct{ System, Items string }

// checkView is one check of a host report.
type checkView struct {
	ID          string
	Title       string
	Status      labelView
	Severity    labelView
	Refs        []refView
	Reason      string
	Rationale   string
	Remediation string
	Evidence    *evidenceView
	Exception   *exceptionView
}

// exceptionView is an exception as shown.
type exceptionView struct{ Reason, Expires, CreatedBy string }

// hostRow is a host of a fleet report.
type hostRow struct {
	AgentID, Hostname string
	Applicable        bool
	Score             scoreView
	Counts            eval.Counts
	Updated           string
}

// standingRow is a check of a fleet report.
type standingRow struct {
	ID       string
	Title    string
	Severity labelView
	Refs     []refView
	Hosts    eval.Counts
	Failing  bool
}

// The severities, most severe first, with the rank they sort by; ""
// (unknown) comes last.
var severities = []string{string(policy.Critical), string(policy.High), string(policy.Medium), string(policy.Low), ""}

func severityRank(s string) int { return slices.Index(severities, s) }

func knownSeverity(s string) bool { return severityRank(s) >= 0 }

// buildView turns a valid report into its view.
func buildView(r *Report) *view {
	t := translator{zh: r.Lang == Chinese}
	v := &view{HTMLLang: "en", Fleet: r.Host == nil, Center: r.Center, Generated: formatTime(r.GeneratedAt)}
	if t.zh {
		v.HTMLLang = "zh-CN"
	}
	v.sizeHint = 24 << 10
	hosts := map[string]bool{}
	anyUnknown := false
	for i := range r.Policies {
		p := &r.Policies[i]
		for _, res := range p.Results {
			anyUnknown = anyUnknown || (res.Severity == "" && (res.Status == StatusFail))
			v.sizeHint += 1024 + min(len(res.Evidence), maxEvidenceRunes*2)
		}
		for _, c := range p.Checks {
			anyUnknown = anyUnknown || (c.Severity == "" && c.Hosts.Fail > 0)
		}
		for _, h := range p.Hosts {
			hosts[h.AgentID] = true
		}
		v.sizeHint += 512 * (len(p.Hosts) + len(p.Checks))
	}
	var columns []string
	for _, s := range severities {
		if s != "" || anyUnknown {
			columns = append(columns, s)
			v.SeverityColumns = append(v.SeverityColumns, severityLabel(s, t))
		}
	}
	if r.Host != nil {
		v.Scope = t.must("scope_host")
		h := &hostView{AgentID: r.Host.AgentID, Hostname: r.Host.Hostname, OS: r.Host.OS}
		for _, k := range sortedKeys(r.Host.Labels) {
			h.Labels = append(h.Labels, k+"="+r.Host.Labels[k])
		}
		v.Host = h
	} else {
		v.Scope = t.must("scope_fleet", len(hosts))
	}
	for i := range r.Policies {
		v.Policies = append(v.Policies, policyViewOf(&r.Policies[i], i, columns, t))
	}
	return v
}

func policyViewOf(p *Policy, i int, columns []string, t translator) *policyView {
	pv := &policyView{
		Anchor: fmt.Sprintf("policy-%d", i+1), ID: p.ID, Version: p.Version, Name: text(p.Name, t),
		Applicable: p.Applicable, Updated: formatTime(p.UpdatedAt),
		Score: scoreOf(p.Score, t), Counts: p.Counts, HostCount: len(p.Hosts),
		BySeverity: make([]int, len(columns)),
	}
	if pv.Name == "" {
		pv.Name = p.ID
	}

	results := slices.Clone(p.Results)
	slices.SortFunc(results, func(a, b Result) int {
		return cmp.Or(cmp.Compare(severityRank(a.Severity), severityRank(b.Severity)), compareIDs(a.CheckID, b.CheckID))
	})
	for i := range results {
		res := &results[i]
		switch res.Status {
		case StatusFail, StatusError:
			if j := slices.Index(columns, res.Severity); j >= 0 && res.Status == StatusFail {
				pv.BySeverity[j]++
			}
			pv.Failing = append(pv.Failing, checkViewOf(res, t))
		case StatusExcepted:
			pv.Excepted = append(pv.Excepted, checkViewOf(res, t))
		default:
			pv.Others = append(pv.Others, checkViewOf(res, t))
		}
	}
	slices.SortFunc(pv.Others, func(a, b checkView) int { return compareIDs(a.ID, b.ID) })

	hosts := slices.Clone(p.Hosts)
	slices.SortFunc(hosts, compareHosts)
	for _, h := range hosts {
		pv.Hosts = append(pv.Hosts, hostRow{AgentID: h.AgentID, Hostname: h.Hostname, Applicable: h.Applicable,
			Score: scoreOf(h.Score, t), Counts: h.Counts, Updated: formatTime(h.UpdatedAt)})
	}

	checks := slices.Clone(p.Checks)
	slices.SortFunc(checks, func(a, b CheckStanding) int {
		return cmp.Or(cmp.Compare(b.Hosts.Fail, a.Hosts.Fail), cmp.Compare(b.Hosts.Error, a.Hosts.Error),
			cmp.Compare(severityRank(a.Severity), severityRank(b.Severity)), compareIDs(a.CheckID, b.CheckID))
	})
	for _, c := range checks {
		if j := slices.Index(columns, c.Severity); j >= 0 && c.Hosts.Fail > 0 {
			pv.BySeverity[j]++
		}
		pv.Checks = append(pv.Checks, standingRow{ID: c.CheckID, Title: text(c.Title, t), Severity: severityLabel(c.Severity, t),
			Refs: refsOf(c.References, t), Hosts: c.Hosts, Failing: c.Hosts.Fail+c.Hosts.Error > 0})
	}
	return pv
}

// compareHosts orders hosts the policy applies to first, then by score,
// lowest first and hosts without a score last, then by name and id.
func compareHosts(a, b HostScore) int {
	return cmp.Or(compareBools(!a.Applicable, !b.Applicable), compareScores(a.Score, b.Score),
		strings.Compare(a.Hostname, b.Hostname), strings.Compare(a.AgentID, b.AgentID))
}

// compareBools orders false before true.
func compareBools(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// compareScores orders scores lowest first, missing ones last.
func compareScores(a, b *float64) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	return cmp.Compare(*a, *b)
}

// compareIDs orders check ids naturally: runs of digits compare as
// numbers, so "x.1.9" comes before "x.1.10".
func compareIDs(a, b string) int {
	for a != "" && b != "" {
		da, db := digitRun(a), digitRun(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if c := cmp.Or(cmp.Compare(len(na), len(nb)), strings.Compare(na, nb)); c != 0 {
				return c
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

// digitRun returns the length of the run of ASCII digits s starts with.
func digitRun(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

func checkViewOf(res *Result, t translator) checkView {
	cv := checkView{ID: res.CheckID, Title: text(res.Title, t), Status: statusLabel(res.Status, t),
		Severity: severityLabel(res.Severity, t), Refs: refsOf(res.References, t),
		Rationale: text(res.Rationale, t), Remediation: text(res.Remediation, t)}
	if res.Reason != "" {
		b := budget{t: t, left: maxReasonRunes, value: maxReasonRunes}
		cv.Reason = b.text(res.Reason)
	}
	if res.Status != StatusPass && res.Status != StatusNotApplicable {
		cv.Evidence = evidenceOf(res.Evidence, t)
	}
	if e := res.Exception; e != nil {
		ev := &exceptionView{Reason: e.Reason, Expires: t.must("never"), CreatedBy: e.CreatedBy}
		if !e.ExpiresAt.IsZero() {
			ev.Expires = formatTime(e.ExpiresAt)
		}
		cv.Exception = ev
	}
	return cv
}

// text returns s in the report's language, or in the other when that
// one is empty.
func text(s policy.Text, t translator) string {
	if t.zh {
		return cmp.Or(s.Zh, s.En)
	}
	return cmp.Or(s.En, s.Zh)
}

func statusLabel(status string, t translator) labelView {
	key := map[string]string{StatusPass: "status_pass", StatusFail: "status_fail", StatusError: "status_error",
		StatusNotApplicable: "status_na", StatusExcepted: "status_except"}[status]
	return labelView{Label: t.must(key), Class: "st-" + status}
}

func severityLabel(sev string, t translator) labelView {
	if sev == "" {
		return labelView{Label: t.must("sev_none"), Class: "sev-none"}
	}
	return labelView{Label: t.must("sev_" + sev), Class: "sev-" + sev}
}

// refsOf lists references by system, each system's items joined.
func refsOf(refs map[string][]string, t translator) []refView {
	out := make([]refView, 0, len(refs))
	for _, k := range sortedKeys(refs) {
		if len(refs[k]) == 0 {
			continue
		}
		system := k
		if s, err := t.word("ref_" + k); err == nil {
			system = s
		}
		out = append(out, refView{System: system, Items: strings.Join(refs[k], ", ")})
	}
	return out
}

// scoreOf shows a score: one decimal, a bar width and a class by range.
func scoreOf(s *float64, t translator) scoreView {
	if s == nil {
		return scoreView{Text: t.must("no_score"), Width: "0", Class: "score-none"}
	}
	class := "score-poor"
	switch {
	case *s >= 90:
		class = "score-good"
	case *s >= 70:
		class = "score-fair"
	}
	return scoreView{Text: fmt.Sprintf("%.1f%%", *s), Width: fmt.Sprintf("%.1f", *s), Class: class}
}

// formatTime shows a time in UTC, or "" for none.
func formatTime(tm time.Time) string {
	if tm.IsZero() {
		return ""
	}
	return tm.UTC().Format("2006-01-02 15:04:05 UTC")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
