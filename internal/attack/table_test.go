package attack

import (
	"bytes"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/attack/internal/attackdata"
)

// TestGeneratedTableUpToDate fails when table_gen.go is not what the data
// files render to: after editing data/, run go generate ./internal/attack.
func TestGeneratedTableUpToDate(t *testing.T) {
	d, err := attackdata.Load("data/tactics.tsv", "data/techniques.tsv")
	if err != nil {
		t.Fatal(err)
	}
	want, err := attackdata.Render(d)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("table_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("table_gen.go is not up to date with data/: run go generate ./internal/attack")
	}
}

func TestTacticsInMatrixOrder(t *testing.T) {
	want := []struct{ id, short, name, zh string }{
		{"TA0043", "reconnaissance", "Reconnaissance", "侦察"},
		{"TA0042", "resource-development", "Resource Development", "资源开发"},
		{"TA0001", "initial-access", "Initial Access", "初始访问"},
		{"TA0002", "execution", "Execution", "执行"},
		{"TA0003", "persistence", "Persistence", "持久化"},
		{"TA0004", "privilege-escalation", "Privilege Escalation", "权限提升"},
		{"TA0005", "defense-evasion", "Defense Evasion", "防御规避"},
		{"TA0006", "credential-access", "Credential Access", "凭据访问"},
		{"TA0007", "discovery", "Discovery", "发现"},
		{"TA0008", "lateral-movement", "Lateral Movement", "横向移动"},
		{"TA0009", "collection", "Collection", "收集"},
		{"TA0011", "command-and-control", "Command and Control", "命令与控制"},
		{"TA0010", "exfiltration", "Exfiltration", "数据渗出"},
		{"TA0040", "impact", "Impact", "影响"},
	}
	got := Tactics()
	if len(got) != len(want) {
		t.Fatalf("%d tactics, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.ID != w.id || g.ShortName != w.short || g.Name != w.name || g.NameZH != w.zh {
			t.Errorf("tactic %d = %+v, want %+v", i, g, w)
		}
	}
}

var (
	techniqueIDPattern = regexp.MustCompile(`^T[0-9]{4}(\.[0-9]{3})?$`)
	knownPlatforms     = []string{"Linux", "Containers", "PRE"}
)

// TestTableIntegrity checks every row, active or not: ids well formed and
// unique, names in both languages, tactics and platforms known, parents
// present, revocations pointing at active techniques.
func TestTableIntegrity(t *testing.T) {
	tactics := map[string]bool{}
	for _, ta := range tacticTable {
		tactics[ta.ID] = true
	}
	seen := map[string]bool{}
	for i, tech := range techniqueTable {
		id := tech.ID
		if !techniqueIDPattern.MatchString(id) {
			t.Errorf("%q is not a well-formed technique id", id)
		}
		if seen[id] {
			t.Errorf("%s is listed twice", id)
		}
		seen[id] = true
		if i > 0 && techniqueTable[i-1].ID >= id {
			t.Errorf("table not sorted at %s", id)
		}
		if strings.TrimSpace(tech.Name) == "" || strings.TrimSpace(tech.NameZH) == "" {
			t.Errorf("%s lacks a name: %q / %q", id, tech.Name, tech.NameZH)
		}
		if len(tech.Tactics) == 0 {
			t.Errorf("%s has no tactic", id)
		}
		for _, ta := range tech.Tactics {
			if !tactics[ta] {
				t.Errorf("%s has unknown tactic %q", id, ta)
			}
		}
		if len(tech.Platforms) == 0 {
			t.Errorf("%s has no platform", id)
		}
		for _, p := range tech.Platforms {
			if !slices.Contains(knownPlatforms, p) {
				t.Errorf("%s has unknown platform %q", id, p)
			}
		}
		if tech.Deprecated && tech.Revoked {
			t.Errorf("%s is both deprecated and revoked", id)
		}
		if tech.Revoked {
			repl, ok := Lookup(tech.RevokedBy)
			if !ok || !repl.Active() {
				t.Errorf("%s is revoked by %q, which is not an active technique", id, tech.RevokedBy)
			}
		} else if tech.RevokedBy != "" {
			t.Errorf("%s is not revoked but names %q", id, tech.RevokedBy)
		}
		if !tech.IsSubTechnique() {
			continue
		}
		parent, ok := Lookup(tech.ParentID())
		if !ok {
			t.Errorf("sub-technique %s has no parent in the table", id)
			continue
		}
		if tech.Active() && !parent.Active() {
			t.Errorf("active sub-technique %s has an inactive parent", id)
		}
		for _, ta := range tech.Tactics {
			if !slices.Contains(parent.Tactics, ta) {
				t.Errorf("sub-technique %s has tactic %s that its parent %s lacks", id, ta, parent.ID)
			}
		}
	}
}

// TestEveryTacticHasTechniques guards against a data file that leaves a
// column of the matrix empty.
func TestEveryTacticHasTechniques(t *testing.T) {
	for _, col := range Matrix(nil, nil).Columns {
		if len(col.Techniques) == 0 {
			t.Errorf("tactic %s (%s) has no technique", col.Tactic.ID, col.Tactic.Name)
		}
	}
}
