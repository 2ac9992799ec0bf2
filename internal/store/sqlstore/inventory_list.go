package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/vigilsec/vigil/internal/store"
)

// matchBatch is the least number of rows a listing with a Match predicate
// reads per query.
const matchBatch = 256

const assetCols = `agent_id, collector, kind, key, name, version, fields, hash, first_seen, updated_at`

func scanAsset(r rowScanner) (store.AssetRecord, error) {
	var a store.AssetRecord
	var fields []byte
	var hash hashCol
	err := r.Scan(&a.AgentID, &a.Collector, &a.Kind, &a.Key, &a.Name, &a.Version, &fields, &hash,
		timeCol{&a.FirstSeen}, timeCol{&a.UpdatedAt})
	if len(fields) > 0 {
		a.Fields = json.RawMessage(fields)
	}
	a.Hash = hash.h
	return a, err
}

// assetCursor is the position of a in the listing.
func assetCursor(a store.AssetRecord) Cursor {
	return Cursor{Kind: kindAssets, S: a.AgentID, T: a.Kind, U: a.Key, V: a.Collector}
}

// State returns the set's digest and one page of its items' hashes, read
// in one snapshot so that the first page and the digest agree.
func (st inventoryStore) State(ctx context.Context, agentID, collector string, p store.Page) (string, []store.AssetDigest, string, error) {
	what := fmt.Sprintf("inventory state of agent %q collector %q", agentID, collector)
	c, ok, err := DecodeCursor(p.Cursor, kindAssetSet)
	if err != nil {
		return "", nil, "", fmt.Errorf("%s: %w", what, err)
	}
	tx, err := st.s.r.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return "", nil, "", fmt.Errorf("%s: begin: %w", what, err)
	}
	defer func() { _ = tx.Rollback() }()
	digest := emptyDigest
	err = tx.QueryRowContext(ctx, st.s.sql(`SELECT digest FROM inventory_sets WHERE agent_id = ? AND collector = ?`),
		agentID, collector).Scan(&digest)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", nil, "", fmt.Errorf("%s: %w", what, err)
	}
	w := where{}
	w.add("agent_id = ? AND collector = ?", agentID, collector)
	if ok {
		w.add("(kind, key) > (?, ?)", c.S, c.T)
	}
	limit := limitOf(p.Limit)
	rows, err := tx.QueryContext(ctx, st.s.sql(`SELECT kind, key, hash FROM inventory_items`+w.String()+
		` ORDER BY kind, key LIMIT ?`), append(w.args, limit+1)...)
	if err != nil {
		return "", nil, "", fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	items := []store.AssetDigest{}
	for rows.Next() {
		var d store.AssetDigest
		var hash hashCol
		if err := rows.Scan(&d.Kind, &d.Key, &hash); err != nil {
			return "", nil, "", fmt.Errorf("%s: %w", what, err)
		}
		d.Hash = hash.h
		items = append(items, d)
	}
	if err := rows.Err(); err != nil {
		return "", nil, "", fmt.Errorf("%s: %w", what, err)
	}
	items, next := pageOf(items, limit, func(d store.AssetDigest) Cursor {
		return Cursor{Kind: kindAssetSet, S: d.Kind, T: d.Key}
	})
	return digest, items, next, nil
}

// List returns items ordered by agent, kind, key and collector. The
// filters that fix a column drop it from the ORDER BY and from the cursor's
// comparison, so that an index that starts with the fixed columns serves
// both (kind and name across the fleet: inventory_items_name). With a
// Match predicate, rows are read in batches until the page is full.
func (st inventoryStore) List(ctx context.Context, f store.AssetFilter) ([]store.AssetRecord, string, error) {
	c, ok, err := DecodeCursor(f.Cursor, kindAssets)
	if err != nil {
		return nil, "", fmt.Errorf("list assets: %w", err)
	}
	limit := limitOf(f.Limit)
	batch := limit + 1
	if f.Match != nil {
		batch = max(batch, matchBatch)
	}
	out := []store.AssetRecord{}
	for {
		if err := ctx.Err(); err != nil {
			return nil, "", fmt.Errorf("list assets: %w", err)
		}
		var after *Cursor
		if ok {
			after = &c
		}
		query, args := assetListSQL(f, after)
		rows, err := queryList(ctx, st.s, query+` LIMIT ?`, append(args, batch), scanAsset)
		if err != nil {
			return nil, "", fmt.Errorf("list assets: %w", err)
		}
		for _, r := range rows {
			if f.Match != nil && !f.Match(r) {
				continue
			}
			out = append(out, r)
			if len(out) > limit {
				out, next := pageOf(out, limit, assetCursor)
				return out, next, nil
			}
		}
		if len(rows) < batch {
			return out, "", nil
		}
		c, ok = assetCursor(rows[len(rows)-1]), true
	}
}

// assetOrder returns the columns of the listing's order that f leaves
// free, in order: agent_id, kind, key, collector.
func assetOrder(f store.AssetFilter) []string {
	cols := make([]string, 0, 4)
	if f.AgentID == "" {
		cols = append(cols, "agent_id")
	}
	if f.Kind == "" {
		cols = append(cols, "kind")
	}
	cols = append(cols, "key")
	if f.Collector == "" {
		cols = append(cols, "collector")
	}
	return cols
}

// assetListSQL is the listing query of f without LIMIT, starting after
// the cursor when there is one.
func assetListSQL(f store.AssetFilter, after *Cursor) (string, []any) {
	var w where
	for _, cond := range []struct{ col, v string }{
		{"agent_id", f.AgentID}, {"kind", f.Kind}, {"collector", f.Collector}, {"name_lc", foldText(f.Name)},
	} {
		if cond.v != "" {
			w.add(cond.col+" = ?", cond.v)
		}
	}
	if f.Q != "" {
		w.add(`search LIKE ? ESCAPE '\'`, containsPattern(f.Q))
	}
	cols := assetOrder(f)
	if after != nil {
		vals := map[string]string{"agent_id": after.S, "kind": after.T, "key": after.U, "collector": after.V}
		args := make([]any, len(cols))
		for i, col := range cols {
			args[i] = vals[col]
		}
		w.add("("+strings.Join(cols, ", ")+") > ("+strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ")+")", args...)
	}
	return `SELECT ` + assetCols + ` FROM inventory_items` + w.String() + ` ORDER BY ` + strings.Join(cols, ", "), w.args
}
