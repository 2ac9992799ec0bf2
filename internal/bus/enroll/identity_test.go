package enroll_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"

	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/bus/bustest"
	"github.com/vigilsec/vigil/internal/bus/enroll"
)

func TestSaveLoad(t *testing.T) {
	c := bustest.Start(t)
	ident, _ := c.Agent("0b9f3c2e-8d2a-4a57-9a51-8c2f0e3d1a77")
	dir := filepath.Join(t.TempDir(), "data")

	if _, err := enroll.Load(dir); !errors.Is(err, enroll.ErrNotEnrolled) {
		t.Fatalf("Load before enrollment: err = %v, want ErrNotEnrolled", err)
	}
	if err := enroll.Save(dir, ident); err != nil {
		t.Fatalf("Save: %v", err)
	}
	got, err := enroll.Load(dir)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if diff := cmp.Diff(ident, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, enroll.IdentityFile): 0o600} {
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s mode = %v (%v), want %v", path, fi.Mode().Perm(), err, want)
		}
	}

	bad := ident
	bad.AgentID = "a.b"
	if err := enroll.Save(dir, bad); err == nil {
		t.Errorf("Save accepted an invalid identity")
	}
	other, _ := c.Agent("other")
	mixed := ident
	mixed.UserSeed = other.UserSeed
	if err := enroll.Save(dir, mixed); err == nil {
		t.Errorf("Save accepted a JWT for another key than the seed's")
	}

	if err := os.WriteFile(filepath.Join(dir, enroll.IdentityFile), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := enroll.Load(dir); err == nil || errors.Is(err, enroll.ErrNotEnrolled) {
		t.Errorf("Load of a damaged file: err = %v, want a decode error", err)
	}
}

// jwtForOtherKey answers with a well-formed user JWT for a key the agent
// did not send.
func jwtForOtherKey(t *testing.T) func(http.ResponseWriter, bus.EnrollRequest) {
	t.Helper()
	account, _ := nkeys.CreateAccount()
	user, _ := nkeys.CreateUser()
	pub, _ := user.PublicKey()
	tok, err := jwt.NewUserClaims(pub).Encode(account)
	if err != nil {
		t.Fatal(err)
	}
	return func(w http.ResponseWriter, _ bus.EnrollRequest) {
		_ = json.NewEncoder(w).Encode(bus.EnrollResponse{AgentID: "a-1", UserJWT: tok, NATSPort: 4222})
	}
}
