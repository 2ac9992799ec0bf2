package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/vigilsec/vigil/internal/store"
)

const complianceExceptionCols = `id, policy_id, check_id, agent_id, reason, expires_at, author, created_at`

func scanComplianceException(r rowScanner) (store.ComplianceException, error) {
	var e store.ComplianceException
	err := r.Scan(&e.ID, &e.PolicyID, &e.CheckID, &e.AgentID, &e.Reason, timeCol{&e.ExpiresAt}, &e.Author,
		timeCol{&e.CreatedAt})
	return e, err
}

// CreateException stores a new exception under a random id (an id the
// caller sets is replaced); a zero CreatedAt means now. ErrInvalid for an
// empty policy id or reason, or text no database holds.
func (st complianceStore) CreateException(ctx context.Context, e store.ComplianceException) (store.ComplianceException, error) {
	what := fmt.Sprintf("create exception of compliance policy %q", e.PolicyID)
	switch {
	case e.PolicyID == "":
		return store.ComplianceException{}, fmt.Errorf("%s: %w: empty policy id", what, store.ErrInvalid)
	case e.Reason == "":
		return store.ComplianceException{}, fmt.Errorf("%s: %w: empty reason", what, store.ErrInvalid)
	}
	if err := checkTexts([]textField{{"policy id", e.PolicyID}, {"check id", e.CheckID}, {"agent id", e.AgentID},
		{"reason", e.Reason}, {"author", e.Author}}, nil); err != nil {
		return store.ComplianceException{}, fmt.Errorf("%s: %w", what, err)
	}
	e.ID = uuid.NewString()
	if e.CreatedAt.IsZero() {
		e.CreatedAt = time.Now()
	}
	out, err := scanComplianceException(st.s.w.QueryRowContext(ctx, st.s.sql(`INSERT INTO compliance_exceptions
		(`+complianceExceptionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING `+complianceExceptionCols),
		e.ID, e.PolicyID, e.CheckID, e.AgentID, e.Reason, micros(e.ExpiresAt), e.Author, micros(e.CreatedAt)))
	if err != nil {
		return store.ComplianceException{}, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// Exceptions returns the exceptions of a policy (every policy's when
// policyID is empty), newest first (by creation, then id, descending).
// Unless expired is set, those that ended at or before now are left out
// (an exception ends at its ExpiresAt); a zero now means the current
// time. A policy id no database holds names no exception.
func (st complianceStore) Exceptions(ctx context.Context, policyID string, now time.Time, expired bool) ([]store.ComplianceException, error) {
	if !storable(policyID) {
		return []store.ComplianceException{}, nil
	}
	var w where
	if policyID != "" {
		w.add("policy_id = ?", policyID)
	}
	if !expired {
		if now.IsZero() {
			now = time.Now()
		}
		w.add("(expires_at IS NULL OR expires_at > ?)", now.UnixMicro())
	}
	out, err := queryList(ctx, st.s, `SELECT `+complianceExceptionCols+` FROM compliance_exceptions`+w.String()+
		` ORDER BY created_at DESC, id DESC`, w.args, scanComplianceException)
	if err != nil {
		return nil, fmt.Errorf("list exceptions of compliance policy %q: %w", policyID, err)
	}
	return out, nil
}

// DeleteException removes an exception.
func (st complianceStore) DeleteException(ctx context.Context, id string) error {
	what := fmt.Sprintf("delete compliance exception %q", id)
	if !storable(id) {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return st.s.execOne(ctx, what, `DELETE FROM compliance_exceptions WHERE id = ?`, id)
}
