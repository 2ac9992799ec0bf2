package notify

import (
	"path"
	"strings"
)

// Match reports whether m passes the filter.
func (f Filter) Match(m Message) bool {
	if f.MinSeverity != "" && severityRank(m.Severity) < severityRank(f.MinSeverity) {
		return false
	}
	if len(f.RuleIDs) > 0 && !f.matchRule(m.RuleID) {
		return false
	}
	if len(f.Techniques) > 0 && !f.matchTechniques(m.Techniques) {
		return false
	}
	return true
}

func (f Filter) matchRule(id string) bool {
	for _, pattern := range f.RuleIDs {
		if ok, err := path.Match(pattern, id); err == nil && ok {
			return true
		}
	}
	return false
}

// matchTechniques reports whether one of the techniques is wanted: equal
// to a wanted id, or a sub-technique of one.
func (f Filter) matchTechniques(have []string) bool {
	for _, want := range f.Techniques {
		for _, h := range have {
			h = strings.ToUpper(strings.TrimSpace(h))
			if h == want || strings.HasPrefix(h, want+".") {
				return true
			}
		}
	}
	return false
}
