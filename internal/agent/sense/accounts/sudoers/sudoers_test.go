package sudoers_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/sudoers"
)

func TestParse(t *testing.T) {
	in := `#
# sudoers file.
#
Defaults	env_reset
Defaults:svc	!authenticate
Defaults>root !set_logname
Defaults	secure_path="/usr/sbin:/usr/bin" # trailing comment
User_Alias ADMINS = alice, %ops : DBAS = carol
Cmnd_Alias SHUTDOWN = /sbin/halt, \
	/sbin/reboot

root	ALL=(ALL:ALL) ALL
%sudo	ALL=(ALL:ALL) ALL
alice , bob  host1=(root) NOPASSWD: /bin/ls, PASSWD: /bin/cat
#1000 ALL=(#0) ALL
%#27 ALL = ALL
carol ALL=(ALL) /usr/bin/NOPASSWD:x
@includedir /etc/sudoers.d
#includedir /etc/sudoers.d
#include "/etc/sudo rules/%h"
@include sudoers.local
this is not a rule
#include
`
	f := sudoers.Parse([]byte(in))
	want := []sudoers.Entry{
		{Line: 4, Kind: "defaults", Text: "Defaults env_reset"},
		{Line: 5, Kind: "defaults", Text: "Defaults:svc !authenticate", NoPasswd: true},
		{Line: 6, Kind: "defaults", Text: "Defaults>root !set_logname"},
		{Line: 7, Kind: "defaults", Text: `Defaults secure_path="/usr/sbin:/usr/bin"`},
		{Line: 8, Kind: "alias", Text: "User_Alias ADMINS = alice, %ops : DBAS = carol", AliasType: "User_Alias",
			Aliases: []sudoers.Alias{{Name: "ADMINS", Members: []string{"alice", "%ops"}}, {Name: "DBAS", Members: []string{"carol"}}}},
		{Line: 9, Kind: "alias", Text: "Cmnd_Alias SHUTDOWN = /sbin/halt, /sbin/reboot", AliasType: "Cmnd_Alias",
			Aliases: []sudoers.Alias{{Name: "SHUTDOWN", Members: []string{"/sbin/halt", "/sbin/reboot"}}}},
		{Line: 12, Kind: "user_spec", Text: "root ALL=(ALL:ALL) ALL", Principals: []string{"root"}},
		{Line: 13, Kind: "user_spec", Text: "%sudo ALL=(ALL:ALL) ALL", Principals: []string{"%sudo"}},
		{Line: 14, Kind: "user_spec", Text: "alice , bob host1=(root) NOPASSWD: /bin/ls, PASSWD: /bin/cat", Principals: []string{"alice", "bob"}, NoPasswd: true},
		{Line: 15, Kind: "user_spec", Text: "#1000 ALL=(#0) ALL", Principals: []string{"#1000"}},
		{Line: 16, Kind: "user_spec", Text: "%#27 ALL = ALL", Principals: []string{"%#27"}},
		{Line: 17, Kind: "user_spec", Text: "carol ALL=(ALL) /usr/bin/NOPASSWD:x", Principals: []string{"carol"}},
		{Line: 18, Kind: "include", Text: "@includedir /etc/sudoers.d", Include: "/etc/sudoers.d", IncludeDir: true},
		{Line: 19, Kind: "include", Text: "#includedir /etc/sudoers.d", Include: "/etc/sudoers.d", IncludeDir: true},
		{Line: 20, Kind: "include", Text: `#include "/etc/sudo rules/%h"`, Include: "/etc/sudo rules/%h"},
		{Line: 21, Kind: "include", Text: "@include sudoers.local", Include: "sudoers.local"},
	}
	if d := cmp.Diff(want, f.Entries); d != "" {
		t.Errorf("entries (-want +got):\n%s", d)
	}
	if f.Problems.Skipped != 2 || f.Problems.List[0].Line != 22 || f.Problems.List[1].Line != 23 {
		t.Errorf("problems %+v", f.Problems)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("Defaults env_reset\nroot ALL=(ALL:ALL) ALL\n%sudo ALL=(ALL) NOPASSWD: ALL\n@includedir /etc/sudoers.d\n"))
	f.Add([]byte("User_Alias A = a, b : B = c\n#include \"x\\\"y\"\nx \\\ny=z # c\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := sudoers.Parse(data)
		for _, e := range p.Entries {
			if e.Text == "" || strings.ContainsAny(e.Text, "\n\t") {
				t.Fatalf("entry text %q", e.Text)
			}
			switch e.Kind {
			case sudoers.KindUserSpec:
				if len(e.Principals) == 0 {
					t.Fatalf("user spec without principals: %+v", e)
				}
			case sudoers.KindInclude:
				if e.Include == "" {
					t.Fatalf("include without path: %+v", e)
				}
			case sudoers.KindAlias:
				if len(e.Aliases) == 0 {
					t.Fatalf("alias without definitions: %+v", e)
				}
			case sudoers.KindDefaults:
			default:
				t.Fatalf("kind %q", e.Kind)
			}
		}
	})
}
