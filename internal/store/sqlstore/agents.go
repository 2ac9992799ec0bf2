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

type agentStore struct{ s *Store }

const agentCols = `id, hostname, status, status_reason, status_changed_at, last_seen,
	enrolled_at, labels, os, platform, platform_version, kernel, arch, ips, boot_time,
	agent_version, machine_id, user_key, join_token_id, last_state`

func scanAgent(r rowScanner) (store.Agent, error) {
	var a store.Agent
	err := r.Scan(&a.ID, &a.Hostname, &a.Status, &a.StatusReason, timeCol{&a.StatusChangedAt},
		timeCol{&a.LastSeen}, timeCol{&a.EnrolledAt}, jsonCol{&a.Labels}, &a.OS, &a.Platform,
		&a.PlatformVersion, &a.Kernel, &a.Arch, jsonCol{&a.IPs}, timeCol{&a.BootTime},
		&a.AgentVersion, &a.MachineID, &a.UserKey, &a.JoinTokenID, &a.LastState)
	a.Labels = labelsOrEmpty(a.Labels)
	a.IPs = listOrEmpty(a.IPs)
	if len(a.LastState) == 0 {
		a.LastState = nil
	}
	return a, err
}

// agentSearch is the case-folded text that AgentFilter.Q is matched against.
func agentSearch(a store.Agent) string {
	return strings.ToLower(a.Hostname + "\n" + a.ID + "\n" + strings.Join(a.IPs, "\n"))
}

// agentJSON encodes the labels and IPs columns.
func agentJSON(a store.Agent) (labels, ips string, err error) {
	if labels, err = jsonText(labelsOrEmpty(a.Labels)); err != nil {
		return "", "", err
	}
	ips, err = jsonText(listOrEmpty(a.IPs))
	return labels, ips, err
}

func nilIfEmpty(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// Create inserts a new agent. An empty status is stored as enrolled, and a
// zero EnrolledAt or StatusChangedAt as now.
func (st agentStore) Create(ctx context.Context, a store.Agent) error {
	now := time.Now()
	if a.Status == "" {
		a.Status = store.StatusEnrolled
	}
	if a.EnrolledAt.IsZero() {
		a.EnrolledAt = now
	}
	if a.StatusChangedAt.IsZero() {
		a.StatusChangedAt = a.EnrolledAt
	}
	labels, ips, err := agentJSON(a)
	if err != nil {
		return fmt.Errorf("create agent %q: %w", a.ID, err)
	}
	return st.s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, st.s.sql(`INSERT INTO agents (`+agentCols+`, search)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO NOTHING`),
			a.ID, a.Hostname, a.Status, a.StatusReason, micros(a.StatusChangedAt), micros(a.LastSeen),
			micros(a.EnrolledAt), labels, a.OS, a.Platform, a.PlatformVersion, a.Kernel, a.Arch, ips,
			micros(a.BootTime), a.AgentVersion, a.MachineID, a.UserKey, a.JoinTokenID,
			nilIfEmpty(a.LastState), agentSearch(a))
		if err != nil {
			return fmt.Errorf("create agent %q: %w", a.ID, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return fmt.Errorf("create agent %q: %w", a.ID, orErr(err, store.ErrAlreadyExists))
		}
		return st.s.putLabels(ctx, tx, a.ID, a.Labels)
	})
}

// orErr returns err when set, else fallback.
func orErr(err, fallback error) error {
	if err != nil {
		return err
	}
	return fallback
}

// Get returns one agent.
func (st agentStore) Get(ctx context.Context, id string) (store.Agent, error) {
	row := st.s.r.QueryRowContext(ctx, st.s.sql(`SELECT `+agentCols+` FROM agents WHERE id = ?`), id)
	a, err := scanAgent(row)
	if err != nil {
		return store.Agent{}, notFound(fmt.Sprintf("get agent %q", id), err)
	}
	return a, nil
}

// Update replaces the mutable fields of an agent. A zero LastSeen keeps the
// stored one.
func (st agentStore) Update(ctx context.Context, a store.Agent) error {
	labels, ips, err := agentJSON(a)
	if err != nil {
		return fmt.Errorf("update agent %q: %w", a.ID, err)
	}
	return st.s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, st.s.sql(`UPDATE agents SET hostname = ?, labels = ?, os = ?,
			platform = ?, platform_version = ?, kernel = ?, arch = ?, ips = ?, boot_time = ?,
			agent_version = ?, machine_id = ?, last_state = ?,
			last_seen = COALESCE(?, last_seen), search = ? WHERE id = ?`),
			a.Hostname, labels, a.OS, a.Platform, a.PlatformVersion, a.Kernel, a.Arch, ips,
			micros(a.BootTime), a.AgentVersion, a.MachineID, nilIfEmpty(a.LastState),
			micros(a.LastSeen), agentSearch(a), a.ID)
		if err != nil {
			return fmt.Errorf("update agent %q: %w", a.ID, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return fmt.Errorf("update agent %q: %w", a.ID, orErr(err, store.ErrNotFound))
		}
		return st.s.putLabels(ctx, tx, a.ID, a.Labels)
	})
}

// SetLabels replaces an agent's labels.
func (st agentStore) SetLabels(ctx context.Context, id string, labels map[string]string) error {
	text, err := jsonText(labelsOrEmpty(labels))
	if err != nil {
		return fmt.Errorf("set labels of agent %q: %w", id, err)
	}
	return st.s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, st.s.sql(`UPDATE agents SET labels = ? WHERE id = ?`), text, id)
		if err != nil {
			return fmt.Errorf("set labels of agent %q: %w", id, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return fmt.Errorf("set labels of agent %q: %w", id, orErr(err, store.ErrNotFound))
		}
		return st.s.putLabels(ctx, tx, id, labels)
	})
}

// putLabels replaces the rows of agent_labels (used by label filters).
func (s *Store) putLabels(ctx context.Context, tx *sql.Tx, id string, labels map[string]string) error {
	if _, err := tx.ExecContext(ctx, s.sql(`DELETE FROM agent_labels WHERE agent_id = ?`), id); err != nil {
		return fmt.Errorf("labels of agent %q: %w", id, err)
	}
	if len(labels) == 0 {
		return nil
	}
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var q strings.Builder
	q.WriteString(`INSERT INTO agent_labels (agent_id, key, value) VALUES `)
	args := make([]any, 0, 3*len(keys))
	for i, k := range keys {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?)")
		args = append(args, id, k, labels[k])
	}
	if _, err := tx.ExecContext(ctx, s.sql(q.String()), args...); err != nil {
		return fmt.Errorf("labels of agent %q: %w", id, err)
	}
	return nil
}

// Delete removes an agent, its labels and its history.
func (st agentStore) Delete(ctx context.Context, id string) error {
	return st.s.execOne(ctx, fmt.Sprintf("delete agent %q", id), `DELETE FROM agents WHERE id = ?`, id)
}
