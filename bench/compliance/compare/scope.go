package compare

import (
	"fmt"

	"github.com/vigilsec/vigil/internal/compliance/policy"
)

// ScopedPolicy derives from the CIS policy p one check per row whose
// scope is not the whole check: the rules Lynis covers, read as Lynis
// reads them (running sysctl values, loaded modules), with the check's
// applies_if and condition. Each derived check's id is the row's Key.
// Evaluating it with Vigil's evaluator gives the scoped Vigil verdict.
func ScopedPolicy(p *policy.Policy, rows []Row) (*policy.Policy, error) {
	out := &policy.Policy{Format: p.Format, Meta: p.Meta, Requirements: p.Requirements, Source: p.Source}
	out.Meta.ID = p.Meta.ID + "_lynis_scope"
	for i := range rows {
		r := &rows[i]
		if r.Scope.IsZero() {
			continue
		}
		c := p.Check(r.CheckID())
		if c == nil {
			return nil, fmt.Errorf("row %s: policy %s has no check %s", r.Key(), p.Meta.ID, r.CheckID())
		}
		d := *c
		d.ID = r.Key()
		rules, err := scopeRules(c.Rules, r.Scope)
		if err != nil {
			return nil, fmt.Errorf("row %s: %w", r.Key(), err)
		}
		d.Rules = rules
		out.Checks = append(out.Checks, d)
	}
	return out, nil
}

// scopeRules picks the scope's rules and rewrites them as Lynis reads.
// A scope that does not fit the check (an index out of range, Running
// without a sysctl rule, LoadedOnly without a module rule) is an error:
// the table and the policy have drifted apart.
func scopeRules(all []policy.Rule, s Scope) ([]policy.Rule, error) {
	var picked []policy.Rule
	if len(s.Rules) == 0 {
		picked = append(picked, all...)
	}
	for _, i := range s.Rules {
		if i < 0 || i >= len(all) {
			return nil, fmt.Errorf("rule %d: the check has %d rules", i, len(all))
		}
		picked = append(picked, all[i])
	}
	sysctls, modules := 0, 0
	for i := range picked {
		r := &picked[i]
		if s.Running && r.Sysctl != nil {
			c := *r.Sysctl
			c.Persistent = false
			r.Sysctl = &c
			sysctls++
		}
		if s.LoadedOnly && r.Module != nil {
			m := *r.Module
			if m.Loaded == nil {
				no := false
				m.Loaded = &no
			}
			m.Loadable = nil
			r.Module = &m
			modules++
		}
	}
	switch {
	case s.Running && sysctls == 0:
		return nil, fmt.Errorf("scope reads running sysctl values but the rules %v have no sysctl rule", s.Rules)
	case s.LoadedOnly && modules == 0:
		return nil, fmt.Errorf("scope reads loaded modules but the rules %v have no module rule", s.Rules)
	}
	return picked, nil
}
