package jointoken

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

var tokenRE = regexp.MustCompile(`^vgl1\.[a-z2-7]{8}\.[a-z2-7]{32}\.[0-9a-f]{64}$`)

func TestGenerate(t *testing.T) {
	seen := map[string]bool{}
	for range 50 {
		tok, err := Generate("sha256:" + strings.ToUpper(hash))
		if err != nil {
			t.Fatalf("Generate: %v", err)
		}
		s := tok.String()
		if !tokenRE.MatchString(s) {
			t.Fatalf("token %q does not match %s", s, tokenRE)
		}
		if tok.CAHash != hash {
			t.Errorf("CAHash = %q, want %q", tok.CAHash, hash)
		}
		if seen[tok.ID] || seen[tok.Secret] {
			t.Fatalf("repeated id or secret")
		}
		seen[tok.ID], seen[tok.Secret] = true, true
		back, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q): %v", s, err)
		}
		if diff := cmp.Diff(tok, back); diff != "" {
			t.Errorf("round trip (-want +got):\n%s", diff)
		}
	}
	for _, bad := range []string{"", "abc", "sha256:" + hash[:63] + "g"} {
		if _, err := Generate(bad); !errors.Is(err, ErrHash) {
			t.Errorf("Generate(%q) err = %v, want ErrHash", bad, err)
		}
	}
}

func TestParse(t *testing.T) {
	id, secret := "abcdefgh", "abcdefghijklmnopqrstuvwxyz234567"
	good := Token{ID: id, Secret: secret, CAHash: hash}
	tests := []struct {
		name string
		in   string
		want Token
		err  error
	}{
		{"plain", "vgl1." + id + "." + secret + "." + hash, good, nil},
		{"pasted with spaces and newline", "  vgl1." + id + "." + secret + "." + hash + "\r\n", good, nil},
		{"upper case", strings.ToUpper("vgl1." + id + "." + secret + "." + hash), good, nil},
		{"empty", "", Token{}, ErrMalformed},
		{"three fields", "vgl1." + id + "." + secret, Token{}, ErrMalformed},
		{"five fields", "vgl1." + id + "." + secret + "." + hash + ".x", Token{}, ErrMalformed},
		{"other version", "vgl2." + id + "." + secret + "." + hash, Token{}, ErrVersion},
		{"short id", "vgl1.abc." + secret + "." + hash, Token{}, ErrMalformed},
		{"id with 0", "vgl1.abcdefg0." + secret + "." + hash, Token{}, ErrMalformed},
		{"short secret", "vgl1." + id + ".abc." + hash, Token{}, ErrMalformed},
		{"secret with +", "vgl1." + id + "." + secret[:31] + "+." + hash, Token{}, ErrMalformed},
		{"short hash", "vgl1." + id + "." + secret + "." + hash[:10], Token{}, ErrHash},
		{"hash not hex", "vgl1." + id + "." + secret + "." + hash[:63] + "z", Token{}, ErrHash},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if err != nil && strings.Contains(err.Error(), secret[:20]) {
				t.Errorf("error %q repeats the secret", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("token (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSecretMatches(t *testing.T) {
	tok, err := Generate(hash)
	if err != nil {
		t.Fatal(err)
	}
	stored := HashSecret(tok.Secret)
	if !tok.SecretMatches(stored) {
		t.Errorf("secret does not match its own hash")
	}
	other := tok
	other.Secret = strings.Repeat("a", SecretLen)
	if other.SecretMatches(stored) || tok.SecretMatches(nil) || tok.SecretMatches(stored[:16]) {
		t.Errorf("secret matches a wrong hash")
	}
	if r := tok.Redacted(); strings.Contains(r, tok.Secret) || !strings.Contains(r, tok.ID) {
		t.Errorf("Redacted() = %q", r)
	}
	if v := tok.LogValue().String(); strings.Contains(v, tok.Secret) {
		t.Errorf("LogValue() = %q shows the secret", v)
	}
}
