package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

const changeCols = `id, agent_id, collector, kind, key, name, action, at, before_version, after_version,
	before_fields, after_fields`

func scanChange(r rowScanner) (store.AssetChange, error) {
	var c store.AssetChange
	var id int64
	var before, after []byte
	err := r.Scan(&id, &c.AgentID, &c.Collector, &c.Kind, &c.Key, &c.Name, &c.Action, timeCol{&c.At},
		&c.Before, &c.After, &before, &after)
	c.ID = strconv.FormatInt(id, 10)
	if len(before) > 0 {
		c.BeforeFields = json.RawMessage(before)
	}
	if len(after) > 0 {
		c.AfterFields = json.RawMessage(after)
	}
	return c, err
}

// Changes returns history entries newest first: in the reverse of the
// order they were recorded in.
func (st inventoryStore) Changes(ctx context.Context, f store.AssetChangeFilter) ([]store.AssetChange, string, error) {
	c, ok, err := DecodeCursor(f.Cursor, kindAssetLog)
	if err != nil {
		return nil, "", fmt.Errorf("list asset changes: %w", err)
	}
	var w where
	for _, cond := range []struct{ col, v string }{
		{"agent_id", f.AgentID}, {"kind", f.Kind}, {"action", f.Action},
	} {
		if cond.v != "" {
			w.add(cond.col+" = ?", cond.v)
		}
	}
	if f.Q != "" {
		w.add(`search LIKE ? ESCAPE '\'`, containsPattern(f.Q))
	}
	if !f.Since.IsZero() {
		w.add("at >= ?", f.Since.UnixMicro())
	}
	if !f.Until.IsZero() {
		w.add("at < ?", f.Until.UnixMicro())
	}
	if ok {
		w.add("id < ?", c.N)
	}
	limit := limitOf(f.Limit)
	changes, err := queryList(ctx, st.s, `SELECT `+changeCols+` FROM inventory_changes`+w.String()+
		` ORDER BY id DESC LIMIT ?`, append(w.args, limit+1), scanChange)
	if err != nil {
		return nil, "", fmt.Errorf("list asset changes: %w", err)
	}
	changes, next := pageOf(changes, limit, func(ch store.AssetChange) Cursor {
		id, _ := strconv.ParseInt(ch.ID, 10, 64) // formatted by scanChange
		return Cursor{Kind: kindAssetLog, N: id}
	})
	return changes, next, nil
}

// Counts returns the items per agent and kind, ordered by agent and kind,
// from the counts each set keeps.
func (st inventoryStore) Counts(ctx context.Context, agentID string) ([]store.AssetCount, error) {
	var w where
	if agentID != "" {
		w.add("agent_id = ?", agentID)
	}
	type setKinds struct {
		agent string
		kinds map[string]int64
	}
	sets, err := queryList(ctx, st.s, `SELECT agent_id, kinds FROM inventory_sets`+w.String(), w.args,
		func(r rowScanner) (setKinds, error) {
			var s setKinds
			err := r.Scan(&s.agent, jsonCol{&s.kinds})
			return s, err
		})
	if err != nil {
		return nil, fmt.Errorf("count assets: %w", err)
	}
	sums := map[store.AssetCount]int64{} // keyed without Count
	for _, s := range sets {
		for kind, n := range s.kinds {
			sums[store.AssetCount{AgentID: s.agent, Kind: kind}] += n
		}
	}
	out := make([]store.AssetCount, 0, len(sums))
	for k, n := range sums {
		if n > 0 {
			k.Count = n
			out = append(out, k)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].AgentID != out[j].AgentID {
			return out[i].AgentID < out[j].AgentID
		}
		return out[i].Kind < out[j].Kind
	})
	return out, nil
}

// Sets returns an agent's sets ordered by collector.
func (st inventoryStore) Sets(ctx context.Context, agentID string) ([]store.InventorySet, error) {
	sets, err := queryList(ctx, st.s, `SELECT agent_id, collector, digest, items, updated_at, checked_at
		FROM inventory_sets WHERE agent_id = ? ORDER BY collector`, []any{agentID},
		func(r rowScanner) (store.InventorySet, error) {
			var s store.InventorySet
			err := r.Scan(&s.AgentID, &s.Collector, &s.Digest, &s.Items, timeCol{&s.UpdatedAt}, timeCol{&s.CheckedAt})
			return s, err
		})
	if err != nil {
		return nil, fmt.Errorf("inventory sets of agent %q: %w", agentID, err)
	}
	return sets, nil
}

// DeleteAgent removes an agent's sets, items and history, the
// vulnerability findings made from its items, and its compliance scores
// (whose results are its items). The sets go first: deleting
// them waits for an Apply that holds one, so that its items are
// committed, and seen, before they are deleted.
func (st inventoryStore) DeleteAgent(ctx context.Context, agentID string) error {
	err := st.s.tx(ctx, func(tx *sql.Tx) error {
		if err := st.s.keyLock(ctx, tx, findingsLockKey(agentID)); err != nil {
			return err
		}
		for _, table := range []string{"inventory_sets", "inventory_items", "inventory_changes", "vuln_findings",
			"vuln_finding_sets", "compliance_scores"} {
			if _, err := tx.ExecContext(ctx, st.s.sql(`DELETE FROM `+table+` WHERE agent_id = ?`), agentID); err != nil {
				return fmt.Errorf("%s: %w", table, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete inventory of agent %q: %w", agentID, err)
	}
	return nil
}

// DeleteChangesBefore removes history entries of inventories taken before
// t, a chunk per statement.
func (st inventoryStore) DeleteChangesBefore(ctx context.Context, t time.Time) (int64, error) {
	n, err := st.s.deleteInChunks(ctx, `DELETE FROM inventory_changes WHERE id IN
		(SELECT id FROM inventory_changes WHERE at < ? LIMIT ?)`, t.UnixMicro())
	if err != nil {
		return n, fmt.Errorf("delete asset changes before %s: %w", t.UTC().Format(time.RFC3339), err)
	}
	return n, nil
}
