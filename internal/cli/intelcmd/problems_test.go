package intelcmd

import (
	"testing"

	"github.com/vigilsec/vigil/internal/center/intel"
)

func TestProblemPlace(t *testing.T) {
	values := []string{"192.0.2.1", "not-a-value"}
	for _, tc := range []struct {
		p         intel.Problem
		add, file string
	}{
		{intel.Problem{Entry: "indicators[1]"}, "not-a-value (value 2)", "indicators[1]"},
		{intel.Problem{Entry: "indicators[7]"}, "indicators[7]", "indicators[7]"},
		{intel.Problem{Entry: "indicators[-1]"}, "indicators[-1]", "indicators[-1]"},
		{intel.Problem{Entry: "0"}, "192.0.2.1 (value 1)", "0"},
		{intel.Problem{Line: 4, Entry: "nope"}, "line 4 (nope)", "line 4 (nope)"},
		{intel.Problem{Line: 9}, "line 9", "line 9"},
		{intel.Problem{}, "file", "file"},
	} {
		if got := entryName(tc.p, values); got != tc.add {
			t.Errorf("entryName(%+v) = %q, want %q", tc.p, got, tc.add)
		}
		if got := problemPlace(tc.p); got != tc.file {
			t.Errorf("problemPlace(%+v) = %q, want %q", tc.p, got, tc.file)
		}
	}
}

// FuzzEntryName: any entry the center names is placed without a panic,
// and a value is only named by an index in range.
func FuzzEntryName(f *testing.F) {
	for _, s := range []string{"indicators[0]", "indicators[2]", "indicators[", "]", "indicators[99999999999999999999]", "1", "", "indicator--x"} {
		f.Add(s, 3)
	}
	f.Fuzz(func(t *testing.T, entry string, line int) {
		values := []string{"a", "b"}
		p := intel.Problem{Entry: entry, Line: line}
		got := entryName(p, values)
		if got != problemPlace(p) && got != "a (value 1)" && got != "b (value 2)" {
			t.Errorf("entryName(%q) = %q: neither the place nor a value given", entry, got)
		}
		if got == "" {
			t.Errorf("entryName(%q, %d) is empty", entry, line)
		}
	})
}
