package api

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/vigilsec/vigil/internal/center/api/apitypes"
	"github.com/vigilsec/vigil/internal/center/detect"
	"github.com/vigilsec/vigil/internal/detect/ruleset"
	"github.com/vigilsec/vigil/internal/store"
)

// Values of the rule filters.
var (
	ruleKinds    = []string{ruleset.KindDetection, ruleset.KindCorrelation, ruleset.KindFilter}
	ruleLevels   = []string{"informational", "low", "medium", "high", "critical"}
	ruleStatuses = []string{"stable", "test", "experimental", "deprecated", "unsupported"}
	ruleSources  = []string{detect.SourceBuiltin, detect.SourceImported}
	// techniqueID is an ATT&CK technique or sub-technique id.
	techniqueID = regexp.MustCompile(`^T[0-9]{4}(\.[0-9]{3})?$`)
)

// ruleFilter selects rules of the loaded set.
type ruleFilter struct {
	q, kind, level, status, source, technique string
	// disabled is "", "true" or "false".
	disabled string
}

// oneOf returns a 400 unless v is empty or one of allowed.
func oneOf(name, v string, allowed []string) error {
	if v != "" && !slices.Contains(allowed, v) {
		return errorf(http.StatusBadRequest, "%s %q: want %s", name, v, strings.Join(allowed, ", "))
	}
	return nil
}

func parseRuleFilter(q url.Values) (ruleFilter, error) {
	f := ruleFilter{
		kind: q.Get("kind"), level: q.Get("level"), status: q.Get("status"), source: q.Get("source"),
		technique: strings.ToUpper(q.Get("technique")), disabled: q.Get("disabled"),
	}
	var err error
	if f.q, err = textParam(q, "q"); err != nil {
		return f, err
	}
	f.q = strings.ToLower(f.q)
	for _, c := range []struct {
		name, v string
		allowed []string
	}{
		{"kind", f.kind, ruleKinds}, {"level", f.level, ruleLevels}, {"status", f.status, ruleStatuses},
		{"source", f.source, ruleSources}, {"disabled", f.disabled, []string{"true", "false"}},
	} {
		if err := oneOf(c.name, c.v, c.allowed); err != nil {
			return f, err
		}
	}
	if f.technique != "" && !techniqueID.MatchString(f.technique) {
		return f, errorf(http.StatusBadRequest, "technique %q: want an ATT&CK id such as T1059 or T1059.004", q.Get("technique"))
	}
	return f, nil
}

// match reports whether r passes the filter. A technique matches itself
// and, for a technique without a sub-technique, its sub-techniques.
func (f ruleFilter) match(r *ruleset.Rule) bool {
	switch {
	case f.kind != "" && r.Kind != f.kind,
		f.level != "" && r.Level != f.level,
		f.status != "" && r.Status != f.status,
		f.source != "" && r.Source != f.source,
		f.disabled != "" && r.Disabled != (f.disabled == "true"):
		return false
	}
	if f.technique != "" && !slices.ContainsFunc(r.Techniques, func(t string) bool {
		return t == f.technique || strings.HasPrefix(t, f.technique+".")
	}) {
		return false
	}
	if f.q == "" {
		return true
	}
	for _, s := range append([]string{r.ID, r.Title, r.Description}, r.Tags...) {
		if strings.Contains(strings.ToLower(s), f.q) {
			return true
		}
	}
	return false
}

// rulesPage returns the rules in use and the page a listing asks for.
func (s *server) rulesPage(r *http.Request) (*ruleset.RuleSet, store.Page, error) {
	rs, err := s.rules()
	if err != nil {
		return nil, store.Page{}, err
	}
	p, err := page(r.URL.Query())
	return rs, p, err
}

func (s *server) listRules(w http.ResponseWriter, r *http.Request, c *call) error {
	rs, p, err := s.rulesPage(r)
	if err != nil {
		return err
	}
	f, err := parseRuleFilter(r.URL.Query())
	if err != nil {
		return err
	}
	var matched []*ruleset.Rule
	for _, rule := range rs.Rules {
		if f.match(rule) {
			matched = append(matched, rule)
		}
	}
	items, next, err := offsetPage(matched, p)
	if err != nil {
		return err
	}
	settings, err := s.ruleSettings(r.Context())
	if err != nil {
		return err
	}
	views := make([]apitypes.Rule, len(items))
	for i, rule := range items {
		views[i] = viewRule(rule, settings[rule.ID])
	}
	writeList(w, views, next)
	return nil
}

// ruleByID returns the loaded rule named by the {id} path value.
func (s *server) ruleByID(r *http.Request) (*ruleset.Rule, error) {
	rs, err := s.rules()
	if err != nil {
		return nil, err
	}
	return findRule(rs, r.PathValue("id"))
}

func (s *server) getRule(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.answerRule(w, r, r.PathValue("id"))
}

func (s *server) ruleSource(w http.ResponseWriter, r *http.Request, c *call) error {
	rule, err := s.ruleByID(r)
	if err != nil {
		return err
	}
	text, err := s.cfg.Detection.RuleSource(rule)
	if err != nil {
		return storeError(err, "source of rule "+rule.ID)
	}
	w.Header().Set("Content-Type", "text/yaml; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(text)
	return nil
}

func (s *server) ruleProblems(w http.ResponseWriter, r *http.Request, c *call) error {
	rs, p, err := s.rulesPage(r)
	if err != nil {
		return err
	}
	problems, next, err := offsetPage(rs.Problems, p)
	if err != nil {
		return err
	}
	views := make([]apitypes.Problem, len(problems))
	for i, pr := range problems {
		views[i] = viewProblem(pr)
	}
	writeList(w, views, next)
	return nil
}

// severityValues are the severities a rule setting may choose.
var severityValues = []string{"", string(store.SeverityLow), string(store.SeverityMedium), string(store.SeverityHigh), string(store.SeverityCritical)}

func (s *server) putRuleSetting(w http.ResponseWriter, r *http.Request, c *call) error {
	c.target = r.PathValue("id")
	rule, err := s.ruleByID(r)
	if err != nil {
		return err
	}
	var body apitypes.RuleSetting
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	if !slices.Contains(severityValues, string(body.Severity)) {
		return errorf(http.StatusBadRequest, "severity %q: want low, medium, high, critical or empty (the rule's level)", body.Severity)
	}
	c.note("title", rule.Title)
	c.note("disabled", body.Disabled)
	c.note("severity", string(body.Severity))
	setting := store.RuleSetting{RuleID: rule.ID, Disabled: body.Disabled, Severity: body.Severity,
		Author: c.p.Actor(), UpdatedAt: s.now().UTC()}
	if err := s.cfg.Store.Rules().PutSetting(r.Context(), setting); err != nil {
		return storeError(err, "setting of rule "+rule.ID)
	}
	if err := s.cfg.Detection.ReloadRules(r.Context()); err != nil {
		return s.partial(err, "setting of rule %s saved, but reloading the rules failed; see the center's log", rule.ID)
	}
	return s.answerRule(w, r, rule.ID)
}

// answerRule writes the rule id of the rules in use.
func (s *server) answerRule(w http.ResponseWriter, r *http.Request, id string) error {
	rs, err := s.rules()
	if err != nil {
		return err
	}
	rule, err := findRule(rs, id)
	if err != nil {
		return err
	}
	settings, err := s.ruleSettings(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewRule(rule, settings[rule.ID]))
	return nil
}

func (s *server) deleteRuleSetting(w http.ResponseWriter, r *http.Request, c *call) error {
	c.target = r.PathValue("id")
	rule, err := s.ruleByID(r)
	if err != nil {
		return err
	}
	c.note("title", rule.Title)
	if err := s.cfg.Store.Rules().DeleteSetting(r.Context(), rule.ID); err != nil {
		return storeError(err, "setting of rule "+rule.ID)
	}
	if err := s.cfg.Detection.ReloadRules(r.Context()); err != nil {
		return s.partial(err, "setting of rule %s removed, but reloading the rules failed; see the center's log", rule.ID)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
