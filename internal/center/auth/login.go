package auth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// SessionTTL is how long a console session lasts.
const SessionTTL = 12 * time.Hour

// Login throttling: failures allowed per user and address, and per address
// over all user names (password spraying), within LoginWindow.
const (
	LoginFailuresPerUser = 5
	LoginFailuresPerIP   = 30
	LoginWindow          = time.Minute
)

// pruneEvery is how often a login also removes expired tokens.
const pruneEvery = time.Hour

// Login errors. Callers show ErrBadCredentials for a disabled user too, so
// that the answer does not tell which accounts exist or are disabled.
var (
	ErrBadCredentials = errors.New("invalid user name or password")
	ErrUserDisabled   = errors.New("user is disabled")
)

// ThrottledError is returned while a user or address has failed too often.
type ThrottledError struct {
	RetryAfter time.Duration
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("too many failed logins; retry in %s", e.RetryAfter.Round(time.Second))
}

// Session is a successful login.
type Session struct {
	Token     string // the bearer value, shown once
	ExpiresAt time.Time
	User      store.User
}

// Sessions signs users in and keeps their throttling state.
type Sessions struct {
	store  store.Store
	now    func() time.Time
	byUser *Limiter
	byIP   *Limiter

	dummyOnce sync.Once
	dummy     string

	pruneMu   sync.Mutex
	lastPrune time.Time
}

// NewSessions returns a login service over st; now is the clock (nil for
// time.Now).
func NewSessions(st store.Store, now func() time.Time) *Sessions {
	if now == nil {
		now = time.Now
	}
	return &Sessions{
		store:  st,
		now:    now,
		byUser: NewLimiter(LoginFailuresPerUser, LoginWindow),
		byIP:   NewLimiter(LoginFailuresPerIP, LoginWindow),
	}
}

// Login checks name and password from source address ip and starts a
// session. An unknown user costs one argon2id verification like a known
// one, so that timing does not reveal which names exist.
func (s *Sessions) Login(ctx context.Context, name, password, ip string) (Session, error) {
	now := s.now()
	userKey := name + "\x00" + ip
	for _, lk := range []struct {
		l   *Limiter
		key string
	}{{s.byUser, userKey}, {s.byIP, ip}} {
		if wait, blocked := lk.l.Blocked(lk.key, now); blocked {
			return Session{}, &ThrottledError{RetryAfter: wait}
		}
	}
	fail := func(err error) (Session, error) {
		s.byUser.Fail(userKey, now)
		s.byIP.Fail(ip, now)
		return Session{}, err
	}
	if len(password) > MaxPasswordLen {
		return fail(ErrBadCredentials)
	}
	u, err := s.store.Users().GetByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		_, _ = VerifyPassword(s.dummyHash(), password)
		return fail(ErrBadCredentials)
	}
	if err != nil {
		return Session{}, fmt.Errorf("look up user: %w", err)
	}
	ok, err := VerifyPassword(u.PasswordHash, password)
	if err != nil {
		return Session{}, fmt.Errorf("user %s: %w", u.Name, err)
	}
	if !ok {
		return fail(ErrBadCredentials)
	}
	if u.Disabled {
		return fail(ErrUserDisabled)
	}
	s.byUser.Reset(userKey)

	id, bearer, err := NewBearer(SessionPrefix)
	if err != nil {
		return Session{}, err
	}
	t := store.APIToken{
		ID: id, Name: u.Name, Kind: KindSession, UserID: u.ID, Role: u.Role,
		Hash: HashBearer(bearer), CreatedAt: now, ExpiresAt: now.Add(SessionTTL),
	}
	if err := s.store.APITokens().Create(ctx, t); err != nil {
		return Session{}, fmt.Errorf("store session: %w", err)
	}
	s.maybePrune(ctx, now)
	return Session{Token: bearer, ExpiresAt: t.ExpiresAt, User: u}, nil
}

// dummyHash is a hash of a random password, verified for unknown users.
func (s *Sessions) dummyHash() string {
	s.dummyOnce.Do(func() {
		_, secret, err := NewBearer("")
		if err == nil {
			s.dummy, _ = HashPassword(secret)
		}
	})
	return s.dummy
}

// maybePrune removes expired tokens at most once per pruneEvery, so that
// abandoned sessions do not pile up.
func (s *Sessions) maybePrune(ctx context.Context, now time.Time) {
	s.pruneMu.Lock()
	due := now.Sub(s.lastPrune) >= pruneEvery
	if due {
		s.lastPrune = now
	}
	s.pruneMu.Unlock()
	if due {
		// Pruning is housekeeping: a failure leaves expired (and already
		// refused) tokens for the next round.
		_, _ = PruneExpired(ctx, s.store, now)
	}
}

// PruneExpired deletes every token that expired before now and returns how
// many it deleted.
func PruneExpired(ctx context.Context, st store.Store, now time.Time) (int, error) {
	var expired []string
	page := store.Page{Limit: store.MaxLimit}
	for {
		list, next, err := st.APITokens().List(ctx, page)
		if err != nil {
			return 0, fmt.Errorf("list tokens: %w", err)
		}
		for _, t := range list {
			if !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt) {
				expired = append(expired, t.ID)
			}
		}
		if next == "" {
			break
		}
		page.Cursor = next
	}
	for i, id := range expired {
		if err := st.APITokens().Delete(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
			return i, fmt.Errorf("delete token %s: %w", id, err)
		}
	}
	return len(expired), nil
}
