package users

import (
	"encoding/binary"
	"errors"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/sudoers"
	"github.com/vigilsec/vigil/internal/agent/sense/authlog/utmp"
)

func TestDecodeLastlog(t *testing.T) {
	rec32 := func(sec uint32, line, host string) []byte {
		b := make([]byte, LastlogSize32)
		binary.LittleEndian.PutUint32(b, sec)
		copy(b[4:36], line)
		copy(b[36:], host)
		return b
	}
	rec64 := func(sec uint64, line string) []byte {
		b := make([]byte, LastlogSize64)
		binary.BigEndian.PutUint64(b, sec)
		copy(b[8:40], line)
		return b
	}
	tests := []struct {
		name    string
		in      []byte
		order   binary.ByteOrder
		want    Lastlog
		wantErr bool
	}{
		{"32-bit", rec32(1709251200, "pts/0", "10.0.0.1"), binary.LittleEndian,
			Lastlog{Time: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), Line: "pts/0", Host: "10.0.0.1"}, false},
		{"never", make([]byte, LastlogSize32), binary.LittleEndian, Lastlog{}, false},
		{"after 2038 in 32 bits", rec32(0xF0000000, "tty1", ""), binary.LittleEndian,
			Lastlog{Time: time.Unix(0xF0000000, 0).UTC(), Line: "tty1"}, false},
		{"64-bit big-endian", rec64(1714990000, "ttyS0"), binary.BigEndian,
			Lastlog{Time: time.Unix(1714990000, 0).UTC(), Line: "ttyS0"}, false},
		{"64-bit negative", rec64(1<<63, ""), binary.BigEndian, Lastlog{}, true},
		{"control byte", rec32(1, "pts/\x01", ""), binary.LittleEndian, Lastlog{}, true},
		{"not UTF-8", rec32(1, "", "\xff\xfe"), binary.LittleEndian, Lastlog{}, true},
		{"wrong size", make([]byte, 300), binary.LittleEndian, Lastlog{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeLastlog(tt.in, tt.order)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrCorruptLastlog) {
				t.Errorf("error %v is not ErrCorruptLastlog", err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
	if lastlogSize("amd64") != LastlogSize32 || lastlogSize("arm64") != LastlogSize64 || !utmpLayout("386") || utmpLayout("riscv64") {
		t.Error("record sizes by architecture")
	}
}

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

func FuzzDecodeLastlog(f *testing.F) {
	f.Add(make([]byte, LastlogSize32))
	f.Add(make([]byte, LastlogSize64))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			l, err := DecodeLastlog(data, order)
			if err != nil {
				continue
			}
			if !utf8.ValidString(l.Line) || !utf8.ValidString(l.Host) || len(l.Line) > 32 || len(l.Host) > 256 {
				t.Fatalf("record %+v", l)
			}
		}
	})
}

func FuzzWtmp(f *testing.F) {
	b := make([]byte, utmp.RecordSize)
	if err := utmp.Encode(utmp.Record{Type: utmp.UserProcess, User: "alice", Time: time.Unix(1700000000, 0)}, b, binary.NativeEndian); err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(append(b, 1, 2, 3))
	f.Fuzz(func(t *testing.T, data []byte) {
		l := logins{byUID: map[int64]time.Time{}, byName: map[string]time.Time{}}
		corrupt := l.addWtmp(data)
		if corrupt > len(data)/utmp.RecordSize+1 || len(l.byName) > len(data)/utmp.RecordSize {
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
