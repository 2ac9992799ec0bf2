package api

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/center/api/apitypes"
	"github.com/vigilsec/vigil/internal/store"
)

// Bounds of an exception's match.
const (
	maxMatchFields   = 32
	maxMatchPatterns = 64
	maxPatternLen    = 1024
	maxFieldPathLen  = 128
	maxFieldParts    = 10
)

// checkFieldPath accepts a dotted ECS field path: parts of letters,
// digits, '_' and '-', the first of which may start with '@'
// (@timestamp).
func checkFieldPath(field string) error {
	ok := field != "" && len(field) <= maxFieldPathLen && strings.Count(field, ".") < maxFieldParts
	for i, part := range strings.Split(field, ".") {
		if i == 0 {
			part = strings.TrimPrefix(part, "@")
		}
		ok = ok && part != "" && strings.IndexFunc(part, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-')
		}) < 0
	}
	if !ok {
		return errorf(http.StatusBadRequest, "match: field %q: want a dotted ECS field such as process.executable (at most %d bytes)", field, maxFieldPathLen)
	}
	return nil
}

// checkException validates an exception's body; the rule, when named,
// must be loaded.
func (s *server) checkException(body apitypes.Exception) error {
	if body.RuleID != "" {
		rs, err := s.rules()
		if err != nil {
			return err
		}
		if _, err := findRule(rs, body.RuleID); err != nil {
			return errorf(http.StatusBadRequest, "rule_id %q: no such rule is loaded", body.RuleID)
		}
	}
	if body.AgentID != "" && !bus.ValidAgentID(body.AgentID) {
		return errorf(http.StatusBadRequest, "agent_id %q: not an agent id", body.AgentID)
	}
	if len(body.Match) == 0 && body.RuleID == "" && body.AgentID == "" {
		return errorf(http.StatusBadRequest, "match: at least one field, unless rule_id or agent_id narrows the exception")
	}
	if len(body.Match) > maxMatchFields {
		return errorf(http.StatusBadRequest, "match: at most %d fields", maxMatchFields)
	}
	for _, field := range sortedFields(body.Match) {
		patterns := body.Match[field]
		if err := checkFieldPath(field); err != nil {
			return err
		}
		if len(patterns) == 0 || len(patterns) > maxMatchPatterns {
			return errorf(http.StatusBadRequest, "match: field %s: want 1 to %d patterns", field, maxMatchPatterns)
		}
		for _, p := range patterns {
			if p == "" || len(p) > maxPatternLen || !printable(p) {
				return errorf(http.StatusBadRequest, "match: field %s: a pattern is empty, longer than %d bytes or not printable", field, maxPatternLen)
			}
		}
	}
	if strings.TrimSpace(body.Reason) == "" || len(body.Reason) > maxTextLen || !printableText(body.Reason) {
		return errorf(http.StatusBadRequest, "reason: required, at most %d bytes of text", maxTextLen)
	}
	if body.ExpiresAt != nil && !body.ExpiresAt.After(s.now()) {
		return errorf(http.StatusBadRequest, "expires_at %s: want a time in the future", body.ExpiresAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// noteException adds what an exception does to the audit entry.
func noteException(c *call, body apitypes.Exception) {
	c.note("rule_id", body.RuleID)
	c.note("agent_id", body.AgentID)
	c.note("match", body.Match)
	c.note("reason", body.Reason)
	if body.ExpiresAt != nil {
		c.note("expires_at", body.ExpiresAt.UTC().Format(time.RFC3339))
	}
}

// exceptionOf is the stored form of a body.
func exceptionOf(body apitypes.Exception) store.Exception {
	e := store.Exception{RuleID: body.RuleID, AgentID: body.AgentID, Match: body.Match, Reason: body.Reason}
	if e.Match == nil {
		e.Match = map[string][]string{}
	}
	if body.ExpiresAt != nil {
		e.ExpiresAt = body.ExpiresAt.UTC()
	}
	return e
}

func (s *server) listExceptions(w http.ResponseWriter, r *http.Request, c *call) error {
	if _, err := s.detection(); err != nil {
		return err
	}
	q := r.URL.Query()
	f := store.ExceptionFilter{RuleID: q.Get("rule_id"), AgentID: q.Get("agent_id")}
	if len(f.RuleID) > maxQueryLen || len(f.AgentID) > maxQueryLen {
		return errorf(http.StatusBadRequest, "rule_id and agent_id: at most %d bytes", maxQueryLen)
	}
	switch q.Get("active") {
	case "true":
		f.ActiveAt = s.now().UTC()
	case "", "false":
	default:
		return errorf(http.StatusBadRequest, "active %q: want true or false", q.Get("active"))
	}
	var err error
	if f.Page, err = page(q); err != nil {
		return err
	}
	list, next, err := s.cfg.Store.Exceptions().List(r.Context(), f)
	if err != nil {
		return storeError(err, "list exceptions")
	}
	writeList(w, list, next)
	return nil
}

func (s *server) getException(w http.ResponseWriter, r *http.Request, c *call) error {
	if _, err := s.detection(); err != nil {
		return err
	}
	id := r.PathValue("id")
	e, err := s.cfg.Store.Exceptions().Get(r.Context(), id)
	if err != nil {
		return storeError(err, "exception "+id)
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

// exceptionBody reads, audits and checks the body of a create or an
// update; it returns the detection service to reload and the exception
// to store.
func (s *server) exceptionBody(w http.ResponseWriter, r *http.Request, c *call) (Detection, store.Exception, error) {
	d, err := s.detection()
	if err != nil {
		return nil, store.Exception{}, err
	}
	var body apitypes.Exception
	if err := decodeBody(w, r, &body); err != nil {
		return nil, store.Exception{}, err
	}
	noteException(c, body)
	if err := s.checkException(body); err != nil {
		return nil, store.Exception{}, err
	}
	return d, exceptionOf(body), nil
}

func (s *server) createException(w http.ResponseWriter, r *http.Request, c *call) error {
	d, e, err := s.exceptionBody(w, r, c)
	if err != nil {
		return err
	}
	e.Author = c.p.Actor()
	e.CreatedAt = s.now().UTC()
	created, err := s.cfg.Store.Exceptions().Create(r.Context(), e)
	if err != nil {
		return storeError(err, "exception")
	}
	c.target = created.ID
	if err := d.ReloadExceptions(r.Context()); err != nil {
		return s.partial(err, "exception %s created, but reloading the exceptions failed; see the center's log", created.ID)
	}
	writeJSON(w, http.StatusCreated, created)
	return nil
}

func (s *server) updateException(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	c.target = id
	d, e, err := s.exceptionBody(w, r, c)
	if err != nil {
		return err
	}
	e.ID = id
	e.UpdatedAt = s.now().UTC()
	updated, err := s.cfg.Store.Exceptions().Update(r.Context(), e)
	if err != nil {
		return storeError(err, "exception "+id)
	}
	if err := d.ReloadExceptions(r.Context()); err != nil {
		return s.partial(err, "exception %s updated, but reloading the exceptions failed; see the center's log", id)
	}
	writeJSON(w, http.StatusOK, updated)
	return nil
}

func (s *server) deleteException(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	c.target = id
	d, err := s.detection()
	if err != nil {
		return err
	}
	e, err := s.cfg.Store.Exceptions().Get(r.Context(), id)
	if err != nil {
		return storeError(err, "exception "+id)
	}
	c.note("rule_id", e.RuleID)
	c.note("agent_id", e.AgentID)
	c.note("hits", e.Hits)
	if err := s.cfg.Store.Exceptions().Delete(r.Context(), id); err != nil {
		return storeError(err, "exception "+id)
	}
	if err := d.ReloadExceptions(r.Context()); err != nil {
		return s.partial(err, "exception %s deleted, but reloading the exceptions failed; see the center's log", id)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// sortedFields returns the fields of a match in order (for messages).
func sortedFields(m map[string][]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
