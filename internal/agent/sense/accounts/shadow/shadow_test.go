package shadow_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/shadow"
)

func TestScheme(t *testing.T) {
	for hash, want := range map[string]string{
		"$y$j9T$F5Jx5fExrKuPp53xLKQ..1$zwtVrjrUCmXcyLTs6oxLTQlzifSUkF8RHJ./tK5KU79": "yescrypt",
		"$gy$j9T$a$b":      "gost-yescrypt",
		"$7$CU..../....$x": "scrypt",
		"$2b$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234": "bcrypt",
		"$2y$05$x":             "bcrypt",
		"$6$Xq3s7Lk2$biktf07":  "sha512crypt",
		"$6$rounds=5000$s$h":   "sha512crypt",
		"$5$s$h":               "sha256crypt",
		"$1$s$h":               "md5crypt",
		"$sha1$1$s$h":          "sha1crypt",
		"$md5,rounds=5$s$h":    "sunmd5",
		"$argon2id$v=19$m":     "argon2id",
		"$9$x$y":               "unknown",
		"abJnggxhB/yWI":        "descrypt",
		"_J9..CCCCXBrJUJV154M": "bsdicrypt",
		"$x":                   "",
		"short":                "",
		"NP":                   "",
		"*LK*":                 "",
	} {
		if got := shadow.Scheme(hash); got != want {
			t.Errorf("Scheme(%q) = %q, want %q", hash, got, want)
		}
	}
}

func TestClassify(t *testing.T) {
	key := []byte("k")
	tests := []struct {
		field string
		want  shadow.Password
	}{
		{"x", shadow.Password{State: shadow.StateShadow}},
		{"", shadow.Password{State: shadow.StateEmpty}},
		{"*", shadow.Password{State: shadow.StateNone}},
		{"!", shadow.Password{State: shadow.StateNone, Locked: true}},
		{"!!", shadow.Password{State: shadow.StateNone, Locked: true}},
		{"!*", shadow.Password{State: shadow.StateNone, Locked: true}},
		{"*LK*", shadow.Password{State: shadow.StateNone}},
		{"$6$s$h", shadow.Password{State: shadow.StateHash, Scheme: "sha512crypt"}},
		{"!$6$s$h", shadow.Password{State: shadow.StateHash, Scheme: "sha512crypt", Locked: true}},
		{"garbage", shadow.Password{State: shadow.StateNone}},
	}
	ignoreDigest := cmpopts.IgnoreFields(shadow.Password{}, "Digest")
	for _, tt := range tests {
		got := shadow.Classify(tt.field, key)
		if d := cmp.Diff(tt.want, got, ignoreDigest); d != "" {
			t.Errorf("Classify(%q) (-want +got):\n%s", tt.field, d)
		}
		if (got.State == shadow.StateHash) != (got.Digest != "") {
			t.Errorf("Classify(%q): digest %q for state %s", tt.field, got.Digest, got.State)
		}
	}
	// Locking keeps the digest: the password did not change.
	if a, b := shadow.Classify("$6$s$h", key), shadow.Classify("!$6$s$h", key); a.Digest != b.Digest {
		t.Error("locking changed the digest")
	}
	if a, b := shadow.Classify("$6$s$h", key), shadow.Classify("$6$s$i", key); a.Digest == b.Digest {
		t.Error("different hashes, same digest")
	}
	if a, b := shadow.Classify("$6$s$h", []byte("k1")), shadow.Classify("$6$s$h", []byte("k2")); a.Digest == b.Digest {
		t.Error("the key does not key the digest")
	}
}

func TestParse(t *testing.T) {
	f := shadow.Parse([]byte("root:*:19000:0:99999:7:::\n"+
		"alice:$y$j9T$a$b:20000:1:90:14:30:21000:\n"+
		"old:!:1:2:3:4:5:6:7\n"+ // reserved field set
		"five:*:1:2:3\n"+
		"bad:*:x:0:99999:7:::\n"+
		"short:*:1\n"), nil)
	want := []shadow.Entry{
		{Line: 1, Name: "root", LastChange: 19000, MinDays: 0, MaxDays: 99999, WarnDays: 7, InactiveDays: -1, Expire: -1},
		{Line: 2, Name: "alice", LastChange: 20000, MinDays: 1, MaxDays: 90, WarnDays: 14, InactiveDays: 30, Expire: 21000},
		{Line: 3, Name: "old", LastChange: 1, MinDays: 2, MaxDays: 3, WarnDays: 4, InactiveDays: 5, Expire: 6},
		{Line: 4, Name: "five", LastChange: 1, MinDays: 2, MaxDays: 3, WarnDays: -1, InactiveDays: -1, Expire: -1},
	}
	if d := cmp.Diff(want, f.Entries, cmpopts.IgnoreFields(shadow.Entry{}, "Password")); d != "" {
		t.Errorf("entries (-want +got):\n%s", d)
	}
	if f.Problems.Skipped != 2 || f.Problems.List[0].Line != 5 || f.Problems.List[1].Line != 6 {
		t.Errorf("problems %+v", f.Problems)
	}
	if f.Entries[1].Password.Scheme != "yescrypt" {
		t.Errorf("alice: %+v", f.Entries[1].Password)
	}
	if shadow.Date(20000) != "2024-10-04" || shadow.Date(-1) != "" {
		t.Errorf("Date(20000) = %q", shadow.Date(20000))
	}
}

func TestParseGroups(t *testing.T) {
	f := shadow.ParseGroups([]byte("sudo:*::alice\nops:!:svc:svc,bob\nbad:*:\n"), nil)
	want := []shadow.GroupEntry{
		{Line: 1, Name: "sudo", Members: []string{"alice"}},
		{Line: 2, Name: "ops", Admins: []string{"svc"}, Members: []string{"svc", "bob"}},
	}
	if d := cmp.Diff(want, f.Entries, cmpopts.IgnoreFields(shadow.GroupEntry{}, "Password")); d != "" {
		t.Errorf("entries (-want +got):\n%s", d)
	}
	if f.Problems.Skipped != 1 {
		t.Errorf("skipped %d", f.Problems.Skipped)
	}
}

// checkPassword is what holds for every classified field.
func checkPassword(t *testing.T, field string, p shadow.Password) {
	switch p.State {
	case shadow.StateHash:
		if p.Scheme == "" || p.Digest == "" {
			t.Fatalf("hash without scheme or digest: %+v", p)
		}
	case shadow.StateEmpty, shadow.StateNone, shadow.StateShadow:
		if p.Digest != "" {
			t.Fatalf("digest without a hash: %+v", p)
		}
	default:
		t.Fatalf("state %q", p.State)
	}
	if len(field) >= 8 && (strings.Contains(p.Digest, field) || strings.Contains(p.Scheme, field)) {
		t.Fatalf("the field leaks into %+v", p)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("root:*:19000:0:99999:7:::\nalice:$y$j9T$a$b:20000:1:90:14:30:21000:\nfive:*:1:2:3\n"))
	f.Add([]byte("x:!!$6$a$b::::::\n::::::::\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, e := range shadow.Parse(data, []byte("k")).Entries {
			if e.Name == "" {
				t.Fatalf("entry %+v", e)
			}
			checkPassword(t, "", e.Password)
		}
	})
}

func FuzzParseGroups(f *testing.F) {
	f.Add([]byte("sudo:*::alice\nops:!:svc:svc,bob\n"))
	f.Add([]byte(":::\nx:$1$a$b:,:,\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, e := range shadow.ParseGroups(data, nil).Entries {
			if e.Name == "" {
				t.Fatalf("entry %+v", e)
			}
			checkPassword(t, "", e.Password)
		}
	})
}

func FuzzClassify(f *testing.F) {
	for _, s := range []string{"", "x", "!", "*", "!!$6$a$b", "$y$j9T$salt$hash", "abJnggxhB/yWI", "_J9..CCCCXBrJUJV154M"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, field string) {
		checkPassword(t, field, shadow.Classify(field, []byte("k")))
	})
}
