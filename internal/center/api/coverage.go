package api

import (
	"net/http"
	"time"

	"github.com/vigilsec/vigil/internal/attack"
	"github.com/vigilsec/vigil/internal/center/api/apitypes"
	"github.com/vigilsec/vigil/internal/store"
)

// Bounds of the alerts the coverage counts.
const (
	// defaultCoverageSpan is how far back alerts are counted by default.
	defaultCoverageSpan = 30 * 24 * time.Hour
	// maxCoverageAlerts bounds the alerts read for one answer.
	maxCoverageAlerts = 100_000
)

// attackCoverage lays the enabled rules and the alerts raised since
// `since` (default 30 days ago) out on the ATT&CK matrix.
func (s *server) attackCoverage(w http.ResponseWriter, r *http.Request, c *call) error {
	rs, err := s.rules()
	if err != nil {
		return err
	}
	since, err := timeParam(r.URL.Query(), "since")
	if err != nil {
		return err
	}
	if since.IsZero() {
		since = s.now().UTC().Add(-defaultCoverageSpan)
	}
	res := apitypes.Coverage{Since: since}
	covered := map[string]int{}
	for _, rule := range rs.Rules {
		if rule.Disabled {
			continue
		}
		res.Rules++
		for _, t := range rule.Techniques {
			covered[t]++
		}
	}
	fired := map[string]int{}
	f := store.AlertFilter{Page: store.Page{Limit: store.MaxLimit}}
	for done := false; !done; {
		alerts, next, err := s.cfg.Store.Alerts().List(r.Context(), f)
		if err != nil {
			return storeError(err, "list alerts")
		}
		for _, a := range alerts {
			if a.CreatedAt.Before(since) {
				done = true
				break
			}
			if res.Alerts == maxCoverageAlerts {
				res.Truncated, done = true, true
				break
			}
			res.Alerts++
			for _, t := range a.Techniques {
				fired[t]++
			}
		}
		if next == "" {
			done = true
		}
		f.Cursor = next
	}
	res.Coverage = attack.Matrix(covered, fired)
	writeJSON(w, http.StatusOK, res)
	return nil
}
