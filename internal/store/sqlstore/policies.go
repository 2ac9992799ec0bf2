package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

type policyStore struct{ s *Store }

const policyCols = `name, selector, priority, spec, revision, updated_at, updated_by`

// errInvalidSpec is returned by Put for a spec that is not JSON.
var errInvalidSpec = errors.New("spec is not valid JSON")

func scanPolicy(r rowScanner) (store.AgentPolicy, error) {
	var p store.AgentPolicy
	var spec string
	err := r.Scan(&p.Name, jsonCol{&p.Selector}, &p.Priority, &spec, &p.Revision,
		timeCol{&p.UpdatedAt}, &p.UpdatedBy)
	p.Selector = labelsOrEmpty(p.Selector)
	p.Spec = json.RawMessage(spec)
	return p, err
}

// Put creates a policy at revision 1 or replaces it, adding one to its
// revision. A zero UpdatedAt means now; an empty spec is stored as {}.
func (st policyStore) Put(ctx context.Context, p store.AgentPolicy) (store.AgentPolicy, error) {
	what := fmt.Sprintf("put agent policy %q", p.Name)
	if p.UpdatedAt.IsZero() {
		p.UpdatedAt = time.Now()
	}
	if len(p.Spec) == 0 {
		p.Spec = json.RawMessage(`{}`)
	}
	if !json.Valid(p.Spec) {
		return store.AgentPolicy{}, fmt.Errorf("%s: %w", what, errInvalidSpec)
	}
	selector, err := jsonText(labelsOrEmpty(p.Selector))
	if err != nil {
		return store.AgentPolicy{}, fmt.Errorf("%s: %w", what, err)
	}
	row := st.s.w.QueryRowContext(ctx, st.s.sql(`INSERT INTO agent_policies (`+policyCols+`)
		VALUES (?, ?, ?, ?, 1, ?, ?)
		ON CONFLICT (name) DO UPDATE SET selector = excluded.selector, priority = excluded.priority,
			spec = excluded.spec, revision = agent_policies.revision + 1,
			updated_at = excluded.updated_at, updated_by = excluded.updated_by
		RETURNING `+policyCols), p.Name, selector, p.Priority, string(p.Spec), micros(p.UpdatedAt), p.UpdatedBy)
	out, err := scanPolicy(row)
	if err != nil {
		return store.AgentPolicy{}, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// Get returns one policy.
func (st policyStore) Get(ctx context.Context, name string) (store.AgentPolicy, error) {
	row := st.s.r.QueryRowContext(ctx, st.s.sql(`SELECT `+policyCols+` FROM agent_policies WHERE name = ?`), name)
	p, err := scanPolicy(row)
	if err != nil {
		return store.AgentPolicy{}, notFound(fmt.Sprintf("get agent policy %q", name), err)
	}
	return p, nil
}

// List returns every policy, highest priority first, then by name: the
// order in which they are matched against an agent.
func (st policyStore) List(ctx context.Context) ([]store.AgentPolicy, error) {
	out, err := queryList(ctx, st.s, `SELECT `+policyCols+` FROM agent_policies
		ORDER BY priority DESC, name`, nil, scanPolicy)
	if err != nil {
		return nil, fmt.Errorf("list agent policies: %w", err)
	}
	return out, nil
}

// Delete removes a policy.
func (st policyStore) Delete(ctx context.Context, name string) error {
	return st.s.execOne(ctx, fmt.Sprintf("delete agent policy %q", name),
		`DELETE FROM agent_policies WHERE name = ?`, name)
}
