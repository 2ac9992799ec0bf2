// Package sqlite is Vigil's embedded storage: store.Store on one SQLite file
// through the pure-Go modernc.org/sqlite driver. The database runs in WAL
// mode with one writer connection (SQLite admits one writer at a time, and
// queueing writers in Go is cheaper than SQLITE_BUSY retries) and a pool of
// read-only connections that read alongside it.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"runtime"
	"time"

	sqlitedriver "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Dialect is the SQLite flavour of the shared SQL store.
var Dialect = &sqlstore.Dialect{
	Name:              "sqlite",
	Migrations:        sqlstore.MigrationsIn(migrationFiles, "migrations"),
	IsUniqueViolation: isUniqueViolation,
}

func isUniqueViolation(err error) bool {
	var e *sqlitedriver.Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// Options tune Open. The zero value is fine.
type Options struct {
	// BusyTimeout is how long a connection waits for a lock held by another
	// process before failing; default 5s.
	BusyTimeout time.Duration
	// ReadConns is the size of the read pool; default max(4, GOMAXPROCS).
	ReadConns int
	// Logger receives migration messages; default none.
	Logger *slog.Logger
}

// Store is store.Store on a SQLite file.
type Store struct {
	*sqlstore.Store
	path string
}

var _ store.Store = (*Store)(nil)

// Path returns the database file.
func (s *Store) Path() string { return s.path }

// Open opens (creating it with mode 0600 when absent) the database at path
// and migrates its schema to the latest version.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	if err := restrictFiles(abs); err != nil {
		return nil, err
	}
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = 5 * time.Second
	}
	if opts.ReadConns <= 0 {
		opts.ReadConns = max(4, runtime.GOMAXPROCS(0))
	}
	w, err := sql.Open("sqlite", dsn(abs, opts, true))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	if _, err := sqlstore.Migrate(ctx, Dialect, w, opts.Logger); err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("sqlite: %s: %w", abs, err)
	}
	r, err := sql.Open("sqlite", dsn(abs, opts, false))
	if err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}
	r.SetMaxOpenConns(opts.ReadConns)
	r.SetMaxIdleConns(opts.ReadConns)
	s := &Store{Store: sqlstore.New(Dialect, w, r), path: abs}
	if err := s.Ping(ctx); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("sqlite: %s: %w", abs, err)
	}
	return s, nil
}

// dsn builds the driver's connection string: a file: URI (so that any path
// is safe) with the pragmas every connection runs first.
func dsn(path string, opts Options, writer bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", opts.BusyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "temp_store(MEMORY)")
	if writer {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "cache_size(-32768)") // 32 MiB
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(1)")
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}
