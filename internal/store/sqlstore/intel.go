package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// intelStore keeps the indicators of compromise.
type intelStore struct{ s *Store }

// indicatorCols are the columns an indicator is read from.
const indicatorCols = `id, type, value, source, description, severity, confidence, tags, techniques, reference,
	created_at, updated_at, updated_by, expires_at, hits, last_hit_at`

// indicatorWidth is the number of columns an indicator is written with
// (indicatorRow.args).
const indicatorWidth = 18

// eachBatch is the number of rows Each and EachLoginProfile read per
// query.
const eachBatch = 1000

// hitsChunk is the number of indicators RecordHits updates per statement.
const hitsChunk = 256

// scanIndicator reads indicatorCols.
func scanIndicator(r rowScanner) (store.Indicator, error) {
	var in store.Indicator
	var typ string
	if err := r.Scan(&in.ID, &typ, &in.Value, &in.Source, &in.Description, &in.Severity, &in.Confidence,
		jsonCol{&in.Tags}, jsonCol{&in.Techniques}, &in.Reference, timeCol{&in.CreatedAt}, timeCol{&in.UpdatedAt},
		&in.UpdatedBy, timeCol{&in.ExpiresAt}, &in.Hits, timeCol{&in.LastHitAt}); err != nil {
		return store.Indicator{}, err
	}
	in.Type = store.IndicatorType(typ)
	in.Tags = listOrEmpty(in.Tags)
	in.Techniques = listOrEmpty(in.Techniques)
	return in, nil
}

// checkIndicatorType rejects a type that is not one of store.IndicatorTypes.
func checkIndicatorType(t store.IndicatorType) error {
	if !slices.Contains(store.IndicatorTypes, t) {
		return fmt.Errorf("%w: unknown indicator type %q", store.ErrInvalid, t)
	}
	return nil
}

// checkIndicator rejects an indicator the store does not hold: an
// unknown type, an empty value or source, an id that is not the one of
// its type, value and source, a severity other than low, medium, high and
// critical, a confidence outside 0 to 100, negative hits, or text no
// database holds.
func checkIndicator(in store.Indicator) error {
	if err := checkIndicatorType(in.Type); err != nil {
		return err
	}
	switch {
	case in.Value == "":
		return fmt.Errorf("%w: empty value", store.ErrInvalid)
	case in.Source == "":
		return fmt.Errorf("%w: empty source", store.ErrInvalid)
	case store.Severity(in.Severity).Rank() == 0:
		return fmt.Errorf("%w: severity %q is not low, medium, high or critical", store.ErrInvalid, in.Severity)
	case in.Confidence < 0 || in.Confidence > 100:
		return fmt.Errorf("%w: confidence %d is not between 0 and 100", store.ErrInvalid, in.Confidence)
	case in.Hits < 0:
		return fmt.Errorf("%w: negative hits %d", store.ErrInvalid, in.Hits)
	}
	if err := checkTexts([]textField{{"id", in.ID}, {"value", in.Value}, {"source", in.Source},
		{"description", in.Description}, {"reference", in.Reference}, {"updated_by", in.UpdatedBy}},
		map[string][]string{"tag": in.Tags, "technique": in.Techniques}); err != nil {
		return err
	}
	if want := store.IndicatorID(in.Type, in.Value, in.Source); in.ID != want {
		return fmt.Errorf("%w: id %q is not %q, the id of its type, value and source", store.ErrInvalid, in.ID, want)
	}
	return nil
}

// foldOrNull is the case-folded form of s as stored: NULL when s is its
// own fold, as most values (addresses, domains, hashes) are.
func foldOrNull(s string) any {
	if f := foldText(s); f != s {
		return f
	}
	return nil
}

// indicatorArgs are the values of the columns an indicator is written
// with, in the order of the upsert of indicatorStmts.
func indicatorArgs(in store.Indicator) ([]any, error) {
	tags, err := jsonText(listOrEmpty(in.Tags))
	if err != nil {
		return nil, fmt.Errorf("tags: %w", err)
	}
	techniques, err := jsonText(listOrEmpty(in.Techniques))
	if err != nil {
		return nil, fmt.Errorf("techniques: %w", err)
	}
	return []any{in.ID, string(in.Type), in.Value, in.Source, in.Description, in.Severity, in.Confidence, tags,
		techniques, in.Reference, foldOrNull(in.Value), foldOrNull(in.Description), in.CreatedAt.UnixMicro(),
		in.UpdatedAt.UnixMicro(), in.UpdatedBy, micros(in.ExpiresAt), in.Hits, micros(in.LastHitAt)}, nil
}

// indicatorStatements are the chunked statements of Put.
type indicatorStatements struct {
	held, upsert chunked
}

// indicatorStmts prepares (once) the statements of Put: the ids held
// among a chunk's, and the upsert that replaces everything of a held
// indicator but its creation and hits.
func (s *Store) indicatorStmts(ctx context.Context) (*indicatorStatements, error) {
	held, err := s.preparedChunks(ctx, "intel indicators held", func(n int) string {
		return `SELECT id FROM intel_indicators WHERE id IN ` + valuesList(1, n)
	})
	if err != nil {
		return nil, err
	}
	upsert, err := s.preparedChunks(ctx, "intel indicators upsert", func(n int) string {
		return `INSERT INTO intel_indicators (id, type, value, source, description, severity, confidence, tags,
			techniques, reference, value_fold, description_fold, created_at, updated_at, updated_by, expires_at,
			hits, last_hit_at) VALUES ` + valuesList(n, indicatorWidth) + `
			ON CONFLICT (id) DO UPDATE SET description = excluded.description, severity = excluded.severity,
				confidence = excluded.confidence, tags = excluded.tags, techniques = excluded.techniques,
				reference = excluded.reference, value_fold = excluded.value_fold,
				description_fold = excluded.description_fold, updated_at = excluded.updated_at,
				updated_by = excluded.updated_by, expires_at = excluded.expires_at`
	})
	if err != nil {
		return nil, err
	}
	return &indicatorStatements{held: held, upsert: upsert}, nil
}

// errUnchanged ends an intel write transaction that changed nothing: it
// is rolled back, the revision with it.
var errUnchanged = errors.New("unchanged")

// intelWrite runs fn in a write transaction that first adds one to the
// revision of the indicators. Taking the revision's row first orders the
// writers of indicators on PostgreSQL (SQLite serialises write
// transactions): a Put reads which ids are held after any write before it
// committed, and writers never wait for each other's rows in opposite
// orders. fn reports whether it changed anything; when it did not, the
// transaction is rolled back and the revision stays.
func (s *Store) intelWrite(ctx context.Context, fn func(tx *sql.Tx) (changed bool, err error)) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE intel_revision SET revision = revision + 1 WHERE id = 1`); err != nil {
			return fmt.Errorf("move revision: %w", err)
		}
		changed, err := fn(tx)
		switch {
		case err != nil:
			return err
		case !changed:
			return errUnchanged
		}
		return nil
	})
	if errors.Is(err, errUnchanged) {
		return nil
	}
	return err
}

// Put checks every indicator, then writes them in one transaction: the
// ids held among them are read, and each is upserted, by id. An id given
// more than once is written once, as given last with the creation and
// hits given first, and counted as updated after its first occurrence,
// so that the counts add up to len(ins). A zero CreatedAt of a new
// indicator is its UpdatedAt.
func (st intelStore) Put(ctx context.Context, ins []store.Indicator) (added, updated int, err error) {
	what := fmt.Sprintf("put %d indicators", len(ins))
	if len(ins) == 0 {
		return 0, 0, nil
	}
	now := time.Now()
	byID := make(map[string]store.Indicator, len(ins))
	ids := make([]string, 0, len(ins))
	repeats := 0
	for i, in := range ins {
		if err := checkIndicator(in); err != nil {
			return 0, 0, fmt.Errorf("%s: indicator %d (%s %q from %q): %w", what, i, in.Type, in.Value, in.Source, err)
		}
		if in.UpdatedAt.IsZero() {
			in.UpdatedAt = now
		}
		if in.CreatedAt.IsZero() {
			in.CreatedAt = in.UpdatedAt
		}
		if first, ok := byID[in.ID]; ok {
			in.CreatedAt, in.Hits, in.LastHitAt = first.CreatedAt, first.Hits, first.LastHitAt
			repeats++
		} else {
			ids = append(ids, in.ID)
		}
		byID[in.ID] = in
	}
	slices.Sort(ids)
	rows := make([][]any, len(ids))
	for i, id := range ids {
		args, err := indicatorArgs(byID[id])
		if err != nil {
			return 0, 0, fmt.Errorf("%s: indicator %q: %w", what, id, err)
		}
		rows[i] = args
	}
	stmts, err := st.s.indicatorStmts(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %w", what, err)
	}
	err = st.s.intelWrite(ctx, func(tx *sql.Tx) (bool, error) {
		held, err := countHeld(ctx, tx, stmts.held, ids)
		if err != nil {
			return false, fmt.Errorf("read held indicators: %w", err)
		}
		added, updated = len(ids)-held, held+repeats
		if err := insertRows(ctx, tx, stmts.upsert, rows); err != nil {
			return false, fmt.Errorf("write indicators: %w", err)
		}
		return true, nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %w", what, err)
	}
	return added, updated, nil
}

// countHeld returns how many of ids (distinct) the chunked statement
// held finds.
func countHeld(ctx context.Context, tx *sql.Tx, held chunked, ids []string) (int, error) {
	count := 0
	err := eachChunk(len(ids), func(start, n int) error {
		rows, err := tx.StmtContext(ctx, held[n]).QueryContext(ctx, stringArgs(ids[start:start+n])...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			count++
		}
		return rows.Err()
	})
	return count, err
}

// Get returns one indicator.
func (st intelStore) Get(ctx context.Context, id string) (store.Indicator, error) {
	what := fmt.Sprintf("get indicator %q", id)
	if !storable(id) {
		return store.Indicator{}, fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	in, err := scanIndicator(st.s.r.QueryRowContext(ctx, st.s.sql(`SELECT `+indicatorCols+
		` FROM intel_indicators WHERE id = ?`), id))
	if err != nil {
		return store.Indicator{}, notFound(what, err)
	}
	return in, nil
}

// indicatorCursor is the position of in in the listing.
func indicatorCursor(in store.Indicator) Cursor {
	return Cursor{Kind: kindIndicators, S: string(in.Type), T: in.Value, U: in.Source}
}

// List returns indicators by type, then value, then source; those that
// expired at f.At (zero: now) are left out unless f.Expired.
func (st intelStore) List(ctx context.Context, f store.IndicatorFilter) ([]store.Indicator, string, error) {
	const what = "list indicators"
	c, ok, err := DecodeCursor(f.Cursor, kindIndicators)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", what, err)
	}
	var after *Cursor
	if ok {
		after = &c
	}
	at := f.At
	if at.IsZero() {
		at = time.Now()
	}
	query, args, err := indicatorListSQL(f, after, at)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", what, err)
	}
	limit := limitOf(f.Limit)
	out, err := queryList(ctx, st.s, query+` LIMIT ?`, append(args, limit+1), scanIndicator)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", what, err)
	}
	out, next := pageOf(out, limit, indicatorCursor)
	return out, next, nil
}

// indicatorListSQL is the listing query of f at now without LIMIT,
// starting after the cursor when there is one. The columns the filter
// fixes are left out of the order, so that the index that starts with
// them serves the listing (intel_indicators_key for a type,
// intel_indicators_source for a source) and the cursor compares with it
// as one row.
func indicatorListSQL(f store.IndicatorFilter, after *Cursor, now time.Time) (string, []any, error) {
	if f.Type != "" {
		if err := checkIndicatorType(f.Type); err != nil {
			return "", nil, err
		}
	}
	if err := checkTexts([]textField{{"source", f.Source}, {"query", f.Q}}, nil); err != nil {
		return "", nil, err
	}
	var w where
	var order []string
	var key func(c *Cursor) []any
	switch {
	case f.Type != "" && f.Source != "":
		w.add("source = ? AND type = ?", f.Source, string(f.Type))
		order, key = []string{"value"}, func(c *Cursor) []any { return []any{c.T} }
	case f.Source != "":
		w.add("source = ?", f.Source)
		order, key = []string{"type", "value"}, func(c *Cursor) []any { return []any{c.S, c.T} }
	case f.Type != "":
		w.add("type = ?", string(f.Type))
		order, key = []string{"value", "source"}, func(c *Cursor) []any { return []any{c.T, c.U} }
	default:
		order, key = []string{"type", "value", "source"}, func(c *Cursor) []any { return []any{c.S, c.T, c.U} }
	}
	if f.Q != "" {
		p := containsPattern(f.Q)
		w.add(`(COALESCE(value_fold, value) LIKE ? ESCAPE '\' OR COALESCE(description_fold, description) LIKE ? ESCAPE '\')`,
			p, p)
	}
	if !f.Expired {
		w.add("(expires_at IS NULL OR expires_at > ?)", now.UnixMicro())
	}
	if after != nil {
		if err := checkCursorText(after.S, after.T, after.U); err != nil {
			return "", nil, err
		}
		w.add("("+strings.Join(order, ", ")+") > "+valuesList(1, len(order)), key(after)...)
	}
	return `SELECT ` + indicatorCols + ` FROM intel_indicators` + w.String() + ` ORDER BY ` +
		strings.Join(order, ", "), w.args, nil
}

// Delete removes one indicator.
func (st intelStore) Delete(ctx context.Context, id string) error {
	what := fmt.Sprintf("delete indicator %q", id)
	if !storable(id) {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	err := st.s.intelWrite(ctx, func(tx *sql.Tx) (bool, error) {
		res, err := tx.ExecContext(ctx, st.s.sql(`DELETE FROM intel_indicators WHERE id = ?`), id)
		if err != nil {
			return false, err
		}
		n, err := res.RowsAffected()
		switch {
		case err != nil:
			return false, err
		case n == 0:
			return false, store.ErrNotFound
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// DeleteSource removes every indicator of a source. ErrInvalid for an
// empty source; a source no database holds has none.
func (st intelStore) DeleteSource(ctx context.Context, source string) (int, error) {
	what := fmt.Sprintf("delete indicators of source %q", source)
	switch {
	case source == "":
		return 0, fmt.Errorf("%s: %w: empty source", what, store.ErrInvalid)
	case !storable(source):
		return 0, nil
	}
	var n int64
	err := st.s.intelWrite(ctx, func(tx *sql.Tx) (bool, error) {
		res, err := tx.ExecContext(ctx, st.s.sql(`DELETE FROM intel_indicators WHERE source = ?`), source)
		if err != nil {
			return false, err
		}
		n, err = res.RowsAffected()
		return n > 0, err
	})
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	return int(n), nil
}

// Each calls fn with the indicators that have not expired at at, by id,
// reading eachBatch of them per query in one snapshot; fn is called once
// a batch is read, with no query open.
func (st intelStore) Each(ctx context.Context, at time.Time, fn func(store.Indicator) error) error {
	const what = "each indicator"
	tx, err := st.s.r.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return fmt.Errorf("%s: begin: %w", what, err)
	}
	defer func() { _ = tx.Rollback() }()
	query := st.s.sql(`SELECT ` + indicatorCols + ` FROM intel_indicators
		WHERE id > ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY id LIMIT ?`)
	after := ""
	for {
		batch, err := txList(ctx, tx, query, []any{after, at.UnixMicro(), eachBatch}, scanIndicator)
		if err != nil {
			return fmt.Errorf("%s after %q: %w", what, after, err)
		}
		for _, in := range batch {
			if err := fn(in); err != nil {
				return err
			}
		}
		if len(batch) < eachBatch {
			return nil
		}
		after = batch[len(batch)-1].ID
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
}

// Revision returns the revision of the indicators.
func (st intelStore) Revision(ctx context.Context) (int64, error) {
	var rev int64
	if err := st.s.r.QueryRowContext(ctx, `SELECT revision FROM intel_revision WHERE id = 1`).Scan(&rev); err != nil {
		return 0, fmt.Errorf("intel revision: %w", err)
	}
	return rev, nil
}

// RecordHits adds the positive counts of hits to the indicators' hits, by
// id, in statements of hitsChunk indicators in one transaction, and moves
// their LastHitAt to at (now when zero) unless a later time is stored:
// centers flushing their counts out of order keep the latest. Ids that are
// not stored (or that no database holds) and zero counts are skipped;
// ErrInvalid for a negative count. On a database with row locks the
// transaction locks the revision's row first, as the writers of
// indicators do, without moving it: no writer waits for rows this one
// holds while holding rows it waits for.
func (st intelStore) RecordHits(ctx context.Context, hits map[string]int64, at time.Time) error {
	what := fmt.Sprintf("record hits of %d indicators", len(hits))
	ids := make([]string, 0, len(hits))
	for id, n := range hits {
		switch {
		case n < 0:
			return fmt.Errorf("%s: %w: negative count %d for %q", what, store.ErrInvalid, n, id)
		case n > 0 && storable(id):
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	sort.Strings(ids) // a fixed order of the rows' locks
	if at.IsZero() {
		at = time.Now()
	}
	last := at.UnixMicro()
	err := st.s.tx(ctx, func(tx *sql.Tx) error {
		if st.s.d.ForUpdate != "" {
			var rev int64
			err := tx.QueryRowContext(ctx, `SELECT revision FROM intel_revision WHERE id = 1`+st.s.d.ForUpdate).Scan(&rev)
			if err != nil {
				return fmt.Errorf("lock revision: %w", err)
			}
		}
		for start := 0; start < len(ids); start += hitsChunk {
			chunk := ids[start:min(start+hitsChunk, len(ids))]
			var q strings.Builder
			q.WriteString(`UPDATE intel_indicators SET hits = intel_indicators.hits + v.column2,
				last_hit_at = CASE WHEN intel_indicators.last_hit_at IS NULL OR intel_indicators.last_hit_at < ?
					THEN ? ELSE intel_indicators.last_hit_at END
				FROM (VALUES `)
			args := make([]any, 0, 2+2*len(chunk))
			args = append(args, last, last)
			for i, id := range chunk {
				if i == 0 {
					q.WriteString("(?, CAST(? AS BIGINT))")
				} else {
					q.WriteString(", (?, ?)")
				}
				args = append(args, id, hits[id])
			}
			q.WriteString(`) AS v WHERE intel_indicators.id = v.column1`)
			if _, err := tx.ExecContext(ctx, st.s.sql(q.String()), args...); err != nil {
				return fmt.Errorf("update %d indicators: %w", len(chunk), err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// Sources lists the sources by name with their number of indicators and
// the latest UpdatedAt among them.
func (st intelStore) Sources(ctx context.Context) ([]store.IntelSource, error) {
	out, err := queryList(ctx, st.s, `SELECT source, COUNT(*), MAX(updated_at) FROM intel_indicators
		GROUP BY source ORDER BY source`, nil, func(r rowScanner) (store.IntelSource, error) {
		var src store.IntelSource
		err := r.Scan(&src.Name, &src.Count, timeCol{&src.UpdatedAt})
		return src, err
	})
	if err != nil {
		return nil, fmt.Errorf("intel sources: %w", err)
	}
	return out, nil
}
