package enroll

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"

	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/pki"
	"github.com/vigilsec/vigil/internal/pki/securefile"
)

// IdentityFile is the file in the agent's data dir that holds its identity.
const IdentityFile = "identity.json"

// ErrNotEnrolled means the data dir holds no identity yet.
var ErrNotEnrolled = errors.New("agent not enrolled")

// Save writes the identity to dir/identity.json (mode 0600, atomically),
// creating dir with mode 0700 and tightening it to 0700.
func Save(dir string, id bus.Identity) error {
	if err := Validate(id); err != nil {
		return fmt.Errorf("save identity: %w", err)
	}
	data, err := json.MarshalIndent(id, "", "  ")
	if err != nil {
		return fmt.Errorf("save identity: %w", err)
	}
	if err := securefile.EnsureDir(dir); err != nil {
		return fmt.Errorf("save identity: %w", err)
	}
	if err := securefile.Write(filepath.Join(dir, IdentityFile), append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("save identity: %w", err)
	}
	return nil
}

// Load reads the identity from dir; it returns ErrNotEnrolled when there is
// none, and an error when the file is damaged.
func Load(dir string) (bus.Identity, error) {
	var id bus.Identity
	path := filepath.Join(dir, IdentityFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return id, fmt.Errorf("%s: %w", path, ErrNotEnrolled)
	}
	if err != nil {
		return id, fmt.Errorf("load identity: %w", err)
	}
	id, err = parseIdentity(data)
	if err != nil {
		return bus.Identity{}, fmt.Errorf("load identity %s: %w", path, err)
	}
	return id, nil
}

// parseIdentity decodes and validates an identity file's content.
func parseIdentity(data []byte) (bus.Identity, error) {
	var id bus.Identity
	if err := json.Unmarshal(data, &id); err != nil {
		return bus.Identity{}, err
	}
	if err := Validate(id); err != nil {
		return bus.Identity{}, err
	}
	return id, nil
}

// Validate checks that an identity is complete and consistent: valid agent
// id, bus URLs, a user JWT for the seed's key, and a CA certificate.
func Validate(id bus.Identity) error {
	if !bus.ValidAgentID(id.AgentID) {
		return fmt.Errorf("invalid agent id %q", clip(id.AgentID, 80))
	}
	if len(id.NATSURLs) == 0 {
		return errors.New("no bus URL")
	}
	kp, err := nkeys.FromSeed([]byte(id.UserSeed))
	if err != nil {
		return fmt.Errorf("user seed: %w", err)
	}
	defer kp.Wipe()
	pub, err := kp.PublicKey()
	if err != nil || !nkeys.IsValidPublicUserKey(pub) {
		return errors.New("user seed: not a user key")
	}
	uc, err := jwt.DecodeUserClaims(id.UserJWT)
	if err != nil {
		return fmt.Errorf("user JWT: %w", err)
	}
	if uc.Subject != pub {
		return errors.New("user JWT was issued for another key than the seed's")
	}
	if _, err := pki.ClientTLSConfig([]byte(id.CAPEM)); err != nil {
		return err
	}
	return nil
}
