package attack

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files of the tests")

// findCell returns the cell of id in the column of tactic, looking into
// sub-techniques too.
func findCell(t *testing.T, cov Coverage, tactic, id string) Cell {
	t.Helper()
	for _, col := range cov.Columns {
		if col.Tactic.ID != tactic {
			continue
		}
		for _, c := range col.Techniques {
			if c.ID == id {
				return c
			}
			for _, s := range c.SubTechniques {
				if s.ID == id {
					return s
				}
			}
		}
	}
	t.Fatalf("%s not in column %s", id, tactic)
	return Cell{}
}

func TestMatrixCounts(t *testing.T) {
	covered := map[string]int{
		"t1059.004": 2,
		"T1059":     1,
		"T1156":     3, // revoked by T1546.004
		"T1059.001": 1, // PowerShell: not in the matrix
		"T1064":     1, // deprecated
		" garbage ": 1,
		"T1005":     0,  // ignored
		"T1006":     -2, // ignored
	}
	fired := map[string]int{"T1059.004": 1, "t1078": 4}
	cov := Matrix(covered, fired)

	if cov.Version != Version || len(cov.Columns) != len(tacticTable) {
		t.Fatalf("version %q, %d columns", cov.Version, len(cov.Columns))
	}
	tests := []struct {
		tactic, id                               string
		covered, fired, totalCovered, totalFired int
	}{
		{"TA0002", "T1059", 1, 0, 3, 1},
		{"TA0002", "T1059.004", 2, 1, 2, 1},
		{"TA0003", "T1546", 0, 0, 3, 0},
		{"TA0003", "T1546.004", 3, 0, 3, 0},
		{"TA0004", "T1546.004", 3, 0, 3, 0}, // in each of its tactics
		{"TA0001", "T1078", 0, 4, 0, 4},
		{"TA0003", "T1078", 0, 4, 0, 4},
		{"TA0004", "T1078", 0, 4, 0, 4},
		{"TA0005", "T1078", 0, 4, 0, 4},
		{"TA0009", "T1005", 0, 0, 0, 0},
	}
	for _, tt := range tests {
		c := findCell(t, cov, tt.tactic, tt.id)
		if c.Covered != tt.covered || c.Fired != tt.fired || c.TotalCovered != tt.totalCovered || c.TotalFired != tt.totalFired {
			t.Errorf("%s in %s: covered %d fired %d total %d/%d, want %d %d total %d/%d", tt.id, tt.tactic,
				c.Covered, c.Fired, c.TotalCovered, c.TotalFired, tt.covered, tt.fired, tt.totalCovered, tt.totalFired)
		}
	}
	exec := cov.Columns[3]
	if exec.Tactic.ID != "TA0002" || exec.CoveredTechniques != 1 || exec.FiredTechniques != 1 {
		t.Errorf("execution column: %s covered %d fired %d, want TA0002 1 1", exec.Tactic.ID, exec.CoveredTechniques, exec.FiredTechniques)
	}
	wantUnmapped := []Cell{
		{ID: "T1059.001", Covered: 1, TotalCovered: 1},
		{ID: "T1064", Name: "Scripting", NameZH: "脚本", Covered: 1, TotalCovered: 1},
		{ID: "garbage", Covered: 1, TotalCovered: 1},
	}
	if !slices.EqualFunc(cov.Unmapped, wantUnmapped, func(a, b Cell) bool {
		return a.ID == b.ID && a.Name == b.Name && a.NameZH == b.NameZH && a.Covered == b.Covered && a.Fired == b.Fired &&
			a.TotalCovered == b.TotalCovered && a.TotalFired == b.TotalFired
	}) {
		t.Errorf("unmapped = %+v, want %+v", cov.Unmapped, wantUnmapped)
	}
}

func TestMatrixMergesKeysOfOneID(t *testing.T) {
	cov := Matrix(map[string]int{"t1059.004": 2, "T1059.004": 1, " T1059.004": 4}, nil)
	if c := findCell(t, cov, "TA0002", "T1059.004"); c.Covered != 7 {
		t.Errorf("T1059.004 covered %d, want 7", c.Covered)
	}
}

func TestMatrixEmpty(t *testing.T) {
	cov := Matrix(nil, nil)
	if cov.Unmapped != nil {
		t.Errorf("unmapped = %v", cov.Unmapped)
	}
	for _, col := range cov.Columns {
		if col.CoveredTechniques != 0 || col.FiredTechniques != 0 {
			t.Errorf("column %s has counts", col.Tactic.ID)
		}
		for i, c := range col.Techniques {
			if c.TotalCovered != 0 || c.TotalFired != 0 {
				t.Errorf("%s has counts", c.ID)
			}
			if i > 0 && col.Techniques[i-1].Name > c.Name {
				t.Errorf("column %s not sorted by name at %s", col.Tactic.ID, c.Name)
			}
			if _, ok := Lookup(c.ID); !ok || c.Name == "" || c.NameZH == "" {
				t.Errorf("cell %+v does not name a technique", c)
			}
		}
	}
}

// TestMatrixShowsEveryActiveTechnique checks that each active technique
// appears once in the column of each of its tactics and nowhere else.
func TestMatrixShowsEveryActiveTechnique(t *testing.T) {
	where := map[string][]string{} // id -> tactic ids where shown
	for _, col := range Matrix(nil, nil).Columns {
		for _, c := range col.Techniques {
			where[c.ID] = append(where[c.ID], col.Tactic.ID)
			for _, s := range c.SubTechniques {
				where[s.ID] = append(where[s.ID], col.Tactic.ID)
			}
		}
	}
	for _, tech := range techniqueTable {
		got := where[tech.ID]
		if !tech.Active() {
			if len(got) > 0 {
				t.Errorf("inactive %s shown in %v", tech.ID, got)
			}
			continue
		}
		if !slices.Equal(got, tech.Tactics) {
			t.Errorf("%s shown in %v, want %v", tech.ID, got, tech.Tactics)
		}
	}
}

// TestMatrixGolden keeps the layout of a matrix with counts in
// testdata/matrix.golden (go test -run TestMatrixGolden -update).
func TestMatrixGolden(t *testing.T) {
	cov := Matrix(
		map[string]int{"T1059.004": 3, "T1053.003": 2, "T1548.001": 1, "T1046": 1, "T1595.002": 1, "T1611": 1, "T1156": 1, "T1059.001": 1},
		map[string]int{"T1059.004": 5, "T1046": 2, "T1611": 1},
	)
	var b bytes.Buffer
	fmt.Fprintf(&b, "ATT&CK %s\n", cov.Version)
	for _, col := range cov.Columns {
		fmt.Fprintf(&b, "\n%s %s / %s: %d covered, %d fired of %d\n", col.Tactic.ID, col.Tactic.Name, col.Tactic.NameZH,
			col.CoveredTechniques, col.FiredTechniques, len(col.Techniques))
		for _, c := range col.Techniques {
			fmt.Fprintf(&b, "  %s %s / %s  covered %d/%d fired %d/%d\n", c.ID, c.Name, c.NameZH, c.Covered, c.TotalCovered, c.Fired, c.TotalFired)
			for _, s := range c.SubTechniques {
				fmt.Fprintf(&b, "    %s %s / %s  covered %d fired %d\n", s.ID, s.Name, s.NameZH, s.Covered, s.Fired)
			}
		}
	}
	b.WriteString("\nunmapped:\n")
	for _, c := range cov.Unmapped {
		fmt.Fprintf(&b, "  %s %q covered %d fired %d\n", c.ID, c.Name, c.Covered, c.Fired)
	}
	path := filepath.Join("testdata", "matrix.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got := b.String(); got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Fatalf("matrix differs from %s at line %d:\n got %q\nwant %q\n(run with -update if the change is intended)", path, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("matrix differs from %s in length: %d lines, want %d (run with -update if intended)", path, len(gl), len(wl))
	}
}

func BenchmarkMatrix(b *testing.B) {
	covered := map[string]int{}
	fired := map[string]int{}
	for i, tech := range Techniques() {
		if i%3 == 0 {
			covered[tech.ID] = i
		}
		if i%7 == 0 {
			fired[tech.ID] = i
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		Matrix(covered, fired)
	}
}
