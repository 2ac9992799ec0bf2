package api

import (
	"net/http"
	"net/url"

	"github.com/vigilsec/vigil/internal/center/compliance"
)

// idParams reads printable identifier parameters of bounded length.
func idParams(q url.Values, names ...string) (map[string]string, error) {
	out := make(map[string]string, len(names))
	for _, name := range names {
		v := q.Get(name)
		if len(v) > maxQueryLen || !printableText(v) {
			return nil, errorf(http.StatusBadRequest, "%s: at most %d printable bytes", name, maxQueryLen)
		}
		out[name] = v
	}
	return out, nil
}

// fleetFilter reads the policy_id, agent_id and label parameters of the
// compliance fleet views.
func fleetFilter(q url.Values) (compliance.FleetFilter, error) {
	ids, err := idParams(q, "policy_id", "agent_id")
	if err != nil {
		return compliance.FleetFilter{}, err
	}
	f := compliance.FleetFilter{PolicyID: ids["policy_id"], AgentID: ids["agent_id"]}
	f.Labels, err = labelParams(q, "label")
	return f, err
}

// writeWholeList answers a list the service computes whole, paged by
// offset.
func writeWholeList[T any](w http.ResponseWriter, q url.Values, what string, list func() ([]T, error)) error {
	p, err := page(q)
	if err != nil {
		return err
	}
	all, err := list()
	if err != nil {
		return storeError(err, what)
	}
	items, next, err := offsetPage(all, p)
	if err != nil {
		return err
	}
	writeList(w, items, next)
	return nil
}

func (s *server) complianceSummaries(w http.ResponseWriter, r *http.Request, c *call) error {
	cs, err := s.complianceSvc()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f, err := fleetFilter(q)
	if err != nil {
		return err
	}
	return writeWholeList(w, q, "compliance summaries", func() ([]compliance.Summary, error) { return cs.Summaries(r.Context(), f) })
}

func (s *server) complianceGroups(w http.ResponseWriter, r *http.Request, c *call) error {
	cs, err := s.complianceSvc()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	label := q.Get("label")
	if label != "" {
		if err := checkLabels("label", map[string]string{label: ""}); err != nil {
			return err
		}
	}
	ids, err := idParams(q, "policy_id")
	if err != nil {
		return err
	}
	return writeWholeList(w, q, "compliance groups", func() ([]compliance.Group, error) {
		return cs.Groups(r.Context(), label, ids["policy_id"])
	})
}

func (s *server) complianceChecks(w http.ResponseWriter, r *http.Request, c *call) error {
	cs, err := s.complianceSvc()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f, err := fleetFilter(q)
	if err != nil {
		return err
	}
	if f.PolicyID == "" {
		return errorf(http.StatusBadRequest, "policy_id is required")
	}
	if _, ok := cs.Policy(f.PolicyID); !ok {
		return errorf(http.StatusNotFound, "policy %q: not in the catalogue", f.PolicyID)
	}
	return writeWholeList(w, q, "compliance checks", func() ([]compliance.CheckStanding, error) { return cs.Checks(r.Context(), f) })
}

func (s *server) complianceDrift(w http.ResponseWriter, r *http.Request, c *call) error {
	cs, err := s.complianceSvc()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	ids, err := idParams(q, "policy_id", "agent_id")
	if err != nil {
		return err
	}
	f := compliance.DriftFilter{AgentID: ids["agent_id"], PolicyID: ids["policy_id"]}
	switch q.Get("regressed") {
	case "", "false":
	case "true":
		f.Regressed = true
	default:
		return errorf(http.StatusBadRequest, "regressed: want true or false")
	}
	if f.Since, f.Until, err = timeRange(q); err != nil {
		return err
	}
	if f.Page, err = page(q); err != nil {
		return err
	}
	list, next, err := cs.Drift(r.Context(), f)
	if err != nil {
		return storeError(err, "compliance drift")
	}
	h := s.hostnames(r.Context())
	for i := range list {
		list[i].Hostname = h.of(list[i].AgentID)
	}
	writeList(w, list, next)
	return nil
}
