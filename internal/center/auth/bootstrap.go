package auth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// AdminTokenFile is the file in the data directory that receives a random
// first admin token.
const AdminTokenFile = "admin.token"

// Names of the admin tokens this package creates.
const (
	BootstrapTokenName = "bootstrap-admin"
	ResetTokenName     = "reset-admin"
)

// Bootstrap creates the first admin API token when the center has neither
// API tokens nor users. Its value is envToken when set (VIGIL_ADMIN_TOKEN),
// else a random token written to dataDir/admin.token with mode 0600. It
// returns the token it created, or "" on a center already set up (which it
// leaves alone, admin.token included). Callers must not log the value.
func Bootstrap(ctx context.Context, st store.Store, dataDir, envToken string) (string, error) {
	empty, err := isEmpty(ctx, st)
	if err != nil || !empty {
		return "", err
	}
	return createAdmin(ctx, st, dataDir, envToken, BootstrapTokenName)
}

// ResetAdmin creates a new admin API token whatever the center holds, for an
// operator locked out of it: envToken when set, else a random token written
// over dataDir/admin.token. The audit log records it.
func ResetAdmin(ctx context.Context, st store.Store, dataDir, envToken string) (string, error) {
	return createAdmin(ctx, st, dataDir, envToken, ResetTokenName)
}

func isEmpty(ctx context.Context, st store.Store) (bool, error) {
	tokens, _, err := st.APITokens().List(ctx, store.Page{Limit: 1})
	if err != nil {
		return false, fmt.Errorf("list API tokens: %w", err)
	}
	users, _, err := st.Users().List(ctx, store.Page{Limit: 1})
	if err != nil {
		return false, fmt.Errorf("list users: %w", err)
	}
	return len(tokens) == 0 && len(users) == 0, nil
}

func createAdmin(ctx context.Context, st store.Store, dataDir, envToken, name string) (string, error) {
	value, id, source := envToken, "", "VIGIL_ADMIN_TOKEN"
	if value != "" {
		if err := checkChosenToken(value); err != nil {
			return "", err
		}
		if id = BearerID(value); id == "" {
			buf := make([]byte, 8)
			if _, err := rand.Read(buf); err != nil {
				return "", fmt.Errorf("token id: %w", err)
			}
			id = hex.EncodeToString(buf)
		}
	} else {
		var err error
		if id, value, err = NewBearer(APITokenPrefix); err != nil {
			return "", err
		}
		source = AdminTokenFile
	}
	path := filepath.Join(dataDir, AdminTokenFile)
	if envToken == "" {
		// The file comes first: a stored token nobody can read would lock
		// the operator out on every later start.
		if err := writeSecretFile(path, value+"\n"); err != nil {
			return "", err
		}
	}
	now := time.Now().UTC()
	t := store.APIToken{ID: id, Name: name, Kind: KindAPI, Role: store.RoleAdmin, Hash: HashBearer(value), CreatedAt: now}
	if err := st.APITokens().Create(ctx, t); err != nil {
		if envToken == "" {
			_ = os.Remove(path)
		}
		return "", fmt.Errorf("store admin token: %w", err)
	}
	entry := store.AuditEntry{
		At: now, Actor: "system", Action: "apitoken.create", Target: id, Result: "ok",
		Detail: map[string]any{"name": name, "role": string(store.RoleAdmin), "source": source},
	}
	if _, err := st.Audit().Append(ctx, entry); err != nil {
		return "", fmt.Errorf("audit admin token: %w", err)
	}
	return value, nil
}

// checkChosenToken rejects an operator-chosen token too weak or too odd to
// be a bearer value.
func checkChosenToken(v string) error {
	if len(v) < MinBearerLen || len(v) > MaxBearerLen {
		return fmt.Errorf("VIGIL_ADMIN_TOKEN: want %d to %d characters, got %d", MinBearerLen, MaxBearerLen, len(v))
	}
	if strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return errors.New("VIGIL_ADMIN_TOKEN: must not contain spaces or control characters")
	}
	return nil
}

// writeSecretFile replaces path with content, readable by the owner only.
func writeSecretFile(path, content string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	_, werr := f.WriteString(content)
	if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
