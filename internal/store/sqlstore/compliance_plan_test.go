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
)

// scorePlanCases are the listings of score history whose page costs the
// same however long the history, with the index each must read in
// listing order on SQLite and on PostgreSQL.
var scorePlanCases = []struct {
	name             string
	f                store.ComplianceScoreFilter
	sqlite, postgres string
}{
	{"the fleet's", store.ComplianceScoreFilter{}, "compliance_scores_at", "compliance_scores_at"},
	{"the fleet's since", store.ComplianceScoreFilter{Since: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)},
		"compliance_scores_at", "compliance_scores_at"},
	{"a host's", store.ComplianceScoreFilter{AgentID: "agent-0007"}, "compliance_scores_agent", "compliance_scores_agent"},
	{"a policy's", store.ComplianceScoreFilter{PolicyID: "policy-2"}, "compliance_scores_policy", "compliance_scores_policy"},
	{"a host's of a policy", store.ComplianceScoreFilter{AgentID: "agent-0007", PolicyID: "policy-2"},
		"sqlite_autoindex_compliance_scores_1", "compliance_scores_pkey"},
}

func TestScorePlanSQLite(t *testing.T) {
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "vigil.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tc := range scorePlanCases {
		for _, after := range []bool{false, true} {
			query, args, err := s.ScoreListSQL(tc.f, after)
			if err != nil {
				t.Fatal(err)
			}
			plan := queryPlan(t, s.ReadDB(), "EXPLAIN QUERY PLAN ", query, args)
			if !usesIndex(plan, []string{tc.sqlite}) || strings.Contains(plan, "TEMP B-TREE") {
				t.Errorf("%s (after a cursor: %v): plan\n%s\nwant a search of %s in order", tc.name, after, plan, tc.sqlite)
			}
		}
	}
}

func TestScorePlanPostgres(t *testing.T) {
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
	// A history with statistics: four months of 400 hosts' scores of five
	// policies, written each day at the host's own minute.
	for _, q := range []string{
		`INSERT INTO compliance_scores SELECT 'agent-' || lpad(a::text, 4, '0'), 'policy-' || p, 20000 + d,
			(20000 + d)::bigint * 86400000000 + a::bigint * 60000000, 90, 10, 0, 0, 3, 90
			FROM generate_series(1, 400) a, generate_series(1, 5) p, generate_series(1, 120) d`,
		`ANALYZE compliance_scores`,
	} {
		if _, err := s.ReadDB().ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range scorePlanCases {
		for _, after := range []bool{false, true} {
			query, args, err := s.ScoreListSQL(tc.f, after)
			if err != nil {
				t.Fatal(err)
			}
			plan := queryPlan(t, s.ReadDB(), "EXPLAIN ", query, args)
			if !usesIndex(plan, []string{tc.postgres}) || strings.Contains(plan, "Seq Scan") || strings.Contains(plan, "Sort") {
				t.Errorf("%s (after a cursor: %v): plan\n%s\nwant a scan of %s in order", tc.name, after, plan, tc.postgres)
			}
		}
	}
}
