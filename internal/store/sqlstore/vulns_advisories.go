package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/vigilsec/vigil/internal/store"
)

// scanBatch is the number of advisories ScanAdvisories reads per query.
const scanBatch = 256

// advisoryCols are the columns of an advisory without its record, from
// the table aliased a.
const advisoryCols = `a.id, a.source, a.modified, a.published, a.withdrawn, a.severity, a.score, a.summary,
	a.aliases, a.ecosystems, a.packages`

// recordCol is the compressed record of the advisory a, looked up by id
// (a join would let PostgreSQL merge the records from their first).
const recordCol = `(SELECT r.record FROM vuln_advisory_records r WHERE r.id = a.id)`

// advisoryWidth is the number of columns an advisory is inserted with.
const advisoryWidth = 13

// scanAdvisory reads advisoryCols and, with withRecord, the compressed
// record after them.
func scanAdvisory(r rowScanner, withRecord bool) (store.Advisory, error) {
	var a store.Advisory
	dest := []any{&a.ID, &a.Source, timeCol{&a.Modified}, timeCol{&a.Published}, timeCol{&a.Withdrawn},
		&a.Severity, &a.Score, &a.Summary, jsonCol{&a.Aliases}, jsonCol{&a.Ecosystems}, jsonCol{&a.Packages}}
	var record []byte
	if withRecord {
		dest = append(dest, &record)
	}
	if err := r.Scan(dest...); err != nil {
		return store.Advisory{}, err
	}
	a.Aliases = listOrEmpty(a.Aliases)
	a.Ecosystems = listOrEmpty(a.Ecosystems)
	a.Packages = listOrEmpty(a.Packages)
	if withRecord {
		doc, err := decompressBlob(record)
		if err != nil {
			return store.Advisory{}, fmt.Errorf("record of advisory %q: %w", a.ID, err)
		}
		if doc != nil {
			a.Record = json.RawMessage(doc)
		}
	}
	return a, nil
}

// advisoryRow is an advisory checked and encoded for its rows.
type advisoryRow struct {
	a                         store.Advisory
	modified                  int64
	sum                       [32]byte // of the record
	aliases, ecosystems, pkgs string   // JSON lists
	aliasKeys, ecosystemKeys  []string // the lookup rows
}

// advisoryRowOf checks a and encodes it; the error names what is wrong.
func advisoryRowOf(a store.Advisory) (advisoryRow, error) {
	switch {
	case a.ID == "":
		return advisoryRow{}, fmt.Errorf("%w: empty id", store.ErrInvalid)
	case a.Modified.IsZero():
		return advisoryRow{}, fmt.Errorf("%w: advisory %q has no modification time", store.ErrInvalid, a.ID)
	}
	sev, _, err := vulnSeverity(a.Severity)
	if err != nil {
		return advisoryRow{}, fmt.Errorf("advisory %q: %w", a.ID, err)
	}
	a.Severity = sev
	if err := checkScore(a.Score); err != nil {
		return advisoryRow{}, fmt.Errorf("advisory %q: %w", a.ID, err)
	}
	if err := checkTexts([]textField{{"id", a.ID}, {"source", a.Source}, {"summary", a.Summary}},
		map[string][]string{"alias": a.Aliases, "ecosystem": a.Ecosystems, "package": a.Packages}); err != nil {
		return advisoryRow{}, fmt.Errorf("advisory %q: %w", a.ID, err)
	}
	if len(a.Record) > 0 && !json.Valid(a.Record) {
		return advisoryRow{}, fmt.Errorf("advisory %q: %w: record is not JSON", a.ID, store.ErrInvalid)
	}
	r := advisoryRow{a: a, modified: a.Modified.UnixMicro(), sum: sha256.Sum256(a.Record),
		aliasKeys: distinctNonEmpty(a.Aliases), ecosystemKeys: distinctNonEmpty(a.Ecosystems)}
	for _, l := range []struct {
		dst *string
		v   []string
	}{{&r.aliases, a.Aliases}, {&r.ecosystems, a.Ecosystems}, {&r.pkgs, a.Packages}} {
		if *l.dst, err = jsonText(listOrEmpty(l.v)); err != nil {
			return advisoryRow{}, fmt.Errorf("advisory %q: %w", a.ID, err)
		}
	}
	return r, nil
}

// search is the case-folded text AdvisoryFilter.Q is matched against.
func (r *advisoryRow) search() string {
	var b strings.Builder
	b.WriteString(r.a.ID)
	for _, l := range [][]string{r.a.Aliases, {r.a.Summary}, r.a.Packages} {
		for _, v := range l {
			b.WriteByte('\n')
			b.WriteString(v)
		}
	}
	return foldText(b.String())
}

// args are the values of the columns an advisory is inserted with.
func (r *advisoryRow) args() []any {
	a := r.a
	return []any{a.ID, a.Source, r.modified, micros(a.Published), micros(a.Withdrawn), a.Severity, a.Score,
		a.Summary, r.aliases, r.ecosystems, r.pkgs, r.search(), r.sum[:]}
}

// advisoryStatements are the chunked statements of PutAdvisories.
type advisoryStatements struct {
	held                                         chunked
	insert, insertRecord, insertAlias, insertEco chunked
	deletes                                      []chunked
}

// advisoryStmts prepares (once) the statements of PutAdvisories.
func (s *Store) advisoryStmts(ctx context.Context) (*advisoryStatements, error) {
	var out advisoryStatements
	deletes := make([]chunked, 4)
	for _, p := range []struct {
		dst   *chunked
		name  string
		build func(n int) string
	}{
		{&out.held, "vuln advisories held", func(n int) string {
			return `SELECT id, modified, record_sum FROM vuln_advisories WHERE id IN ` + valuesList(1, n)
		}},
		{&out.insert, "vuln advisories insert", func(n int) string {
			return `INSERT INTO vuln_advisories (id, source, modified, published, withdrawn, severity, score,
				summary, aliases, ecosystems, packages, search, record_sum) VALUES ` + valuesList(n, advisoryWidth)
		}},
		{&out.insertRecord, "vuln advisory records insert", func(n int) string {
			return `INSERT INTO vuln_advisory_records (id, record) VALUES ` + valuesList(n, 2)
		}},
		{&out.insertAlias, "vuln advisory aliases insert", func(n int) string {
			return `INSERT INTO vuln_advisory_aliases (advisory_id, alias) VALUES ` + valuesList(n, 2)
		}},
		{&out.insertEco, "vuln advisory ecosystems insert", func(n int) string {
			return `INSERT INTO vuln_advisory_ecosystems (advisory_id, ecosystem) VALUES ` + valuesList(n, 2)
		}},
		{&deletes[0], "vuln advisories delete", func(n int) string {
			return `DELETE FROM vuln_advisories WHERE id IN ` + valuesList(1, n)
		}},
		{&deletes[1], "vuln advisory records delete", func(n int) string {
			return `DELETE FROM vuln_advisory_records WHERE id IN ` + valuesList(1, n)
		}},
		{&deletes[2], "vuln advisory aliases delete", func(n int) string {
			return `DELETE FROM vuln_advisory_aliases WHERE advisory_id IN ` + valuesList(1, n)
		}},
		{&deletes[3], "vuln advisory ecosystems delete", func(n int) string {
			return `DELETE FROM vuln_advisory_ecosystems WHERE advisory_id IN ` + valuesList(1, n)
		}},
	} {
		stmts, err := s.preparedChunks(ctx, p.name, p.build)
		if err != nil {
			return nil, err
		}
		*p.dst = stmts
	}
	out.deletes = deletes
	return &out, nil
}

// heldAdvisory is what PutAdvisories compares an advisory with.
type heldAdvisory struct {
	modified int64
	sum      [32]byte
}

// PutAdvisories stores advisories in one transaction (under the
// advisories' lock on PostgreSQL). It reads the modification time and
// record digest of the ids held, then writes only the advisories that
// are new or replace an older version: their old rows are deleted and
// every row is inserted in chunks, by id. An id given more than once is
// compared with its previous occurrence, so the counts add up to
// len(advs).
func (st vulnStore) PutAdvisories(ctx context.Context, advs []store.Advisory) (store.AdvisoryPut, error) {
	what := fmt.Sprintf("put %d advisories", len(advs))
	var res store.AdvisoryPut
	if len(advs) == 0 {
		return res, nil
	}
	rows := make([]advisoryRow, len(advs))
	ids := make([]string, 0, len(advs))
	for i, a := range advs {
		r, err := advisoryRowOf(a)
		if err != nil {
			return res, fmt.Errorf("%s: %w", what, err)
		}
		rows[i] = r
		ids = append(ids, a.ID)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	stmts, err := st.s.advisoryStmts(ctx)
	if err != nil {
		return res, fmt.Errorf("%s: %w", what, err)
	}
	err = st.s.tx(ctx, func(tx *sql.Tx) error {
		res = store.AdvisoryPut{}
		if err := st.s.keyLock(ctx, tx, advisoriesLockKey); err != nil {
			return err
		}
		held, err := readHeldAdvisories(ctx, tx, stmts.held, ids)
		if err != nil {
			return err
		}
		state := make(map[string]heldAdvisory, len(held)+len(rows))
		for id, h := range held {
			state[id] = h
		}
		written := map[string]int{} // id -> index in rows of the version written
		for i := range rows {
			r := &rows[i]
			h, ok := state[r.a.ID]
			switch {
			case !ok:
				res.Added++
			case r.modified > h.modified || (r.modified == h.modified && r.sum != h.sum):
				res.Updated++
			default:
				res.Unchanged++
				continue
			}
			state[r.a.ID] = heldAdvisory{modified: r.modified, sum: r.sum}
			written[r.a.ID] = i
		}
		var replaced []string
		for _, id := range ids {
			_, write := written[id]
			if _, inDB := held[id]; write && inDB {
				replaced = append(replaced, id)
			}
		}
		for _, del := range stmts.deletes {
			if err := execIDs(ctx, tx, del, replaced); err != nil {
				return fmt.Errorf("delete replaced advisories: %w", err)
			}
		}
		order := make([]int, 0, len(written))
		for _, id := range ids {
			if i, ok := written[id]; ok {
				order = append(order, i)
			}
		}
		return writeAdvisories(ctx, tx, stmts, rows, order)
	})
	if err != nil {
		return store.AdvisoryPut{}, fmt.Errorf("%s: %w", what, err)
	}
	return res, nil
}

// readHeldAdvisories reads the modification time and record digest of
// the advisories of ids that are held.
func readHeldAdvisories(ctx context.Context, tx *sql.Tx, stmts chunked, ids []string) (map[string]heldAdvisory, error) {
	held := map[string]heldAdvisory{}
	err := eachChunk(len(ids), func(start, n int) error {
		rows, err := tx.StmtContext(ctx, stmts[n]).QueryContext(ctx, stringArgs(ids[start:start+n])...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var h heldAdvisory
			var sum []byte
			if err := rows.Scan(&id, &h.modified, &sum); err != nil {
				return err
			}
			copy(h.sum[:], sum)
			held[id] = h
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("read held advisories: %w", err)
	}
	return held, nil
}

// writeAdvisories inserts the rows of the advisories rows[i] for i of
// order: the advisories, their compressed records and their lookup rows.
func writeAdvisories(ctx context.Context, tx *sql.Tx, stmts *advisoryStatements, rows []advisoryRow, order []int) error {
	var aliases, ecosystems [][]any
	err := eachChunk(len(order), func(start, n int) error {
		args := make([]any, 0, n*advisoryWidth)
		records := make([]any, 0, 2*n)
		for _, i := range order[start : start+n] {
			r := &rows[i]
			args = append(args, r.args()...)
			record, err := compressBlob(r.a.Record)
			if err != nil {
				return fmt.Errorf("advisory %q: %w", r.a.ID, err)
			}
			records = append(records, r.a.ID, record)
			for _, alias := range r.aliasKeys {
				aliases = append(aliases, []any{r.a.ID, alias})
			}
			for _, eco := range r.ecosystemKeys {
				ecosystems = append(ecosystems, []any{r.a.ID, eco})
			}
		}
		if _, err := tx.StmtContext(ctx, stmts.insert[n]).ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("insert advisories: %w", err)
		}
		if _, err := tx.StmtContext(ctx, stmts.insertRecord[n]).ExecContext(ctx, records...); err != nil {
			return fmt.Errorf("insert records: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := insertRows(ctx, tx, stmts.insertAlias, aliases); err != nil {
		return fmt.Errorf("insert aliases: %w", err)
	}
	if err := insertRows(ctx, tx, stmts.insertEco, ecosystems); err != nil {
		return fmt.Errorf("insert ecosystems: %w", err)
	}
	return nil
}

// stringArgs returns l as statement arguments.
func stringArgs(l []string) []any {
	args := make([]any, len(l))
	for i, v := range l {
		args[i] = v
	}
	return args
}

// execIDs runs a chunked statement over ids.
func execIDs(ctx context.Context, tx *sql.Tx, stmts chunked, ids []string) error {
	return eachChunk(len(ids), func(start, n int) error {
		_, err := tx.StmtContext(ctx, stmts[n]).ExecContext(ctx, stringArgs(ids[start:start+n])...)
		return err
	})
}

// GetAdvisory returns an advisory with its record.
func (st vulnStore) GetAdvisory(ctx context.Context, id string) (store.Advisory, error) {
	if !storable(id) {
		return store.Advisory{}, fmt.Errorf("get advisory %q: %w", id, store.ErrNotFound)
	}
	a, err := scanAdvisory(st.s.r.QueryRowContext(ctx, st.s.sql(`SELECT `+advisoryCols+`, `+recordCol+`
		FROM vuln_advisories a WHERE a.id = ?`), id), true)
	if err != nil {
		return store.Advisory{}, notFound(fmt.Sprintf("get advisory %q", id), err)
	}
	return a, nil
}

// ListAdvisories returns advisories without their records, by id.
func (st vulnStore) ListAdvisories(ctx context.Context, f store.AdvisoryFilter) ([]store.Advisory, string, error) {
	c, ok, err := DecodeCursor(f.Cursor, kindAdvisories)
	if err != nil {
		return nil, "", fmt.Errorf("list advisories: %w", err)
	}
	var after *Cursor
	if ok {
		if err := checkCursorText(c.S); err != nil {
			return nil, "", fmt.Errorf("list advisories: %w", err)
		}
		after = &c
	}
	query, args, err := advisoryListSQL(f, after)
	if err != nil {
		return nil, "", fmt.Errorf("list advisories: %w", err)
	}
	limit := limitOf(f.Limit)
	out, err := queryList(ctx, st.s, query+` LIMIT ?`, append(args, limit+1),
		func(r rowScanner) (store.Advisory, error) { return scanAdvisory(r, false) })
	if err != nil {
		return nil, "", fmt.Errorf("list advisories: %w", err)
	}
	out, next := pageOf(out, limit, func(a store.Advisory) Cursor { return Cursor{Kind: kindAdvisories, S: a.ID} })
	return out, next, nil
}

// advisoryListSQL is the listing query of f without LIMIT, starting
// after the cursor when there is one. With an ecosystem, the ecosystem's
// lookup rows are read in id order and drive the query; an id looks up
// the id itself and the advisories that have it as an alias.
func advisoryListSQL(f store.AdvisoryFilter, after *Cursor) (string, []any, error) {
	if err := checkTexts([]textField{{"id", f.ID}, {"ecosystem", f.Ecosystem}, {"source", f.Source},
		{"query", f.Q}}, nil); err != nil {
		return "", nil, err
	}
	var w where
	from, order := ` FROM vuln_advisories a`, "a.id"
	if f.Ecosystem != "" {
		// CROSS JOIN keeps SQLite reading the ecosystem's rows first.
		from, order = ` FROM vuln_advisory_ecosystems e CROSS JOIN vuln_advisories a`, "e.advisory_id"
		w.add("e.ecosystem = ? AND a.id = e.advisory_id", f.Ecosystem)
	}
	if f.ID != "" {
		w.add(`a.id IN (SELECT CAST(? AS TEXT) UNION SELECT advisory_id FROM vuln_advisory_aliases WHERE alias = ?)`,
			f.ID, f.ID)
	}
	if f.Source != "" {
		w.add("a.source = ?", f.Source)
	}
	if f.Severity != "" {
		sev, _, err := vulnSeverity(f.Severity)
		if err != nil {
			return "", nil, err
		}
		w.add("a.severity = ?", sev)
	}
	if f.Q != "" {
		w.add(`a.search LIKE ? ESCAPE '\'`, containsPattern(f.Q))
	}
	if after != nil {
		w.add(order+" > ?", after.S)
	}
	return `SELECT ` + advisoryCols + from + w.String() + ` ORDER BY ` + order, w.args, nil
}

// ScanAdvisories calls fn for every advisory with its record, by id,
// reading scanBatch advisories per query after the last one read; fn is
// called once a batch is read, with no query open.
func (st vulnStore) ScanAdvisories(ctx context.Context, fn func(store.Advisory) error) error {
	after := ""
	for {
		batch, err := queryList(ctx, st.s, `SELECT `+advisoryCols+`, `+recordCol+`
			FROM vuln_advisories a WHERE a.id > ? ORDER BY a.id LIMIT ?`,
			[]any{after, scanBatch}, func(r rowScanner) (store.Advisory, error) { return scanAdvisory(r, true) })
		if err != nil {
			return fmt.Errorf("scan advisories after %q: %w", after, err)
		}
		for _, a := range batch {
			if err := fn(a); err != nil {
				return err
			}
		}
		if len(batch) < scanBatch {
			return nil
		}
		after = batch[len(batch)-1].ID
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("scan advisories: %w", err)
		}
	}
}

// CountAdvisories returns the number of advisories per source.
func (st vulnStore) CountAdvisories(ctx context.Context) (map[string]int, error) {
	type count struct {
		source string
		n      int
	}
	counts, err := queryList(ctx, st.s, `SELECT source, COUNT(*) FROM vuln_advisories GROUP BY source`, nil,
		func(r rowScanner) (count, error) {
			var c count
			err := r.Scan(&c.source, &c.n)
			return c, err
		})
	if err != nil {
		return nil, fmt.Errorf("count advisories: %w", err)
	}
	out := make(map[string]int, len(counts))
	for _, c := range counts {
		out[c.source] = c.n
	}
	return out, nil
}

// DeleteSource removes the advisories of a source, their records and
// lookup rows, and the source's state, in one transaction.
func (st vulnStore) DeleteSource(ctx context.Context, source string) (int, error) {
	if !storable(source) {
		return 0, nil // no advisory has it
	}
	var n int64
	err := st.s.tx(ctx, func(tx *sql.Tx) error {
		if err := st.s.keyLock(ctx, tx, advisoriesLockKey); err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM vuln_advisory_aliases WHERE advisory_id IN (SELECT id FROM vuln_advisories WHERE source = ?)`,
			`DELETE FROM vuln_advisory_ecosystems WHERE advisory_id IN (SELECT id FROM vuln_advisories WHERE source = ?)`,
			`DELETE FROM vuln_advisory_records WHERE id IN (SELECT id FROM vuln_advisories WHERE source = ?)`,
			`DELETE FROM vuln_sources WHERE name = ?`,
		} {
			if _, err := tx.ExecContext(ctx, st.s.sql(q), source); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, st.s.sql(`DELETE FROM vuln_advisories WHERE source = ?`), source)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("delete vulnerability source %q: %w", source, err)
	}
	return int(n), nil
}
