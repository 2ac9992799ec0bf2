package api

import (
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/vigilsec/vigil/internal/center/compliance"
	"github.com/vigilsec/vigil/internal/compliance/policy"
	"github.com/vigilsec/vigil/internal/store"
)

// compliance returns the compliance service, or a 503 when it is off.
func (s *server) complianceSvc() (*compliance.Service, error) {
	if s.cfg.Compliance == nil {
		return nil, errorf(http.StatusServiceUnavailable, "compliance is off on this center")
	}
	return s.cfg.Compliance, nil
}

// complianceStatuses are the statuses a result may have.
var complianceStatuses = map[string]bool{"pass": true, "fail": true, "error": true, "not_applicable": true, "excepted": true}

func (s *server) listCompliance(w http.ResponseWriter, r *http.Request, c *call) error {
	cs, err := s.complianceSvc()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := compliance.ResultFilter{AgentID: q.Get("agent_id"), PolicyID: q.Get("policy_id"), CheckID: q.Get("check_id"),
		Status: q.Get("status"), Severity: q.Get("severity"), Q: q.Get("q")}
	for name, v := range map[string]string{"agent_id": f.AgentID, "policy_id": f.PolicyID, "check_id": f.CheckID, "severity": f.Severity, "q": f.Q} {
		if len(v) > maxQueryLen || !printableText(v) {
			return errorf(http.StatusBadRequest, "%s: at most %d printable bytes", name, maxQueryLen)
		}
	}
	if f.Status != "" && !complianceStatuses[f.Status] {
		return errorf(http.StatusBadRequest, "status %q: want pass, fail, error, not_applicable or excepted", f.Status)
	}
	if f.Page, err = page(q); err != nil {
		return err
	}
	list, next, err := cs.Results(r.Context(), f)
	if err != nil {
		return storeError(err, "compliance results")
	}
	h := s.hostnames(r.Context())
	for i := range list {
		list[i].Hostname = h.of(list[i].AgentID)
	}
	writeList(w, list, next)
	return nil
}

func (s *server) complianceHost(w http.ResponseWriter, r *http.Request, c *call) error {
	cs, err := s.complianceSvc()
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if _, err := s.cfg.Store.Agents().Get(r.Context(), id); err != nil {
		return storeError(err, "agent "+id)
	}
	sums, err := cs.HostSummaries(r.Context(), id)
	if err != nil {
		return storeError(err, "compliance of "+id)
	}
	writeList(w, sums, "")
	return nil
}

func (s *server) complianceScores(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	f := store.ComplianceScoreFilter{AgentID: q.Get("agent_id"), PolicyID: q.Get("policy_id")}
	var err error
	if f.Since, f.Until, err = timeRange(q); err != nil {
		return err
	}
	if f.Page, err = page(q); err != nil {
		return err
	}
	list, next, err := s.cfg.Store.Compliance().Scores(r.Context(), f)
	if err != nil {
		return storeError(err, "compliance scores")
	}
	writeList(w, list, next)
	return nil
}

// policyView is a policy of the catalogue, without its checks, with its
// assignment.
type policyView struct {
	ID          string                      `json:"id"`
	Version     string                      `json:"version"`
	Name        policy.Text                 `json:"name"`
	Description policy.Text                 `json:"description"`
	Checks      int                         `json:"checks"`
	Shipped     bool                        `json:"shipped"`
	Format      string                      `json:"format"`
	Digest      string                      `json:"digest"`
	Author      string                      `json:"author,omitempty"`
	Skipped     []string                    `json:"skipped,omitempty"`
	Assignment  *store.ComplianceAssignment `json:"assignment,omitempty"`
}

// viewOf describes a catalogue entry.
func viewOf(e *compliance.Entry, as map[string]store.ComplianceAssignment) policyView {
	p := e.Policy
	v := policyView{ID: p.Meta.ID, Version: p.Meta.Version, Name: p.Meta.Name, Description: p.Meta.Description,
		Checks: len(p.Checks), Shipped: e.Shipped, Format: e.Format, Digest: p.RulesDigest(), Author: e.Author, Skipped: e.Skipped}
	if a, ok := as[p.Meta.ID]; ok {
		v.Assignment = &a
	}
	return v
}

// assignments returns the assignments by policy id.
func (s *server) assignments(r *http.Request) (map[string]store.ComplianceAssignment, error) {
	list, err := s.cfg.Store.Compliance().Assignments(r.Context())
	if err != nil {
		return nil, storeError(err, "compliance assignments")
	}
	out := make(map[string]store.ComplianceAssignment, len(list))
	for _, a := range list {
		out[a.PolicyID] = a
	}
	return out, nil
}

func (s *server) listCompliancePolicies(w http.ResponseWriter, r *http.Request, c *call) error {
	cs, err := s.complianceSvc()
	if err != nil {
		return err
	}
	as, err := s.assignments(r)
	if err != nil {
		return err
	}
	entries := cs.Policies()
	out := make([]policyView, len(entries))
	for i, e := range entries {
		out[i] = viewOf(e, as)
	}
	writeList(w, out, "")
	return nil
}

// policyDetail is a policy with its checks.
type policyDetail struct {
	policyView
	Requirements *policy.Condition `json:"requirements,omitempty"`
	Items        []policy.Check    `json:"items"`
}

func (s *server) getCompliancePolicy(w http.ResponseWriter, r *http.Request, c *call) error {
	cs, err := s.complianceSvc()
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	e, ok := cs.Policy(id)
	if !ok {
		return errorf(http.StatusNotFound, "policy %s not found", id)
	}
	as, err := s.assignments(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, policyDetail{policyView: viewOf(e, as), Requirements: e.Policy.Requirements, Items: e.Policy.Checks})
	return nil
}

// maxPolicyBody bounds an uploaded policy file.
const maxPolicyBody = 4 << 20

func (s *server) putCompliancePolicy(w http.ResponseWriter, r *http.Request, c *call) error {
	cs, err := s.complianceSvc()
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	c.target = id
	format := r.URL.Query().Get("format")
	if format != "" && format != compliance.FormatVigil && format != compliance.FormatSCA {
		return errorf(http.StatusBadRequest, "format %q: want %s or %s", format, compliance.FormatVigil, compliance.FormatSCA)
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxPolicyBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return errorf(http.StatusRequestEntityTooLarge, "policy larger than %d bytes", maxPolicyBody)
		}
		return errorf(http.StatusBadRequest, "read policy: %v", err)
	}
	e, created, err := cs.PutPolicy(r.Context(), id, id+".yml", data, format, c.p.Actor())
	switch {
	case errors.Is(err, compliance.ErrShipped):
		return errorf(http.StatusConflict, "%v", err)
	case errors.Is(err, compliance.ErrInvalidPolicy):
		return errorf(http.StatusUnprocessableEntity, "%v", err)
	case err != nil:
		return err
	}
	as, err := s.assignments(r)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	s.republishPolicies(r.Context())
	writeJSON(w, status, viewOf(e, as))
	return nil
}

func (s *server) deleteCompliancePolicy(w http.ResponseWriter, r *http.Request, c *call) error {
	cs, err := s.complianceSvc()
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	c.target = id
	if err := cs.DeletePolicy(r.Context(), id); err != nil {
		if errors.Is(err, compliance.ErrShipped) {
			return errorf(http.StatusConflict, "%v", err)
		}
		return storeError(err, "policy "+id)
	}
	s.republishPolicies(r.Context())
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// assignmentBody is the body of PUT .../assignment.
type assignmentBody struct {
	Selector        map[string]string `json:"selector"`
	IntervalSeconds int64             `json:"interval_seconds"`
	Disabled        bool              `json:"disabled"`
}

func (s *server) putComplianceAssignment(w http.ResponseWriter, r *http.Request, c *call) error {
	cs, err := s.complianceSvc()
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	c.target = id
	var body assignmentBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	if err := checkLabels("selector", body.Selector); err != nil {
		return err
	}
	a := store.ComplianceAssignment{PolicyID: id, Selector: body.Selector, IntervalSeconds: body.IntervalSeconds,
		Disabled: body.Disabled, Author: c.p.Actor(), UpdatedAt: s.now().UTC()}
	if a.Selector == nil {
		a.Selector = map[string]string{}
	}
	if err := cs.PutAssignment(r.Context(), a); err != nil {
		if errors.Is(err, compliance.ErrUnknownPolicy) {
			return errorf(http.StatusNotFound, "%v", err)
		}
		return errorf(http.StatusBadRequest, "%v", err)
	}
	s.republishPolicies(r.Context())
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *server) deleteComplianceAssignment(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	c.target = id
	cs, err := s.complianceSvc()
	if err != nil {
		return err
	}
	if err := cs.DeleteAssignment(r.Context(), id); err != nil {
		return storeError(err, "assignment of "+id)
	}
	s.republishPolicies(r.Context())
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// complianceExceptionBody is the body of POST /compliance/exceptions.
type complianceExceptionBody struct {
	PolicyID  string    `json:"policy_id"`
	CheckID   string    `json:"check_id"`
	AgentID   string    `json:"agent_id"`
	Reason    string    `json:"reason"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (s *server) listComplianceExceptions(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	expired := q.Get("expired") == "true"
	list, err := s.cfg.Store.Compliance().Exceptions(r.Context(), q.Get("policy_id"), s.now(), expired)
	if err != nil {
		return storeError(err, "compliance exceptions")
	}
	writeList(w, list, "")
	return nil
}

func (s *server) createComplianceException(w http.ResponseWriter, r *http.Request, c *call) error {
	cs, err := s.complianceSvc()
	if err != nil {
		return err
	}
	var body complianceExceptionBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	e, ok := cs.Policy(body.PolicyID)
	if !ok {
		return errorf(http.StatusNotFound, "policy %q not found", body.PolicyID)
	}
	if body.CheckID != "" && e.Policy.Check(body.CheckID) == nil {
		return errorf(http.StatusNotFound, "policy %s has no check %q", body.PolicyID, body.CheckID)
	}
	if body.Reason == "" || len(body.Reason) > maxTextLen || !printableText(body.Reason) {
		return errorf(http.StatusBadRequest, "reason: required, at most %d printable bytes", maxTextLen)
	}
	if !body.ExpiresAt.IsZero() && !body.ExpiresAt.After(s.now()) {
		return errorf(http.StatusBadRequest, "expires_at: must be in the future")
	}
	ex, err := s.cfg.Store.Compliance().CreateException(r.Context(), store.ComplianceException{PolicyID: body.PolicyID,
		CheckID: body.CheckID, AgentID: body.AgentID, Reason: body.Reason, ExpiresAt: body.ExpiresAt.UTC(),
		Author: c.p.Actor(), CreatedAt: s.now().UTC()})
	if err != nil {
		return storeError(err, "compliance exception")
	}
	c.target = ex.ID
	writeJSON(w, http.StatusCreated, ex)
	return nil
}

func (s *server) deleteComplianceException(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	c.target = id
	if err := s.cfg.Store.Compliance().DeleteException(r.Context(), id); err != nil {
		return storeError(err, "compliance exception "+id)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
