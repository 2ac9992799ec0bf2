package sqlstore_test

import (
	"testing"

	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlstore"
)

// indicatorPlan and profilePlan are the listings of indicators and of
// login profiles of a filter.
var (
	indicatorPlan = listingPlan((*sqlstore.Store).IndicatorListSQL)
	profilePlan   = listingPlan((*sqlstore.Store).LoginProfileListSQL)
)

// intelPlans are the listings of indicators and login profiles, each of
// which must read one of its indexes in listing order unless sorted says
// that it selects few rows (one host's users), which may be sorted: a
// page costs the same however many rows are held. (Free text is matched
// by reading on until the page is full, in order or not: it has no case
// here.)
var intelPlans = planSuite{
	cases: []planCase{
		{name: "indicators", query: indicatorPlan(store.IndicatorFilter{}),
			sqlite: []string{"intel_indicators_key"}, postgres: []string{"intel_indicators_key"}},
		{name: "indicators with the expired", query: indicatorPlan(store.IndicatorFilter{Expired: true}),
			sqlite: []string{"intel_indicators_key"}, postgres: []string{"intel_indicators_key"}},
		{name: "indicators of a type", query: indicatorPlan(store.IndicatorFilter{Type: store.IndicatorDomain}),
			sqlite: []string{"intel_indicators_key"}, postgres: []string{"intel_indicators_key"}},
		{name: "indicators of a source", query: indicatorPlan(store.IndicatorFilter{Source: "feed-07"}),
			sqlite: []string{"intel_indicators_source"}, postgres: []string{"intel_indicators_source"}},
		{name: "indicators of a type and source", query: indicatorPlan(store.IndicatorFilter{Type: store.IndicatorIP,
			Source: "feed-07"}), sqlite: []string{"intel_indicators_source", "intel_indicators_key"},
			postgres: []string{"intel_indicators_source", "intel_indicators_key"}},
		{name: "login profiles", query: profilePlan(store.LoginProfileFilter{}),
			sqlite: []string{"sqlite_autoindex_login_profiles_1"}, postgres: []string{"login_profiles_pkey"}},
		{name: "login profiles of an agent", query: profilePlan(store.LoginProfileFilter{AgentID: "agent-0007"}),
			sqlite: []string{"sqlite_autoindex_login_profiles_1"}, postgres: []string{"login_profiles_pkey"}, sorted: true},
		{name: "login profiles of a user", query: profilePlan(store.LoginProfileFilter{User: "user-03"}),
			sqlite: []string{"login_profiles_user"}, postgres: []string{"login_profiles_user"}},
		{name: "login profile of an agent's user", query: profilePlan(store.LoginProfileFilter{AgentID: "agent-0007",
			User: "user-03"}), sqlite: []string{"sqlite_autoindex_login_profiles_1", "login_profiles_user"},
			postgres: []string{"login_profiles_pkey", "login_profiles_user"}, sorted: true},
	},
	// Statistics of a large set: 120,000 indicators of the six types from
	// twenty feeds, a tenth of them expired, and the logins of twenty
	// users on each of 2,000 hosts.
	fill: []string{
		`INSERT INTO intel_indicators (id, type, value, source, severity, confidence, created_at, updated_at, expires_at)
			SELECT md5(i::text), (ARRAY['ip','domain','url','md5','sha1','sha256'])[1 + i % 6],
				'10.' || (i / 65536) || '.' || (i / 256 % 256) || '.' || (i % 256), 'feed-' || lpad((i % 20)::text, 2, '0'),
				'high', 80, 1, 1, CASE WHEN i % 10 = 0 THEN 1 END
			FROM generate_series(1, 120000) i`,
		`INSERT INTO login_profiles (agent_id, user_name, first_seen, last_seen, logins, hours, sources, revision)
			SELECT 'agent-' || lpad(a::text, 4, '0'), 'user-' || lpad(u::text, 2, '0'), 1, 2, 3, '[]', '[]', 1
			FROM generate_series(1, 2000) a, generate_series(1, 20) u`,
		`ANALYZE intel_indicators`,
		`ANALYZE login_profiles`,
	},
	usingIndex: true,
}

func TestIntelPlanSQLite(t *testing.T) { intelPlans.checkSQLite(t) }

func TestIntelPlanPostgres(t *testing.T) { intelPlans.checkPostgres(t) }
