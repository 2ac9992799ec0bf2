package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

// inventoryStore keeps every agent's inventory as sets of items, one per
// agent and collector, each with the digest of its items' hashes.
type inventoryStore struct{ s *Store }

// emptyDigest is the digest of a set never written.
var emptyDigest = event.InventoryDigest(nil)

// errResync rolls back an Apply whose changes do not fit the set.
var errResync = errors.New("resync")

// planned is an Apply's changes sorted out against the set it holds.
type planned struct {
	c        store.InventoryChanges
	baseline bool                // the set's baseline is done: record history
	held     map[string][32]byte // Asset.ID -> hash after the changes
	upserts  []store.AssetRecord // added or changed
	added    []bool              // per upsert: new rather than changed
	removed  []store.AssetRef    // present and removed
	digest   string              // of held
}

// Apply applies an agent's changes to one collector's set in one
// transaction; see store.InventoryStore. The set's row is created (when
// absent) and locked first, so that Applies to one set run one at a time;
// the new digest is computed from the hashes held before anything is
// written.
func (st inventoryStore) Apply(ctx context.Context, c store.InventoryChanges) (store.InventoryResult, error) {
	what := fmt.Sprintf("apply inventory of agent %q collector %q", c.AgentID, c.Collector)
	if err := checkChanges(c); err != nil {
		return store.InventoryResult{}, fmt.Errorf("%s: %w", what, err)
	}
	if c.At.IsZero() {
		c.At = time.Now()
	}
	if c.BaseDigest == c.Digest && len(c.Upserts) == 0 && len(c.Removed) == 0 {
		n, err := st.s.exec(ctx, `UPDATE inventory_sets SET checked_at = ?, baseline_done = (baseline_done OR ?)
			WHERE agent_id = ? AND collector = ? AND digest = ?`,
			micros(c.At), c.Last, c.AgentID, c.Collector, c.Digest)
		if err != nil {
			return store.InventoryResult{}, fmt.Errorf("%s: check: %w", what, err)
		}
		if n == 1 {
			return store.InventoryResult{Digest: c.Digest}, nil
		}
		// A set never written, or another digest: the full path tells.
	}
	stmts, err := st.s.inventoryStmts(ctx)
	if err != nil {
		return store.InventoryResult{}, fmt.Errorf("%s: %w", what, err)
	}
	var res store.InventoryResult
	err = st.s.tx(ctx, func(tx *sql.Tx) error {
		p, stored, err := st.plan(ctx, tx, c)
		if err != nil {
			return err
		}
		if p == nil || p.digest != c.Digest {
			res = store.InventoryResult{Resync: true, Digest: stored}
			return errResync
		}
		res, err = st.write(ctx, tx, stmts, p)
		return err
	})
	if errors.Is(err, errResync) {
		return res, nil
	}
	if err != nil {
		return store.InventoryResult{}, fmt.Errorf("%s: %w", what, err)
	}
	return res, nil
}

// checkChanges rejects changes no agent sends: invalid items, an item
// upserted twice, or upserted and removed.
func checkChanges(c store.InventoryChanges) error {
	if c.AgentID == "" || c.Collector == "" {
		return fmt.Errorf("%w: agent and collector are required", errInvalidAsset)
	}
	seen := make(map[string]bool, len(c.Upserts))
	for _, r := range c.Upserts {
		if err := checkAsset(r); err != nil {
			return err
		}
		id := r.Kind + "\x00" + r.Key
		if seen[id] {
			return fmt.Errorf("%w: %s/%s upserted twice", errInvalidAsset, r.Kind, r.Key)
		}
		seen[id] = true
	}
	for _, ref := range c.Removed {
		if seen[ref.Kind+"\x00"+ref.Key] {
			return fmt.Errorf("%w: %s/%s upserted and removed", errInvalidAsset, ref.Kind, ref.Key)
		}
	}
	return nil
}

// plan locks the set and sorts the changes out against it. It returns nil
// and the digest held when the set's digest is not c.BaseDigest.
func (st inventoryStore) plan(ctx context.Context, tx *sql.Tx, c store.InventoryChanges) (*planned, string, error) {
	if _, err := tx.ExecContext(ctx, st.s.sql(`INSERT INTO inventory_sets (agent_id, collector, digest)
		VALUES (?, ?, ?) ON CONFLICT (agent_id, collector) DO NOTHING`), c.AgentID, c.Collector, emptyDigest); err != nil {
		return nil, "", fmt.Errorf("create set: %w", err)
	}
	var digest string
	var baseline bool
	if err := tx.QueryRowContext(ctx, st.s.sql(`SELECT digest, baseline_done FROM inventory_sets
		WHERE agent_id = ? AND collector = ?`+st.s.d.ForUpdate), c.AgentID, c.Collector).Scan(&digest, &baseline); err != nil {
		return nil, "", fmt.Errorf("lock set: %w", err)
	}
	if digest != c.BaseDigest {
		return nil, digest, nil
	}
	held, err := st.hashes(ctx, tx, c.AgentID, c.Collector)
	if err != nil {
		return nil, digest, err
	}
	p := &planned{c: c, baseline: baseline, held: held}
	for _, r := range c.Upserts {
		id := r.Kind + "\x00" + r.Key
		old, ok := held[id]
		if ok && old == r.Hash {
			continue
		}
		held[id] = r.Hash
		p.upserts = append(p.upserts, r)
		p.added = append(p.added, !ok)
	}
	for _, ref := range c.Removed {
		id := ref.Kind + "\x00" + ref.Key
		if _, ok := held[id]; ok {
			delete(held, id)
			p.removed = append(p.removed, ref)
		}
	}
	p.digest = event.InventoryDigest(held)
	return p, digest, nil
}

// hashes reads the hash of every item of a set, by Asset.ID.
func (st inventoryStore) hashes(ctx context.Context, tx *sql.Tx, agentID, collector string) (map[string][32]byte, error) {
	rows, err := tx.QueryContext(ctx, st.s.sql(`SELECT kind, key, hash FROM inventory_items
		WHERE agent_id = ? AND collector = ?`), agentID, collector)
	if err != nil {
		return nil, fmt.Errorf("read hashes: %w", err)
	}
	defer rows.Close()
	held := map[string][32]byte{}
	for rows.Next() {
		var kind, key string
		var hash hashCol
		if err := rows.Scan(&kind, &key, &hash); err != nil {
			return nil, fmt.Errorf("read hashes: %w", err)
		}
		held[kind+"\x00"+key] = hash.h
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read hashes: %w", err)
	}
	return held, nil
}

// hashCol scans a 32-byte hash column.
type hashCol struct{ h [32]byte }

// Scan implements sql.Scanner.
func (c *hashCol) Scan(src any) error {
	b, ok := src.([]byte)
	if !ok || len(b) != len(c.h) {
		return fmt.Errorf("hash column: %T of %d bytes, want 32 bytes", src, len(b))
	}
	copy(c.h[:], b)
	return nil
}
