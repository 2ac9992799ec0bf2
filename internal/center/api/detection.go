package api

import (
	"context"
	"encoding/base64"
	"net/http"
	"strconv"

	"github.com/vigilsec/vigil/internal/center/api/apitypes"
	"github.com/vigilsec/vigil/internal/center/detect"
	"github.com/vigilsec/vigil/internal/detect/ruleset"
	"github.com/vigilsec/vigil/internal/store"
)

// Detection is the center's detection service as the API uses it: the
// rules in use and the reloads after a change (detect.Service is one).
type Detection interface {
	// Rules returns the compiled rules in use.
	Rules() *ruleset.RuleSet
	// ReloadRules compiles the rules again, after an import, a deletion
	// or a setting changed.
	ReloadRules(ctx context.Context) error
	// ReloadExceptions reads the exceptions again, after one changed.
	ReloadExceptions(ctx context.Context) error
	// RuleSource returns the YAML text of the file a rule is in.
	RuleSource(r *ruleset.Rule) ([]byte, error)
}

// detection returns the detection service, or a 503 when detection is
// off.
func (s *server) detection() (Detection, error) {
	if s.cfg.Detection == nil {
		return nil, errorf(http.StatusServiceUnavailable, "detection is off on this center")
	}
	return s.cfg.Detection, nil
}

// rules returns the rules in use, or a 503 when detection is off or has
// not loaded any yet.
func (s *server) rules() (*ruleset.RuleSet, error) {
	d, err := s.detection()
	if err != nil {
		return nil, err
	}
	rs := d.Rules()
	if rs == nil {
		return nil, errorf(http.StatusServiceUnavailable, "detection has not loaded its rules yet")
	}
	return rs, nil
}

// findRule returns the loaded rule with id, or a 404.
func findRule(rs *ruleset.RuleSet, id string) (*ruleset.Rule, error) {
	if id != "" {
		for _, r := range rs.Rules {
			if r.ID == id {
				return r, nil
			}
		}
	}
	return nil, errorf(http.StatusNotFound, "rule %s not found", id)
}

// viewRule is a rule as the API shows it, with its setting when one is
// given.
func viewRule(r *ruleset.Rule, setting *store.RuleSetting) apitypes.Rule {
	return apitypes.Rule{
		ID: r.ID, Name: r.Name, Title: r.Title, Description: r.Description, Kind: r.Kind,
		Level: r.Level, Status: r.Status, Author: r.Author, Source: r.Source, File: r.File, Line: r.Line,
		Techniques: nonNil(r.Techniques), Tags: nonNil(r.Tags),
		FalsePositives: nonNil(r.FalsePositives), References: nonNil(r.References),
		Logsource: apitypes.Logsource{Product: r.Logsource.Product, Category: r.Logsource.Category, Service: r.Logsource.Service},
		Disabled:  r.Disabled, Alerts: r.Alerts, Correlated: r.Correlated,
		Filters: viewRefs(r.Filters), AppliesTo: viewRefs(r.AppliesTo), Suppressed: r.Suppressed(),
		Severity: detect.Severity(r.Level), Setting: setting,
	}
}

// viewRefs is a list of rule references as the API shows it.
func viewRefs(refs []ruleset.RuleRef) []apitypes.RuleRef {
	if len(refs) == 0 {
		return nil
	}
	out := make([]apitypes.RuleRef, len(refs))
	for i, r := range refs {
		out[i] = apitypes.RuleRef{ID: r.ID, Title: r.Title, File: r.File, Line: r.Line}
	}
	return out
}

// viewProblem is a problem as the API shows it.
func viewProblem(p ruleset.Problem) apitypes.Problem {
	return apitypes.Problem{Source: p.Source, File: p.File, Line: p.Line, RuleID: p.RuleID, Title: p.Title, Reason: p.Reason}
}

// nonNil returns l, or an empty list for nil, so that JSON shows [].
func nonNil[T any](l []T) []T {
	if l == nil {
		return []T{}
	}
	return l
}

// ruleSettings returns the operators' rule settings by rule id.
func (s *server) ruleSettings(ctx context.Context) (map[string]*store.RuleSetting, error) {
	list, err := s.cfg.Store.Rules().Settings(ctx)
	if err != nil {
		return nil, storeError(err, "rule settings")
	}
	out := make(map[string]*store.RuleSetting, len(list))
	for i := range list {
		out[list[i].RuleID] = &list[i]
	}
	return out, nil
}

// offsetPage pages a list held in memory: the cursor is the offset of
// the page's first item.
func offsetPage[T any](items []T, p store.Page) ([]T, string, error) {
	start := 0
	if p.Cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(p.Cursor)
		n, convErr := strconv.Atoi(string(b))
		if err != nil || convErr != nil || n < 0 || n > len(items) {
			return nil, "", errorf(http.StatusBadRequest, "cursor: not one this listing returned")
		}
		start = n
	}
	items = items[start:]
	next := ""
	if len(items) > p.Limit {
		items = items[:p.Limit]
		next = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(start + p.Limit)))
	}
	return items, next, nil
}
