package auth

import (
	"testing"
)

func FuzzVerifyPassword(f *testing.F) {
	good, _ := HashPassword("pw")
	f.Add(good, "pw")
	f.Add("$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5", "x")
	f.Add("$argon2id$v=19$m=,t=1,p=1$$", "")
	f.Fuzz(func(t *testing.T, phc, pw string) {
		p, err := parsePHC(phc)
		if err != nil || p.memory > 1024 || p.time > 2 {
			// Costly parameters are within bounds but slow the fuzzer.
			return
		}
		if _, err := VerifyPassword(phc, pw); err != nil {
			t.Fatalf("parsed but failed to verify: %v", err)
		}
	})
}

func FuzzParseAuthorization(f *testing.F) {
	f.Add("Bearer vgt_0123456789abcdef_0123456789abcdef")
	f.Add("bearer  x")
	f.Fuzz(func(t *testing.T, header string) {
		v := ParseAuthorization(header)
		if v != "" && (len(v) < MinBearerLen || len(v) > MaxBearerLen) {
			t.Fatalf("accepted %q", v)
		}
		_ = BearerID(v)
	})
}
