package postgres

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlstore"
	"github.com/vigilsec/vigil/internal/store/storetest"
)

// testDSN returns the database the tests run against, from
// VIGIL_TEST_POSTGRES. Without it the tests skip, unless
// VIGIL_REQUIRE_POSTGRES=1 makes that a failure (as in CI).
func testDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("VIGIL_TEST_POSTGRES")
	if dsn == "" {
		if os.Getenv("VIGIL_REQUIRE_POSTGRES") == "1" {
			t.Fatal("VIGIL_REQUIRE_POSTGRES=1 but VIGIL_TEST_POSTGRES is not set: " +
				"set it to a PostgreSQL URL, e.g. postgres://vigil:vigil@127.0.0.1:5432/vigil_test?sslmode=disable")
		}
		t.Skip("VIGIL_TEST_POSTGRES is not set")
	}
	return dsn
}

// freshSchema creates an empty schema for one test and returns a DSN whose
// connections use it. The schema is dropped when the test ends.
func freshSchema(t testing.TB) string {
	t.Helper()
	dsn := testDSN(t)
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("open admin connection: %v", err)
	}
	t.Cleanup(func() { admin.Close() })
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	schema := "vigil_test_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return withSearchPath(t, dsn, schema)
}

// withSearchPath adds search_path=schema to a URL or key=value DSN.
func withSearchPath(t testing.TB, dsn, schema string) string {
	t.Helper()
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatalf("VIGIL_TEST_POSTGRES is not a valid URL")
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " search_path=" + schema
}

func openFresh(t testing.TB) *Store {
	t.Helper()
	s, err := Open(t.Context(), freshSchema(t), Options{MaxConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openFresh(t) })
}

func TestMigrationsOnce(t *testing.T) {
	dsn := freshSchema(t)
	s, err := Open(t.Context(), dsn, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Events().Insert(t.Context(), []event.Event{storetest.ProcessEvent(1, "a1", time.Now())}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	// Several centers starting at once migrate one at a time.
	errs := make(chan error, 3)
	for range 3 {
		go func() {
			s, err := Open(t.Context(), dsn, Options{})
			if err == nil {
				err = s.Close()
			}
			errs <- err
		}()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	s, err = Open(t.Context(), dsn, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, err := s.Events().Count(t.Context()); err != nil || n != 1 {
		t.Fatalf("events after reopen: %d, %v", n, err)
	}
	db := rawDB(t, dsn)
	migs, err := sqlstore.LoadMigrations(Dialect.Migrations)
	if err != nil {
		t.Fatal(err)
	}
	var rows int
	if err := db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM schema_migrations`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != len(migs) {
		t.Fatalf("schema_migrations has %d rows, want %d", rows, len(migs))
	}
	if _, err := db.ExecContext(t.Context(), `INSERT INTO schema_migrations VALUES (9999, '9999_future.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(t.Context(), dsn, Options{}); !errors.Is(err, sqlstore.ErrSchemaTooNew) {
		t.Fatalf("Open on a newer schema: %v, want ErrSchemaTooNew", err)
	}
}

func rawDB(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestOpenErrors(t *testing.T) {
	for _, dsn := range []string{"postgres://u:secret@127.0.0.1:bad/x", "host=127.0.0.1 port=1 user=u password=secret connect_timeout=1"} {
		_, err := Open(t.Context(), dsn, Options{})
		if err == nil {
			t.Fatalf("Open(%q) succeeded", dsn)
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("error shows the password: %v", err)
		}
	}
}

func BenchmarkAttach(b *testing.B) {
	storetest.BenchAttach(b, func(b *testing.B) store.Store { return openFresh(b) })
}

func BenchmarkInsert(b *testing.B) {
	storetest.BenchInsert(b, func(b *testing.B) store.Store { return openFresh(b) }, 1000)
}

func BenchmarkInventory(b *testing.B) {
	var dsn string
	open := func(b *testing.B) store.Store {
		dsn = freshSchema(b)
		s, err := Open(b.Context(), dsn, Options{MaxConns: 8})
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
	// Statistics as autovacuum gathers them once a table has grown.
	settle := func(b *testing.B, _ store.Store) {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		if _, err := db.ExecContext(b.Context(), `ANALYZE inventory_items, inventory_sets, inventory_changes`); err != nil {
			b.Fatal(err)
		}
	}
	storetest.BenchInventory(b, open, settle, 2000, 1000)
}

func BenchmarkVulns(b *testing.B) {
	var dsn string
	open := func(b *testing.B) store.Store {
		dsn = freshSchema(b)
		s, err := Open(b.Context(), dsn, Options{MaxConns: 8})
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
	// Statistics as autovacuum gathers them once a table has grown.
	settle := func(b *testing.B, _ store.Store) {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		if _, err := db.ExecContext(b.Context(), `ANALYZE vuln_advisories, vuln_advisory_records,
			vuln_advisory_aliases, vuln_advisory_ecosystems, vuln_findings`); err != nil {
			b.Fatal(err)
		}
	}
	storetest.BenchVulns(b, open, settle, 50000, 1000, 100)
}
