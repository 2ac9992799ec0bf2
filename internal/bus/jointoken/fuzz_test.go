package jointoken

import (
	"errors"
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	f.Add("vgl1.abcdefgh.abcdefghijklmnopqrstuvwxyz234567." + hash)
	f.Add("vgl1...")
	f.Add("vgl2.abcdefgh.abcdefghijklmnopqrstuvwxyz234567." + hash)
	f.Add(" VGL1.ABCDEFGH.ABCDEFGHIJKLMNOPQRSTUVWXYZ234567." + strings.ToUpper(hash) + "\n")
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrVersion) && !errors.Is(err, ErrHash) {
				t.Fatalf("error %v wraps no known error", err)
			}
			return
		}
		if !tokenRE.MatchString(tok.String()) {
			t.Fatalf("Parse(%q) accepted a token that prints as %q", s, tok.String())
		}
		again, err := Parse(tok.String())
		if err != nil || again != tok {
			t.Fatalf("round trip of %q: %v, %v", tok.String(), again, err)
		}
	})
}
