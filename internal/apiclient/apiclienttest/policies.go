package apiclienttest

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"

	"github.com/vigilsec/vigil/internal/store"
)

// AddPolicy stores an agent policy as is.
func (c *Center) AddPolicy(p store.AgentPolicy) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.policies[p.Name] = p
}

func (c *Center) sortedPolicies() []store.AgentPolicy {
	out := make([]store.AgentPolicy, 0, len(c.policies))
	for _, p := range c.policies {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (c *Center) listPolicies(w http.ResponseWriter, r *http.Request, p principal) error {
	page, err := paginate(r, c.sortedPolicies())
	if err == nil {
		writeJSON(w, 200, page)
	}
	return err
}

func (c *Center) getPolicy(w http.ResponseWriter, r *http.Request, p principal) error {
	pol, ok := c.policies[r.PathValue("name")]
	if !ok {
		return errorf(404, "agent policy %s not found", r.PathValue("name"))
	}
	writeJSON(w, 200, pol)
	return nil
}

func (c *Center) putPolicy(w http.ResponseWriter, r *http.Request, p principal) error {
	name := r.PathValue("name")
	var body struct {
		Selector map[string]string `json:"selector"`
		Priority int               `json:"priority"`
		Spec     json.RawMessage   `json:"spec"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	var spec map[string]any
	if err := json.Unmarshal(body.Spec, &spec); err != nil || spec == nil {
		return errorf(400, "spec: required, a JSON object (the agent policy document)")
	}
	if body.Selector == nil {
		body.Selector = map[string]string{}
	}
	old := c.policies[name]
	pol := store.AgentPolicy{
		Name: name, Selector: body.Selector, Priority: body.Priority, Spec: body.Spec,
		Revision: old.Revision + 1, UpdatedAt: c.now().UTC(), UpdatedBy: "token:" + p.name,
	}
	c.policies[name] = pol
	writeJSON(w, 200, pol)
	return nil
}

func (c *Center) deletePolicy(w http.ResponseWriter, r *http.Request, p principal) error {
	name := r.PathValue("name")
	if _, ok := c.policies[name]; !ok {
		return errorf(404, "agent policy %s not found", name)
	}
	delete(c.policies, name)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// agentPolicy answers the spec of the matching policy with the highest
// priority (then the first name), with its name and revision, as protojson.
func (c *Center) agentPolicy(w http.ResponseWriter, r *http.Request, p principal) error {
	a, err := c.agentOf(r)
	if err != nil {
		return err
	}
	doc := map[string]any{}
	var best *store.AgentPolicy
	for _, pol := range c.sortedPolicies() {
		if labelsMatch(a.Labels, pol.Selector) && (best == nil || pol.Priority > best.Priority) {
			best = &pol
		}
	}
	if best != nil {
		if err := json.Unmarshal(best.Spec, &doc); err != nil {
			return errorf(500, "policy %s: %v", best.Name, err)
		}
		doc["name"] = best.Name
		doc["revision"] = strconv.FormatUint(best.Revision, 10)
	}
	writeJSON(w, 200, doc)
	return nil
}
