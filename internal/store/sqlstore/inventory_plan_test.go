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

// planCases are listings that must read an index in listing order, so
// that a page costs the same on a fleet of any size.
var planCases = []struct {
	name    string
	f       store.AssetFilter
	indexes []string // any of them
}{
	{"kind and name across the fleet", store.AssetFilter{Kind: "package", Name: "P7"}, []string{"inventory_items_name"}},
	{"kind across the fleet", store.AssetFilter{Kind: "port"}, []string{"inventory_items_kind"}},
	{"one agent", store.AssetFilter{AgentID: "agent-0007"}, []string{"inventory_items_agent"}},
	{"one agent and kind", store.AssetFilter{AgentID: "agent-0007", Kind: "user"},
		[]string{"inventory_items_agent", "inventory_items_kind"}},
}

// usesIndex reports whether plan names one of indexes (followed by a
// space, as both databases write it).
func usesIndex(plan string, indexes []string) bool {
	for _, ix := range indexes {
		if strings.Contains(plan, " "+ix+" ") {
			return true
		}
	}
	return false
}

// explain returns the plan of the listing query of f.
func explain(t *testing.T, s *sqlstore.Store, prefix string, f store.AssetFilter, after bool) string {
	t.Helper()
	query, args := s.AssetListSQL(f, after)
	rows, err := s.ReadDB().QueryContext(t.Context(), prefix+query, args...)
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
		plan.WriteString(strings.TrimSpace(strings.Trim(strings.ReplaceAll(
			strings.Join(strings.Fields(strings.TrimSpace(toString(vals[len(vals)-1]))), " "), "\n", " "), " ")))
		plan.WriteString("\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan.String()
}

func toString(v any) string {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case string:
		return x
	}
	return ""
}

func TestInventoryPlanSQLite(t *testing.T) {
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "vigil.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tc := range planCases {
		for _, after := range []bool{false, true} {
			plan := explain(t, s.Store, "EXPLAIN QUERY PLAN ", tc.f, after)
			if !strings.Contains(plan, "USING INDEX ") || !usesIndex(plan, tc.indexes) || strings.Contains(plan, "TEMP B-TREE") {
				t.Errorf("%s (after a cursor: %v): plan\n%s\nwant a search of %v in order", tc.name, after, plan, tc.indexes)
			}
		}
	}
}

func TestInventoryPlanPostgres(t *testing.T) {
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
	// A fleet with statistics: 300 agents of 400 packages, 30 users, 20
	// ports and 50 services each.
	if _, err := s.ReadDB().ExecContext(ctx, `INSERT INTO inventory_items
		SELECT 'agent-' || lpad(a::text, 4, '0'), 'os/dpkg', k, 'p' || i || ':amd64', 'P' || i, 'p' || i, '1.0',
			NULL, 'p' || i, sha256(('p' || i)::bytea), 1, 1
		FROM generate_series(1, 300) a, generate_series(1, 500) i,
			LATERAL (SELECT CASE WHEN i <= 400 THEN 'package' WHEN i <= 430 THEN 'user'
				WHEN i <= 450 THEN 'port' ELSE 'service' END AS k) kinds`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReadDB().ExecContext(ctx, `ANALYZE inventory_items`); err != nil {
		t.Fatal(err)
	}
	for _, tc := range planCases {
		for _, after := range []bool{false, true} {
			plan := explain(t, s.Store, "EXPLAIN ", tc.f, after)
			if !usesIndex(plan, tc.indexes) || strings.Contains(plan, "Seq Scan") || strings.Contains(plan, "Sort") {
				t.Errorf("%s (after a cursor: %v): plan\n%s\nwant a scan of %v in order", tc.name, after, plan, tc.indexes)
			}
		}
	}
}
