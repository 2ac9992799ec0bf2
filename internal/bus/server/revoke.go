package server

import (
	"fmt"
	"maps"
	"time"

	"github.com/nats-io/nkeys"
)

// Revoke revokes every JWT issued so far for the user key: the server
// closes its live connections at once and refuses it from now on, also
// after a restart (the list is kept in Config.Dir). Revoking a key twice is
// harmless. When saving the list fails, the revocation holds until the
// server stops and the error says so.
func (s *Server) Revoke(userPublicKey string) error {
	if !nkeys.IsValidPublicUserKey(userPublicKey) {
		return fmt.Errorf("revoke: %w", ErrInvalidUserKey)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.internal[userPublicKey] {
		return fmt.Errorf("revoke %s: the center's own connection", userPublicKey)
	}
	next := maps.Clone(s.revoked)
	next.Revoke(userPublicKey, time.Now())
	tok, claims, err := s.keys.vigilAccountJWT(next)
	if err != nil {
		return fmt.Errorf("revoke %s: %w", userPublicKey, err)
	}
	acc, err := s.ns.LookupAccount(s.keys.vigil.pub)
	if err != nil {
		return fmt.Errorf("revoke %s: account: %w", userPublicKey, err)
	}
	if err := s.resolver.Store(s.keys.vigil.pub, tok); err != nil {
		return fmt.Errorf("revoke %s: store account: %w", userPublicKey, err)
	}
	s.ns.UpdateAccountClaims(acc, claims)
	s.revoked = next
	if err := saveRevocations(s.revPath, next); err != nil {
		return fmt.Errorf("revoke %s: in effect until the server stops: %w", userPublicKey, err)
	}
	s.log.Info("bus credentials revoked", "user_key", userPublicKey)
	return nil
}

// Revoked reports whether the user key has been revoked.
func (s *Server) Revoked(userPublicKey string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.revoked[userPublicKey]
	return ok
}
