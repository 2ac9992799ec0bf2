package attack

import (
	"slices"
	"testing"
)

func TestLookup(t *testing.T) {
	tests := []struct {
		in       string
		wantID   string
		wantName string
		wantOK   bool
	}{
		{"T1059.004", "T1059.004", "Unix Shell", true},
		{"t1059.004", "T1059.004", "Unix Shell", true},
		{" T1059.004\t", "T1059.004", "Unix Shell", true},
		{"T1059", "T1059", "Command and Scripting Interpreter", true},
		{"t1548.001", "T1548.001", "Setuid and Setgid", true},
		{"T1611", "T1611", "Escape to Host", true},
		{"T1595.002", "T1595.002", "Vulnerability Scanning", true},
		{"T1156", "T1156", ".bash_profile and .bashrc", true}, // revoked, still found
		{"T1059.001", "", "", false},                          // PowerShell: Windows only
		{"T9999", "", "", false},
		{"T1059.4", "", "", false},
		{"T1059.0040", "", "", false},
		{"1059", "", "", false},
		{"TA0002", "", "", false},
		{"", "", "", false},
	}
	for _, tt := range tests {
		got, ok := Lookup(tt.in)
		if ok != tt.wantOK || got.ID != tt.wantID || got.Name != tt.wantName {
			t.Errorf("Lookup(%q) = %q %q %v, want %q %q %v", tt.in, got.ID, got.Name, ok, tt.wantID, tt.wantName, tt.wantOK)
		}
	}
}

func TestLookupFields(t *testing.T) {
	got, ok := Lookup("T1078")
	if !ok {
		t.Fatal("T1078 not found")
	}
	wantTactics := []string{"TA0001", "TA0003", "TA0004", "TA0005"} // matrix order
	if !slices.Equal(got.Tactics, wantTactics) {
		t.Errorf("T1078 tactics = %v, want %v", got.Tactics, wantTactics)
	}
	if !slices.Equal(got.Platforms, []string{"Linux", "Containers"}) {
		t.Errorf("T1078 platforms = %v", got.Platforms)
	}
	if got.NameZH != "有效账户" || !got.Active() || got.IsSubTechnique() || got.ParentID() != "" {
		t.Errorf("T1078 = %+v", got)
	}
	if got.URL() != "https://attack.mitre.org/techniques/T1078/" {
		t.Errorf("URL = %q", got.URL())
	}
	sub, _ := Lookup("T1078.003")
	if !sub.IsSubTechnique() || sub.ParentID() != "T1078" || sub.URL() != "https://attack.mitre.org/techniques/T1078/003/" {
		t.Errorf("T1078.003 = %+v, url %q", sub, sub.URL())
	}
}

func TestLookupReturnsCopies(t *testing.T) {
	a, _ := Lookup("T1078")
	a.Tactics[0] = "changed"
	a.Platforms[0] = "changed"
	b, _ := Lookup("T1078")
	if b.Tactics[0] != "TA0001" || b.Platforms[0] != "Linux" {
		t.Fatalf("changing a returned technique changed the table: %+v", b)
	}
	all := Techniques()
	all[0].Tactics[0] = "changed"
	if Techniques()[0].Tactics[0] == "changed" {
		t.Fatal("changing Techniques() changed the table")
	}
	tactics := Tactics()
	tactics[0].Name = "changed"
	if Tactics()[0].Name == "changed" {
		t.Fatal("changing Tactics() changed the table")
	}
}

func TestResolve(t *testing.T) {
	tests := []struct {
		in, want   string
		wantActive bool
		wantOK     bool
	}{
		{"T1156", "T1546.004", true, true}, // revoked
		{"t1166", "T1548.001", true, true}, // revoked
		{"T1064", "T1064", false, true},    // deprecated: itself
		{"T1053.001", "T1053.001", false, true},
		{"T1059.004", "T1059.004", true, true},
		{"T1059.001", "", false, false},
	}
	for _, tt := range tests {
		got, ok := Resolve(tt.in)
		if ok != tt.wantOK || got.ID != tt.want || (ok && got.Active() != tt.wantActive) {
			t.Errorf("Resolve(%q) = %q active=%v %v, want %q active=%v %v", tt.in, got.ID, got.Active(), ok, tt.want, tt.wantActive, tt.wantOK)
		}
	}
}

func TestParent(t *testing.T) {
	tests := []struct {
		in, want string
		wantOK   bool
	}{
		{"T1059.004", "T1059", true},
		{"t1059.004", "T1059", true},
		{"T1059.001", "T1059", true}, // sub-technique not in the table, parent is
		{"T1053.001", "T1053", true}, // deprecated sub-technique
		{"T1059", "", false},
		{"T1134.001", "", false}, // Windows-only parent
		{"T1059.04", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := Parent(tt.in)
		if ok != tt.wantOK || got.ID != tt.want {
			t.Errorf("Parent(%q) = %q %v, want %q %v", tt.in, got.ID, ok, tt.want, tt.wantOK)
		}
	}
}

func TestSubTechniques(t *testing.T) {
	ids := func(ts []Technique) []string {
		var out []string
		for _, t := range ts {
			out = append(out, t.ID)
		}
		return out
	}
	tests := []struct {
		in   string
		want []string
	}{
		{"T1548", []string{"T1548.001", "T1548.003"}},
		{"t1053", []string{"T1053.002", "T1053.003", "T1053.006", "T1053.007"}}, // not the deprecated .001
		{"T1059.004", nil},
		{"T1005", nil},
		{"bogus", nil},
	}
	for _, tt := range tests {
		if got := ids(SubTechniques(tt.in)); !slices.Equal(got, tt.want) {
			t.Errorf("SubTechniques(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestTechniquesAreActiveAndSorted(t *testing.T) {
	all := Techniques()
	if len(all) == 0 {
		t.Fatal("no techniques")
	}
	for i, tech := range all {
		if !tech.Active() {
			t.Errorf("Techniques() includes %s, which is not active", tech.ID)
		}
		if i > 0 && all[i-1].ID >= tech.ID {
			t.Errorf("Techniques() not sorted at %s, %s", all[i-1].ID, tech.ID)
		}
	}
	if _, ok := Lookup("T1156"); !ok {
		t.Error("revoked T1156 should still be found by Lookup")
	}
	for _, tech := range all {
		if tech.ID == "T1156" {
			t.Error("Techniques() includes revoked T1156")
		}
	}
}

func TestLookupTactic(t *testing.T) {
	tests := []struct {
		in, want string
		wantOK   bool
	}{
		{"TA0004", "TA0004", true},
		{"ta0004", "TA0004", true},
		{"privilege-escalation", "TA0004", true},
		{"privilege_escalation", "TA0004", true},
		{"Privilege Escalation", "TA0004", true},
		{" command-and-control ", "TA0011", true},
		{"command_and_control", "TA0011", true},
		{"reconnaissance", "TA0043", true},
		{"TA0000", "", false},
		{"privilege", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := LookupTactic(tt.in)
		if ok != tt.wantOK || got.ID != tt.want {
			t.Errorf("LookupTactic(%q) = %q %v, want %q %v", tt.in, got.ID, ok, tt.want, tt.wantOK)
		}
	}
}

func TestNormalizeID(t *testing.T) {
	tests := []struct {
		in, want string
		wantOK   bool
	}{
		{"t1059.004", "T1059.004", true},
		{"T1548", "T1548", true},
		{" t1548 ", "T1548", true},
		{"T1548.", "", false},
		{"T15480", "", false},
		{"T1548x001", "", false},
		{"X1548", "", false},
		{"T154a", "", false},
		{"T1548.00a", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := NormalizeID(tt.in)
		if ok != tt.wantOK || got != tt.want {
			t.Errorf("NormalizeID(%q) = %q %v, want %q %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func BenchmarkLookup(b *testing.B) {
	for b.Loop() {
		if _, ok := Lookup("t1059.004"); !ok {
			b.Fatal("not found")
		}
	}
}
