package users

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/rootfs"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/sudoers"
	"github.com/vigilsec/vigil/internal/agent/sense/authlog/utmp"
)

// policy parses sudoers text into a policy (no includes).
func policy(text string) sudoPolicy {
	pol := sudoPolicy{Aliases: map[string][]string{}}
	f := sudoers.Parse([]byte(text))
	for _, e := range f.Entries {
		switch e.Kind {
		case sudoers.KindUserSpec:
			pol.Specs = append(pol.Specs, sudoLine{File: "/etc/sudoers", Entry: e})
		case sudoers.KindDefaults:
			if e.NoPasswd {
				pol.Defaults = append(pol.Defaults, sudoLine{File: "/etc/sudoers", Entry: e})
			}
		case sudoers.KindAlias:
			for _, a := range e.Aliases {
				if e.AliasType == "User_Alias" {
					pol.Aliases[a.Name] = a.Members
				}
			}
		}
	}
	return pol
}

func TestSudoMatching(t *testing.T) {
	alice := principal{Name: "alice", UID: 1000, Groups: map[string]bool{"alice": true, "wheel": true}, GIDs: map[int64]bool{1000: true, 10: true}}
	tests := []struct {
		name, sudoers string
		want          []string // via of each rule that applies
		nopasswd      bool
	}{
		{"by name", "alice ALL=(ALL) ALL", []string{"alice"}, false},
		{"by uid", "#1000 ALL=(ALL) ALL", []string{"#1000"}, false},
		{"by group", "%wheel ALL=(ALL) NOPASSWD: ALL", []string{"%wheel"}, true},
		{"by gid", "%#10 ALL=(ALL) ALL", []string{"%#10"}, false},
		{"quoted name", `"alice" ALL=(ALL) ALL`, []string{`"alice"`}, false},
		{"ALL", "ALL ALL=(ALL) ALL", []string{"ALL"}, false},
		{"denied after", "ALL, !alice ALL=(ALL) ALL", nil, false},
		{"allowed after a denial", "!alice, %wheel ALL=(ALL) ALL", []string{"%wheel"}, false},
		{"alias", "User_Alias ADMINS = bob, %wheel\nADMINS ALL=(ALL) ALL", []string{"ADMINS"}, false},
		{"negated alias", "User_Alias ADMINS = bob, %wheel\nALL, !ADMINS ALL=(ALL) ALL", nil, false},
		{"alias denying", "User_Alias ADMINS = %wheel, !alice\nADMINS ALL=(ALL) ALL", nil, false},
		{"alias loop", "User_Alias A = B\nUser_Alias B = A\nA ALL=(ALL) ALL", nil, false},
		{"netgroup and non-unix group", "+admins, %:Domain\\ Admins ALL=(ALL) ALL", nil, false},
		{"other user", "bob ALL=(ALL) ALL", nil, false},
		{"global !authenticate", "Defaults !authenticate\nalice ALL=(ALL) ALL", []string{"alice"}, true},
		{"user !authenticate", "Defaults:bob, alice !authenticate\nalice ALL=(ALL) ALL", []string{"alice"}, true},
		{"other user's !authenticate", "Defaults:bob !authenticate\nalice ALL=(ALL) ALL", []string{"alice"}, false},
		{"command !authenticate is not counted", "Defaults!/bin/ls !authenticate\nalice ALL=(ALL) ALL", []string{"alice"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pol := policy(tt.sudoers)
			var via []string
			nopasswd := false
			for _, r := range pol.rulesFor(alice) {
				via = append(via, r.Via)
				nopasswd = nopasswd || r.NoPasswd
			}
			if d := cmp.Diff(tt.want, via); d != "" {
				t.Errorf("rules (-want +got):\n%s", d)
			}
			if nopasswd != tt.nopasswd {
				t.Errorf("nopasswd = %v, want %v", nopasswd, tt.nopasswd)
			}
		})
	}
	pol := policy("User_Alias OPS = %ops\nOPS ALL=(ALL) ALL\n%#27 ALL=(ALL) ALL\n!%ops ALL=(ALL) ALL")
	if got := pol.rulesForGroup("ops", 2000); len(got) != 1 || got[0].Via != "OPS" {
		t.Errorf("rules for ops: %+v", got)
	}
	if got := pol.rulesForGroup("sudo", 27); len(got) != 1 || got[0].Via != "%#27" {
		t.Errorf("rules for sudo: %+v", got)
	}
}

func TestDefaultsBinding(t *testing.T) {
	tests := []struct {
		in      string
		binding string
		list    []string
	}{
		{"Defaults !authenticate", "", nil},
		{"Defaults:alice !authenticate", ":", []string{"alice"}},
		{"Defaults:alice, %wheel ,bob !authenticate", ":", []string{"alice", "%wheel", "bob"}},
		{"Defaults@db1 !authenticate", "@", nil},
		{"Defaults>root !authenticate", ">", nil},
		{"Defaults:", ":", nil},
		{"Other", "", nil},
	}
	for _, tt := range tests {
		b, list := defaultsBinding(tt.in)
		if b != tt.binding || !cmp.Equal(list, tt.list) {
			t.Errorf("defaultsBinding(%q) = %q, %q; want %q, %q", tt.in, b, list, tt.binding, tt.list)
		}
	}
}

func FuzzWtmp(f *testing.F) {
	size := utmp.Native.RecordSize()
	b := make([]byte, size)
	if err := utmp.Native.Encode(utmp.Record{Type: utmp.UserProcess, User: "alice", Time: time.Unix(1700000000, 0)}, b); err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(append(b, 1, 2, 3))
	f.Fuzz(func(t *testing.T, data []byte) {
		l := logins{byUID: map[int64]time.Time{}, byName: map[string]time.Time{}}
		corrupt := l.addWtmp(data)
		if corrupt > len(data)/size+1 || len(l.byName) > len(data)/size {
			t.Fatalf("%d corrupt, %d names from %d bytes", corrupt, len(l.byName), len(data))
		}
	})
}

func FuzzSudoRules(f *testing.F) {
	f.Add("User_Alias A = B, %wheel\nUser_Alias B = A, !alice\nA, !#1000 ALL=(ALL) NOPASSWD: ALL\nDefaults:A !authenticate\n")
	f.Add("%#10 ALL=(ALL) ALL\n\"al\\ice\" ALL = ALL\n")
	f.Fuzz(func(t *testing.T, text string) {
		pol := policy(text)
		p := principal{Name: "alice", UID: 1000, Groups: map[string]bool{"wheel": true}, GIDs: map[int64]bool{10: true}}
		for _, r := range pol.rulesFor(p) {
			if r.Via == "" || r.Rule == "" {
				t.Fatalf("rule %+v", r)
			}
		}
		pol.rulesForGroup("wheel", 10)
	})
}

// TestWtmpTail: of a wtmp longer than maxWtmp, the records of its tail
// are read whole, however maxWtmp falls on a record.
func TestWtmpTail(t *testing.T) {
	size := utmp.Native.RecordSize()
	var data []byte
	base := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	for i := range 20 {
		b := make([]byte, size)
		r := utmp.Record{Type: utmp.UserProcess, PID: int32(100 + i), Line: "pts/1", User: fmt.Sprintf("u%d", i%4), Time: base.Add(time.Duration(i) * time.Hour)}
		if err := utmp.Native.Encode(r, b); err != nil {
			t.Fatal(err)
		}
		data = append(data, b...)
	}
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "var/log"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "var/log/wtmp"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	fsys, err := rootfs.New(root)
	if err != nil {
		t.Fatal(err)
	}
	defer func(old int64) { maxWtmp = old }(maxWtmp)
	maxWtmp = int64(6*size + size/3) // six records and a third
	l, err := readLogins(fsys, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]time.Time{}
	for i := 14; i < 20; i++ {
		want[fmt.Sprintf("u%d", i%4)] = base.Add(time.Duration(i) * time.Hour)
	}
	if l.Corrupt != 0 || !cmp.Equal(want, l.byName) {
		t.Errorf("%d corrupt, logins %v; want none corrupt, %v", l.Corrupt, l.byName, want)
	}
}
