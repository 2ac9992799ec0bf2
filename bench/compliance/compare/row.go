// Package compare sets Lynis's verdicts beside Vigil's CIS Debian 12
// verdicts on the controls both cover. Its table (Rows) maps Lynis
// tests, or one item of a test (a sysctl key of KRNL-6000, an option of
// SSH-7408), to the cis_debian12 check covering the same control, says
// how Lynis's verdict is read from its report and log, which part of the
// CIS check Lynis covers, and why the two can differ.
package compare

import (
	"regexp"
	"strconv"
	"strings"
)

// Row maps one Lynis test or item to one CIS Debian 12 check.
type Row struct {
	// Control names what both check ("sshd MaxAuthTries").
	Control string
	// Lynis names the Lynis test, with the item in Lynis's own atomic
	// test notation where the test checks many (KRNL-6000:fs.suid_dumpable).
	Lynis string
	// Check is the CIS Debian 12 number of the check ("5.1.16"); its
	// id is cis_debian12.<Check>.
	Check string
	// Probes read Lynis's verdict; several are combined (any failure
	// fails).
	Probes []Probe
	// Scope is the part of the CIS check that Lynis covers.
	Scope Scope
	// Reading says how Lynis's verdict is read.
	Reading string
	// Note says how the two checks differ and why their verdicts can
	// disagree; it is printed with every difference.
	Note string
}

// Scope is the part of a CIS check that Lynis covers: the check's
// rules, restricted and read as Lynis reads them. The scoped Vigil
// verdict evaluates that part with Vigil's own evaluator.
type Scope struct {
	// Rules are the indexes of the check's rules Lynis covers; empty
	// means all.
	Rules []int
	// Running reads sysctl rules without `persistent` (Lynis reads the
	// running values only).
	Running bool
	// LoadedOnly reads module rules without `loadable` (Lynis fails a
	// module only when it is loaded).
	LoadedOnly bool
}

// IsZero reports whether the scope is the whole check.
func (s Scope) IsZero() bool { return len(s.Rules) == 0 && !s.Running && !s.LoadedOnly }

// String describes the scope ("rules 0,1; running values").
func (s Scope) String() string {
	var parts []string
	if len(s.Rules) > 0 {
		var idx []string
		for _, i := range s.Rules {
			idx = append(idx, strconv.Itoa(i))
		}
		parts = append(parts, "rules "+strings.Join(idx, ","))
	}
	if s.Running {
		parts = append(parts, "running values")
	}
	if s.LoadedOnly {
		parts = append(parts, "loaded only")
	}
	if len(parts) == 0 {
		return "whole check"
	}
	return strings.Join(parts, "; ")
}

// PolicyID is the id of the policy the table maps to.
const PolicyID = "cis_debian12"

// CheckID is the row's full check id.
func (r *Row) CheckID() string { return PolicyID + "." + r.Check }

// Key identifies the row: Lynis test and item, and the CIS check.
func (r *Row) Key() string { return r.Lynis + " " + r.Check }

// Tests are the Lynis test ids the row reads.
func (r *Row) Tests() []string {
	var out []string
	for _, p := range r.Probes {
		if len(out) == 0 || out[len(out)-1] != p.Test {
			out = append(out, p.Test)
		}
	}
	return out
}

// line matches a log line that is exactly s.
func line(s string) *regexp.Regexp { return regexp.MustCompile("^" + regexp.QuoteMeta(s) + "$") }

// starts matches a log line that starts with s.
func starts(s string) *regexp.Regexp { return regexp.MustCompile("^" + regexp.QuoteMeta(s)) }

// text matches a finding whose text holds s.
func text(s string) *regexp.Regexp { return regexp.MustCompile(regexp.QuoteMeta(s)) }

// lines is line for each of ss.
func lines(ss ...string) []*regexp.Regexp {
	out := make([]*regexp.Regexp, len(ss))
	for i, s := range ss {
		out[i] = line(s)
	}
	return out
}
