package apiclienttest

import (
	"net/http"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// AddJoinToken stores a join token (its secret is not kept).
func (c *Center) AddJoinToken(t store.JoinToken) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.joins = append(c.joins, t)
}

// AddAPIToken stores an API token; bearer, when not empty, authenticates
// as it.
func (c *Center) AddAPIToken(t store.APIToken, bearer string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.apiToks = append(c.apiToks, t)
	if bearer != "" {
		c.bearers[bearer] = principal{name: t.Name, kind: t.Kind, role: t.Role, userID: t.UserID, tokenID: t.ID}
	}
}

// JoinTokens returns the stored join tokens.
func (c *Center) JoinTokens() []store.JoinToken {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]store.JoinToken(nil), c.joins...)
}

func (c *Center) listJoinTokens(w http.ResponseWriter, r *http.Request, p principal) error {
	page, err := paginate(r, c.joins)
	if err == nil {
		writeJSON(w, 200, page)
	}
	return err
}

func duration(what, v string, def, lo, hi time.Duration) (time.Duration, error) {
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < lo || d > hi {
		return 0, errorf(400, "%s %q: want a duration from %s to %s (e.g. 24h)", what, v, lo, hi)
	}
	return d, nil
}

func (c *Center) createJoinToken(w http.ResponseWriter, r *http.Request, p principal) error {
	var body struct {
		TTL         string            `json:"ttl"`
		Labels      map[string]string `json:"labels"`
		UsageLimit  int               `json:"usage_limit"`
		Description string            `json:"description"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	ttl, err := duration("ttl", body.TTL, 24*time.Hour, time.Minute, 720*time.Hour)
	if err != nil {
		return err
	}
	if body.UsageLimit < 0 {
		return errorf(400, "usage_limit: want 0 (unlimited) to 1000000")
	}
	if body.Labels == nil {
		body.Labels = map[string]string{}
	}
	now := c.utcNow()
	t := store.JoinToken{
		ID: c.id("jt"), Description: body.Description, Labels: body.Labels, CreatedAt: now,
		CreatedBy: "token:" + p.name, ExpiresAt: now.Add(ttl), UsageLimit: body.UsageLimit,
	}
	c.joins = append(c.joins, t)
	writeJSON(w, http.StatusCreated, struct {
		store.JoinToken
		Token string `json:"token"`
	}{t, "vgl1." + t.ID + ".c2VjcmV0" + t.ID + ".0f1e2d3c4b5a69788796a5b4c3d2e1f0"})
	return nil
}

func (c *Center) deleteJoinToken(w http.ResponseWriter, r *http.Request, p principal) error {
	for i, t := range c.joins {
		if t.ID == r.PathValue("id") {
			c.joins = append(c.joins[:i], c.joins[i+1:]...)
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
	}
	return errorf(404, "join token %s not found", r.PathValue("id"))
}

// apiTokenView omits unset times, as the center does.
type apiTokenView struct {
	store.APIToken
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	Token      string     `json:"token,omitempty"`
}

func viewToken(t store.APIToken) apiTokenView {
	v := apiTokenView{APIToken: t}
	if !t.ExpiresAt.IsZero() {
		v.ExpiresAt = &t.ExpiresAt
	}
	if !t.LastUsedAt.IsZero() {
		v.LastUsedAt = &t.LastUsedAt
	}
	return v
}

func (c *Center) listAPITokens(w http.ResponseWriter, r *http.Request, p principal) error {
	views := make([]apiTokenView, len(c.apiToks))
	for i, t := range c.apiToks {
		views[i] = viewToken(t)
	}
	page, err := paginate(r, views)
	if err == nil {
		writeJSON(w, 200, page)
	}
	return err
}

func (c *Center) createAPIToken(w http.ResponseWriter, r *http.Request, p principal) error {
	var body struct {
		Name string     `json:"name"`
		Role store.Role `json:"role"`
		TTL  string     `json:"ttl"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	if body.Name == "" {
		return errorf(400, "name %q: want 1 to 64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit", body.Name)
	}
	if rank[body.Role] == 0 {
		return errorf(400, "role %q: want viewer, analyst, responder or admin", body.Role)
	}
	ttl, err := duration("ttl", body.TTL, 0, time.Minute, 10*365*24*time.Hour)
	if err != nil {
		return err
	}
	now := c.utcNow()
	t := store.APIToken{ID: c.id("at"), Name: body.Name, Kind: "api", Role: body.Role, CreatedAt: now}
	if ttl > 0 {
		t.ExpiresAt = now.Add(ttl)
	}
	bearer := "vgt_" + t.ID + "_5ecret"
	c.apiToks = append(c.apiToks, t)
	c.bearers[bearer] = principal{name: t.Name, kind: "api", role: t.Role, tokenID: t.ID}
	v := viewToken(t)
	v.Token = bearer
	writeJSON(w, http.StatusCreated, v)
	return nil
}

func (c *Center) deleteAPIToken(w http.ResponseWriter, r *http.Request, p principal) error {
	for i, t := range c.apiToks {
		if t.ID == r.PathValue("id") {
			c.apiToks = append(c.apiToks[:i], c.apiToks[i+1:]...)
			c.forget(func(p principal) bool { return p.tokenID == t.ID })
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
	}
	return errorf(404, "API token %s not found", r.PathValue("id"))
}
