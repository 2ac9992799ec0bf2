package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/vigilsec/vigil/internal/store"
)

// Attach locks, in this order, the alert's entities and its host (on
// PostgreSQL; SQLite runs one write transaction at a time), the alert's row
// and the incident's row, so that concurrent Attaches of alerts sharing an
// entity or a host see each other's incidents and end in one. Every
// transaction that adds an entity to an incident holds that entity's lock,
// and every one that adds a host to an incident (incident_agents) or
// records a host alert (incident_host_alerts) holds that host's lock, so a
// candidate lookup made under the locks sees every incident holding one of
// the entities or involving the host.
//
// Every Attach of an alert with an agent takes its host's lock, host alert
// or not: the host lookups of a host alert must see the incidents other
// alerts of the host are adding it to, and the lookup of host alerts made by
// the others must see the ones a host alert records. It costs one more key
// lock per Attach and serialises Attaches on one host, which alerts sharing
// the host's processes mostly were already.
func (st incidentStore) Attach(ctx context.Context, j store.Join) (store.Incident, bool, error) {
	what := fmt.Sprintf("attach alert %q", j.AlertID)
	if j.AlertID == "" {
		return store.Incident{}, false, fmt.Errorf("attach alert: %w: empty alert id", store.ErrInvalid)
	}
	if j.At.IsZero() {
		j.At = time.Now()
	}
	entities := joinEntities(j.Entities)
	stmts, err := st.statements(ctx)
	if err != nil {
		return store.Incident{}, false, fmt.Errorf("%s: %w", what, err)
	}
	var out store.Incident
	var isNew bool
	err = st.s.tx(ctx, func(tx *sql.Tx) error {
		stmt := stmts.in(ctx, tx)
		host, err := alertHost(ctx, stmt, j.AlertID)
		if err != nil {
			return err
		}
		if err := lockKeys(ctx, stmt, entities, host); err != nil {
			return fmt.Errorf("lock entities and host: %w", err)
		}
		a, err := scanAlert(stmt(stmtLockAlert).QueryRowContext(ctx, j.AlertID))
		if err != nil {
			return err
		}
		if a.AgentID != host && stmt(stmtKeyLock) != nil {
			// Only when the alert was stored after the first read: lock
			// its host now, out of key order (PostgreSQL breaks a
			// deadlock this may cause by failing one of the two).
			if err := lockKeys(ctx, stmt, nil, a.AgentID); err != nil {
				return fmt.Errorf("lock host: %w", err)
			}
		}
		var inc *store.Incident
		if a.IncidentID != "" {
			if inc, err = lockIncident(ctx, stmt(stmtLockIncident), a.IncidentID); err == nil && inc == nil {
				err = fmt.Errorf("%w: %q", errIncidentGone, a.IncidentID)
			}
		} else if inc, err = pick(ctx, stmt, a, entities, j.Window); err == nil && inc == nil {
			inc, err = pickByHost(ctx, stmt, a, j.SameHost, j.Window)
		}
		if err != nil {
			return err
		}
		if isNew = inc == nil; isNew {
			inc = newIncident(a, j)
		}
		added, newAgent := absorb(inc, a, entities, a.IncidentID == "")
		inc.UpdatedAt = j.At
		if out, err = write(ctx, stmt, *inc, isNew); err != nil {
			return err
		}
		rows := make([][]any, len(added))
		for i, e := range added {
			rows[i] = []any{inc.ID, e.Kind, e.Value}
		}
		if err := insertRows(ctx, tx, stmts.addEntities, rows); err != nil {
			return fmt.Errorf("add entities: %w", err)
		}
		if newAgent {
			if _, err := stmt(stmtAddAgent).ExecContext(ctx, inc.ID, a.AgentID); err != nil {
				return fmt.Errorf("add agent: %w", err)
			}
		}
		if j.SameHost && a.AgentID != "" {
			if _, err := stmt(stmtAddHostAlert).ExecContext(ctx, inc.ID, a.AgentID, micros(a.LastSeen)); err != nil {
				return fmt.Errorf("record host alert: %w", err)
			}
		}
		if a.IncidentID != inc.ID {
			if _, err := stmt(stmtSetAlertIncident).ExecContext(ctx, inc.ID, a.ID); err != nil {
				return fmt.Errorf("set incident of alert: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return store.Incident{}, false, notFound(what, err)
	}
	return out, isNew, nil
}

// alertHost returns the agent of a stored alert, read before its row is
// locked so that its host's key is locked in order with the entities' (an
// alert's agent never changes); "" when the dialect takes no key locks or
// the alert is not stored.
func alertHost(ctx context.Context, stmt func(int) *sql.Stmt, alertID string) (string, error) {
	if stmt(stmtKeyLock) == nil {
		return "", nil
	}
	var agentID string
	err := stmt(stmtAlertAgent).QueryRowContext(ctx, alertID).Scan(&agentID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read agent of alert: %w", err)
	}
	return agentID, nil
}

// joinEntities drops entities without a kind or value and repeats, and
// keeps the first MaxIncidentEntities.
func joinEntities(in []store.Entity) []store.Entity {
	out := make([]store.Entity, 0, min(len(in), store.MaxIncidentEntities))
	seen := make(map[store.Entity]bool, len(in))
	for _, e := range in {
		if e.Kind == "" || e.Value == "" || seen[e] {
			continue
		}
		if len(out) == store.MaxIncidentEntities {
			break
		}
		seen[e] = true
		out = append(out, e)
	}
	return out
}

// Lock keys of Attach. Every Attach holds attachLockKey: shared when it
// locks its entities one by one, exclusive (excluding every other Attach)
// when it has more than maxEntityLocks of them, so that one transaction
// never takes more locks than the database's lock table is sized for.
const (
	attachLockKey  = 0x696e636964656e74 // "incident" in ASCII
	maxEntityLocks = 32
)

// hostLockKind is the kind of the entity-like key a host is locked by. No
// entity has that kind and none is stored with it: a stored entity that
// happened to share the key would only wait for the host's Attaches.
const hostLockKind = "host"

// entityLockKey is the lock key of an entity: 64 bits of its FNV-1a hash
// (two entities sharing a key only wait for each other).
func entityLockKey(e store.Entity) int64 {
	h := fnv.New64a()
	h.Write([]byte(e.Kind))
	h.Write([]byte{0})
	h.Write([]byte(e.Value))
	k := int64(h.Sum64())
	if k == attachLockKey {
		k ^= 1
	}
	return k
}

// hostLockKey is the lock key of the host of agent agentID.
func hostLockKey(agentID string) int64 {
	return entityLockKey(store.Entity{Kind: hostLockKind, Value: agentID})
}

// lockKeys takes the dialect's key locks for entities and, when host is
// not empty, for that host, in key order so that concurrent Attaches
// cannot deadlock.
func lockKeys(ctx context.Context, stmt func(int) *sql.Stmt, entities []store.Entity, host string) error {
	if stmt(stmtKeyLock) == nil {
		return nil
	}
	keys := make([]int64, 0, len(entities)+1)
	for _, e := range entities {
		keys = append(keys, entityLockKey(e))
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	if len(keys) > maxEntityLocks {
		_, err := stmt(stmtKeyLock).ExecContext(ctx, int64(attachLockKey))
		return err
	}
	if host != "" {
		keys = append(keys, hostLockKey(host))
		slices.Sort(keys)
		keys = slices.Compact(keys)
	}
	if _, err := stmt(stmtSharedKeyLock).ExecContext(ctx, int64(attachLockKey)); err != nil {
		return err
	}
	for _, k := range keys {
		if _, err := stmt(stmtKeyLock).ExecContext(ctx, k); err != nil {
			return err
		}
	}
	return nil
}

// lockIncident reads and locks an incident through one of the lock
// statements; nil when it selects none.
func lockIncident(ctx context.Context, lock *sql.Stmt, id string) (*store.Incident, error) {
	inc, err := scanIncident(lock.QueryRowContext(ctx, id))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("read incident %q: %w", id, err)
	}
	return &inc, nil
}

// candidateTries is how many candidate incidents pick ranks: one closed
// between the ranking and its lock gives way to the next.
const candidateTries = 8

// entityListSizes are the lengths the entity list of the candidate query
// is padded to (with repeats, which IN ignores), so that the query has a
// few shapes to prepare and cache.
var entityListSizes = []int{4, 16, 64, 256, store.MaxIncidentEntities}

// paddedSize returns the entityListSizes entry that holds n entities.
func paddedSize(n int) int {
	for _, size := range entityListSizes {
		if n <= size {
			return size
		}
	}
	return n
}

// pick returns the locked open incident that a's entities join: the one
// sharing the most of them among those last seen within window before the
// alert, the most recently seen (then the highest id) on a tie; nil when
// there is none.
func pick(ctx context.Context, stmt func(int) *sql.Stmt, a store.Alert, entities []store.Entity, window time.Duration) (*store.Incident, error) {
	if len(entities) == 0 {
		return nil, nil
	}
	n := paddedSize(len(entities))
	args := make([]any, 0, 2*n+2)
	for i := range n {
		e := entities[min(i, len(entities)-1)]
		args = append(args, e.Kind, e.Value)
	}
	args = append(args, windowStart(a, window), candidateTries)
	return lockCandidate(ctx, stmt, stmtPick+n, args...)
}

// pickByHost returns the locked open incident that a, sharing no entity
// with one, joins through its host: for a host alert the one involving
// the host, else the one holding a host alert of the host, last seen (the
// host alert, for the latter) within window before a, the most recently
// seen incident first; nil when there is none or a has no agent.
func pickByHost(ctx context.Context, stmt func(int) *sql.Stmt, a store.Alert, sameHost bool, window time.Duration) (*store.Incident, error) {
	if a.AgentID == "" {
		return nil, nil
	}
	key := stmtPickHostAlert
	if sameHost {
		key = stmtPickHost
	}
	return lockCandidate(ctx, stmt, key, a.AgentID, windowStart(a, window), candidateTries)
}

// windowStart is the earliest last sighting, in microseconds, of an
// incident a may join within window.
func windowStart(a store.Alert, window time.Duration) int64 {
	if window <= 0 {
		return math.MinInt64
	}
	return a.LastSeen.Add(-window).UnixMicro()
}

// lockCandidate runs the candidate query of key, which returns incident
// ids best first, and returns the first of them that is still open,
// locked; nil when there is none.
func lockCandidate(ctx context.Context, stmt func(int) *sql.Stmt, key int, args ...any) (*store.Incident, error) {
	rows, err := stmt(key).QueryContext(ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("find incidents: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("find incidents: %w", err)
		}
		ids = append(ids, id)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, fmt.Errorf("find incidents: %w", err)
	}
	for _, id := range ids {
		inc, err := lockIncident(ctx, stmt(stmtLockOpenIncident), id)
		if err != nil || inc != nil {
			return inc, err
		}
	}
	return nil, nil
}

// newIncident is the incident a first alert opens, before absorb adds the
// alert to it.
func newIncident(a store.Alert, j store.Join) *store.Incident {
	title := j.Title
	if title == "" {
		title = a.Title
	}
	return &store.Incident{
		ID: uuid.NewString(), Title: title, Severity: a.Severity, State: store.IncidentOpen,
		FirstSeen: a.CreatedAt, LastSeen: a.LastSeen, CreatedAt: j.At,
	}
}

// absorb adds alert a and its entities to inc, counting a when counted. It
// returns the entities it added (within MaxIncidentEntities) and whether
// a's agent is new to inc.
func absorb(inc *store.Incident, a store.Alert, entities []store.Entity, counted bool) (added []store.Entity, newAgent bool) {
	if counted {
		inc.AlertCount++
	}
	if a.Severity.Rank() > inc.Severity.Rank() {
		inc.Severity = a.Severity
	}
	if inc.FirstSeen.IsZero() || a.CreatedAt.Before(inc.FirstSeen) {
		inc.FirstSeen = a.CreatedAt
	}
	if a.LastSeen.After(inc.LastSeen) {
		inc.LastSeen = a.LastSeen
	}
	if a.AgentID != "" && !slices.Contains(inc.AgentIDs, a.AgentID) {
		inc.AgentIDs = append(inc.AgentIDs, a.AgentID)
		newAgent = true
	}
	inc.Hostnames = appendNew(inc.Hostnames, a.Hostname)
	inc.RuleIDs = appendNew(inc.RuleIDs, a.RuleID)
	inc.Techniques = appendNew(inc.Techniques, a.Techniques...)
	held := make(map[store.Entity]bool, len(inc.Entities))
	for _, e := range inc.Entities {
		held[e] = true
	}
	for _, e := range entities {
		if len(inc.Entities) >= store.MaxIncidentEntities {
			break
		}
		if !held[e] {
			held[e] = true
			inc.Entities = append(inc.Entities, e)
			added = append(added, e)
		}
	}
	return added, newAgent
}

// appendNew appends the non-empty values that list does not hold yet.
func appendNew(list []string, values ...string) []string {
	for _, v := range values {
		if v != "" && !slices.Contains(list, v) {
			list = append(list, v)
		}
	}
	return list
}

// write inserts a new incident or rewrites a locked one, returning it as
// stored.
func write(ctx context.Context, stmt func(int) *sql.Stmt, inc store.Incident, isNew bool) (store.Incident, error) {
	args, err := incidentArgs(inc)
	if err != nil {
		return store.Incident{}, err
	}
	key := stmtInsertIncident
	if !isNew {
		key, args = stmtUpdateIncident, append(args[1:], inc.ID)
	}
	out, err := scanIncident(stmt(key).QueryRowContext(ctx, args...))
	if err != nil {
		return store.Incident{}, fmt.Errorf("write incident: %w", err)
	}
	return out, nil
}

// Keys of the statements of Attach; stmtPick+n is the candidate query for
// n entities, n of entityListSizes.
const (
	stmtKeyLock = iota
	stmtSharedKeyLock
	stmtAlertAgent
	stmtLockAlert
	stmtLockIncident
	stmtLockOpenIncident
	stmtInsertIncident
	stmtUpdateIncident
	stmtAddAgent
	stmtAddHostAlert
	stmtSetAlertIncident
	stmtPickHost
	stmtPickHostAlert
	stmtPick
)

// attachStatements are the statements of Attach, prepared once.
type attachStatements struct {
	byKey       map[int]*sql.Stmt
	addEntities chunked
}

// in returns a function giving the statement of a key for use within tx
// (nil for a statement the dialect does not have).
func (a *attachStatements) in(ctx context.Context, tx *sql.Tx) func(key int) *sql.Stmt {
	inTx := make(map[int]*sql.Stmt, 8)
	return func(key int) *sql.Stmt {
		if stmt, ok := inTx[key]; ok {
			return stmt
		}
		var stmt *sql.Stmt
		if prepared := a.byKey[key]; prepared != nil {
			stmt = tx.StmtContext(ctx, prepared)
		}
		inTx[key] = stmt
		return stmt
	}
}

// statements prepares (once) the statements of Attach.
func (st incidentStore) statements(ctx context.Context) (*attachStatements, error) {
	byKey, err := st.s.preparedStmts(ctx, "incident attach", func() map[int]string { return attachQueries(st.s.d) })
	if err != nil {
		return nil, err
	}
	addEntities, err := st.s.preparedChunks(ctx, "incident entities", func(n int) string {
		return `INSERT INTO incident_entities (incident_id, kind, value) VALUES ` + valuesList(n, 3) +
			` ON CONFLICT DO NOTHING`
	})
	if err != nil {
		return nil, err
	}
	return &attachStatements{byKey: byKey, addEntities: addEntities}, nil
}

// attachQueries returns the queries of Attach for dialect d, by key.
func attachQueries(d *Dialect) map[int]string {
	queries := map[int]string{
		stmtAlertAgent:       `SELECT agent_id FROM alerts WHERE id = ?`,
		stmtLockAlert:        `SELECT ` + alertCols + ` FROM alerts WHERE id = ?` + d.ForUpdate,
		stmtLockIncident:     `SELECT ` + incidentCols + ` FROM incidents WHERE id = ?` + d.ForUpdate,
		stmtLockOpenIncident: `SELECT ` + incidentCols + ` FROM incidents WHERE id = ? AND ` + openIncident + d.ForUpdate,
		stmtInsertIncident: `INSERT INTO incidents (` + incidentCols + `)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ` + incidentCols,
		// The row is locked: its state, assignee and comments are as read.
		stmtUpdateIncident: `UPDATE incidents SET title = ?, severity = ?, state = ?, agent_ids = ?, hostnames = ?,
			techniques = ?, rule_ids = ?, entities = ?, alert_count = ?, assignee = ?, first_seen = ?,
			last_seen = ?, created_at = ?, updated_at = ?, comments = ? WHERE id = ? RETURNING ` + incidentCols,
		stmtAddAgent:         `INSERT INTO incident_agents (incident_id, agent_id) VALUES (?, ?) ON CONFLICT DO NOTHING`,
		stmtSetAlertIncident: `UPDATE alerts SET incident_id = ? WHERE id = ?`,
		// A host alert's sighting in its incident only moves forward.
		stmtAddHostAlert: `INSERT INTO incident_host_alerts (incident_id, agent_id, last_seen) VALUES (?, ?, ?)
			ON CONFLICT (incident_id, agent_id) DO UPDATE SET last_seen = excluded.last_seen
			WHERE excluded.last_seen > incident_host_alerts.last_seen`,
		// CROSS JOIN keeps SQLite starting from the host's rows, which
		// are few, rather than from every open incident of every host.
		stmtPickHost: `SELECT i.id FROM incident_agents g CROSS JOIN incidents i
			WHERE g.agent_id = ? AND i.id = g.incident_id AND i.` + openIncident + ` AND i.last_seen >= ?
			ORDER BY i.last_seen DESC, i.id DESC LIMIT ?`,
		stmtPickHostAlert: `SELECT i.id FROM incident_host_alerts h CROSS JOIN incidents i
			WHERE h.agent_id = ? AND h.last_seen >= ? AND i.id = h.incident_id AND i.` + openIncident + `
			ORDER BY i.last_seen DESC, i.id DESC LIMIT ?`,
	}
	if d.KeyLock != "" {
		queries[stmtKeyLock], queries[stmtSharedKeyLock] = d.KeyLock, d.SharedKeyLock
	}
	for _, n := range entityListSizes {
		// CROSS JOIN keeps SQLite looking the entities up first, in the
		// (kind, value) index, rather than walking the open incidents.
		queries[stmtPick+n] = `WITH wanted (kind, value) AS (VALUES ` + valuesList(n, 2) + `)
			SELECT i.id FROM incident_entities e CROSS JOIN incidents i
			WHERE i.id = e.incident_id AND (e.kind, e.value) IN (SELECT kind, value FROM wanted)
				AND i.` + openIncident + ` AND i.last_seen >= ?
			GROUP BY i.id, i.last_seen
			ORDER BY COUNT(*) DESC, i.last_seen DESC, i.id DESC LIMIT ?`
	}
	return queries
}
