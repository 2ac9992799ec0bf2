package apiclienttest

import (
	"net/http"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// minPassword is the center's shortest accepted password.
const minPassword = 10

// AddUser stores a user with a password.
func (c *Center) AddUser(u store.User, password string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.users = append(c.users, u)
	c.password[u.ID] = password
}

// Password returns the password a user has now ("" for none).
func (c *Center) Password(userID string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.password[userID]
}

// forget removes the bearers that match.
func (c *Center) forget(match func(principal) bool) {
	for b, p := range c.bearers {
		if match(p) {
			delete(c.bearers, b)
		}
	}
}

func (c *Center) userIndex(id string) (int, error) {
	for i, u := range c.users {
		if u.ID == id {
			return i, nil
		}
	}
	return 0, errorf(404, "user %s not found", id)
}

func (c *Center) listUsers(w http.ResponseWriter, r *http.Request, p principal) error {
	page, err := paginate(r, c.users)
	if err == nil {
		writeJSON(w, 200, page)
	}
	return err
}

func (c *Center) getUser(w http.ResponseWriter, r *http.Request, p principal) error {
	i, err := c.userIndex(r.PathValue("id"))
	if err == nil {
		writeJSON(w, 200, c.users[i])
	}
	return err
}

func checkUser(role store.Role, password string) error {
	if rank[role] == 0 {
		return errorf(400, "role %q: want viewer, analyst, responder or admin", role)
	}
	if len(password) < minPassword || len(password) > 1024 {
		return errorf(400, "password: want %d to 1024 bytes", minPassword)
	}
	return nil
}

func (c *Center) createUser(w http.ResponseWriter, r *http.Request, p principal) error {
	var body struct {
		Name     string     `json:"name"`
		Password string     `json:"password"`
		Role     store.Role `json:"role"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	if body.Name == "" {
		return errorf(400, "name %q: want 1 to 64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit", body.Name)
	}
	if err := checkUser(body.Role, body.Password); err != nil {
		return err
	}
	for _, u := range c.users {
		if u.Name == body.Name {
			return errorf(409, "user %s already exists", body.Name)
		}
	}
	now := c.utcNow()
	u := store.User{ID: c.id("u"), Name: body.Name, Role: body.Role, CreatedAt: now, UpdatedAt: now}
	c.users = append(c.users, u)
	c.password[u.ID] = body.Password
	writeJSON(w, http.StatusCreated, u)
	return nil
}

func (c *Center) updateUser(w http.ResponseWriter, r *http.Request, p principal) error {
	i, err := c.userIndex(r.PathValue("id"))
	if err != nil {
		return err
	}
	var body struct {
		Role     *store.Role `json:"role"`
		Password *string     `json:"password"`
		Disabled *bool       `json:"disabled"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	u := c.users[i]
	if body.Role != nil {
		if rank[*body.Role] == 0 {
			return errorf(400, "role %q: want viewer, analyst, responder or admin", *body.Role)
		}
		u.Role = *body.Role
	}
	if body.Password != nil {
		if err := checkUser(u.Role, *body.Password); err != nil {
			return err
		}
		c.password[u.ID] = *body.Password
		c.forget(func(p principal) bool { return p.userID == u.ID })
	}
	if body.Disabled != nil {
		u.Disabled = *body.Disabled
		if u.Disabled {
			c.forget(func(p principal) bool { return p.userID == u.ID })
		}
	}
	u.UpdatedAt = c.utcNow()
	c.users[i] = u
	writeJSON(w, 200, u)
	return nil
}

func (c *Center) deleteUser(w http.ResponseWriter, r *http.Request, p principal) error {
	i, err := c.userIndex(r.PathValue("id"))
	if err != nil {
		return err
	}
	id := c.users[i].ID
	c.users = append(c.users[:i], c.users[i+1:]...)
	delete(c.password, id)
	c.forget(func(p principal) bool { return p.userID == id })
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// login starts a session for a user whose password matches.
func (c *Center) login(w http.ResponseWriter, r *http.Request, p principal) error {
	var body struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	for _, u := range c.users {
		if u.Name == body.Username && !u.Disabled && c.password[u.ID] == body.Password {
			bearer := "vgs_" + c.id("s") + "_5ession"
			c.bearers[bearer] = principal{name: u.Name, kind: "session", role: u.Role, userID: u.ID, tokenID: bearer}
			writeJSON(w, 200, map[string]any{"token": bearer, "expires_at": c.utcNow().Add(12 * time.Hour), "user": u})
			return nil
		}
	}
	return errorf(401, "invalid user name or password")
}

func (c *Center) logout(w http.ResponseWriter, r *http.Request, p principal) error {
	if p.kind != "session" {
		return errorf(400, "only a console session can log out; API tokens are removed with DELETE /api/v1/api-tokens/{id}")
	}
	c.forget(func(q principal) bool { return q.tokenID == p.tokenID })
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (c *Center) me(w http.ResponseWriter, r *http.Request, p principal) error {
	writeJSON(w, 200, map[string]any{"name": p.name, "role": p.role, "kind": p.kind})
	return nil
}

func (c *Center) healthz(w http.ResponseWriter, r *http.Request, p principal) error {
	if c.unwell != "" {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": c.unwell})
		return nil
	}
	writeJSON(w, 200, map[string]string{"status": "ok"})
	return nil
}
