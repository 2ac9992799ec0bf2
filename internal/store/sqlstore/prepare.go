package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
)

// chunked is a statement over a variable number of rows, prepared once per
// size of insertSizes.
type chunked map[int]*sql.Stmt

// preparedChunks returns the statement build(n) for every n of
// insertSizes, prepared once and remembered under name (see
// preparedStmts).
func (s *Store) preparedChunks(ctx context.Context, name string, build func(n int) string) (chunked, error) {
	return s.preparedStmts(ctx, name, func() map[int]string {
		queries := make(map[int]string, len(insertSizes))
		for _, n := range insertSizes {
			queries[n] = build(n)
		}
		return queries
	})
}

// preparedStmts returns the queries build returns, by key, prepared on the
// write handle once and remembered under name. They are prepared outside
// any transaction: SQLite's single write connection is busy during one.
// Within a transaction, tx.StmtContext reuses the statement prepared on
// the transaction's connection.
func (s *Store) preparedStmts(ctx context.Context, name string, build func() map[int]string) (map[int]*sql.Stmt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if stmts, ok := s.prepared[name]; ok {
		return stmts, nil
	}
	queries := build()
	stmts := make(map[int]*sql.Stmt, len(queries))
	for key, query := range queries {
		stmt, err := s.w.PrepareContext(ctx, s.sql(query))
		if err != nil {
			for _, st := range stmts {
				_ = st.Close()
			}
			return nil, fmt.Errorf("prepare %s: %w", name, err)
		}
		stmts[key] = stmt
	}
	if s.prepared == nil {
		s.prepared = map[string]map[int]*sql.Stmt{}
	}
	s.prepared[name] = stmts
	return stmts, nil
}

// eachChunk cuts total rows into chunkSizes and calls fn with the first
// row and the size of each chunk, stopping at the first error.
func eachChunk(total int, fn func(start, n int) error) error {
	start := 0
	for _, n := range chunkSizes(total) {
		if err := fn(start, n); err != nil {
			return err
		}
		start += n
	}
	return nil
}

// valuesList writes n groups of width placeholders: "(?, ?), (?, ?)".
func valuesList(n, width int) string {
	group := make([]byte, 0, 3*width)
	group = append(group, '(')
	for i := range width {
		if i > 0 {
			group = append(group, ", "...)
		}
		group = append(group, '?')
	}
	group = append(group, ')')
	out := make([]byte, 0, n*(len(group)+2))
	for i := range n {
		if i > 0 {
			out = append(out, ", "...)
		}
		out = append(out, group...)
	}
	return string(out)
}
