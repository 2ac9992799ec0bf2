package attackdata

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const tacticsOK = "# comment\n" +
	"TA0002\texecution\tExecution\t执行\n" +
	"TA0003\tpersistence\tPersistence\t持久化\n" +
	"TA0004\tprivilege-escalation\tPrivilege Escalation\t权限提升\n"

func mustTactics(t *testing.T) []Tactic {
	t.Helper()
	tactics, err := ParseTactics(strings.NewReader(tacticsOK), "tactics.tsv")
	if err != nil {
		t.Fatal(err)
	}
	return tactics
}

func TestParseTactics(t *testing.T) {
	got := mustTactics(t)
	want := []Tactic{
		{ID: "TA0002", ShortName: "execution", Name: "Execution", NameZH: "执行"},
		{ID: "TA0003", ShortName: "persistence", Name: "Persistence", NameZH: "持久化"},
		{ID: "TA0004", ShortName: "privilege-escalation", Name: "Privilege Escalation", NameZH: "权限提升"},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestParseTacticsErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "# nothing\n\n", "tactics.tsv: no tactics"},
		{"fields", "TA0002\texecution\tExecution\n", "tactics.tsv:1: want 4 tab-separated fields"},
		{"id", "T0002\texecution\tExecution\t执行\n", `tactics.tsv:1: tactic id "T0002" is not of the form TA0000`},
		{"short name", "TA0002\tExecution\tExecution\t执行\n", `tactics.tsv:1: short name "Execution" is not lower-case`},
		{"duplicate id", "TA0002\texecution\tExecution\t执行\nTA0002\tother\tOther\t其他\n", `tactics.tsv:2: "TA0002" is already used on line 1`},
		{"duplicate short name", "TA0002\texecution\tExecution\t执行\nTA0003\texecution\tOther\t其他\n", `tactics.tsv:2: "execution" is already used on line 1`},
		{"empty name", "TA0002\texecution\t\t执行\n", "tactics.tsv:1: name is empty"},
		{"spaces", "TA0002\texecution\tExecution \t执行\n", `tactics.tsv:1: name "Execution " has leading or trailing spaces`},
		{"metadata", "@version\t1\n", `tactics.tsv:1: unknown metadata "version"`},
		{"utf8", "TA0002\texecution\tExec\xff\t执行\n", "tactics.tsv:1: line is not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseTactics(strings.NewReader(tt.in), "tactics.tsv")
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("error %v, want prefix %q", err, tt.want)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not *Error", err)
			}
		})
	}
}

func TestParseTechniques(t *testing.T) {
	in := "@version\t18.1\n" +
		"# T1059 and a sub-technique\n" +
		"T1059.004\texecution\tlinux\tUnix Shell\tUnix Shell\tactive\t-\n" +
		"T1059\texecution\tcontainers,linux\tCommand and Scripting Interpreter\t命令和脚本解释器\tactive\t-\r\n" +
		"T1053\tprivilege-escalation,execution,persistence\tlinux\tScheduled Task/Job\t计划任务/作业\tactive\t-\n" +
		"T1053.001\texecution,persistence,privilege-escalation\tlinux\tAt (Linux)\tAt（Linux）\tdeprecated\t-\n" +
		"T1156\tpersistence\tlinux\t.bash_profile and .bashrc\t.bash_profile 和 .bashrc\trevoked\tT1059\n"
	version, got, err := ParseTechniques(strings.NewReader(in), "techniques.tsv", mustTactics(t))
	if err != nil {
		t.Fatal(err)
	}
	if version != "18.1" {
		t.Errorf("version %q", version)
	}
	var ids []string
	for _, tech := range got {
		ids = append(ids, tech.ID)
	}
	if want := []string{"T1053", "T1053.001", "T1059", "T1059.004", "T1156"}; !slices.Equal(ids, want) {
		t.Errorf("ids %v, want %v (sorted)", ids, want)
	}
	if tactics := got[0].Tactics; !slices.Equal(tactics, []string{"TA0002", "TA0003", "TA0004"}) {
		t.Errorf("T1053 tactics %v, want matrix order", tactics)
	}
	if p := got[2].Platforms; !slices.Equal(p, []string{"Linux", "Containers"}) {
		t.Errorf("T1059 platforms %v", p)
	}
	if got[1].Status != StatusDeprecated || got[4].Status != StatusRevoked || got[4].RevokedBy != "T1059" {
		t.Errorf("statuses: %+v %+v", got[1], got[4])
	}
	if got[2].NameZH != "命令和脚本解释器" {
		t.Errorf("CRLF not trimmed: %q", got[2].NameZH)
	}
}

func TestParseTechniquesErrors(t *testing.T) {
	const v = "@version\t18.1\n"
	row := func(fields ...string) string { return strings.Join(fields, "\t") + "\n" }
	ok := row("T1059", "execution", "linux", "Command and Scripting Interpreter", "命令和脚本解释器", "active", "-")
	tests := []struct {
		name, in, want string
	}{
		{"no version", ok, "techniques.tsv: no @version line"},
		{"two versions", v + v + ok, "techniques.tsv:2: version given twice"},
		{"bad version", "@version\tv18\n" + ok, `techniques.tsv:1: version "v18" is not dotted numbers`},
		{"unknown metadata", "@release\t18\n", `techniques.tsv:1: unknown metadata "release"`},
		{"metadata without tab", "@version 18\n", "techniques.tsv:1: metadata line needs a key, a tab and a value"},
		{"no rows", v, "techniques.tsv: no techniques"},
		{"fields", v + "T1059\texecution\n", "techniques.tsv:2: want 7 tab-separated fields"},
		{"id", v + row("T159", "execution", "linux", "X", "某", "active", "-"), `techniques.tsv:2: technique id "T159" is not of the form`},
		{"lower-case id", v + row("t1059", "execution", "linux", "X", "某", "active", "-"), `techniques.tsv:2: technique id "t1059"`},
		{"tactic", v + row("T1059", "exec", "linux", "X", "某", "active", "-"), `techniques.tsv:2: T1059: "exec" is not a tactic short name`},
		{"tactic twice", v + row("T1059", "execution,execution", "linux", "X", "某", "active", "-"), `techniques.tsv:2: T1059: tactic "execution" is listed twice`},
		{"no tactic", v + row("T1059", "", "linux", "X", "某", "active", "-"), `techniques.tsv:2: T1059: "" is not a tactic short name`},
		{"platform", v + row("T1059", "execution", "windows", "X", "某", "active", "-"), `techniques.tsv:2: T1059: platform "windows" is not one of`},
		{"platform twice", v + row("T1059", "execution", "linux,linux", "X", "某", "active", "-"), `techniques.tsv:2: T1059: platform "linux" is listed twice`},
		{"empty name", v + row("T1059", "execution", "linux", "", "某", "active", "-"), "techniques.tsv:2: T1059 name is empty"},
		{"empty Chinese name", v + row("T1059", "execution", "linux", "X", "", "active", "-"), "techniques.tsv:2: T1059 Chinese name is empty"},
		{"control character", v + row("T1059", "execution", "linux", "X\x01", "某", "active", "-"), `techniques.tsv:2: T1059 name "X\x01" has a control character`},
		{"status", v + row("T1059", "execution", "linux", "X", "某", "retired", "-"), `techniques.tsv:2: T1059: status "retired"`},
		{"active with replacement", v + row("T1059", "execution", "linux", "X", "某", "active", "T1060"), `techniques.tsv:2: T1059 is active, so its revoked-by field must be "-"`},
		{"revoked without replacement", v + row("T1059", "execution", "linux", "X", "某", "revoked", "-"), `techniques.tsv:2: T1059 is revoked, so its revoked-by field must be a technique id`},
		{"revoked by itself", v + row("T1059", "execution", "linux", "X", "某", "revoked", "T1059"), "techniques.tsv:2: T1059 cannot be revoked by itself"},
		{"duplicate", v + ok + ok, "techniques.tsv:3: technique T1059 is already listed on line 2"},
		{"orphan sub-technique", v + row("T1059.004", "execution", "linux", "X", "某", "active", "-"), "techniques.tsv:2: sub-technique T1059.004 has no parent T1059 in the file"},
		{"active sub of deprecated", v + row("T1064", "execution", "linux", "X", "某", "deprecated", "-") + row("T1064.001", "execution", "linux", "X", "某", "active", "-"),
			"techniques.tsv:3: active sub-technique T1064.001 has a deprecated parent T1064"},
		{"revoked by unknown", v + ok + row("T1156", "persistence", "linux", "X", "某", "revoked", "T1546"), "techniques.tsv:3: T1156 is revoked by T1546, which is not in the file"},
		{"revoked by inactive", v + row("T1064", "execution", "linux", "X", "某", "deprecated", "-") + row("T1156", "persistence", "linux", "X", "某", "revoked", "T1064"),
			"techniques.tsv:3: T1156 is revoked by T1064, which is deprecated"},
	}
	tactics := mustTactics(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ParseTechniques(strings.NewReader(tt.in), "techniques.tsv", tactics)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("error %v, want prefix %q", err, tt.want)
			}
		})
	}
}

func TestParseLongLine(t *testing.T) {
	in := "@version\t1\n" + strings.Repeat("x", 2<<20) + "\n"
	_, _, err := ParseTechniques(strings.NewReader(in), "techniques.tsv", mustTactics(t))
	if err == nil || !strings.HasPrefix(err.Error(), "techniques.tsv:2: line longer than 1 MiB") {
		t.Fatalf("error %v", err)
	}
}

func TestLoadAndRender(t *testing.T) {
	dir := t.TempDir()
	tacticsPath := filepath.Join(dir, "tactics.tsv")
	techniquesPath := filepath.Join(dir, "techniques.tsv")
	if err := os.WriteFile(tacticsPath, []byte(tacticsOK), 0o644); err != nil {
		t.Fatal(err)
	}
	techniques := "@version\t18.1\n" +
		"T1059\texecution\tlinux\tCommand and Scripting Interpreter\t命令和脚本解释器\tactive\t-\n" +
		"T1064\texecution\tlinux\tScripting\t脚本\tdeprecated\t-\n" +
		"T1156\tpersistence\tlinux\t.bash_profile and .bashrc\t.bash_profile 和 .bashrc\trevoked\tT1059\n"
	if err := os.WriteFile(techniquesPath, []byte(techniques), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := Load(tacticsPath, techniquesPath)
	if err != nil {
		t.Fatal(err)
	}
	src, err := Render(d)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Render(d)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(src, again) {
		t.Fatal("Render is not deterministic")
	}
	for _, want := range []string{
		"// Code generated by internal/gen from ",
		"; DO NOT EDIT.",
		`const Version = "18.1"`,
		`{ID: "TA0004", ShortName: "privilege-escalation", Name: "Privilege Escalation", NameZH: "权限提升"},`,
		`{ID: "T1059", Name: "Command and Scripting Interpreter", NameZH: "命令和脚本解释器", Tactics: []string{"TA0002"}, Platforms: []string{"Linux"}},`,
		`{ID: "T1064", Name: "Scripting", NameZH: "脚本", Tactics: []string{"TA0002"}, Platforms: []string{"Linux"}, Deprecated: true},`,
		`Platforms: []string{"Linux"}, Revoked: true, RevokedBy: "T1059"},`,
	} {
		if !bytes.Contains(src, []byte(want)) {
			t.Errorf("rendered source lacks %q:\n%s", want, src)
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "none.tsv"), "none.tsv")
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("error %v, want a not-exist error", err)
	}
}

// FuzzParseTechniques checks that any input gives rows or an *Error, never
// a panic, and that accepted rows keep the invariants Render relies on.
func FuzzParseTechniques(f *testing.F) {
	f.Add("@version\t18.1\nT1059\texecution\tlinux\tX\t某\tactive\t-\n")
	f.Add("@version\t18.1\nT1059\texecution\tlinux\tX\t某\tactive\t-\nT1059.004\texecution,persistence\tlinux,pre\tY\t乙\tactive\t-\n")
	f.Add("@version\t1\nT1156\tpersistence\tlinux\tX\t某\trevoked\tT1059\nT1059\texecution\tlinux\tX\t某\tactive\t-\n")
	f.Add("@version\t1\nT1059.004\texecution\tlinux\tX\t某\tactive\t-\n")
	f.Add("# only a comment\r\n\n@\t\n")
	f.Add("@version\t1.2.3\nT0000\t\t\t\t\t\t\n")
	tactics := []Tactic{
		{ID: "TA0002", ShortName: "execution", Name: "Execution", NameZH: "执行"},
		{ID: "TA0003", ShortName: "persistence", Name: "Persistence", NameZH: "持久化"},
	}
	f.Fuzz(func(t *testing.T, in string) {
		version, rows, err := ParseTechniques(strings.NewReader(in), "techniques.tsv", tactics)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v is not *Error", err, err)
			}
			return
		}
		if version == "" || len(rows) == 0 {
			t.Fatalf("accepted input without version or rows: %q", in)
		}
		for i, r := range rows {
			if i > 0 && rows[i-1].ID >= r.ID {
				t.Fatalf("rows not sorted and unique: %s, %s", rows[i-1].ID, r.ID)
			}
			if len(r.Tactics) == 0 || len(r.Platforms) == 0 || r.Name == "" || r.NameZH == "" {
				t.Fatalf("accepted incomplete row %+v", r)
			}
		}
		if _, err := Render(&Data{Version: version, Tactics: tactics, Techniques: rows, Sources: []string{"a", "b"}}); err != nil {
			t.Fatalf("Render of accepted rows: %v", err)
		}
	})
}

// FuzzParseTactics checks that any input gives tactics or an *Error.
func FuzzParseTactics(f *testing.F) {
	f.Add(tacticsOK)
	f.Add("TA0002\texecution\tExecution\t执行\nTA0002\texecution\tExecution\t执行\n")
	f.Add("@x\ty\n")
	f.Add("TA0002\tEXEC\t\t\n")
	f.Fuzz(func(t *testing.T, in string) {
		tactics, err := ParseTactics(strings.NewReader(in), "tactics.tsv")
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v is not *Error", err, err)
			}
			return
		}
		if len(tactics) == 0 {
			t.Fatal("accepted input without tactics")
		}
	})
}
