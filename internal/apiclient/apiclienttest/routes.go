package apiclienttest

import (
	"errors"
	"net/http"
	"strings"

	"github.com/vigilsec/vigil/internal/store"
)

// handler serves one route with the caller known and the center locked.
type handler func(c *Center, w http.ResponseWriter, r *http.Request, p principal) error

var rank = map[store.Role]int{store.RoleViewer: 1, store.RoleAnalyst: 2, store.RoleResponder: 3, store.RoleAdmin: 4}

func (c *Center) routes() {
	v := "/api/v1"
	for _, rt := range []struct {
		pattern string
		role    store.Role // "" for no token
		action  string
		h       handler
	}{
		{"GET /healthz", "", "", (*Center).healthz},
		{"POST " + v + "/login", "", "login", (*Center).login},
		{"POST " + v + "/logout", store.RoleViewer, "logout", (*Center).logout},
		{"GET " + v + "/me", store.RoleViewer, "", (*Center).me},
		{"GET " + v + "/agents", store.RoleViewer, "", (*Center).listAgents},
		{"POST " + v + "/agents/commands", store.RoleViewer, "command", (*Center).execCommand},
		{"GET " + v + "/agents/{id}", store.RoleViewer, "", (*Center).getAgent},
		{"DELETE " + v + "/agents/{id}", store.RoleAdmin, "agent.delete", (*Center).deleteAgent},
		{"PUT " + v + "/agents/{id}/labels", store.RoleResponder, "agent.labels", (*Center).putLabels},
		{"GET " + v + "/agents/{id}/history", store.RoleViewer, "", (*Center).agentHistory},
		{"GET " + v + "/agents/{id}/policy", store.RoleViewer, "", (*Center).agentPolicy},
		{"GET " + v + "/agent-policies", store.RoleViewer, "", (*Center).listPolicies},
		{"GET " + v + "/agent-policies/{name}", store.RoleViewer, "", (*Center).getPolicy},
		{"PUT " + v + "/agent-policies/{name}", store.RoleAdmin, "policy.put", (*Center).putPolicy},
		{"DELETE " + v + "/agent-policies/{name}", store.RoleAdmin, "policy.delete", (*Center).deletePolicy},
		{"GET " + v + "/events", store.RoleViewer, "", (*Center).listEvents},
		{"GET " + v + "/alerts", store.RoleViewer, "", (*Center).listAlerts},
		{"GET " + v + "/alerts/{id}", store.RoleViewer, "", (*Center).getAlert},
		{"POST " + v + "/alerts/{id}/state", store.RoleAnalyst, "alert.state", (*Center).alertState},
		{"GET " + v + "/tokens", store.RoleAdmin, "", (*Center).listJoinTokens},
		{"POST " + v + "/tokens", store.RoleAdmin, "token.create", (*Center).createJoinToken},
		{"DELETE " + v + "/tokens/{id}", store.RoleAdmin, "token.delete", (*Center).deleteJoinToken},
		{"GET " + v + "/api-tokens", store.RoleAdmin, "", (*Center).listAPITokens},
		{"POST " + v + "/api-tokens", store.RoleAdmin, "apitoken.create", (*Center).createAPIToken},
		{"DELETE " + v + "/api-tokens/{id}", store.RoleAdmin, "apitoken.delete", (*Center).deleteAPIToken},
		{"GET " + v + "/users", store.RoleAdmin, "", (*Center).listUsers},
		{"POST " + v + "/users", store.RoleAdmin, "user.create", (*Center).createUser},
		{"GET " + v + "/users/{id}", store.RoleAdmin, "", (*Center).getUser},
		{"PATCH " + v + "/users/{id}", store.RoleAdmin, "user.update", (*Center).updateUser},
		{"DELETE " + v + "/users/{id}", store.RoleAdmin, "user.delete", (*Center).deleteUser},
		{"GET " + v + "/audit", store.RoleAdmin, "", (*Center).listAudit},
	} {
		c.mux.Handle(rt.pattern, c.wrap(rt.role, rt.action, rt.h))
	}
	c.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, errorf(http.StatusNotFound, "no route %s %s", r.Method, r.URL.Path))
	})
}

// wrap authenticates, checks the role, runs h and audits changes.
func (c *Center) wrap(role store.Role, action string, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		defer c.mu.Unlock()
		var p principal
		if role != "" {
			bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			var known bool
			p, known = c.bearers[bearer]
			if !ok || !known {
				writeError(w, errorf(http.StatusUnauthorized, "missing, invalid or expired token"))
				return
			}
		}
		err := c.require(p, role)
		if err == nil {
			err = h(c, w, r, p)
		}
		result := "ok"
		if err != nil {
			var ae *apiError
			if !errors.As(err, &ae) {
				ae = errorf(http.StatusInternalServerError, "internal error")
			}
			result = "error"
			if ae.status == http.StatusForbidden {
				result = "denied"
			}
			writeError(w, ae)
		}
		if action != "" && p.name != "" {
			c.audit = append(c.audit, store.AuditEntry{
				ID: int64(len(c.audit) + 1), At: c.now().UTC(), Actor: "token:" + p.name, Role: p.role,
				Action: action, Target: r.PathValue("id") + r.PathValue("name"), Result: result, SourceIP: "127.0.0.1",
			})
		}
	})
}

// require answers 403 unless p has at least role need.
func (c *Center) require(p principal, need store.Role) error {
	if need != "" && rank[p.role] < rank[need] {
		return errorf(http.StatusForbidden, "role %s may not do this (needs %s)", p.role, need)
	}
	return nil
}
