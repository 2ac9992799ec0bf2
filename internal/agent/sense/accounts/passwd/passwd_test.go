package passwd_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/passwd"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/shadow"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []passwd.Entry
		skipped int
	}{
		{"usual", "root:x:0:0:root:/root:/bin/bash\n", []passwd.Entry{
			{Line: 1, Name: "root", Password: shadow.Password{State: shadow.StateShadow}, GECOS: "root", Home: "/root", Shell: "/bin/bash"},
		}, 0},
		{"comments, blanks and no final newline", "# c\n\n  \nbin:x:2:2::/bin:/usr/sbin/nologin", []passwd.Entry{
			{Line: 4, Name: "bin", UID: 2, GID: 2, Password: shadow.Password{State: shadow.StateShadow}, Home: "/bin", Shell: "/usr/sbin/nologin"},
		}, 0},
		{"shell with colon", "a:x:1:1:g:/h:/bin/sh -c:x\n", []passwd.Entry{
			{Line: 1, Name: "a", UID: 1, GID: 1, Password: shadow.Password{State: shadow.StateShadow}, GECOS: "g", Home: "/h", Shell: "/bin/sh -c:x"},
		}, 0},
		{"empty password", "b::0:0::/:/bin/sh\n", []passwd.Entry{
			{Line: 1, Name: "b", Password: shadow.Password{State: shadow.StateEmpty}, Home: "/", Shell: "/bin/sh"},
		}, 0},
		{"compat", "+@admins\n+::::::\n", []passwd.Entry{
			{Line: 1, Name: "+@admins", UID: -1, GID: -1, Password: shadow.Password{State: shadow.StateEmpty}, Compat: true},
			{Line: 2, Name: "+", UID: -1, GID: -1, Password: shadow.Password{State: shadow.StateEmpty}, Compat: true},
		}, 0},
		{"malformed", "short:x:1\nbad:x:one:1::/:/bin/sh\n:x:1:1::/:/bin/sh\nbig:x:99999999999:1::/:/bin/sh\nok:x:5:5::/:\n", []passwd.Entry{
			{Line: 5, Name: "ok", UID: 5, GID: 5, Password: shadow.Password{State: shadow.StateShadow}, Home: "/"},
		}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := passwd.Parse([]byte(tt.in), nil)
			if d := cmp.Diff(tt.want, f.Entries); d != "" {
				t.Errorf("entries (-want +got):\n%s", d)
			}
			if f.Problems.Skipped != tt.skipped {
				t.Errorf("skipped %d, want %d: %v", f.Problems.Skipped, tt.skipped, f.Problems.List)
			}
		})
	}
}

func TestHashNotKept(t *testing.T) {
	hash := "$6$saltsalt$0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghij"
	f := passwd.Parse([]byte("legacy:"+hash+":1000:1000::/home/l:/bin/sh\n"), []byte("k"))
	e := f.Entries[0]
	if e.Password.State != shadow.StateHash || e.Password.Scheme != "sha512crypt" || e.Password.Digest == "" {
		t.Fatalf("password %+v", e.Password)
	}
	if strings.Contains(e.Password.Digest, "saltsalt") {
		t.Error("digest holds the salt")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("root:x:0:0:root:/root:/bin/bash\nbin:x:2:2::/bin:/usr/sbin/nologin\n"))
	f.Add([]byte("+::::::\n-bad\nx:$y$j9T$a$b:1:1:,,,:/:\n# c\n"))
	f.Add([]byte("a:b:c:d:e:f:g:h:i\n\r\n:::::::\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := passwd.Parse(data, []byte("k"))
		lines := strings.Count(string(data), "\n") + 1
		if len(p.Entries)+p.Problems.Skipped > lines {
			t.Fatalf("%d entries and %d skipped from %d lines", len(p.Entries), p.Problems.Skipped, lines)
		}
		for _, e := range p.Entries {
			if e.Name == "" || (!e.Compat && (e.UID < 0 || e.GID < 0)) {
				t.Fatalf("entry %+v", e)
			}
		}
	})
}
