package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// ErrUnauthenticated is returned for a missing, unknown, expired or
// disabled credential. The wrapped text says which, for logs; callers show
// the client only this error's own message.
var ErrUnauthenticated = errors.New("missing, invalid or expired token")

// touchEvery limits how often a token's last_used_at is written.
const touchEvery = time.Minute

// Principal is the authenticated caller of one request.
type Principal struct {
	// Name is the user name for sessions and user-bound tokens, else the
	// API token's name.
	Name string
	Role store.Role
	// Kind is KindAPI or KindSession.
	Kind    string
	UserID  string
	TokenID string
}

// Actor is how the principal appears in the audit log: the user name, or
// "token:<name>" for an API token not bound to a user.
func (p Principal) Actor() string {
	if p.UserID == "" {
		return "token:" + p.Name
	}
	return p.Name
}

// Authenticate resolves a bearer value to its principal at the current time.
func Authenticate(ctx context.Context, st store.Store, bearer string) (Principal, error) {
	return AuthenticateAt(ctx, st, bearer, time.Now())
}

// AuthenticateAt resolves a bearer value to its principal as of now. A token
// bound to a user takes the user's current name and role, so that disabling
// or demoting a user takes effect at once. Errors other than
// ErrUnauthenticated mean the store failed.
func AuthenticateAt(ctx context.Context, st store.Store, bearer string, now time.Time) (Principal, error) {
	if bearer == "" {
		return Principal{}, fmt.Errorf("%w: no bearer token", ErrUnauthenticated)
	}
	t, err := st.APITokens().GetByHash(ctx, HashBearer(bearer))
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, fmt.Errorf("%w: unknown token", ErrUnauthenticated)
	}
	if err != nil {
		return Principal{}, fmt.Errorf("look up token: %w", err)
	}
	if !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt) {
		return Principal{}, fmt.Errorf("%w: token %s expired at %s", ErrUnauthenticated, t.ID, t.ExpiresAt.Format(time.RFC3339))
	}
	p := Principal{Name: t.Name, Role: t.Role, Kind: t.Kind, UserID: t.UserID, TokenID: t.ID}
	if t.UserID != "" {
		u, err := st.Users().Get(ctx, t.UserID)
		if errors.Is(err, store.ErrNotFound) {
			return Principal{}, fmt.Errorf("%w: user of token %s no longer exists", ErrUnauthenticated, t.ID)
		}
		if err != nil {
			return Principal{}, fmt.Errorf("look up user of token %s: %w", t.ID, err)
		}
		if u.Disabled {
			return Principal{}, fmt.Errorf("%w: user %s is disabled", ErrUnauthenticated, u.Name)
		}
		p.Name, p.Role = u.Name, u.Role
	}
	if !ValidRole(p.Role) {
		return Principal{}, fmt.Errorf("%w: token %s has unknown role %q", ErrUnauthenticated, t.ID, p.Role)
	}
	if now.Sub(t.LastUsedAt) >= touchEvery {
		// last_used_at is bookkeeping for admins; a failed write must not
		// turn a valid credential away.
		_ = st.APITokens().Touch(ctx, t.ID, now)
	}
	return p, nil
}
