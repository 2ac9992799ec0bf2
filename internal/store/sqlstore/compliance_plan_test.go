package sqlstore_test

import (
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlstore"
)

// scorePlan is the listing of score history of a filter.
var scorePlan = listingPlan((*sqlstore.Store).ScoreListSQL)

// scorePlans are the listings of score history whose page costs the same
// however long the history, with the index each must read in listing
// order on SQLite and on PostgreSQL.
var scorePlans = planSuite{
	cases: []planCase{
		{name: "the fleet's", query: scorePlan(store.ComplianceScoreFilter{}),
			sqlite: []string{"compliance_scores_at"}, postgres: []string{"compliance_scores_at"}},
		{name: "the fleet's since", query: scorePlan(store.ComplianceScoreFilter{Since: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}),
			sqlite: []string{"compliance_scores_at"}, postgres: []string{"compliance_scores_at"}},
		{name: "a host's", query: scorePlan(store.ComplianceScoreFilter{AgentID: "agent-0007"}),
			sqlite: []string{"compliance_scores_agent"}, postgres: []string{"compliance_scores_agent"}},
		{name: "a policy's", query: scorePlan(store.ComplianceScoreFilter{PolicyID: "policy-2"}),
			sqlite: []string{"compliance_scores_policy"}, postgres: []string{"compliance_scores_policy"}},
		{name: "a host's of a policy", query: scorePlan(store.ComplianceScoreFilter{AgentID: "agent-0007", PolicyID: "policy-2"}),
			sqlite: []string{"sqlite_autoindex_compliance_scores_1"}, postgres: []string{"compliance_scores_pkey"}},
	},
	// A history with statistics: four months of 400 hosts' scores of five
	// policies, written each day at the host's own minute.
	fill: []string{
		`INSERT INTO compliance_scores SELECT 'agent-' || lpad(a::text, 4, '0'), 'policy-' || p, 20000 + d,
			(20000 + d)::bigint * 86400000000 + a::bigint * 60000000, 90, 10, 0, 0, 3, 90
			FROM generate_series(1, 400) a, generate_series(1, 5) p, generate_series(1, 120) d`,
		`ANALYZE compliance_scores`,
	},
}

func TestScorePlanSQLite(t *testing.T) { scorePlans.checkSQLite(t) }

func TestScorePlanPostgres(t *testing.T) { scorePlans.checkPostgres(t) }
