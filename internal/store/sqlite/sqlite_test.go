package sqlite

import (
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlstore"
	"github.com/vigilsec/vigil/internal/store/storetest"
)

func openTemp(t testing.TB) *Store {
	t.Helper()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "vigil.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t) })
}

func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.db")
	s, err := Open(t.Context(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Events().Insert(t.Context(), []event.Event{storetest.ProcessEvent(0, "a1", time.Now())}); err != nil {
		t.Fatal(err)
	}
	if err := s.Users().Create(t.Context(), store.User{ID: "u1", Name: "ann", Role: store.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(t.Context(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Path() != path {
		t.Errorf("Path() = %q, want %q", s.Path(), path)
	}
	if n, err := s.Events().Count(t.Context()); err != nil || n != 1 {
		t.Fatalf("events after reopen: %d, %v", n, err)
	}
	if _, err := s.Users().GetByName(t.Context(), "ann"); err != nil {
		t.Fatalf("user after reopen: %v", err)
	}
	migs, err := sqlstore.LoadMigrations(Dialect.Migrations)
	if err != nil {
		t.Fatal(err)
	}
	applied, err := sqlstore.Migrate(t.Context(), Dialect, rawDB(t, path), nil)
	if err != nil || len(applied) != 0 {
		t.Fatalf("migrations re-applied: %v, %v", applied, err)
	}
	var rows int
	if err := rawDB(t, path).QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != len(migs) {
		t.Fatalf("schema_migrations has %d rows, want %d", rows, len(migs))
	}
}

// rawDB opens path without the store, for inspection.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", dsn(path, Options{BusyTimeout: time.Second}, true))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestSchemaTooNew(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.db")
	s, err := Open(t.Context(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db := rawDB(t, path)
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = Open(t.Context(), path, Options{})
	if !errors.Is(err, sqlstore.ErrSchemaTooNew) {
		t.Fatalf("Open on a newer schema: %v, want ErrSchemaTooNew", err)
	}
}

func TestFileModes(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "vigil.db")
	// A database left world-readable is tightened on open.
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s := must(Open(t.Context(), path, Options{}))(t)
	defer s.Close()
	if _, err := s.Audit().Append(t.Context(), store.AuditEntry{Actor: "system", Action: "test", Result: "ok"}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", filepath.Base(p), fi.Mode().Perm())
		}
	}
	var mode string
	if err := rawDB(t, path).QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode %q, %v", mode, err)
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(t.Context(), filepath.Join(t.TempDir(), "missing-dir", "vigil.db"), Options{}); err == nil {
		t.Fatal("Open in a missing directory succeeded")
	}
}

func must[T any](v T, err error) func(t *testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func BenchmarkAttach(b *testing.B) {
	storetest.BenchAttach(b, func(b *testing.B) store.Store { return openTemp(b) })
}

func BenchmarkInsert(b *testing.B) {
	storetest.BenchInsert(b, func(b *testing.B) store.Store { return openTemp(b) }, 1000)
}

func BenchmarkInventory(b *testing.B) {
	storetest.BenchInventory(b, func(b *testing.B) store.Store { return openTemp(b) }, nil, 2000, 1000)
}

func BenchmarkVulns(b *testing.B) {
	storetest.BenchVulns(b, func(b *testing.B) store.Store { return openTemp(b) }, nil, 50000, 1000, 100)
}
