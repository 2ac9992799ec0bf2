package sqlstore_test

import (
	"database/sql"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/store/sqlstore"
)

// listingQuery returns the query of a listing, rebound for the dialect of
// s, from the start or, when after is set, after a cursor.
type listingQuery func(s *sqlstore.Store, after bool) (string, []any, error)

// listingPlan turns sqlOf, a method that returns the query of a listing
// by filter, into the listing query of each filter.
func listingPlan[F any](sqlOf func(s *sqlstore.Store, f F, after bool) (string, []any, error)) func(F) listingQuery {
	return func(f F) listingQuery {
		return func(s *sqlstore.Store, after bool) (string, []any, error) { return sqlOf(s, f, after) }
	}
}

// planCase is a listing whose page must cost the same however many rows
// are held: its query must read one of the named indexes of each
// database, in listing order unless sorted says that the few rows it
// selects may be sorted.
type planCase struct {
	name             string
	query            listingQuery
	sqlite, postgres []string // any of them
	sorted           bool
}

// planSuite is the query-plan test of a store's listings on SQLite and
// on PostgreSQL.
type planSuite struct {
	cases []planCase
	// fill writes rows to PostgreSQL and analyzes them: its planner
	// chooses an index by the statistics of a large table.
	fill []string
	// usingIndex has every SQLite plan also read a table through an index
	// ("USING INDEX "), not from covering indexes alone.
	usingIndex bool
}

// checkSQLite checks the plans of the listings on a fresh SQLite file.
func (ps planSuite) checkSQLite(t *testing.T) {
	ps.eachPlan(t, openSQLite(t).Store, "EXPLAIN QUERY PLAN ", func(tc planCase, after bool, plan string) {
		if ps.usingIndex && !strings.Contains(plan, "USING INDEX ") || !usesIndex(plan, tc.sqlite) ||
			!tc.sorted && strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("%s (after a cursor: %v): plan\n%s\nwant a search of %v%s", tc.name, after, plan, tc.sqlite, inOrder(tc))
		}
	})
}

// checkPostgres checks the plans of the listings on a fresh PostgreSQL
// schema holding the rows of fill; without VIGIL_TEST_POSTGRES it skips.
func (ps planSuite) checkPostgres(t *testing.T) {
	s := openPostgres(t, "vigil_plan_")
	if s == nil {
		t.Skip("VIGIL_TEST_POSTGRES is not set")
	}
	for _, q := range ps.fill {
		if _, err := s.ReadDB().ExecContext(t.Context(), q); err != nil {
			t.Fatalf("fill: %v", err)
		}
	}
	ps.eachPlan(t, s.Store, "EXPLAIN ", func(tc planCase, after bool, plan string) {
		if !usesIndex(plan, tc.postgres) || strings.Contains(plan, "Seq Scan") ||
			!tc.sorted && strings.Contains(plan, "Sort") {
			t.Errorf("%s (after a cursor: %v): plan\n%s\nwant a scan of %v%s", tc.name, after, plan, tc.postgres, inOrder(tc))
		}
	})
}

// eachPlan explains each listing on s with the prefix explain, from the
// start and after a cursor, and hands its plan to check.
func (ps planSuite) eachPlan(t *testing.T, s *sqlstore.Store, explain string, check func(tc planCase, after bool, plan string)) {
	t.Helper()
	for _, tc := range ps.cases {
		for _, after := range []bool{false, true} {
			query, args, err := tc.query(s, after)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			check(tc, after, queryPlan(t, s.ReadDB(), explain, query, args))
		}
	}
}

// inOrder is what a failed case wants of the order its index is read in.
func inOrder(tc planCase) string {
	if tc.sorted {
		return ""
	}
	return " in order"
}

// usesIndex reports whether plan names one of indexes followed by a
// space, as both databases write it and queryPlan ends each step.
func usesIndex(plan string, indexes []string) bool {
	for _, ix := range indexes {
		if strings.Contains(plan, " "+ix+" ") {
			return true
		}
	}
	return false
}

// queryPlan returns the plan of query as the database explains it, one
// step a line, each followed by a space.
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
		plan.WriteString(strings.Join(strings.Fields(planText(vals[len(vals)-1])), " "))
		plan.WriteString(" \n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan.String()
}

// planText is the text of a plan's column as the driver scans it.
func planText(v any) string {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case string:
		return x
	}
	return ""
}
