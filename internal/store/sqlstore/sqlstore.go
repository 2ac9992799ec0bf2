// Package sqlstore implements every interface of package store once, in SQL
// shared by SQLite and PostgreSQL. A small Dialect carries what differs
// (placeholders, row locks, migrations, error codes); store/sqlite and
// store/postgres open the database, pick the dialect and wrap this Store.
//
// Times are stored as integer microseconds since the Unix epoch (NULL for
// the zero time) and read back in UTC; maps and lists other than events are
// stored as JSON text.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"github.com/vigilsec/vigil/internal/store"
)

// Store implements store.Store over one or two database handles.
type Store struct {
	d       *Dialect
	w       *sql.DB // writes and read-modify-write transactions
	r       *sql.DB // plain reads; may be the same handle as w
	queries sync.Map

	mu       sync.Mutex
	inserts  map[int]*sql.Stmt            // event INSERTs by row count, prepared on w
	prepared map[string]map[int]*sql.Stmt // other chunked statements by name and row count
}

var _ store.Store = (*Store)(nil)

// New returns a Store that writes through write and reads through read (pass
// the same handle twice when the database has no single-writer limit). The
// schema must already be migrated (see Migrate). The Store owns both handles:
// Close closes them.
func New(d *Dialect, write, read *sql.DB) *Store {
	if read == nil {
		read = write
	}
	return &Store{d: d, w: write, r: read}
}

// Agents returns the agent store.
func (s *Store) Agents() store.AgentStore { return agentStore{s} }

// JoinTokens returns the join token store.
func (s *Store) JoinTokens() store.JoinTokenStore { return joinTokenStore{s} }

// Events returns the event store.
func (s *Store) Events() store.EventStore { return eventStore{s} }

// Alerts returns the alert store.
func (s *Store) Alerts() store.AlertStore { return alertStore{s} }

// Users returns the user store.
func (s *Store) Users() store.UserStore { return userStore{s} }

// APITokens returns the API token store.
func (s *Store) APITokens() store.APITokenStore { return apiTokenStore{s} }

// Audit returns the audit log.
func (s *Store) Audit() store.AuditStore { return auditStore{s} }

// AgentPolicies returns the agent policy store.
func (s *Store) AgentPolicies() store.AgentPolicyStore { return policyStore{s} }

// Inventory returns the inventory store.
func (s *Store) Inventory() store.InventoryStore { return inventoryStore{s} }

// Rules returns the store of imported rule files and rule settings.
func (s *Store) Rules() store.RuleStore { return ruleStore{s} }

// Exceptions returns the exception store.
func (s *Store) Exceptions() store.ExceptionStore { return exceptionStore{s} }

// Incidents returns the incident store.
func (s *Store) Incidents() store.IncidentStore { return incidentStore{s} }

// State returns the store of center services' state.
func (s *Store) State() store.StateStore { return stateStore{s} }

// Vulns returns the store of the vulnerability database, the findings and
// the word lists.
func (s *Store) Vulns() store.VulnStore { return vulnStore{s} }

// Compliance returns the store of uploaded compliance policies, their
// assignments and exceptions, and the hosts' score history.
func (s *Store) Compliance() store.ComplianceStore { return complianceStore{s} }

// NotifyChannels returns the store of the notification channels managed
// through the API.
func (s *Store) NotifyChannels() store.NotifyChannelStore { return notifyChannelStore{s} }

// Intel returns the store of the indicators of compromise.
func (s *Store) Intel() store.IntelStore { return intelStore{s} }

// Baselines returns the store of the behaviour baselines.
func (s *Store) Baselines() store.BaselineStore { return baselineStore{s} }

// Ping checks that both handles answer.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.w.PingContext(ctx); err != nil {
		return fmt.Errorf("%s: ping: %w", s.d.Name, err)
	}
	if s.r != s.w {
		if err := s.r.PingContext(ctx); err != nil {
			return fmt.Errorf("%s: ping readers: %w", s.d.Name, err)
		}
	}
	return nil
}

// Close closes the prepared statements and the database handles.
func (s *Store) Close() error {
	s.mu.Lock()
	var err error
	for _, stmt := range s.inserts {
		err = errors.Join(err, stmt.Close())
	}
	s.inserts = nil
	for _, stmts := range s.prepared {
		for _, stmt := range stmts {
			err = errors.Join(err, stmt.Close())
		}
	}
	s.prepared = nil
	s.mu.Unlock()
	err = errors.Join(err, s.w.Close())
	if s.r != s.w {
		err = errors.Join(err, s.r.Close())
	}
	return err
}

// sql returns query with its placeholders rewritten for the dialect,
// remembering the result: the set of query shapes is small and fixed.
func (s *Store) sql(query string) string {
	if !s.d.NumberedPlaceholders {
		return query
	}
	if q, ok := s.queries.Load(query); ok {
		return q.(string)
	}
	q := s.d.rebind(query)
	s.queries.Store(query, q)
	return q
}

// tx runs fn in a write transaction, committing when fn returns nil.
func (s *Store) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// exec runs a write statement and returns the number of rows it changed.
func (s *Store) exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := s.w.ExecContext(ctx, s.sql(query), args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// execOne runs a write statement that must change one row; ErrNotFound
// (wrapped with what) when it changed none.
func (s *Store) execOne(ctx context.Context, what, query string, args ...any) error {
	n, err := s.exec(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return nil
}

// rowScanner is what *sql.Row and *sql.Rows have in common.
type rowScanner interface {
	Scan(dest ...any) error
}

// notFound turns sql.ErrNoRows into store.ErrNotFound, wrapping with what.
func notFound(what string, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// queryList runs a listing query on the read handle and scans every row.
func queryList[T any](ctx context.Context, s *Store, query string, args []any, scan func(rowScanner) (T, error)) ([]T, error) {
	rows, err := s.r.QueryContext(ctx, s.sql(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
