package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"sort"

	"github.com/vigilsec/vigil/internal/center/agentpolicy"
	"github.com/vigilsec/vigil/internal/store"
)

func (s *server) listPolicies(w http.ResponseWriter, r *http.Request, c *call) error {
	p, err := page(r.URL.Query())
	if err != nil {
		return err
	}
	all, err := s.cfg.Store.AgentPolicies().List(r.Context())
	if err != nil {
		return storeError(err, "list agent policies")
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	// Policies are few and listed whole by the store; the cursor is the
	// last name of the previous page.
	after := ""
	if p.Cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(p.Cursor)
		if err != nil {
			return errorf(http.StatusBadRequest, "cursor: not one this server returned")
		}
		after = string(b)
	}
	start := sort.Search(len(all), func(i int) bool { return all[i].Name > after })
	items := all[start:]
	next := ""
	if len(items) > p.Limit {
		items = items[:p.Limit]
		next = base64.RawURLEncoding.EncodeToString([]byte(items[len(items)-1].Name))
	}
	writeList(w, items, next)
	return nil
}

func (s *server) getPolicy(w http.ResponseWriter, r *http.Request, c *call) error {
	name := r.PathValue("name")
	p, err := s.cfg.Store.AgentPolicies().Get(r.Context(), name)
	if err != nil {
		return storeError(err, "agent policy "+name)
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

// policyBody is the body of PUT /agent-policies/{name}.
type policyBody struct {
	Selector map[string]string `json:"selector"`
	Priority int               `json:"priority"`
	Spec     json.RawMessage   `json:"spec"`
}

// checkSpec validates spec as the distributor will read it
// (agentpolicy.ParseSpec: strict protojson of busv1.AgentPolicy, ranges
// checked) and returns it compacted.
func checkSpec(spec json.RawMessage) (json.RawMessage, error) {
	if _, err := agentpolicy.ParseSpec(spec); err != nil {
		return nil, errorf(http.StatusBadRequest, "spec: %v", err)
	}
	var out bytes.Buffer
	if err := json.Compact(&out, bytes.TrimSpace(spec)); err != nil {
		return nil, errorf(http.StatusBadRequest, "spec: %v", err)
	}
	return out.Bytes(), nil
}

func (s *server) putPolicy(w http.ResponseWriter, r *http.Request, c *call) error {
	name := r.PathValue("name")
	c.target = name
	if err := checkName("policy name", name); err != nil {
		return err
	}
	var body policyBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	if err := checkLabels("selector", body.Selector); err != nil {
		return err
	}
	spec, err := checkSpec(body.Spec)
	if err != nil {
		return err
	}
	if body.Selector == nil {
		body.Selector = map[string]string{}
	}
	stored, err := s.cfg.Store.AgentPolicies().Put(r.Context(), store.AgentPolicy{
		Name: name, Selector: body.Selector, Priority: body.Priority, Spec: spec,
		UpdatedAt: s.now().UTC(), UpdatedBy: c.p.Actor(),
	})
	if err != nil {
		return storeError(err, "agent policy "+name)
	}
	c.note("revision", stored.Revision)
	c.note("priority", stored.Priority)
	c.note("selector", stored.Selector)
	if err := s.cfg.Policies.PublishAll(r.Context()); err != nil {
		return s.partial(err, "agent policy %s saved, but publishing it to agents failed; see the center's log", name)
	}
	writeJSON(w, http.StatusOK, stored)
	return nil
}

func (s *server) deletePolicy(w http.ResponseWriter, r *http.Request, c *call) error {
	name := r.PathValue("name")
	c.target = name
	if err := s.cfg.Store.AgentPolicies().Delete(r.Context(), name); err != nil {
		return storeError(err, "agent policy "+name)
	}
	if err := s.cfg.Policies.PublishAll(r.Context()); err != nil {
		return s.partial(err, "agent policy %s deleted, but publishing to agents failed; see the center's log", name)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
