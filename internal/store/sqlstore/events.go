package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"github.com/vigilsec/vigil/internal/event"
)

type eventStore struct{ s *Store }

const (
	// eventCols are the columns Insert writes, in order.
	eventCols = 7
	// deleteChunk bounds the rows removed per statement by DeleteBefore so
	// that ingest is not held up behind one long delete.
	deleteChunk = 5000
)

// insertSizes are the row counts of the INSERT statements, largest first.
// A batch is cut greedily into these sizes, so that every statement is one
// of a few prepared once: compiling a 256-row INSERT costs as much as
// running it. 256 rows stay far below every parameter limit.
var insertSizes = []int{256, 64, 16, 4, 1}

// chunkSizes cuts n rows into insertSizes.
func chunkSizes(n int) []int {
	var out []int
	for _, size := range insertSizes {
		for ; n >= size; n -= size {
			out = append(out, size)
		}
	}
	return out
}

// chunk is the encoded arguments of one INSERT, or why encoding failed.
type chunk struct {
	args []any
	err  error
}

// encodeChunks validates and encodes events chunk by chunk into out, so
// that the database writes one chunk while the next is being encoded. It
// stops at the first invalid event, or when stop is closed.
func encodeChunks(events []event.Event, out chan<- chunk, stop <-chan struct{}) {
	defer close(out)
	start := 0
	buf := make([]byte, 0, 1024)
	for _, n := range chunkSizes(len(events)) {
		c := chunk{args: make([]any, eventCols*n)}
		for i := range n {
			var err error
			if buf, err = eventRow(events[start+i], c.args[i*eventCols:(i+1)*eventCols], buf); err != nil {
				c.err = fmt.Errorf("event %d: %w", start+i, err)
				break
			}
		}
		select {
		case out <- c:
		case <-stop:
			return
		}
		if c.err != nil {
			return
		}
		start += n
	}
}

// Insert validates and stores events in one transaction with multi-row
// INSERTs, skipping ids that are already stored. Nothing is stored when
// any event is invalid.
func (st eventStore) Insert(ctx context.Context, events []event.Event) (int, error) {
	if len(events) == 0 {
		return 0, nil
	}
	stmts, err := st.insertStmts(ctx)
	if err != nil {
		return 0, fmt.Errorf("insert events: %w", err)
	}
	chunks := make(chan chunk, 1)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { encodeChunks(events, chunks, stop) })
	// The encoder reads events: it must be gone before the caller gets
	// them back.
	defer wg.Wait()
	defer close(stop)

	first := <-chunks // validate the first chunk before taking the write lock
	if first.err != nil {
		return 0, fmt.Errorf("insert events: %w", first.err)
	}
	inserted := 0
	err = st.s.tx(ctx, func(tx *sql.Tx) error {
		for c, ok := first, true; ok; c, ok = <-chunks {
			if c.err != nil {
				return c.err
			}
			res, err := tx.StmtContext(ctx, stmts[len(c.args)/eventCols]).ExecContext(ctx, c.args...)
			if err != nil {
				return err
			}
			added, err := res.RowsAffected()
			if err != nil {
				return err
			}
			inserted += int(added)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("insert events: %w", err)
	}
	return inserted, nil
}

// insertStmts returns the INSERT statements of insertSizes by row count,
// prepared on the write handle. They are prepared outside any transaction:
// SQLite's single write connection is busy during one.
func (st eventStore) insertStmts(ctx context.Context) (map[int]*sql.Stmt, error) {
	st.s.mu.Lock()
	defer st.s.mu.Unlock()
	if st.s.inserts != nil {
		return st.s.inserts, nil
	}
	stmts := make(map[int]*sql.Stmt, len(insertSizes))
	for _, n := range insertSizes {
		stmt, err := st.s.w.PrepareContext(ctx, st.s.sql(insertSQL(n)))
		if err != nil {
			for _, s := range stmts {
				_ = s.Close()
			}
			return nil, fmt.Errorf("prepare insert: %w", err)
		}
		stmts[n] = stmt
	}
	st.s.inserts = stmts
	return stmts, nil
}

// Count returns the number of stored events.
func (st eventStore) Count(ctx context.Context) (int64, error) {
	var n int64
	if err := st.s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM events`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count events: %w", err)
	}
	return n, nil
}

// DeleteBefore removes events whose @timestamp is before t, a chunk per
// statement.
func (st eventStore) DeleteBefore(ctx context.Context, t time.Time) (int64, error) {
	n, err := st.s.deleteInChunks(ctx, `DELETE FROM events WHERE seq IN
		(SELECT seq FROM events WHERE ts < ? LIMIT ?)`, t.UnixMicro())
	if err != nil {
		return n, fmt.Errorf("delete events before %s: %w", t.UTC().Format(time.RFC3339), err)
	}
	return n, nil
}

// deleteInChunks runs a DELETE whose last argument is the number of rows
// it removes at most, deleteChunk, until it removes fewer, so that writers
// are not held up behind one long delete. It returns the rows removed.
func (s *Store) deleteInChunks(ctx context.Context, query string, args ...any) (int64, error) {
	args = append(args, deleteChunk)
	var total int64
	for {
		n, err := s.exec(ctx, query, args...)
		if err != nil {
			return total, err
		}
		total += n
		if n < deleteChunk {
			return total, nil
		}
	}
}
