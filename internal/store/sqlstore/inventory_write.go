package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/vigilsec/vigil/internal/store"
)

// Widths of the rows the chunked inventory statements take.
const (
	itemWidth   = 12 // upsertItemsSQL
	changeWidth = 12 // the history INSERT
)

// inventoryStatements are the chunked statements of Apply.
type inventoryStatements struct {
	upsert, remove, before, history chunked
}

// inventoryStmts prepares (once) the statements of Apply.
func (s *Store) inventoryStmts(ctx context.Context) (*inventoryStatements, error) {
	var out inventoryStatements
	for _, p := range []struct {
		dst   *chunked
		name  string
		build func(n int) string
	}{
		{&out.upsert, "inventory upsert", upsertItemsSQL},
		// Items are named by kind and a list of keys rather than a list of
		// (kind, key) pairs: SQLite looks each key up in the index only
		// then, instead of reading the whole set.
		{&out.remove, "inventory remove", func(n int) string {
			return `DELETE FROM inventory_items WHERE agent_id = ? AND collector = ? AND kind = ? AND key IN ` +
				valuesList(1, n)
		}},
		{&out.before, "inventory before", func(n int) string {
			return `SELECT key, name, version, fields FROM inventory_items
				WHERE agent_id = ? AND collector = ? AND kind = ? AND key IN ` + valuesList(1, n)
		}},
		{&out.history, "inventory history", func(n int) string {
			return `INSERT INTO inventory_changes (agent_id, collector, kind, key, name, action, at,
				before_version, after_version, before_fields, after_fields, search) VALUES ` + valuesList(n, changeWidth)
		}},
	} {
		stmts, err := s.preparedChunks(ctx, p.name, p.build)
		if err != nil {
			return nil, err
		}
		*p.dst = stmts
	}
	return &out, nil
}

// upsertItemsSQL inserts n items, or updates the content of those held
// (first_seen stays).
func upsertItemsSQL(n int) string {
	return `INSERT INTO inventory_items (agent_id, collector, kind, key, name, name_lc, version, fields,
		search, hash, first_seen, updated_at) VALUES ` + valuesList(n, itemWidth) + `
		ON CONFLICT (agent_id, collector, kind, key) DO UPDATE SET name = excluded.name,
		name_lc = excluded.name_lc, version = excluded.version, fields = excluded.fields,
		search = excluded.search, hash = excluded.hash, updated_at = excluded.updated_at`
}

// oldItem is the content of an item before it changed or was removed.
type oldItem struct {
	name, version string
	fields        []byte
}

// write applies a plan whose digest is the one the changes lead to.
func (st inventoryStore) write(ctx context.Context, tx *sql.Tx, stmts *inventoryStatements, p *planned) (store.InventoryResult, error) {
	c := p.c
	res := store.InventoryResult{Digest: p.digest, Removed: len(p.removed)}
	for _, added := range p.added {
		if added {
			res.Added++
		} else {
			res.Changed++
		}
	}
	recorded := p.recorded()
	var refs []store.AssetRef // of the items whose content before is history
	for i, r := range p.upserts {
		if !p.added[i] && recorded(r.Kind) {
			refs = append(refs, store.AssetRef{Kind: r.Kind, Key: r.Key})
		}
	}
	for _, ref := range p.removed {
		if recorded(ref.Kind) {
			refs = append(refs, ref)
		}
	}
	old, err := st.readOld(ctx, tx, stmts.before, c.AgentID, c.Collector, refs)
	if err != nil {
		return res, err
	}
	if err := st.execRefs(ctx, tx, stmts.remove, c.AgentID, c.Collector, p.removed); err != nil {
		return res, fmt.Errorf("remove items: %w", err)
	}
	at := micros(c.At)
	items := make([][]any, len(p.upserts))
	for i, r := range p.upserts {
		items[i] = []any{c.AgentID, c.Collector, r.Kind, r.Key, r.Name, foldText(r.Name), r.Version,
			fieldsArg(r.Fields), assetSearch(r), r.Hash[:], at, at}
	}
	if err := insertRows(ctx, tx, stmts.upsert, items); err != nil {
		return res, fmt.Errorf("upsert items: %w", err)
	}
	if err := insertRows(ctx, tx, stmts.history, p.history(old)); err != nil {
		return res, fmt.Errorf("record history: %w", err)
	}
	return res, st.updateSet(ctx, tx, p, len(p.upserts)+len(p.removed) > 0)
}

// recorded returns whether changes of a kind are history: not before the
// set's baseline is done, nor for the kinds of c.NoHistory.
func (p *planned) recorded() func(kind string) bool {
	noHistory := make(map[string]bool, len(p.c.NoHistory))
	for _, k := range p.c.NoHistory {
		noHistory[k] = true
	}
	return func(kind string) bool { return p.baseline && !noHistory[kind] }
}

// history returns the rows of inventory_changes that record the plan,
// removals first; old holds the content of the changed and removed items.
func (p *planned) history(old map[string]oldItem) [][]any {
	c, recorded, at := p.c, p.recorded(), micros(p.c.At)
	var rows [][]any
	row := func(kind, key, name, action string, before oldItem, after store.AssetRecord) {
		rows = append(rows, []any{c.AgentID, c.Collector, kind, key, name, action, at, before.version,
			after.Version, fieldsArg(before.fields), fieldsArg(after.Fields), changeSearch(key, name)})
	}
	for _, ref := range p.removed {
		if recorded(ref.Kind) {
			o := old[ref.Kind+"\x00"+ref.Key]
			row(ref.Kind, ref.Key, o.name, store.AssetRemoved, o, store.AssetRecord{})
		}
	}
	for i, r := range p.upserts {
		if !recorded(r.Kind) {
			continue
		}
		if p.added[i] {
			row(r.Kind, r.Key, r.Name, store.AssetAdded, oldItem{}, r)
		} else {
			row(r.Kind, r.Key, r.Name, store.AssetChanged, old[r.Kind+"\x00"+r.Key], r)
		}
	}
	return rows
}

// insertRows runs a chunked INSERT over rows of equal width.
func insertRows(ctx context.Context, tx *sql.Tx, stmts chunked, rows [][]any) error {
	return eachChunk(len(rows), func(start, n int) error {
		args := make([]any, 0, n*len(rows[start]))
		for _, r := range rows[start : start+n] {
			args = append(args, r...)
		}
		_, err := tx.StmtContext(ctx, stmts[n]).ExecContext(ctx, args...)
		return err
	})
}

// updateSet stores the set's new digest, sizes and times.
func (st inventoryStore) updateSet(ctx context.Context, tx *sql.Tx, p *planned, changed bool) error {
	kinds := map[string]int64{}
	for id := range p.held {
		kind, _, _ := strings.Cut(id, "\x00")
		kinds[kind]++
	}
	kindsText, err := jsonText(kinds)
	if err != nil {
		return err
	}
	var updated any
	if changed {
		updated = micros(p.c.At)
	}
	_, err = tx.ExecContext(ctx, st.s.sql(`UPDATE inventory_sets SET digest = ?, items = ?, kinds = ?,
		baseline_done = (baseline_done OR ?), updated_at = COALESCE(?, updated_at), checked_at = ?
		WHERE agent_id = ? AND collector = ?`),
		p.digest, len(p.held), kindsText, p.c.Last, updated, micros(p.c.At), p.c.AgentID, p.c.Collector)
	if err != nil {
		return fmt.Errorf("update set: %w", err)
	}
	return nil
}

// fieldsArg is the value of a fields column: NULL for none.
func fieldsArg(fields []byte) any {
	if len(fields) == 0 {
		return nil
	}
	return string(fields)
}

// eachKind calls fn with the keys of refs of each kind, one kind at a
// time.
func eachKind(refs []store.AssetRef, fn func(kind string, keys []string) error) error {
	byKind := map[string][]string{}
	var kinds []string
	for _, r := range refs {
		if _, ok := byKind[r.Kind]; !ok {
			kinds = append(kinds, r.Kind)
		}
		byKind[r.Kind] = append(byKind[r.Kind], r.Key)
	}
	for _, kind := range kinds {
		if err := fn(kind, byKind[kind]); err != nil {
			return err
		}
	}
	return nil
}

// keyArgs are the arguments of a statement over the keys of one kind.
func keyArgs(agentID, collector, kind string, keys []string) []any {
	args := make([]any, 0, 3+len(keys))
	args = append(args, agentID, collector, kind)
	for _, k := range keys {
		args = append(args, k)
	}
	return args
}

// execRefs runs a chunked statement over refs.
func (st inventoryStore) execRefs(ctx context.Context, tx *sql.Tx, stmts chunked, agentID, collector string, refs []store.AssetRef) error {
	return eachKind(refs, func(kind string, keys []string) error {
		return eachChunk(len(keys), func(start, n int) error {
			_, err := tx.StmtContext(ctx, stmts[n]).ExecContext(ctx, keyArgs(agentID, collector, kind, keys[start:start+n])...)
			return err
		})
	})
}

// readOld reads the content of the items refs name, by Asset.ID.
func (st inventoryStore) readOld(ctx context.Context, tx *sql.Tx, stmts chunked, agentID, collector string, refs []store.AssetRef) (map[string]oldItem, error) {
	out := make(map[string]oldItem, len(refs))
	err := eachKind(refs, func(kind string, keys []string) error {
		return eachChunk(len(keys), func(start, n int) error {
			rows, err := tx.StmtContext(ctx, stmts[n]).QueryContext(ctx, keyArgs(agentID, collector, kind, keys[start:start+n])...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var key string
				var o oldItem
				if err := rows.Scan(&key, &o.name, &o.version, &o.fields); err != nil {
					return err
				}
				out[kind+"\x00"+key] = o
			}
			return rows.Err()
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read items before the change: %w", err)
	}
	return out, nil
}
