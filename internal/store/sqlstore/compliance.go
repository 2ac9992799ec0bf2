package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// complianceStore keeps the compliance policies operators uploaded, the
// policies' assignments and exceptions, and every host's score history.
type complianceStore struct{ s *Store }

// policyFormats are the formats of compliance policies.
var policyFormats = []string{"vigil", "wazuh-sca"}

const compliancePolicyCols = `id, version, digest, name, format, checks, content, author, created_at, updated_at`

// scanCompliancePolicy reads a policy and decompresses its content.
func scanCompliancePolicy(r rowScanner) (store.CompliancePolicy, error) {
	var p store.CompliancePolicy
	var content []byte
	if err := r.Scan(&p.ID, &p.Version, &p.Digest, &p.Name, &p.Format, &p.Checks, &content, &p.Author,
		timeCol{&p.CreatedAt}, timeCol{&p.UpdatedAt}); err != nil {
		return store.CompliancePolicy{}, err
	}
	text, err := decompressBlob(content)
	if err != nil {
		return store.CompliancePolicy{}, fmt.Errorf("content of compliance policy %q: %w", p.ID, err)
	}
	p.Content = text
	return p, nil
}

// checkPolicy rejects a policy the store does not hold: an empty id or
// content, an unknown format, a negative number of checks, or text no
// database holds.
func checkPolicy(p store.CompliancePolicy) error {
	switch {
	case p.ID == "":
		return fmt.Errorf("%w: empty id", store.ErrInvalid)
	case len(p.Content) == 0:
		return fmt.Errorf("%w: empty content", store.ErrInvalid)
	case p.Checks < 0:
		return fmt.Errorf("%w: %d checks", store.ErrInvalid, p.Checks)
	}
	if !slices.Contains(policyFormats, p.Format) {
		return fmt.Errorf("%w: unknown format %q (want one of %q)", store.ErrInvalid, p.Format, policyFormats)
	}
	return checkTexts([]textField{{"id", p.ID}, {"version", p.Version}, {"digest", p.Digest}, {"name", p.Name},
		{"author", p.Author}}, nil)
}

// PutPolicy inserts a policy at revision 1 or replaces everything but
// its creation time, adding one to its revision: the revision returned
// tells in the same statement whether the policy is new, so concurrent
// puts of one id agree. The content is stored compressed. A zero
// UpdatedAt means now and a zero CreatedAt UpdatedAt. ErrInvalid for an
// empty id or content, a format other than vigil and wazuh-sca, a
// negative number of checks, or text no database holds.
func (st complianceStore) PutPolicy(ctx context.Context, p store.CompliancePolicy) (bool, error) {
	what := fmt.Sprintf("put compliance policy %q", p.ID)
	if err := checkPolicy(p); err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	content, err := compressBlob(p.Content)
	if err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	if p.UpdatedAt.IsZero() {
		p.UpdatedAt = time.Now()
	}
	if p.CreatedAt.IsZero() {
		p.CreatedAt = p.UpdatedAt
	}
	var revision int64
	err = st.s.w.QueryRowContext(ctx, st.s.sql(`INSERT INTO compliance_policies (`+compliancePolicyCols+`, revision)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)
		ON CONFLICT (id) DO UPDATE SET version = excluded.version, digest = excluded.digest, name = excluded.name,
			format = excluded.format, checks = excluded.checks, content = excluded.content,
			author = excluded.author, updated_at = excluded.updated_at,
			revision = compliance_policies.revision + 1
		RETURNING revision`), p.ID, p.Version, p.Digest, p.Name, p.Format, p.Checks, content, p.Author,
		micros(p.CreatedAt), micros(p.UpdatedAt)).Scan(&revision)
	if err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	return revision == 1, nil
}

// GetPolicy returns an uploaded policy with its content.
func (st complianceStore) GetPolicy(ctx context.Context, id string) (store.CompliancePolicy, error) {
	what := fmt.Sprintf("get compliance policy %q", id)
	if !storable(id) {
		return store.CompliancePolicy{}, fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	p, err := scanCompliancePolicy(st.s.r.QueryRowContext(ctx, st.s.sql(`SELECT `+compliancePolicyCols+
		` FROM compliance_policies WHERE id = ?`), id))
	if err != nil {
		return store.CompliancePolicy{}, notFound(what, err)
	}
	return p, nil
}

// Policies returns every uploaded policy with its content, by id.
func (st complianceStore) Policies(ctx context.Context) ([]store.CompliancePolicy, error) {
	out, err := queryList(ctx, st.s, `SELECT `+compliancePolicyCols+` FROM compliance_policies ORDER BY id`, nil,
		scanCompliancePolicy)
	if err != nil {
		return nil, fmt.Errorf("list compliance policies: %w", err)
	}
	return out, nil
}

// DeletePolicy removes an uploaded policy and its assignment in one
// transaction; when there is no such policy nothing is removed.
func (st complianceStore) DeletePolicy(ctx context.Context, id string) error {
	what := fmt.Sprintf("delete compliance policy %q", id)
	if !storable(id) {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	err := st.s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, st.s.sql(`DELETE FROM compliance_policies WHERE id = ?`), id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return store.ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, st.s.sql(`DELETE FROM compliance_assignments WHERE policy_id = ?`), id); err != nil {
			return fmt.Errorf("assignment: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

const assignmentCols = `policy_id, selector, interval_seconds, disabled, author, updated_at`

func scanAssignment(r rowScanner) (store.ComplianceAssignment, error) {
	var a store.ComplianceAssignment
	err := r.Scan(&a.PolicyID, jsonCol{&a.Selector}, &a.IntervalSeconds, &a.Disabled, &a.Author, timeCol{&a.UpdatedAt})
	a.Selector = labelsOrEmpty(a.Selector)
	return a, err
}

// PutAssignment creates or replaces a policy's assignment; the policy
// may be shipped or uploaded. A zero UpdatedAt means now. ErrInvalid for
// an empty policy id, a negative interval, or text (ids, labels, author)
// no database holds.
func (st complianceStore) PutAssignment(ctx context.Context, a store.ComplianceAssignment) error {
	what := fmt.Sprintf("put assignment of compliance policy %q", a.PolicyID)
	switch {
	case a.PolicyID == "":
		return fmt.Errorf("%s: %w: empty policy id", what, store.ErrInvalid)
	case a.IntervalSeconds < 0:
		return fmt.Errorf("%s: %w: interval of %d seconds", what, store.ErrInvalid, a.IntervalSeconds)
	}
	fields := []textField{{"policy id", a.PolicyID}, {"author", a.Author}}
	for k, v := range a.Selector {
		fields = append(fields, textField{"selector label", k}, textField{"selector value of " + k, v})
	}
	if err := checkTexts(fields, nil); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	selector, err := jsonText(labelsOrEmpty(a.Selector))
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if a.UpdatedAt.IsZero() {
		a.UpdatedAt = time.Now()
	}
	_, err = st.s.exec(ctx, `INSERT INTO compliance_assignments (`+assignmentCols+`) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (policy_id) DO UPDATE SET selector = excluded.selector,
			interval_seconds = excluded.interval_seconds, disabled = excluded.disabled,
			author = excluded.author, updated_at = excluded.updated_at`,
		a.PolicyID, selector, a.IntervalSeconds, a.Disabled, a.Author, micros(a.UpdatedAt))
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// Assignments returns every assignment, by policy id.
func (st complianceStore) Assignments(ctx context.Context) ([]store.ComplianceAssignment, error) {
	out, err := queryList(ctx, st.s, `SELECT `+assignmentCols+` FROM compliance_assignments ORDER BY policy_id`, nil,
		scanAssignment)
	if err != nil {
		return nil, fmt.Errorf("list compliance assignments: %w", err)
	}
	return out, nil
}

// DeleteAssignment removes a policy's assignment.
func (st complianceStore) DeleteAssignment(ctx context.Context, policyID string) error {
	what := fmt.Sprintf("delete assignment of compliance policy %q", policyID)
	if !storable(policyID) {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return st.s.execOne(ctx, what, `DELETE FROM compliance_assignments WHERE policy_id = ?`, policyID)
}
