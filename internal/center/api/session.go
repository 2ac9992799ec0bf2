package api

import (
	"context"
	"errors"
	"math"
	"net/http"
	"time"

	"github.com/vigilsec/vigil/internal/center/auth"
	"github.com/vigilsec/vigil/internal/store"
)

// loginBody is the body of POST /login.
type loginBody struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// loginAnswer is the answer to a successful login.
type loginAnswer struct {
	Token     string     `json:"token"`
	ExpiresAt time.Time  `json:"expires_at"`
	User      store.User `json:"user"`
}

// login starts a console session. Failures are audited as login.failed
// with the name tried (never the password).
func (s *server) login(w http.ResponseWriter, r *http.Request, c *call) error {
	// Until a user name is known there is nobody to audit: a flood of
	// malformed bodies only reaches the access log.
	c.audit = false
	c.action = "login.failed"
	var body loginBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	if body.Username == "" || len(body.Username) > maxNameLen || !printable(body.Username) {
		return errorf(http.StatusBadRequest, "username: want 1 to %d printable bytes", maxNameLen)
	}
	c.actor, c.audit = body.Username, true
	sess, err := s.sessions.Login(r.Context(), body.Username, body.Password, c.ip)
	var throttled *auth.ThrottledError
	switch {
	case errors.As(err, &throttled):
		// The failure that started the block is audited; the attempts it
		// turns away are only logged, so that hammering cannot fill the
		// audit log.
		c.audit = false
		s.log.Warn("login throttled", "user", body.Username, "remote", c.ip)
		ae := errorf(http.StatusTooManyRequests, "too many failed logins; try again later")
		ae.RetryAfter = int(math.Ceil(throttled.RetryAfter.Seconds()))
		return ae
	case errors.Is(err, auth.ErrBadCredentials), errors.Is(err, auth.ErrUserDisabled):
		c.note("reason", err.Error())
		return errorf(http.StatusUnauthorized, "%s", auth.ErrBadCredentials.Error())
	case err != nil:
		return err
	}
	c.action, c.role, c.target = "login", sess.User.Role, sess.User.ID
	writeJSON(w, http.StatusOK, loginAnswer{Token: sess.Token, ExpiresAt: sess.ExpiresAt, User: sess.User})
	return nil
}

// logout ends the caller's console session.
func (s *server) logout(w http.ResponseWriter, r *http.Request, c *call) error {
	if c.p.Kind != auth.KindSession {
		return errorf(http.StatusBadRequest, "only a console session can log out; API tokens are removed with DELETE /api/v1/api-tokens/{id}")
	}
	c.target = c.p.TokenID
	if err := s.cfg.Store.APITokens().Delete(r.Context(), c.p.TokenID); err != nil {
		return storeError(err, "session")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// meAnswer describes the caller.
type meAnswer struct {
	Name string     `json:"name"`
	Role store.Role `json:"role"`
	Kind string     `json:"kind"`
}

func (s *server) me(w http.ResponseWriter, r *http.Request, c *call) error {
	writeJSON(w, http.StatusOK, meAnswer{Name: c.p.Name, Role: c.p.Role, Kind: c.p.Kind})
	return nil
}

// healthz answers while the store does.
func (s *server) healthz(w http.ResponseWriter, r *http.Request, c *call) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.cfg.Store.Ping(ctx); err != nil {
		s.log.Warn("health check: store does not answer", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": "store does not answer"})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func (s *server) metrics(w http.ResponseWriter, r *http.Request, c *call) error {
	if s.cfg.Metrics == nil {
		return errorf(http.StatusNotFound, "metrics are not enabled")
	}
	s.cfg.Metrics.ServeHTTP(w, r)
	return nil
}

func (s *server) enroll(w http.ResponseWriter, r *http.Request, c *call) error {
	if s.cfg.Enroll == nil {
		return errorf(http.StatusServiceUnavailable, "enrollment is not enabled")
	}
	s.cfg.Enroll.ServeHTTP(w, r)
	return nil
}
