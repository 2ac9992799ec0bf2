package sqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/postgres"
	"github.com/vigilsec/vigil/internal/store/sqlite"
	"github.com/vigilsec/vigil/internal/store/sqlstore"
)

// intelPlanCase is a listing of indicators or login profiles that must
// read one of indexes, in listing order unless few says that it selects
// few rows (one host's users), which may be sorted: a page costs the same
// however many rows are held. (Free text is matched by reading on until
// the page is full, in order or not: it has no case here.)
type intelPlanCase struct {
	name             string
	query            func(s *sqlstore.Store, after bool) (string, []any, error)
	sqlite, postgres []string // any of them
	few              bool
}

func indicatorPlan(f store.IndicatorFilter) func(s *sqlstore.Store, after bool) (string, []any, error) {
	return func(s *sqlstore.Store, after bool) (string, []any, error) { return s.IndicatorListSQL(f, after) }
}

func profilePlan(f store.LoginProfileFilter) func(s *sqlstore.Store, after bool) (string, []any, error) {
	return func(s *sqlstore.Store, after bool) (string, []any, error) { return s.LoginProfileListSQL(f, after) }
}

var intelPlanCases = []intelPlanCase{
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
		sqlite: []string{"sqlite_autoindex_login_profiles_1"}, postgres: []string{"login_profiles_pkey"}, few: true},
	{name: "login profiles of a user", query: profilePlan(store.LoginProfileFilter{User: "user-03"}),
		sqlite: []string{"login_profiles_user"}, postgres: []string{"login_profiles_user"}},
	{name: "login profile of an agent's user", query: profilePlan(store.LoginProfileFilter{AgentID: "agent-0007",
		User: "user-03"}), sqlite: []string{"sqlite_autoindex_login_profiles_1", "login_profiles_user"},
		postgres: []string{"login_profiles_pkey", "login_profiles_user"}, few: true},
}

func TestIntelPlanSQLite(t *testing.T) {
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "vigil.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tc := range intelPlanCases {
		for _, after := range []bool{false, true} {
			query, args, err := tc.query(s.Store, after)
			if err != nil {
				t.Fatal(err)
			}
			plan := queryPlan(t, s.ReadDB(), "EXPLAIN QUERY PLAN ", query, args)
			if !strings.Contains(plan, "USING INDEX ") || !usesIndex(plan, tc.sqlite) ||
				strings.Contains(plan, "TEMP B-TREE") && !tc.few {
				t.Errorf("%s (after a cursor: %v): plan\n%s\nwant a search of %v in order", tc.name, after, plan, tc.sqlite)
			}
		}
	}
}

func TestIntelPlanPostgres(t *testing.T) {
	dsn := os.Getenv("VIGIL_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("VIGIL_TEST_POSTGRES is not set")
	}
	ctx := t.Context()
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	schema := "vigil_plan_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal("VIGIL_TEST_POSTGRES is not a URL")
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	s, err := postgres.Open(ctx, u.String(), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Statistics of a large set: 120,000 indicators of the six types from
	// twenty feeds, a tenth of them expired, and the logins of twenty
	// users on each of 2,000 hosts.
	for _, q := range []string{
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
	} {
		if _, err := s.ReadDB().ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range intelPlanCases {
		for _, after := range []bool{false, true} {
			query, args, err := tc.query(s.Store, after)
			if err != nil {
				t.Fatal(err)
			}
			plan := queryPlan(t, s.ReadDB(), "EXPLAIN ", query, args)
			if !usesIndex(plan, tc.postgres) || strings.Contains(plan, "Seq Scan") || strings.Contains(plan, "Sort") && !tc.few {
				t.Errorf("%s (after a cursor: %v): plan\n%s\nwant a scan of %v in order", tc.name, after, plan, tc.postgres)
			}
		}
	}
}
