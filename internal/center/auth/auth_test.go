package auth

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

func openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "vigil.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q is not the documented PHC form", h)
	}
	h2, _ := HashPassword("correct horse battery")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: salt missing")
	}
	for _, tc := range []struct {
		pw   string
		want bool
	}{{"correct horse battery", true}, {"correct horse batterY", false}, {"", false}} {
		ok, err := VerifyPassword(h, tc.pw)
		if err != nil || ok != tc.want {
			t.Errorf("VerifyPassword(%q) = %v, %v; want %v", tc.pw, ok, err, tc.want)
		}
	}
}

func TestVerifyMalformedHash(t *testing.T) {
	good, _ := HashPassword("x")
	parts := strings.Split(good, "$")
	for name, h := range map[string]string{
		"empty":       "",
		"bcrypt":      "$2a$10$abcdefghijklmnopqrstuu",
		"argon2i":     strings.Replace(good, "argon2id", "argon2i", 1),
		"version":     strings.Replace(good, "v=19", "v=16", 1),
		"huge memory": strings.Replace(good, "m=19456", "m=99999999", 1),
		"zero time":   strings.Replace(good, "t=2", "t=0", 1),
		"bad salt":    "$" + strings.Join([]string{parts[1], parts[2], parts[3], "!!", parts[5]}, "$"),
		"short key":   "$" + strings.Join([]string{parts[1], parts[2], parts[3], parts[4], "AAAA"}, "$"),
		"extra param": strings.Replace(good, "p=1", "p=1,x=2", 1),
	} {
		if _, err := VerifyPassword(h, "x"); !errors.Is(err, ErrMalformedHash) {
			t.Errorf("%s: err = %v, want ErrMalformedHash", name, err)
		}
	}
}

func TestAllowed(t *testing.T) {
	roles := Roles()
	for i, have := range roles {
		for j, need := range roles {
			if got := Allowed(have, need); got != (i >= j) {
				t.Errorf("Allowed(%s, %s) = %v", have, need, got)
			}
		}
		if Allowed(have, "root") || Allowed("root", have) {
			t.Errorf("unknown role allowed with %s", have)
		}
	}
}

func TestParseAuthorization(t *testing.T) {
	tok := "vgt_0123456789abcdef_" + strings.Repeat("a", 64)
	for header, want := range map[string]string{
		"Bearer " + tok:        tok,
		"bearer " + tok:        tok,
		"Basic " + tok:         "",
		"Bearer":               "",
		"Bearer short":         "",
		"Bearer " + tok + " x": "",
		"Bearer " + strings.Repeat("a", MaxBearerLen+1): "",
	} {
		if got := ParseAuthorization(header); got != want {
			t.Errorf("ParseAuthorization(%.30q) = %q, want %q", header, got, want)
		}
	}
}

func TestNewBearer(t *testing.T) {
	id, b, err := NewBearer(APITokenPrefix)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b, "vgt_"+id+"_") || len(b) != 4+16+1+64 || BearerID(b) != id {
		t.Fatalf("bearer %q id %q", b, id)
	}
	if _, b2, _ := NewBearer(APITokenPrefix); b2 == b {
		t.Fatal("two bearers are equal")
	}
}

func TestAuthenticate(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	mk := func(name string, role store.Role, userID string, expires time.Time) string {
		id, b, err := NewBearer(APITokenPrefix)
		if err != nil {
			t.Fatal(err)
		}
		err = st.APITokens().Create(ctx, store.APIToken{ID: id, Name: name, Kind: KindAPI, Role: role, UserID: userID,
			Hash: HashBearer(b), CreatedAt: now, ExpiresAt: expires})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	hash, _ := HashPassword("password123")
	u := store.User{ID: "u1", Name: "alice", Role: store.RoleResponder, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	if err := st.Users().Create(ctx, u); err != nil {
		t.Fatal(err)
	}
	plain := mk("ci", store.RoleAnalyst, "", time.Time{})
	expired := mk("old", store.RoleAdmin, "", now.Add(-time.Second))
	bound := mk("alice-token", store.RoleViewer, "u1", now.Add(time.Hour))

	p, err := AuthenticateAt(ctx, st, plain, now)
	if err != nil || p.Role != store.RoleAnalyst || p.Actor() != "token:ci" || p.Kind != KindAPI {
		t.Fatalf("plain token: %+v %v", p, err)
	}
	p, err = AuthenticateAt(ctx, st, bound, now)
	if err != nil || p.Role != store.RoleResponder || p.Name != "alice" || p.Actor() != "alice" {
		t.Fatalf("user-bound token takes the user's role and name: %+v %v", p, err)
	}
	for name, b := range map[string]string{"none": "", "unknown": "vgt_x_" + strings.Repeat("b", 40), "expired": expired} {
		if _, err := AuthenticateAt(ctx, st, b, now); !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	u.Disabled = true
	if err := st.Users().Update(ctx, u); err != nil {
		t.Fatal(err)
	}
	if _, err := AuthenticateAt(ctx, st, bound, now); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("disabled user: err = %v", err)
	}
}

func TestLimiter(t *testing.T) {
	l := NewLimiter(3, time.Minute)
	t0 := time.Unix(1000, 0)
	for i := 0; i < 3; i++ {
		if _, blocked := l.Blocked("k", t0); blocked {
			t.Fatalf("blocked after %d failures", i)
		}
		l.Fail("k", t0.Add(time.Duration(i)*time.Second))
	}
	wait, blocked := l.Blocked("k", t0.Add(10*time.Second))
	if !blocked || wait != 50*time.Second {
		t.Fatalf("after 3 failures: blocked %v wait %v", blocked, wait)
	}
	if _, blocked := l.Blocked("other", t0); blocked {
		t.Fatal("another key is blocked")
	}
	if _, blocked := l.Blocked("k", t0.Add(time.Minute)); blocked {
		t.Fatal("still blocked after the oldest failure left the window")
	}
	l.Fail("k", t0.Add(61*time.Second))
	l.Reset("k")
	if _, blocked := l.Blocked("k", t0.Add(62*time.Second)); blocked {
		t.Fatal("blocked after reset")
	}
}

func TestLogin(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	hash, _ := HashPassword("password123")
	for _, u := range []store.User{
		{ID: "u1", Name: "alice", Role: store.RoleAnalyst, PasswordHash: hash, CreatedAt: now, UpdatedAt: now},
		{ID: "u2", Name: "bob", Role: store.RoleViewer, PasswordHash: hash, Disabled: true, CreatedAt: now, UpdatedAt: now},
	} {
		if err := st.Users().Create(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	s := NewSessions(st, clock)
	sess, err := s.Login(ctx, "alice", "password123", "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sess.Token, SessionPrefix) || !sess.ExpiresAt.Equal(now.Add(SessionTTL)) {
		t.Fatalf("session %+v", sess)
	}
	p, err := AuthenticateAt(ctx, st, sess.Token, now)
	if err != nil || p.Kind != KindSession || p.Name != "alice" || p.Role != store.RoleAnalyst {
		t.Fatalf("session principal %+v %v", p, err)
	}
	if _, err := AuthenticateAt(ctx, st, sess.Token, now.Add(SessionTTL)); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("session valid after 12h: %v", err)
	}
	for _, tc := range []struct{ user, pw string }{{"alice", "wrong-password"}, {"nobody", "password123"}, {"bob", "password123"}} {
		if _, err := s.Login(ctx, tc.user, tc.pw, "10.0.0.2"); !errors.Is(err, ErrBadCredentials) && !errors.Is(err, ErrUserDisabled) {
			t.Errorf("login %s: err = %v", tc.user, err)
		}
	}
	// Five failures for one user and address block that pair only.
	for i := 0; i < LoginFailuresPerUser-1; i++ {
		s.Login(ctx, "alice", "wrong-password", "10.0.0.3")
	}
	var throttled *ThrottledError
	if _, err := s.Login(ctx, "alice", "password123", "10.0.0.3"); err != nil {
		t.Fatalf("4 failures then the right password: %v", err)
	}
	for i := 0; i < LoginFailuresPerUser; i++ {
		s.Login(ctx, "alice", "wrong-password", "10.0.0.3")
	}
	if _, err := s.Login(ctx, "alice", "password123", "10.0.0.3"); !errors.As(err, &throttled) || throttled.RetryAfter <= 0 {
		t.Fatalf("after 5 failures: err = %v", err)
	}
	if _, err := s.Login(ctx, "alice", "password123", "10.0.0.4"); err != nil {
		t.Fatalf("another address is blocked too: %v", err)
	}
	now = now.Add(LoginWindow)
	if _, err := s.Login(ctx, "alice", "password123", "10.0.0.3"); err != nil {
		t.Fatalf("still blocked after the window: %v", err)
	}
}

func TestBootstrap(t *testing.T) {
	ctx := context.Background()
	t.Run("random token in admin.token", func(t *testing.T) {
		st, dir := openStore(t), t.TempDir()
		tok, err := Bootstrap(ctx, st, dir, "")
		if err != nil || !strings.HasPrefix(tok, APITokenPrefix) {
			t.Fatalf("Bootstrap = %q, %v", tok, err)
		}
		path := filepath.Join(dir, AdminTokenFile)
		data, err := os.ReadFile(path)
		if err != nil || strings.TrimSpace(string(data)) != tok {
			t.Fatalf("admin.token %q, %v", data, err)
		}
		if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
			t.Fatalf("admin.token mode %v", fi.Mode())
		}
		p, err := Authenticate(ctx, st, tok)
		if err != nil || p.Role != store.RoleAdmin || p.Name != BootstrapTokenName {
			t.Fatalf("bootstrap token: %+v %v", p, err)
		}
		again, err := Bootstrap(ctx, st, dir, "")
		if err != nil || again != "" {
			t.Fatalf("second Bootstrap = %q, %v", again, err)
		}
		if data2, _ := os.ReadFile(path); string(data2) != string(data) {
			t.Fatal("second start rewrote admin.token")
		}
		entries, _, _ := st.Audit().List(ctx, store.AuditFilter{})
		if len(entries) != 1 || entries[0].Action != "apitoken.create" || strings.Contains(fmtEntry(entries[0]), tok) {
			t.Fatalf("audit %+v", entries)
		}
	})
	t.Run("VIGIL_ADMIN_TOKEN", func(t *testing.T) {
		st, dir := openStore(t), t.TempDir()
		env := "vgt_e2e_1700000000000000000"
		tok, err := Bootstrap(ctx, st, dir, env)
		if err != nil || tok != env {
			t.Fatalf("Bootstrap = %q, %v", tok, err)
		}
		if _, err := os.Stat(filepath.Join(dir, AdminTokenFile)); !os.IsNotExist(err) {
			t.Fatalf("admin.token written although the token was given: %v", err)
		}
		if p, err := Authenticate(ctx, st, env); err != nil || p.Role != store.RoleAdmin {
			t.Fatalf("env token: %+v %v", p, err)
		}
		if _, err := Bootstrap(ctx, openStore(t), dir, "short"); err == nil {
			t.Fatal("a 5-character admin token was accepted")
		}
	})
	t.Run("reset", func(t *testing.T) {
		st, dir := openStore(t), t.TempDir()
		first, _ := Bootstrap(ctx, st, dir, "")
		second, err := ResetAdmin(ctx, st, dir, "")
		if err != nil || second == first {
			t.Fatalf("ResetAdmin = %q, %v", second, err)
		}
		data, _ := os.ReadFile(filepath.Join(dir, AdminTokenFile))
		if strings.TrimSpace(string(data)) != second {
			t.Fatal("admin.token does not hold the new token")
		}
		for _, tok := range []string{first, second} {
			if _, err := Authenticate(ctx, st, tok); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func fmtEntry(e store.AuditEntry) string {
	var b strings.Builder
	b.WriteString(e.Actor + e.Target + e.Action)
	for k, v := range e.Detail {
		b.WriteString(k)
		if s, ok := v.(string); ok {
			b.WriteString(s)
		}
	}
	return b.String()
}
