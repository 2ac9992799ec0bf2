package authkeys_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/authkeys"
)

// Keys made by ssh-keygen, with the fingerprints ssh-keygen -l printed.
const (
	ed25519   = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIL50tIkqTaT7DmbR9WmzQ9F/XAfMqMbVcrkevS1gXn7M"
	ed25519FP = "SHA256:R3kXMnInKXnTY50unogcbGE0VsyPK7dKhJLwFBzizCU"
	fixture   = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEOtb0i8kDAdsDVauT05JWx1SqnObD49ZvigplYW14wc"
	fixtureFP = "SHA256:q7I+ObNliW8Kw60cu7jHCXHMX17HZfeAgGaV5CviaJ0"
	ecdsa     = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBLrHeUPHKgwa4LYkb6wqky6HCkSf/GXZHkbEXwOXG/EFFQDu53K0CEhADFuOTCAVWu/5fKfA4IrQAhrfrGCcU08="
	ecdsaFP   = "SHA256:v0lZKL7c9kdVs7wRnP2greiNn6OZE7odGz1In0m2Ncc"
)

func TestParse(t *testing.T) {
	in := strings.Join([]string{
		"# comment",
		"",
		ed25519 + " ops@jump",
		`command="/usr/bin/rsync --server -e.Lsfx, .",from="10.0.0.0/8,!10.0.0.1",no-pty ` + fixture + " root@fixture  ",
		`Restrict,Command="echo \"hi there\"" ` + ed25519,
		"  " + fixture + "\tcomment with\ttab",
		"ssh-ed25519 AAAA bad-base64",
		"ssh-rsa " + strings.Fields(ed25519)[1] + " type mismatch",
		`command="unterminated ` + ed25519,
		"no-options-and-no-key",
		ecdsa + " padded",
		strings.TrimRight(ecdsa, "=") + " unpadded",
	}, "\n")
	f := authkeys.Parse([]byte(in))
	want := []authkeys.Key{
		{Line: 3, Type: "ssh-ed25519", Fingerprint: ed25519FP, Bits: 256, Comment: "ops@jump"},
		{Line: 4, Type: "ssh-ed25519", Fingerprint: fixtureFP, Bits: 256, Comment: "root@fixture", Options: []authkeys.Option{
			{Name: "command", Value: "/usr/bin/rsync --server -e.Lsfx, .", HasValue: true},
			{Name: "from", Value: "10.0.0.0/8,!10.0.0.1", HasValue: true},
			{Name: "no-pty"},
		}},
		{Line: 5, Type: "ssh-ed25519", Fingerprint: ed25519FP, Bits: 256, Options: []authkeys.Option{
			{Name: "restrict"},
			{Name: "command", Value: `echo "hi there"`, HasValue: true},
		}},
		{Line: 6, Type: "ssh-ed25519", Fingerprint: fixtureFP, Bits: 256, Comment: "comment with\ttab"},
		{Line: 11, Type: "ecdsa-sha2-nistp256", Fingerprint: ecdsaFP, Bits: 256, Comment: "padded"},
		{Line: 12, Type: "ecdsa-sha2-nistp256", Fingerprint: ecdsaFP, Bits: 256, Comment: "unpadded"},
	}
	if d := cmp.Diff(want, f.Keys); d != "" {
		t.Errorf("keys (-want +got):\n%s", d)
	}
	if f.Problems.Skipped != 4 {
		t.Errorf("skipped %d, want 4: %+v", f.Problems.Skipped, f.Problems.List)
	}
	k := f.Keys[1]
	if v, _ := k.Option("from"); v != "10.0.0.0/8,!10.0.0.1" {
		t.Errorf("from = %q", v)
	}
	if got := k.OptionsText(); got != `command="/usr/bin/rsync --server -e.Lsfx, .",from="10.0.0.0/8,!10.0.0.1",no-pty` {
		t.Errorf("OptionsText = %s", got)
	}
	if got := f.Keys[2].Options[1].String(); got != `command="echo \"hi there\""` {
		t.Errorf("String = %s", got)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(ed25519 + " c\n" + `command="x",from="a,b" ` + fixture + "\n"))
	f.Add([]byte(`a="\"",b ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQ== x` + "\n#\n"))
	f.Add([]byte("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAAQ== x\nssh-dss AAAAB3NzaC1kc3MAAAAA\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, k := range authkeys.Parse(data).Keys {
			if k.Type == "" || !strings.HasPrefix(k.Fingerprint, "SHA256:") || len(k.Fingerprint) != 7+43 || k.Bits < 0 {
				t.Fatalf("key %+v", k)
			}
			for _, o := range k.Options {
				if o.Name == "" {
					t.Fatalf("option without a name: %+v", k)
				}
			}
		}
	})
}
