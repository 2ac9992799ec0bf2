package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

const scoreCols = `agent_id, policy_id, at, passed, failed, errors, excepted, not_applicable, score`

func scanScore(r rowScanner) (store.ComplianceScore, error) {
	var s store.ComplianceScore
	err := r.Scan(&s.AgentID, &s.PolicyID, timeCol{&s.At}, &s.Passed, &s.Failed, &s.Errors, &s.Excepted,
		&s.NotApplicable, &s.Score)
	return s, err
}

// microsPerDay is the length of a UTC day in microseconds (Unix time
// has no leap seconds).
const microsPerDay = 24 * 60 * 60 * 1000 * 1000

// utcDay is the number of the UTC day of a time stored as micros: the
// days since the Unix epoch, counted down before it.
func utcDay(micros int64) int64 {
	day := micros / microsPerDay
	if micros%microsPerDay < 0 {
		day--
	}
	return day
}

// passRate is passed / (passed + failed) in percent, 0 with neither.
func passRate(passed, failed int) float64 {
	if passed+failed == 0 {
		return 0
	}
	return 100 * float64(passed) / (float64(passed) + float64(failed))
}

// PutScore records a host's score for a policy in one upsert, replacing
// the one of the same host, policy and UTC day of At whatever its time
// (the later call wins, so concurrent puts leave one row). The score is
// computed from the counts (passed / (passed + failed) in percent, 0 with
// neither); a zero At means now. ErrInvalid for an empty agent or policy
// id, a negative count, or ids no database holds.
func (st complianceStore) PutScore(ctx context.Context, s store.ComplianceScore) error {
	what := fmt.Sprintf("put compliance score of agent %q policy %q", s.AgentID, s.PolicyID)
	switch {
	case s.AgentID == "":
		return fmt.Errorf("%s: %w: empty agent id", what, store.ErrInvalid)
	case s.PolicyID == "":
		return fmt.Errorf("%s: %w: empty policy id", what, store.ErrInvalid)
	case s.Passed < 0 || s.Failed < 0 || s.Errors < 0 || s.Excepted < 0 || s.NotApplicable < 0:
		return fmt.Errorf("%s: %w: negative count (%d passed, %d failed, %d errors, %d excepted, %d not applicable)",
			what, store.ErrInvalid, s.Passed, s.Failed, s.Errors, s.Excepted, s.NotApplicable)
	}
	if err := checkTexts([]textField{{"agent id", s.AgentID}, {"policy id", s.PolicyID}}, nil); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if s.At.IsZero() {
		s.At = time.Now()
	}
	at := s.At.UnixMicro()
	_, err := st.s.exec(ctx, `INSERT INTO compliance_scores (day, `+scoreCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (agent_id, policy_id, day) DO UPDATE SET at = excluded.at, passed = excluded.passed,
			failed = excluded.failed, errors = excluded.errors, excepted = excluded.excepted,
			not_applicable = excluded.not_applicable, score = excluded.score`,
		utcDay(at), s.AgentID, s.PolicyID, at, s.Passed, s.Failed, s.Errors, s.Excepted, s.NotApplicable,
		passRate(s.Passed, s.Failed))
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// Scores returns score history entries, newest first (by time, then
// agent and policy id, descending).
func (st complianceStore) Scores(ctx context.Context, f store.ComplianceScoreFilter) ([]store.ComplianceScore, string, error) {
	const what = "list compliance scores"
	c, ok, err := DecodeCursor(f.Cursor, kindScores)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", what, err)
	}
	var after *Cursor
	if ok {
		after = &c
	}
	query, args, err := scoreListSQL(f, after)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", what, err)
	}
	limit := limitOf(f.Limit)
	out, err := queryList(ctx, st.s, query+` LIMIT ?`, append(args, limit+1), scanScore)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", what, err)
	}
	out, next := pageOf(out, limit, func(s store.ComplianceScore) Cursor {
		return Cursor{Kind: kindScores, N: s.At.UnixMicro(), S: s.AgentID, T: s.PolicyID}
	})
	return out, next, nil
}

// scoreListSQL is the listing query of f without LIMIT, starting after
// the cursor when there is one. The order is at, agent_id, policy_id,
// all descending; the columns the filter fixes are left out of it, so
// that the index that starts with them serves the listing and the cursor
// compares with it as one row. With both fixed, the day stands for at:
// there is one score per day, and the key serves the listing.
func scoreListSQL(f store.ComplianceScoreFilter, after *Cursor) (string, []any, error) {
	if err := checkTexts([]textField{{"agent id", f.AgentID}, {"policy id", f.PolicyID}}, nil); err != nil {
		return "", nil, err
	}
	var w where
	if f.AgentID != "" {
		w.add("agent_id = ?", f.AgentID)
	}
	if f.PolicyID != "" {
		w.add("policy_id = ?", f.PolicyID)
	}
	if !f.Since.IsZero() {
		w.add("at >= ?", f.Since.UnixMicro())
	}
	if !f.Until.IsZero() {
		w.add("at < ?", f.Until.UnixMicro())
	}
	var order []string
	var key func(c *Cursor) []any
	switch {
	case f.AgentID != "" && f.PolicyID != "":
		order, key = []string{"day"}, func(c *Cursor) []any { return []any{utcDay(c.N)} }
	case f.AgentID != "":
		order, key = []string{"at", "policy_id"}, func(c *Cursor) []any { return []any{c.N, c.T} }
	case f.PolicyID != "":
		order, key = []string{"at", "agent_id"}, func(c *Cursor) []any { return []any{c.N, c.S} }
	default:
		order, key = []string{"at", "agent_id", "policy_id"}, func(c *Cursor) []any { return []any{c.N, c.S, c.T} }
	}
	if after != nil {
		if err := checkCursorText(after.S, after.T); err != nil {
			return "", nil, err
		}
		w.add("("+strings.Join(order, ", ")+") < "+valuesList(1, len(order)), key(after)...)
	}
	return `SELECT ` + scoreCols + ` FROM compliance_scores` + w.String() + ` ORDER BY ` +
		strings.Join(order, " DESC, ") + ` DESC`, w.args, nil
}

// DeleteAgentScores removes a host's score history.
func (st complianceStore) DeleteAgentScores(ctx context.Context, agentID string) error {
	if !storable(agentID) {
		return nil // no agent has it
	}
	if _, err := st.s.exec(ctx, `DELETE FROM compliance_scores WHERE agent_id = ?`, agentID); err != nil {
		return fmt.Errorf("delete compliance scores of agent %q: %w", agentID, err)
	}
	return nil
}
