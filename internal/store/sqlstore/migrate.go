package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ErrSchemaTooNew is returned by Migrate when the database was migrated by a
// newer release than this one: running on it could lose data.
var ErrSchemaTooNew = errors.New("database schema is newer than this release knows")

// Migration is one schema version.
type Migration struct {
	Version int
	Name    string // file name, e.g. 0001_init.sql
	SQL     string
}

// LoadMigrations reads the NNNN_description.sql files at the root of fsys,
// sorted by version. Versions must run from 1 without gaps.
func LoadMigrations(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	var out []Migration
	for _, name := range names {
		num, _, ok := strings.Cut(path.Base(name), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %q: name is not NNNN_description.sql", name)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read migration %q: %w", name, err)
		}
		out = append(out, Migration{Version: v, Name: name, SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %q: expected version %d", m.Name, i+1)
		}
	}
	return out, nil
}

// Migrate brings the schema of db up to the dialect's latest migration.
// Each migration runs in its own transaction together with its row in
// schema_migrations, so a failed one leaves the previous version intact. It
// returns the versions it applied (none when the schema was current).
func Migrate(ctx context.Context, d *Dialect, db *sql.DB, log *slog.Logger) ([]int, error) {
	migs, err := LoadMigrations(d.Migrations)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var applied []int
	for {
		m, err := migrateStep(ctx, d, db, migs)
		if err != nil {
			return applied, err
		}
		if m == nil {
			return applied, nil
		}
		log.Info("schema migrated", "dialect", d.Name, "version", m.Version, "migration", m.Name)
		applied = append(applied, m.Version)
	}
}

// migrateStep applies the next pending migration, or returns nil when none
// is pending.
func migrateStep(ctx context.Context, d *Dialect, db *sql.DB, migs []Migration) (*Migration, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("migrate: begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if d.MigrationLock != "" {
		if _, err := tx.ExecContext(ctx, d.MigrationLock); err != nil {
			return nil, fmt.Errorf("migrate: lock: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		name TEXT NOT NULL,
		applied_at BIGINT NOT NULL)`); err != nil {
		return nil, fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return nil, fmt.Errorf("migrate: read version: %w", err)
	}
	switch {
	case current > len(migs):
		return nil, fmt.Errorf("%s schema version %d, this release knows %d: %w", d.Name, current, len(migs), ErrSchemaTooNew)
	case current == len(migs):
		return nil, tx.Commit()
	}
	m := migs[current]
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return nil, fmt.Errorf("migrate %s: %w", m.Name, err)
	}
	insert := d.rebind(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`)
	if _, err := tx.ExecContext(ctx, insert, m.Version, m.Name, time.Now().UnixMicro()); err != nil {
		return nil, fmt.Errorf("migrate %s: record: %w", m.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("migrate %s: commit: %w", m.Name, err)
	}
	return &m, nil
}

// MigrationsIn returns the embedded folder dir of fsys as a Dialect's
// Migrations. It panics when dir is missing: the embedded files are fixed
// at build time, so that is a programming error caught by any test.
func MigrationsIn(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(fmt.Sprintf("embedded migrations %q: %v", dir, err))
	}
	return sub
}
