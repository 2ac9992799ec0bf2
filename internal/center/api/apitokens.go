package api

import (
	"net/http"
	"time"

	"github.com/vigilsec/vigil/internal/center/auth"
	"github.com/vigilsec/vigil/internal/store"
)

// maxAPITokenTTL bounds an API token's lifetime when one is given.
const maxAPITokenTTL = 10 * 365 * 24 * time.Hour

// apiTokenBody is the body of POST /api-tokens.
type apiTokenBody struct {
	Name string     `json:"name"`
	Role store.Role `json:"role"`
	// TTL is a Go duration; empty means the token does not expire.
	TTL string `json:"ttl"`
}

// apiTokenView is an API token or session; Token (the secret) only when
// created.
type apiTokenView struct {
	store.APIToken
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	Token      string     `json:"token,omitempty"`
}

func viewAPIToken(t store.APIToken) apiTokenView {
	v := apiTokenView{APIToken: t}
	if !t.ExpiresAt.IsZero() {
		v.ExpiresAt = &t.ExpiresAt
	}
	if !t.LastUsedAt.IsZero() {
		v.LastUsedAt = &t.LastUsedAt
	}
	return v
}

func (s *server) listAPITokens(w http.ResponseWriter, r *http.Request, c *call) error {
	p, err := page(r.URL.Query())
	if err != nil {
		return err
	}
	tokens, next, err := s.cfg.Store.APITokens().List(r.Context(), p)
	if err != nil {
		return storeError(err, "list API tokens")
	}
	views := make([]apiTokenView, len(tokens))
	for i, t := range tokens {
		views[i] = viewAPIToken(t)
	}
	writeList(w, views, next)
	return nil
}

func (s *server) createAPIToken(w http.ResponseWriter, r *http.Request, c *call) error {
	var body apiTokenBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	if err := checkName("name", body.Name); err != nil {
		return err
	}
	if !auth.ValidRole(body.Role) {
		return errorf(http.StatusBadRequest, "role %q: want viewer, analyst, responder or admin", body.Role)
	}
	ttl, err := durationParam("ttl", body.TTL, 0, time.Minute, maxAPITokenTTL)
	if err != nil {
		return err
	}
	id, bearer, err := auth.NewBearer(auth.APITokenPrefix)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	t := store.APIToken{ID: id, Name: body.Name, Kind: auth.KindAPI, Role: body.Role, Hash: auth.HashBearer(bearer), CreatedAt: now}
	if ttl > 0 {
		t.ExpiresAt = now.Add(ttl)
	}
	c.target = id
	c.note("name", t.Name)
	c.note("role", string(t.Role))
	if ttl > 0 {
		c.note("ttl", ttl.String())
	}
	if err := s.cfg.Store.APITokens().Create(r.Context(), t); err != nil {
		return storeError(err, "API token "+id)
	}
	v := viewAPIToken(t)
	v.Token = bearer
	writeJSON(w, http.StatusCreated, v)
	return nil
}

func (s *server) deleteAPIToken(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	c.target = id
	if err := s.cfg.Store.APITokens().Delete(r.Context(), id); err != nil {
		return storeError(err, "API token "+id)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
