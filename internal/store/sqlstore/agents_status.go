package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// touchChunk bounds the rows of one TouchMany statement.
const touchChunk = 500

// List returns agents ordered by hostname, then id.
func (st agentStore) List(ctx context.Context, f store.AgentFilter) ([]store.Agent, string, error) {
	c, ok, err := DecodeCursor(f.Cursor, kindAgents)
	if err != nil {
		return nil, "", fmt.Errorf("list agents: %w", err)
	}
	var w where
	if f.Status != "" {
		w.add("status = ?", f.Status)
	}
	keys := make([]string, 0, len(f.Labels))
	for k := range f.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		w.add(`EXISTS (SELECT 1 FROM agent_labels l
			WHERE l.agent_id = agents.id AND l.key = ? AND l.value = ?)`, k, f.Labels[k])
	}
	if f.Q != "" {
		w.add(`search LIKE ? ESCAPE '\'`, containsPattern(f.Q))
	}
	if ok {
		w.add("(hostname, id) > (?, ?)", c.S, c.T)
	}
	limit := limitOf(f.Limit)
	agents, err := queryList(ctx, st.s, `SELECT `+agentCols+` FROM agents`+w.String()+
		` ORDER BY hostname, id LIMIT ?`, append(w.args, limit+1), scanAgent)
	if err != nil {
		return nil, "", fmt.Errorf("list agents: %w", err)
	}
	agents, next := pageOf(agents, limit, func(a store.Agent) Cursor {
		return Cursor{Kind: kindAgents, S: a.Hostname, T: a.ID}
	})
	return agents, next, nil
}

// SetStatus records a status change and its history entry when the status
// differs from the stored one. A zero at means now.
func (st agentStore) SetStatus(ctx context.Context, id string, to store.AgentStatus, reason string, at time.Time) (bool, error) {
	if at.IsZero() {
		at = time.Now()
	}
	what := fmt.Sprintf("set status of agent %q", id)
	changed := false
	err := st.s.tx(ctx, func(tx *sql.Tx) error {
		var from store.AgentStatus
		err := tx.QueryRowContext(ctx, st.s.sql(`SELECT status FROM agents WHERE id = ?`+st.s.d.ForUpdate), id).Scan(&from)
		if err != nil {
			return notFound(what, err)
		}
		if from == to {
			return nil
		}
		if _, err := tx.ExecContext(ctx, st.s.sql(`UPDATE agents SET status = ?, status_reason = ?,
			status_changed_at = ? WHERE id = ?`), to, reason, micros(at), id); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if _, err := tx.ExecContext(ctx, st.s.sql(`INSERT INTO agent_status_history
			(agent_id, at, from_status, to_status, reason) VALUES (?, ?, ?, ?, ?)`),
			id, micros(at), from, to, reason); err != nil {
			return fmt.Errorf("%s: history: %w", what, err)
		}
		changed = true
		return nil
	})
	return changed, err
}

// TouchMany moves last_seen forward for many agents in a few statements.
// Unknown ids and zero times are ignored: the agent may have been deleted
// meanwhile.
func (st agentStore) TouchMany(ctx context.Context, lastSeen map[string]time.Time) error {
	ids := make([]string, 0, len(lastSeen))
	for id, t := range lastSeen {
		if !t.IsZero() {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids) // a fixed lock order across concurrent callers
	if len(ids) == 0 {
		return nil
	}
	return st.s.tx(ctx, func(tx *sql.Tx) error {
		for start := 0; start < len(ids); start += touchChunk {
			chunk := ids[start:min(start+touchChunk, len(ids))]
			var q strings.Builder
			q.WriteString(`UPDATE agents SET last_seen = v.column2 FROM (VALUES `)
			args := make([]any, 0, 2*len(chunk))
			for i, id := range chunk {
				if i == 0 {
					q.WriteString("(?, CAST(? AS BIGINT))")
				} else {
					q.WriteString(", (?, ?)")
				}
				args = append(args, id, lastSeen[id].UnixMicro())
			}
			q.WriteString(`) AS v WHERE agents.id = v.column1
				AND (agents.last_seen IS NULL OR agents.last_seen < v.column2)`)
			if _, err := tx.ExecContext(ctx, st.s.sql(q.String()), args...); err != nil {
				return fmt.Errorf("touch %d agents: %w", len(chunk), err)
			}
		}
		return nil
	})
}

// History returns an agent's status changes, newest first.
func (st agentStore) History(ctx context.Context, id string, limit int) ([]store.StatusChange, error) {
	what := fmt.Sprintf("history of agent %q", id)
	out, err := queryList(ctx, st.s, `SELECT agent_id, at, from_status, to_status, reason
		FROM agent_status_history WHERE agent_id = ? ORDER BY seq DESC LIMIT ?`,
		[]any{id, limitOf(limit)}, func(r rowScanner) (store.StatusChange, error) {
			var c store.StatusChange
			err := r.Scan(&c.AgentID, timeCol{&c.At}, &c.From, &c.To, &c.Reason)
			return c, err
		})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if len(out) == 0 {
		var one int
		err := st.s.r.QueryRowContext(ctx, st.s.sql(`SELECT 1 FROM agents WHERE id = ?`), id).Scan(&one)
		if err != nil {
			return nil, notFound(what, err)
		}
	}
	return out, nil
}
