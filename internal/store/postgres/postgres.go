// Package postgres is Vigil's storage for centers that outgrow one machine:
// store.Store on PostgreSQL through jackc/pgx/v5 (its database/sql driver).
// Several centers may share one database; migrations take an advisory lock.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLockID is the advisory lock key held while migrating ("vigil"
// in ASCII), so that centers starting together migrate one at a time.
const migrationLockID = 0x766967696c

// Dialect is the PostgreSQL flavour of the shared SQL store.
var Dialect = &sqlstore.Dialect{
	Name:                 "postgres",
	NumberedPlaceholders: true,
	ForUpdate:            " FOR UPDATE",
	KeyLock:              "SELECT pg_advisory_xact_lock(?)",
	SharedKeyLock:        "SELECT pg_advisory_xact_lock_shared(?)",
	MigrationLock:        fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", migrationLockID),
	Migrations:           sqlstore.MigrationsIn(migrationFiles, "migrations"),
	IsUniqueViolation:    isUniqueViolation,
}

func isUniqueViolation(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23505"
}

// Options tune Open. The zero value is fine.
type Options struct {
	// MaxConns bounds the connection pool; default 10.
	MaxConns int
	// ConnMaxIdleTime closes connections idle that long; default 5m.
	ConnMaxIdleTime time.Duration
	// Logger receives migration messages; default none.
	Logger *slog.Logger
}

// Store is store.Store on PostgreSQL.
type Store struct {
	*sqlstore.Store
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at dsn (a postgres:// URL or key=value
// string; search_path may be given as a parameter) and migrates its schema
// to the latest version.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// The parse error can quote the DSN, password included.
		return nil, errors.New("postgres: invalid connection string")
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = 10
	}
	if opts.ConnMaxIdleTime <= 0 {
		opts.ConnMaxIdleTime = 5 * time.Minute
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(opts.MaxConns)
	db.SetMaxIdleConns(opts.MaxConns)
	db.SetConnMaxIdleTime(opts.ConnMaxIdleTime)
	target := fmt.Sprintf("%s:%d/%s", cfg.Host, cfg.Port, cfg.Database)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("postgres: connect %s: %w", target, err)
	}
	if _, err := sqlstore.Migrate(ctx, Dialect, db, opts.Logger); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("postgres: %s: %w", target, err)
	}
	return &Store{Store: sqlstore.New(Dialect, db, db)}, nil
}
