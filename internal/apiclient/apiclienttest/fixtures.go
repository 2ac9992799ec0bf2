package apiclienttest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"

	"github.com/vigilsec/vigil/internal/center/auth"
	"github.com/vigilsec/vigil/internal/store"
)

// bearer is the fixed bearer value of the API token with this id, so that
// fixtures need no secret of their own.
func bearer(id string) string {
	sum := sha256.Sum256([]byte("vigil test token " + id))
	return auth.APITokenPrefix + id + "_" + hex.EncodeToString(sum[:16])
}

// AddToken stores an API token (kind api, created a week before the Env's
// clock) and returns its bearer value, the same for the same id in every
// Env.
func (e *Env) AddToken(id, name string, role store.Role) string {
	e.tb.Helper()
	value := bearer(id)
	err := e.Store.APITokens().Create(context.Background(), store.APIToken{
		ID: id, Name: name, Kind: auth.KindAPI, Role: role, Hash: auth.HashBearer(value),
		CreatedAt: e.Clock().AddDate(0, 0, -7),
	})
	if err != nil {
		e.tb.Fatalf("add API token %s: %v", id, err)
	}
	return value
}

// hashes caches PasswordHash: argon2id is slow on purpose, and fixtures
// reuse a few passwords in many tests.
var hashes sync.Map // password -> PHC string

// PasswordHash returns an argon2id hash of password for store.User, the
// same one for the same password within a test binary.
func PasswordHash(password string) string {
	if h, ok := hashes.Load(password); ok {
		return h.(string)
	}
	h, err := auth.HashPassword(password)
	if err != nil {
		panic("hash password: " + err.Error()) // only crypto/rand can fail
	}
	stored, _ := hashes.LoadOrStore(password, h)
	return stored.(string)
}

// PasswordIs reports whether the stored user's password is password.
func (e *Env) PasswordIs(userID, password string) bool {
	e.tb.Helper()
	u, err := e.Store.Users().Get(context.Background(), userID)
	if err != nil {
		e.tb.Fatalf("user %s: %v", userID, err)
	}
	ok, err := auth.VerifyPassword(u.PasswordHash, password)
	if err != nil {
		e.tb.Fatalf("password of user %s: %v", userID, err)
	}
	return ok
}
