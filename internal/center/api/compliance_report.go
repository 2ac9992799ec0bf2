package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/center/compliance"
	"github.com/vigilsec/vigil/internal/center/compliance/report"
	"github.com/vigilsec/vigil/internal/compliance/eval"
	"github.com/vigilsec/vigil/internal/compliance/policy"
	"github.com/vigilsec/vigil/internal/store"
)

// complianceReport answers a printable HTML report: a host's (agent_id,
// every policy it evaluated or policy_id's) or the fleet's on policy_id.
func (s *server) complianceReport(w http.ResponseWriter, r *http.Request, c *call) error {
	cs, err := s.complianceSvc()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	ids, err := idParams(q, "agent_id", "policy_id")
	if err != nil {
		return err
	}
	agentID, policyID := ids["agent_id"], ids["policy_id"]
	lang := q.Get("lang")
	if lang == "" {
		lang = report.English
	}
	if !report.IsLang(lang) {
		return errorf(http.StatusBadRequest, "lang %q: want en or zh", lang)
	}
	if agentID == "" && policyID == "" {
		return errorf(http.StatusBadRequest, "agent_id or policy_id is required (a host's report, or the fleet's on a policy)")
	}
	if policyID != "" {
		if _, ok := cs.Policy(policyID); !ok {
			return errorf(http.StatusNotFound, "policy %q: not in the catalogue", policyID)
		}
	}
	rep := &report.Report{Lang: lang, GeneratedAt: time.Now().UTC(), Center: r.Host}
	name := "fleet-" + policyID
	if agentID != "" {
		a, err := s.cfg.Store.Agents().Get(r.Context(), agentID)
		if err != nil {
			return storeError(err, "agent "+agentID)
		}
		rep.Host = &report.Host{AgentID: a.ID, Hostname: a.Hostname, OS: a.OS, Labels: a.Labels}
		if rep.Policies, err = hostReportPolicies(r.Context(), cs, agentID, policyID); err != nil {
			return storeError(err, "compliance of "+agentID)
		}
		name = a.Hostname
		if name == "" {
			name = a.ID
		}
	} else if rep.Policies, err = fleetReportPolicies(r.Context(), cs, policyID); err != nil {
		return storeError(err, "compliance of the fleet")
	}
	if len(rep.Policies) == 0 {
		return errorf(http.StatusNotFound, "no compliance results to report")
	}
	var buf bytes.Buffer
	if err := report.Render(&buf, rep); err != nil {
		if errors.Is(err, report.ErrInvalid) {
			// The center gathered data the report refuses: its fault.
			return fmt.Errorf("compliance report: %w", err)
		}
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="vigil-compliance-%s-%s.html"`,
		fileNamePart(name), rep.GeneratedAt.Format("20060102")))
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(buf.Bytes())
	return err
}

// fileNamePart keeps the letters, digits, '.', '_' and '-' of s for a
// file name.
func fileNamePart(s string) string {
	out := strings.Map(func(r rune) rune {
		if notKeyRune(r) || r == '/' {
			return '_'
		}
		return r
	}, s)
	if len(out) > 64 {
		out = out[:64]
	}
	return out
}

// hostReportPolicies gathers a host's results per policy (policyID's
// only when set).
func hostReportPolicies(ctx context.Context, cs *compliance.Service, agentID, policyID string) ([]report.Policy, error) {
	sums, err := cs.HostSummaries(ctx, agentID)
	if err != nil {
		return nil, err
	}
	var out []report.Policy
	for _, sum := range sums {
		if policyID != "" && sum.PolicyID != policyID {
			continue
		}
		p := report.Policy{ID: sum.PolicyID, Version: sum.PolicyVersion, Applicable: sum.Applicable, UpdatedAt: sum.UpdatedAt}
		if e, ok := cs.Policy(sum.PolicyID); ok {
			p.Name = e.Policy.Meta.Name
		}
		f := compliance.ResultFilter{AgentID: agentID, PolicyID: sum.PolicyID, Page: store.Page{Limit: store.MaxLimit}}
		for {
			list, next, err := cs.Results(ctx, f)
			if err != nil {
				return nil, err
			}
			for _, res := range list {
				rr := reportResult(res)
				p.Results = append(p.Results, rr)
				p.Counts.Add(eval.Status(rr.Status))
			}
			if next == "" {
				break
			}
			f.Cursor = next
		}
		p.Score = eval.Score(p.Counts)
		out = append(out, p)
	}
	return out, nil
}

// reportResult is a result as the report shows it.
func reportResult(res compliance.Result) report.Result {
	out := report.Result{CheckID: res.CheckID, Status: res.Status, Severity: res.Severity, Reason: res.Reason, Evidence: res.Evidence}
	if probe := (eval.Counts{}); !probe.Add(eval.Status(res.Status)) {
		// A status no agent of ours sends is not a pass.
		out.Status, out.Reason = string(eval.Error), fmt.Sprintf("the agent reported the status %q", res.Status)
	}
	out.Severity = reportSeverity(out.Severity)
	if res.Check != nil {
		out.Title, out.Rationale, out.Remediation, out.References = res.Check.Title, res.Check.Rationale, res.Check.Remediation, res.Check.References
		if out.Severity == "" {
			out.Severity = reportSeverity(string(res.Check.Severity))
		}
	}
	if out.Title == (policy.Text{}) {
		out.Title = policy.Text{En: res.CheckID, Zh: res.CheckID}
	}
	if e := res.Exception; e != nil {
		out.Exception = &report.Exception{Reason: e.Reason, ExpiresAt: e.ExpiresAt, CreatedBy: e.Author}
	}
	return out
}

// reportSeverity is a severity the report knows, or "" (unknown): the
// agents' items say what they like.
func reportSeverity(s string) string {
	switch policy.Severity(s) {
	case policy.Low, policy.Medium, policy.High, policy.Critical:
		return s
	}
	return ""
}

// fleetReportPolicies gathers the fleet's standing on a policy.
func fleetReportPolicies(ctx context.Context, cs *compliance.Service, policyID string) ([]report.Policy, error) {
	f := compliance.FleetFilter{PolicyID: policyID}
	sums, err := cs.Summaries(ctx, f)
	if err != nil {
		return nil, err
	}
	if len(sums) == 0 {
		return nil, nil
	}
	checks, err := cs.Checks(ctx, f)
	if err != nil {
		return nil, err
	}
	p := report.Policy{ID: policyID, Applicable: true}
	if e, ok := cs.Policy(policyID); ok {
		p.Name, p.Version = e.Policy.Meta.Name, e.Policy.Meta.Version
	}
	for _, sum := range sums {
		p.Hosts = append(p.Hosts, report.HostScore{AgentID: sum.AgentID, Hostname: sum.Hostname, Applicable: sum.Applicable,
			Counts: sum.Counts, Score: sum.Score, UpdatedAt: sum.UpdatedAt})
		if sum.Applicable {
			p.Counts.Merge(sum.Counts)
		}
		if sum.UpdatedAt.After(p.UpdatedAt) {
			p.UpdatedAt = sum.UpdatedAt
		}
	}
	p.Score = eval.Score(p.Counts)
	for _, c := range checks {
		cs := report.CheckStanding{CheckID: c.CheckID, Severity: reportSeverity(c.Severity), Hosts: c.Hosts}
		if c.Check != nil {
			cs.Title, cs.References = c.Check.Title, c.Check.References
			cs.Severity = reportSeverity(string(c.Check.Severity))
		}
		p.Checks = append(p.Checks, cs)
	}
	return []report.Policy{p}, nil
}
