package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// baselineStore keeps the behaviour baselines.
type baselineStore struct{ s *Store }

// loginProfileCols are the columns a login profile is read and written
// with.
const loginProfileCols = `agent_id, user_name, first_seen, last_seen, logins, hours, sources, learned_at, revision`

// loginProfileWidth is the number of loginProfileCols.
const loginProfileWidth = 9

// loginSourceJSON is a LoginSource as stored in the sources column: its
// times in microseconds since the epoch, absent when zero.
type loginSourceJSON struct {
	IP        string `json:"ip"`
	FirstSeen *int64 `json:"first_seen,omitempty"`
	LastSeen  *int64 `json:"last_seen,omitempty"`
	Count     int64  `json:"count"`
}

// microsPtr is t in microseconds since the epoch, nil when zero.
func microsPtr(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	m := t.UnixMicro()
	return &m
}

// timeOfMicros is the UTC time of a stored microsecond count, zero for nil.
func timeOfMicros(m *int64) time.Time {
	if m == nil {
		return time.Time{}
	}
	return time.UnixMicro(*m).UTC()
}

// loginSourcesText encodes sources for the sources column.
func loginSourcesText(sources []store.LoginSource) (string, error) {
	rows := make([]loginSourceJSON, len(sources))
	for i, src := range sources {
		rows[i] = loginSourceJSON{IP: src.IP, FirstSeen: microsPtr(src.FirstSeen), LastSeen: microsPtr(src.LastSeen),
			Count: src.Count}
	}
	return jsonText(rows)
}

// loginSourcesCol scans the sources column.
type loginSourcesCol struct{ l *[]store.LoginSource }

// Scan implements sql.Scanner.
func (c loginSourcesCol) Scan(src any) error {
	var rows []loginSourceJSON
	if err := scanJSON(src, &rows, false); err != nil {
		return fmt.Errorf("login sources: %w", err)
	}
	out := make([]store.LoginSource, len(rows))
	for i, r := range rows {
		out[i] = store.LoginSource{IP: r.IP, FirstSeen: timeOfMicros(r.FirstSeen), LastSeen: timeOfMicros(r.LastSeen),
			Count: r.Count}
	}
	*c.l = out
	return nil
}

// scanLoginProfile reads loginProfileCols.
func scanLoginProfile(r rowScanner) (store.LoginProfile, error) {
	var p store.LoginProfile
	err := r.Scan(&p.AgentID, &p.User, timeCol{&p.FirstSeen}, timeCol{&p.LastSeen}, &p.Logins, jsonCol{&p.Hours},
		loginSourcesCol{&p.Sources}, timeCol{&p.LearnedAt}, &p.Revision)
	return p, err
}

// checkLoginProfile rejects a profile the store does not hold: an empty
// agent id or user, a negative count, or text no database holds.
func checkLoginProfile(p store.LoginProfile) error {
	switch {
	case p.AgentID == "":
		return fmt.Errorf("%w: empty agent id", store.ErrInvalid)
	case p.User == "":
		return fmt.Errorf("%w: empty user", store.ErrInvalid)
	case p.Logins < 0:
		return fmt.Errorf("%w: negative logins %d", store.ErrInvalid, p.Logins)
	}
	for hour, n := range p.Hours {
		if n < 0 {
			return fmt.Errorf("%w: negative count %d of hour %d", store.ErrInvalid, n, hour)
		}
	}
	ips := make([]string, len(p.Sources))
	for i, src := range p.Sources {
		if src.Count < 0 {
			return fmt.Errorf("%w: negative count %d of source %q", store.ErrInvalid, src.Count, src.IP)
		}
		ips[i] = src.IP
	}
	return checkTexts([]textField{{"agent id", p.AgentID}, {"user", p.User}}, map[string][]string{"source": ips})
}

// loginProfileKey is the identity of a profile.
type loginProfileKey struct{ agentID, user string }

// compareLoginProfileKeys orders profiles by agent id, then user.
func compareLoginProfileKeys(a, b loginProfileKey) int {
	return cmp.Or(strings.Compare(a.agentID, b.agentID), strings.Compare(a.user, b.user))
}

// PutLoginProfiles checks every profile, then upserts them in one
// transaction, by agent id and user (a fixed order of the rows' locks).
// A profile given k times is written once, as given last, and its
// revision moves by k, as k puts one after the other would move it.
func (st baselineStore) PutLoginProfiles(ctx context.Context, ps []store.LoginProfile) error {
	what := fmt.Sprintf("put %d login profiles", len(ps))
	if len(ps) == 0 {
		return nil
	}
	last := make(map[loginProfileKey]store.LoginProfile, len(ps))
	times := make(map[loginProfileKey]int64, len(ps))
	keys := make([]loginProfileKey, 0, len(ps))
	for i, p := range ps {
		if err := checkLoginProfile(p); err != nil {
			return fmt.Errorf("%s: profile %d (agent %q user %q): %w", what, i, p.AgentID, p.User, err)
		}
		k := loginProfileKey{p.AgentID, p.User}
		if _, ok := last[k]; !ok {
			keys = append(keys, k)
		}
		last[k] = p
		times[k]++
	}
	slices.SortFunc(keys, compareLoginProfileKeys)
	rows := make([][]any, len(keys))
	for i, k := range keys {
		p := last[k]
		hours, err := jsonText(p.Hours)
		if err != nil {
			return fmt.Errorf("%s: profile of agent %q user %q: hours: %w", what, k.agentID, k.user, err)
		}
		sources, err := loginSourcesText(p.Sources)
		if err != nil {
			return fmt.Errorf("%s: profile of agent %q user %q: sources: %w", what, k.agentID, k.user, err)
		}
		rows[i] = []any{p.AgentID, p.User, micros(p.FirstSeen), micros(p.LastSeen), p.Logins, hours, sources, micros(p.LearnedAt), times[k]}
	}
	upsert, err := st.s.preparedChunks(ctx, "login profiles upsert", func(n int) string {
		return `INSERT INTO login_profiles (` + loginProfileCols + `) VALUES ` + valuesList(n, loginProfileWidth) + `
			ON CONFLICT (agent_id, user_name) DO UPDATE SET first_seen = excluded.first_seen,
				last_seen = excluded.last_seen, logins = excluded.logins, hours = excluded.hours,
				sources = excluded.sources, learned_at = excluded.learned_at,
				revision = login_profiles.revision + excluded.revision`
	})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	err = st.s.tx(ctx, func(tx *sql.Tx) error { return insertRows(ctx, tx, upsert, rows) })
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// GetLoginProfile returns one profile.
func (st baselineStore) GetLoginProfile(ctx context.Context, agentID, user string) (store.LoginProfile, error) {
	what := fmt.Sprintf("get login profile of agent %q user %q", agentID, user)
	if !storable(agentID, user) {
		return store.LoginProfile{}, fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	p, err := scanLoginProfile(st.s.r.QueryRowContext(ctx, st.s.sql(`SELECT `+loginProfileCols+
		` FROM login_profiles WHERE agent_id = ? AND user_name = ?`), agentID, user))
	if err != nil {
		return store.LoginProfile{}, notFound(what, err)
	}
	return p, nil
}

// loginProfileCursor is the position of p in the listing.
func loginProfileCursor(p store.LoginProfile) Cursor {
	return Cursor{Kind: kindLoginProfiles, S: p.AgentID, T: p.User}
}

// ListLoginProfiles returns profiles by agent id, then user.
func (st baselineStore) ListLoginProfiles(ctx context.Context, f store.LoginProfileFilter) ([]store.LoginProfile, string, error) {
	const what = "list login profiles"
	c, ok, err := DecodeCursor(f.Cursor, kindLoginProfiles)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", what, err)
	}
	var after *Cursor
	if ok {
		after = &c
	}
	query, args, err := loginProfileListSQL(f, after)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", what, err)
	}
	limit := limitOf(f.Limit)
	out, err := queryList(ctx, st.s, query+` LIMIT ?`, append(args, limit+1), scanLoginProfile)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", what, err)
	}
	out, next := pageOf(out, limit, loginProfileCursor)
	return out, next, nil
}

// loginProfileListSQL is the listing query of f without LIMIT, starting
// after the cursor when there is one. The columns the filter fixes are
// left out of the order, so that the key serves an agent's listing and
// login_profiles_user a user's across the fleet.
func loginProfileListSQL(f store.LoginProfileFilter, after *Cursor) (string, []any, error) {
	if err := checkTexts([]textField{{"agent id", f.AgentID}, {"user", f.User}}, nil); err != nil {
		return "", nil, err
	}
	var w where
	var order []string
	var key func(c *Cursor) []any
	switch {
	case f.AgentID != "" && f.User != "":
		w.add("agent_id = ? AND user_name = ?", f.AgentID, f.User)
		order, key = []string{"user_name"}, func(c *Cursor) []any { return []any{c.T} }
	case f.AgentID != "":
		w.add("agent_id = ?", f.AgentID)
		order, key = []string{"user_name"}, func(c *Cursor) []any { return []any{c.T} }
	case f.User != "":
		w.add("user_name = ?", f.User)
		order, key = []string{"agent_id"}, func(c *Cursor) []any { return []any{c.S} }
	default:
		order, key = []string{"agent_id", "user_name"}, func(c *Cursor) []any { return []any{c.S, c.T} }
	}
	if after != nil {
		if err := checkCursorText(after.S, after.T); err != nil {
			return "", nil, err
		}
		w.add("("+strings.Join(order, ", ")+") > "+valuesList(1, len(order)), key(after)...)
	}
	return `SELECT ` + loginProfileCols + ` FROM login_profiles` + w.String() + ` ORDER BY ` +
		strings.Join(order, ", "), w.args, nil
}

// DeleteLoginProfiles removes the profiles of an agent, or of one of its
// users. ErrInvalid for an empty agent id; ids no database holds have
// none.
func (st baselineStore) DeleteLoginProfiles(ctx context.Context, agentID, user string) (int, error) {
	what := fmt.Sprintf("delete login profiles of agent %q", agentID)
	if user != "" {
		what += fmt.Sprintf(" user %q", user)
	}
	switch {
	case agentID == "":
		return 0, fmt.Errorf("%s: %w: empty agent id", what, store.ErrInvalid)
	case !storable(agentID, user):
		return 0, nil
	}
	var w where
	w.add("agent_id = ?", agentID)
	if user != "" {
		w.add("user_name = ?", user)
	}
	n, err := st.s.exec(ctx, `DELETE FROM login_profiles`+w.String(), w.args...)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	return int(n), nil
}

// EachLoginProfile calls fn with every profile, by agent id then user,
// reading eachBatch of them per query in one snapshot; fn is called once
// a batch is read, with no query open.
func (st baselineStore) EachLoginProfile(ctx context.Context, fn func(store.LoginProfile) error) error {
	const what = "each login profile"
	tx, err := st.s.r.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return fmt.Errorf("%s: begin: %w", what, err)
	}
	defer func() { _ = tx.Rollback() }()
	first := st.s.sql(`SELECT ` + loginProfileCols + ` FROM login_profiles ORDER BY agent_id, user_name LIMIT ?`)
	next := st.s.sql(`SELECT ` + loginProfileCols + ` FROM login_profiles
		WHERE (agent_id, user_name) > (?, ?) ORDER BY agent_id, user_name LIMIT ?`)
	var after *store.LoginProfile
	for {
		query, args := first, []any{eachBatch}
		if after != nil {
			query, args = next, []any{after.AgentID, after.User, eachBatch}
		}
		batch, err := txList(ctx, tx, query, args, scanLoginProfile)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		for _, p := range batch {
			if err := fn(p); err != nil {
				return err
			}
		}
		if len(batch) < eachBatch {
			return nil
		}
		after = &batch[len(batch)-1]
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
}
