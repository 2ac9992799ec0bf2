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

// vulnPlanCase is a listing of the vulnerability store that must read
// one of indexes, in listing order unless sorted says the few rows it
// selects may be sorted.
type vulnPlanCase struct {
	name    string
	query   func(s *sqlstore.Store, after bool) (string, []any, error)
	indexes []string // any of them
	sorted  bool
}

func advisoryPlan(f store.AdvisoryFilter) func(s *sqlstore.Store, after bool) (string, []any, error) {
	return func(s *sqlstore.Store, after bool) (string, []any, error) { return s.AdvisoryListSQL(f, after) }
}

func findingPlan(f store.VulnFindingFilter) func(s *sqlstore.Store, after bool) (string, []any, error) {
	return func(s *sqlstore.Store, after bool) (string, []any, error) { return s.FindingListSQL(f, after) }
}

// vulnPlanCases are the listings whose page costs the same on a database
// of any size, with the indexes of SQLite and of PostgreSQL.
var vulnPlanCases = []struct {
	vulnPlanCase
	pgIndexes []string
}{
	{vulnPlanCase{"advisories", advisoryPlan(store.AdvisoryFilter{}),
		[]string{"sqlite_autoindex_vuln_advisories_1"}, false}, []string{"vuln_advisories_pkey"}},
	{vulnPlanCase{"advisories of an ecosystem", advisoryPlan(store.AdvisoryFilter{Ecosystem: "Debian:12"}),
		[]string{"vuln_advisory_ecosystems_ecosystem"}, false},
		[]string{"vuln_advisory_ecosystems_ecosystem", "vuln_advisory_ecosystems_pkey"}},
	{vulnPlanCase{"advisories of a source", advisoryPlan(store.AdvisoryFilter{Source: "GitHub"}),
		[]string{"vuln_advisories_source"}, false}, []string{"vuln_advisories_source", "vuln_advisories_pkey"}},
	{vulnPlanCase{"advisories of an id or alias", advisoryPlan(store.AdvisoryFilter{ID: "CVE-2024-7"}),
		[]string{"vuln_advisory_aliases_alias"}, true}, []string{"vuln_advisory_aliases_alias"}},
	{vulnPlanCase{"findings", findingPlan(store.VulnFindingFilter{}),
		[]string{"vuln_findings_order"}, false}, []string{"vuln_findings_order"}},
	{vulnPlanCase{"findings of severities", findingPlan(store.VulnFindingFilter{Severities: []string{"critical", "high"}}),
		[]string{"vuln_findings_order"}, false}, []string{"vuln_findings_order"}},
	{vulnPlanCase{"findings of an agent", findingPlan(store.VulnFindingFilter{AgentID: "agent-0007"}),
		[]string{"sqlite_autoindex_vuln_findings_1"}, true}, []string{"vuln_findings_pkey"}},
	{vulnPlanCase{"findings of a vulnerability", findingPlan(store.VulnFindingFilter{VulnID: "CVE-2024-00007"}),
		[]string{"vuln_findings_vuln"}, true}, []string{"vuln_findings_vuln"}},
}

// queryPlan returns the plan of query as the database explains it, one
// step a line.
func queryPlan(t *testing.T, db *sql.DB, prefix, query string, args []any) string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), prefix+query, args...)
	if err != nil {
		t.Fatalf("explain %s: %v", query, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var plan strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(strings.Join(strings.Fields(toString(vals[len(vals)-1])), " "))
		plan.WriteString(" \n") // usesIndex looks for a name followed by a space
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan.String()
}

// TestVulnSummaryPlanSQLite checks that the aggregate of the fleet's
// vulnerabilities reads only an index, not the findings' rows.
func TestVulnSummaryPlanSQLite(t *testing.T) {
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "vigil.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, after := range []bool{false, true} {
		query, args, err := s.VulnSummarySQL(store.VulnFindingFilter{}, after)
		if err != nil {
			t.Fatal(err)
		}
		plan := queryPlan(t, s.ReadDB(), "EXPLAIN QUERY PLAN ", query, args)
		if !strings.Contains(plan, "USING COVERING INDEX vuln_findings_vuln ") {
			t.Errorf("summaries (after a cursor: %v): plan\n%s\nwant a scan of the covering index vuln_findings_vuln", after, plan)
		}
	}
}

func TestVulnPlanSQLite(t *testing.T) {
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "vigil.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tc := range vulnPlanCases {
		for _, after := range []bool{false, true} {
			query, args, err := tc.query(s.Store, after)
			if err != nil {
				t.Fatal(err)
			}
			plan := queryPlan(t, s.ReadDB(), "EXPLAIN QUERY PLAN ", query, args)
			if !usesIndex(plan, tc.indexes) || !tc.sorted && strings.Contains(plan, "TEMP B-TREE") {
				t.Errorf("%s (after a cursor: %v): plan\n%s\nwant a search of %v", tc.name, after, plan, tc.indexes)
			}
		}
	}
}

func TestVulnPlanPostgres(t *testing.T) {
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
	// A database with statistics: 50,000 advisories of two sources and
	// ecosystems, a fleet of 1,000 agents of 100 findings each.
	for _, q := range []string{
		`INSERT INTO vuln_advisories SELECT 'DEBIAN-CVE-2024-' || lpad(i::text, 5, '0'),
			CASE WHEN i % 3 = 0 THEN 'GitHub' ELSE 'Debian' END, 1, NULL, NULL, 'high', 7.5, 's', '[]', '[]', '[]',
			's', '\x00' FROM generate_series(1, 50000) i`,
		`INSERT INTO vuln_advisory_aliases SELECT 'DEBIAN-CVE-2024-' || lpad(i::text, 5, '0'), 'CVE-2024-' || i
			FROM generate_series(1, 50000) i`,
		`INSERT INTO vuln_advisory_ecosystems SELECT 'DEBIAN-CVE-2024-' || lpad(i::text, 5, '0'),
			CASE WHEN i % 3 = 0 THEN 'npm' ELSE 'Debian:12' END FROM generate_series(1, 50000) i`,
		`INSERT INTO vuln_findings SELECT 'agent-' || lpad(a::text, 4, '0'), 'lib' || j || ':amd64',
			'CVE-2024-' || lpad(((a * 37 + j * 101) % 2000)::text, 5, '0'), 'package', '[]', '[]', 'Debian:12',
			'lib' || j, '1', '', '', 'high', (a + j) % 6, (j % 100) / 10.0, -(j % 100) / 10.0, j % 50 = 0, 's',
			j % 5 = 0, false, 1, 's', '\x00' FROM generate_series(1, 1000) a, generate_series(1, 100) j`,
		`INSERT INTO vuln_finding_sets SELECT 'agent-' || lpad(a::text, 4, '0'), 1 FROM generate_series(1, 1000) a`,
		`ANALYZE vuln_advisories, vuln_advisory_aliases, vuln_advisory_ecosystems, vuln_findings, vuln_finding_sets`,
	} {
		if _, err := s.ReadDB().ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range vulnPlanCases {
		for _, after := range []bool{false, true} {
			query, args, err := tc.query(s.Store, after)
			if err != nil {
				t.Fatal(err)
			}
			plan := queryPlan(t, s.ReadDB(), "EXPLAIN ", query, args)
			if !usesIndex(plan, tc.pgIndexes) || strings.Contains(plan, "Seq Scan") ||
				!tc.sorted && strings.Contains(plan, "Sort") {
				t.Errorf("%s (after a cursor: %v): plan\n%s\nwant a scan of %v", tc.name, after, plan, tc.pgIndexes)
			}
		}
	}
}
