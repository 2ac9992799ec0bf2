package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/vigilsec/vigil/internal/bus/jointoken"
	"github.com/vigilsec/vigil/internal/store"
)

// Join token limits.
const (
	defaultJoinTTL   = 24 * time.Hour
	maxJoinTTL       = 720 * time.Hour
	maxJoinUsage     = 1_000_000
	maxJoinDescBytes = 256
)

// joinTokenBody is the body of POST /tokens.
type joinTokenBody struct {
	TTL         string            `json:"ttl"`
	Labels      map[string]string `json:"labels"`
	UsageLimit  int               `json:"usage_limit"`
	Description string            `json:"description"`
}

// joinTokenView is a join token; Token (the secret) only when created.
type joinTokenView struct {
	store.JoinToken
	Token string `json:"token,omitempty"`
}

func viewJoinToken(t store.JoinToken) joinTokenView {
	if t.Labels == nil {
		t.Labels = map[string]string{}
	}
	return joinTokenView{JoinToken: t}
}

func (s *server) listJoinTokens(w http.ResponseWriter, r *http.Request, c *call) error {
	p, err := page(r.URL.Query())
	if err != nil {
		return err
	}
	tokens, next, err := s.cfg.Store.JoinTokens().List(r.Context(), p)
	if err != nil {
		return storeError(err, "list join tokens")
	}
	views := make([]joinTokenView, len(tokens))
	for i, t := range tokens {
		views[i] = viewJoinToken(t)
	}
	writeList(w, views, next)
	return nil
}

func (s *server) createJoinToken(w http.ResponseWriter, r *http.Request, c *call) error {
	var body joinTokenBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	ttl, err := durationParam("ttl", body.TTL, defaultJoinTTL, time.Minute, maxJoinTTL)
	if err != nil {
		return err
	}
	if err := checkLabels("labels", body.Labels); err != nil {
		return err
	}
	if body.UsageLimit < 0 || body.UsageLimit > maxJoinUsage {
		return errorf(http.StatusBadRequest, "usage_limit: want 0 (unlimited) to %d", maxJoinUsage)
	}
	if len(body.Description) > maxJoinDescBytes || !printable(body.Description) {
		return errorf(http.StatusBadRequest, "description: at most %d printable bytes", maxJoinDescBytes)
	}
	if s.cfg.CAHash == "" {
		return errorf(http.StatusServiceUnavailable, "the center has no CA yet; join tokens cannot be made")
	}
	tok, err := jointoken.Generate(s.cfg.CAHash)
	if err != nil {
		return fmt.Errorf("generate join token: %w", err)
	}
	now := s.now().UTC()
	t := store.JoinToken{
		ID: tok.ID, SecretHash: jointoken.HashSecret(tok.Secret), Description: body.Description,
		Labels: body.Labels, CreatedAt: now, CreatedBy: c.p.Actor(), ExpiresAt: now.Add(ttl),
		UsageLimit: body.UsageLimit,
	}
	if t.Labels == nil {
		t.Labels = map[string]string{}
	}
	c.target = t.ID
	c.note("ttl", ttl.String())
	c.note("labels", t.Labels)
	c.note("usage_limit", t.UsageLimit)
	if err := s.cfg.Store.JoinTokens().Create(r.Context(), t); err != nil {
		return storeError(err, "join token "+t.ID)
	}
	v := viewJoinToken(t)
	v.Token = tok.String()
	writeJSON(w, http.StatusCreated, v)
	return nil
}

func (s *server) deleteJoinToken(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	c.target = id
	if err := s.cfg.Store.JoinTokens().Delete(r.Context(), id); err != nil {
		return storeError(err, "join token "+id)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
