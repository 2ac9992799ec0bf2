package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/vigilsec/vigil/internal/center/auth"
	"github.com/vigilsec/vigil/internal/store"
)

// call is what a handler knows about the request beyond the request
// itself: the caller and what goes into the audit log.
type call struct {
	p  auth.Principal
	ip string
	// action overrides the route's audit action (command.<name>, login.failed).
	action string
	// actor overrides the principal as the audit actor (login).
	actor  string
	role   store.Role
	target string
	detail map[string]any
	// audit forces an audit entry for a GET (none do today) or, set false
	// by a handler, suppresses it.
	audit bool
}

// note adds a key to the audit detail.
func (c *call) note(key string, value any) {
	if c.detail == nil {
		c.detail = map[string]any{}
	}
	c.detail[key] = value
}

// statusWriter remembers the status written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// wrap authenticates and authorizes the route's caller, runs the handler,
// turns its error into the error envelope, audits and logs the call.
func (s *server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		start := s.now()
		w := &statusWriter{ResponseWriter: rw}
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		c := &call{ip: auth.RemoteIP(r), audit: rt.method != http.MethodGet && rt.action != ""}
		var err error
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				err = fmt.Errorf("panic: %v", v)
				s.fail(w, r, err)
			}
			s.finish(w, r, rt, c, err, start)
		}()
		if err = s.authorize(r, rt, c); err == nil {
			err = rt.handle(s, w, r, c)
		}
		if err != nil {
			s.fail(w, r, err)
		}
	})
}

// authorize resolves the caller and checks the route's role.
func (s *server) authorize(r *http.Request, rt route, c *call) error {
	if rt.role == noAuth {
		return nil
	}
	p, err := auth.AuthenticateAt(r.Context(), s.cfg.Store, auth.ParseAuthorization(r.Header.Get("Authorization")), s.now())
	if errors.Is(err, auth.ErrUnauthenticated) {
		s.log.Info("unauthenticated request", "method", r.Method, "path", r.URL.Path, "remote", c.ip, "reason", err)
		return errorf(http.StatusUnauthorized, "%s", auth.ErrUnauthenticated.Error())
	}
	if err != nil {
		return err
	}
	c.p, c.role = p, p.Role
	return s.require(c, rt.role)
}

// require returns 403 unless the caller has at least role need; a refusal
// is always audited.
func (s *server) require(c *call, need store.Role) error {
	if auth.Allowed(c.p.Role, need) {
		return nil
	}
	c.audit = true
	return errorf(http.StatusForbidden, "role %s may not do this (needs %s)", c.p.Role, need)
}

// fail writes err as the error envelope; errors that are not an apiError
// are logged and answered 500 without their text.
func (s *server) fail(w *statusWriter, r *http.Request, err error) {
	if w.status != 0 {
		return
	}
	var ae *apiError
	if !errors.As(err, &ae) {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		ae = errorf(http.StatusInternalServerError, "internal error")
	}
	if ae.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="vigil"`)
	}
	writeErr(w, ae)
}

// finish writes the audit entry and the access log line.
func (s *server) finish(w *statusWriter, r *http.Request, rt route, c *call, err error, start time.Time) {
	status := w.status
	if status == 0 {
		status = http.StatusOK
	}
	// A call without any identity (no or a bad token) is only logged: an
	// anonymous flood must not fill the audit log.
	if c.audit && (status != http.StatusUnauthorized || c.actor != "") {
		s.audit(r, rt, c, status, err)
	}
	s.log.Info("http", "method", r.Method, "path", r.URL.Path, "status", status,
		"duration_ms", s.now().Sub(start).Milliseconds(), "remote", c.ip, "actor", s.actorOf(c))
}

func (s *server) actorOf(c *call) string {
	switch {
	case c.actor != "":
		return c.actor
	case c.p.Name != "":
		return c.p.Actor()
	}
	return "anonymous"
}

// audit appends the call to the audit log: ok, denied (403) or error.
func (s *server) audit(r *http.Request, rt route, c *call, status int, err error) {
	result := "ok"
	switch {
	case status == http.StatusForbidden:
		result = "denied"
	case status >= 400:
		result = "error"
		c.note("status", status)
		var ae *apiError
		if errors.As(err, &ae) {
			c.note("error", ae.Message)
		}
	}
	action := rt.action
	if c.action != "" {
		action = c.action
	}
	e := store.AuditEntry{
		At: s.now().UTC(), Actor: s.actorOf(c), Role: c.role, Action: action,
		Target: c.target, Result: result, Detail: c.detail, SourceIP: c.ip,
	}
	// The request is answered already; the audit entry must still be
	// written even if the client went away.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 5*time.Second)
	defer cancel()
	if _, err := s.cfg.Store.Audit().Append(ctx, e); err != nil {
		s.log.Error("audit append failed", "action", action, "actor", e.Actor, "err", err)
	}
}

// partial logs err and returns a 500 whose message says what was done
// before it failed.
func (s *server) partial(err error, format string, args ...any) error {
	ae := errorf(http.StatusInternalServerError, format, args...)
	s.log.Error(ae.Message, "err", err)
	return ae
}
