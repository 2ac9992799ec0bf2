package attack

import (
	"slices"
	"strings"
	"testing"
)

func TestFromTags(t *testing.T) {
	tests := []struct {
		name string
		tags []string
		want []string
	}{
		{"nil", nil, []string{}},
		{"sub-technique", []string{"attack.t1059.004"}, []string{"T1059.004"}},
		{"upper case", []string{"attack.T1548", "ATTACK.T1548.001"}, []string{"T1548", "T1548.001"}},
		{"sorted and unique", []string{"attack.t1078", "attack.t1059.004", "attack.T1078", "attack.t1059"}, []string{"T1059", "T1059.004", "T1078"}},
		{"other platforms kept", []string{"attack.t1059.001"}, []string{"T1059.001"}},
		{"tactics, groups, software skipped", []string{"attack.execution", "attack.ta0002", "attack.g0047", "attack.s0001"}, []string{}},
		{"other namespaces skipped", []string{"cve.2021-44228", "detection.threat-hunting", "car.2016-04-005", "t1059"}, []string{}},
		{"malformed skipped", []string{"attack.t1059.4", "attack.t10590", "attack.", "attack", "attack.t", ""}, []string{}},
		{"spaces trimmed", []string{" attack.t1105 "}, []string{"T1105"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := FromTags(tt.tags)
			if got == nil || !slices.Equal(got, tt.want) {
				t.Errorf("FromTags(%q) = %#v, want %#v", tt.tags, got, tt.want)
			}
		})
	}
}

func TestTacticsFromTags(t *testing.T) {
	tests := []struct {
		name string
		tags []string
		want []string
	}{
		{"nil", nil, []string{}},
		{"hyphen", []string{"attack.privilege-escalation"}, []string{"TA0004"}},
		{"underscore", []string{"attack.privilege_escalation", "attack.command_and_control"}, []string{"TA0004", "TA0011"}},
		{"id", []string{"attack.ta0004", "attack.TA0043"}, []string{"TA0043", "TA0004"}},
		{"matrix order and unique", []string{"attack.impact", "attack.execution", "attack.ta0002", "attack.reconnaissance"}, []string{"TA0043", "TA0002", "TA0040"}},
		{"techniques skipped", []string{"attack.t1059.004", "attack.execution"}, []string{"TA0002"}},
		{"names with spaces are not tags", []string{"attack.privilege escalation"}, []string{}},
		{"unknown skipped", []string{"attack.evasion", "execution", "attack.ta9999"}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := TacticsFromTags(tt.tags)
			if got == nil || !slices.Equal(got, tt.want) {
				t.Errorf("TacticsFromTags(%q) = %#v, want %#v", tt.tags, got, tt.want)
			}
		})
	}
}

// FuzzFromTags checks that tag parsing never panics and that what it
// returns is canonical, sorted and unique, and made of known tactics.
func FuzzFromTags(f *testing.F) {
	for _, s := range []string{"attack.t1059.004", "attack.T1548", "attack.privilege_escalation", "attack.ta0004", "attack.", "attack.t1059.", "ATTACK.T1", "cve.2021-1", "\x00attack.t1059", "attack.t１０５９"} {
		f.Add(s, "attack.execution")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		tags := []string{a, b}
		ids := FromTags(tags)
		for i, id := range ids {
			if canon, ok := NormalizeID(id); !ok || canon != id {
				t.Fatalf("FromTags(%q) returned non-canonical %q", tags, id)
			}
			if i > 0 && ids[i-1] >= id {
				t.Fatalf("FromTags(%q) = %q, not sorted and unique", tags, ids)
			}
			if !strings.Contains(strings.ToUpper(a+b), id) {
				t.Fatalf("FromTags(%q) invented %q", tags, id)
			}
		}
		last := -1
		for _, id := range TacticsFromTags(tags) {
			i := slices.IndexFunc(tacticTable, func(t Tactic) bool { return t.ID == id })
			if i <= last {
				t.Fatalf("TacticsFromTags(%q) returned %q out of order or unknown", tags, id)
			}
			last = i
		}
	})
}

func BenchmarkFromTags(b *testing.B) {
	tags := []string{"attack.execution", "attack.t1059.004", "attack.privilege-escalation", "attack.t1548.001", "attack.t1548", "cve.2021-4034"}
	for b.Loop() {
		FromTags(tags)
		TacticsFromTags(tags)
	}
}
