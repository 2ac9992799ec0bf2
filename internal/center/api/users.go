package api

import (
	"context"
	"fmt"
	"net/http"

	"github.com/google/uuid"

	"github.com/vigilsec/vigil/internal/center/auth"
	"github.com/vigilsec/vigil/internal/store"
)

// userBody is the body of POST /users.
type userBody struct {
	Name     string     `json:"name"`
	Password string     `json:"password"`
	Role     store.Role `json:"role"`
}

// userPatch is the body of PATCH /users/{id}; absent fields stay.
type userPatch struct {
	Role     *store.Role `json:"role"`
	Password *string     `json:"password"`
	Disabled *bool       `json:"disabled"`
}

func checkPassword(pw string) error {
	if len(pw) < auth.MinPasswordLen || len(pw) > auth.MaxPasswordLen {
		return errorf(http.StatusBadRequest, "password: want %d to %d bytes", auth.MinPasswordLen, auth.MaxPasswordLen)
	}
	return nil
}

func checkRole(r store.Role) error {
	if !auth.ValidRole(r) {
		return errorf(http.StatusBadRequest, "role %q: want viewer, analyst, responder or admin", r)
	}
	return nil
}

func (s *server) listUsers(w http.ResponseWriter, r *http.Request, c *call) error {
	p, err := page(r.URL.Query())
	if err != nil {
		return err
	}
	users, next, err := s.cfg.Store.Users().List(r.Context(), p)
	if err != nil {
		return storeError(err, "list users")
	}
	writeList(w, users, next)
	return nil
}

func (s *server) createUser(w http.ResponseWriter, r *http.Request, c *call) error {
	var body userBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	c.note("name", body.Name)
	if err := checkName("name", body.Name); err != nil {
		return err
	}
	if err := checkRole(body.Role); err != nil {
		return err
	}
	if err := checkPassword(body.Password); err != nil {
		return err
	}
	hash, err := auth.HashPassword(body.Password)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	u := store.User{ID: uuid.NewString(), Name: body.Name, Role: body.Role, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	c.target = u.ID
	c.note("role", string(u.Role))
	if err := s.cfg.Store.Users().Create(r.Context(), u); err != nil {
		return storeError(err, "user "+body.Name)
	}
	writeJSON(w, http.StatusCreated, u)
	return nil
}

func (s *server) userByID(r *http.Request) (store.User, error) {
	id := r.PathValue("id")
	u, err := s.cfg.Store.Users().Get(r.Context(), id)
	if err != nil {
		return u, storeError(err, "user "+id)
	}
	return u, nil
}

func (s *server) getUser(w http.ResponseWriter, r *http.Request, c *call) error {
	u, err := s.userByID(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

// updateUser changes role, password or disabled. A new password or
// disabling ends the user's sessions and tokens; the last enabled admin
// cannot be demoted or disabled.
func (s *server) updateUser(w http.ResponseWriter, r *http.Request, c *call) error {
	c.target = r.PathValue("id")
	var body userPatch
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	u, err := s.userByID(r)
	if err != nil {
		return err
	}
	c.note("name", u.Name)
	wasAdmin := u.Role == store.RoleAdmin && !u.Disabled
	endSessions := false
	if body.Role != nil {
		if err := checkRole(*body.Role); err != nil {
			return err
		}
		c.note("role", string(*body.Role))
		u.Role = *body.Role
	}
	if body.Password != nil {
		if err := checkPassword(*body.Password); err != nil {
			return err
		}
		if u.PasswordHash, err = auth.HashPassword(*body.Password); err != nil {
			return err
		}
		c.note("password_changed", true)
		endSessions = true
	}
	if body.Disabled != nil {
		c.note("disabled", *body.Disabled)
		endSessions = endSessions || (*body.Disabled && !u.Disabled)
		u.Disabled = *body.Disabled
	}
	if wasAdmin && (u.Role != store.RoleAdmin || u.Disabled) {
		if err := s.keepAnAdmin(r.Context(), u.ID); err != nil {
			return err
		}
	}
	u.UpdatedAt = s.now().UTC()
	if err := s.cfg.Store.Users().Update(r.Context(), u); err != nil {
		return storeError(err, "user "+u.ID)
	}
	if endSessions {
		if err := s.cfg.Store.APITokens().DeleteByUser(r.Context(), u.ID); err != nil {
			return fmt.Errorf("end sessions of user %s: %w", u.ID, err)
		}
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

func (s *server) deleteUser(w http.ResponseWriter, r *http.Request, c *call) error {
	c.target = r.PathValue("id")
	u, err := s.userByID(r)
	if err != nil {
		return err
	}
	c.note("name", u.Name)
	if u.Role == store.RoleAdmin && !u.Disabled {
		if err := s.keepAnAdmin(r.Context(), u.ID); err != nil {
			return err
		}
	}
	if err := s.cfg.Store.APITokens().DeleteByUser(r.Context(), u.ID); err != nil {
		return fmt.Errorf("end sessions of user %s: %w", u.ID, err)
	}
	if err := s.cfg.Store.Users().Delete(r.Context(), u.ID); err != nil {
		return storeError(err, "user "+u.ID)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// keepAnAdmin returns 409 unless an enabled admin other than userID exists.
func (s *server) keepAnAdmin(ctx context.Context, userID string) error {
	p := store.Page{Limit: store.MaxLimit}
	for {
		users, next, err := s.cfg.Store.Users().List(ctx, p)
		if err != nil {
			return storeError(err, "list users")
		}
		for _, u := range users {
			if u.ID != userID && u.Role == store.RoleAdmin && !u.Disabled {
				return nil
			}
		}
		if next == "" {
			return errorf(http.StatusConflict, "this is the last enabled admin; make another admin first")
		}
		p.Cursor = next
	}
}
