package api

import (
	"context"
	"fmt"
	"net/http"

	"github.com/vigilsec/vigil/internal/center/baseline"
	"github.com/vigilsec/vigil/internal/store"
)

// LoginBaselines is the login behaviour baseline as the API uses it
// (baseline.Service is one).
type LoginBaselines interface {
	Profiles(ctx context.Context, f store.LoginProfileFilter) ([]baseline.ProfileView, string, error)
	Reset(ctx context.Context, agentID, user string) (int, error)
}

// loginProfile is one profile as GET /baselines/logins shows it.
type loginProfile struct {
	baseline.ProfileView
	Hostname string `json:"hostname"`
}

// loginBaselines returns the baseline service, or a 503 when it is off.
func (s *server) loginBaselines() (LoginBaselines, error) {
	if s.cfg.Baselines == nil {
		return nil, errorf(http.StatusServiceUnavailable, "login baselines are off on this center")
	}
	return s.cfg.Baselines, nil
}

func (s *server) listLoginProfiles(w http.ResponseWriter, r *http.Request, c *call) error {
	b, err := s.loginBaselines()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := store.LoginProfileFilter{AgentID: q.Get("agent_id"), User: q.Get("user")}
	if len(f.AgentID) > maxQueryLen || len(f.User) > maxQueryLen {
		return errorf(http.StatusBadRequest, "agent_id and user: at most %d bytes", maxQueryLen)
	}
	if f.Page, err = page(q); err != nil {
		return err
	}
	views, next, err := b.Profiles(r.Context(), f)
	if err != nil {
		return storeError(err, "list login profiles")
	}
	names := map[string]string{}
	out := make([]loginProfile, len(views))
	for i, v := range views {
		name, ok := names[v.AgentID]
		if !ok {
			if a, err := s.cfg.Store.Agents().Get(r.Context(), v.AgentID); err == nil {
				name = a.Hostname
			}
			names[v.AgentID] = name
		}
		out[i] = loginProfile{ProfileView: v, Hostname: name}
	}
	writeList(w, out, next)
	return nil
}

func (s *server) resetLoginProfiles(w http.ResponseWriter, r *http.Request, c *call) error {
	b, err := s.loginBaselines()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	agentID, user := q.Get("agent_id"), q.Get("user")
	c.target = agentID
	if agentID == "" || len(agentID) > maxQueryLen || len(user) > maxQueryLen {
		return errorf(http.StatusBadRequest, "agent_id: name the host whose login baselines to reset (and user, optionally)")
	}
	if user != "" {
		c.note("user", user)
	}
	n, err := b.Reset(r.Context(), agentID, user)
	if err != nil {
		return fmt.Errorf("reset login baselines of %s: %w", agentID, err)
	}
	c.note("removed", n)
	writeJSON(w, http.StatusOK, map[string]int{"removed": n})
	return nil
}
