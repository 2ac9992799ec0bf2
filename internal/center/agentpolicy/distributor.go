package agentpolicy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/store"
)

// publishWorkers bounds the concurrent key-value writes of PublishAll.
const publishWorkers = 32

// Config configures a Distributor.
type Config struct {
	// KV is the policy bucket (bus.PolicyBucket).
	KV jetstream.KeyValue
	// Store holds the agents and the agent policies.
	Store store.Store
	// Logger receives failures of single agents during PublishAll
	// (default: discard).
	Logger *slog.Logger
	// Amend, when set, adds to an agent's effective policy what other
	// services decide for it (the compliance policies assigned to its
	// labels); the policy is stamped again after it.
	Amend func(ctx context.Context, a store.Agent, p *busv1.AgentPolicy) error
}

// Distributor computes agents' effective policies and publishes them to
// the policy bucket. It is safe for concurrent use.
type Distributor struct {
	kv    jetstream.KeyValue
	store store.Store
	log   *slog.Logger
	amend func(ctx context.Context, a store.Agent, p *busv1.AgentPolicy) error

	mu sync.Mutex
	// published is the revision last written for (or found at) each key.
	published map[string]uint64
}

// New returns a Distributor.
func New(cfg Config) *Distributor {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Distributor{kv: cfg.KV, store: cfg.Store, log: log, amend: cfg.Amend, published: map[string]uint64{}}
}

// Effective returns the policy agent a gets now.
func (d *Distributor) Effective(ctx context.Context, a store.Agent) (*busv1.AgentPolicy, error) {
	policies, err := d.store.AgentPolicies().List(ctx)
	if err != nil {
		return nil, fmt.Errorf("effective policy of agent %q: %w", a.ID, err)
	}
	words, err := uploadedWords(ctx, d.store)
	if err != nil {
		return nil, fmt.Errorf("effective policy of agent %q: %w", a.ID, err)
	}
	return d.effective(ctx, policies, a, words)
}

// effective computes an agent's policy with the uploaded words added
// and the amendments of other services.
func (d *Distributor) effective(ctx context.Context, policies []store.AgentPolicy, a store.Agent, words []string) (*busv1.AgentPolicy, error) {
	p, err := Compute(policies, a.Labels)
	if err != nil {
		return nil, fmt.Errorf("effective policy of agent %q: %w", a.ID, err)
	}
	if err := AddWords(p, words); err != nil {
		return nil, fmt.Errorf("effective policy of agent %q: %w", a.ID, err)
	}
	if d.amend != nil {
		if err := d.amend(ctx, a, p); err != nil {
			return nil, fmt.Errorf("effective policy of agent %q: %w", a.ID, err)
		}
		Stamp(p, p.GetRevision()>>32)
	}
	return p, nil
}

// Publish recomputes one agent's policy and writes it to its key unless the
// key already holds that revision. For an agent that no longer exists it
// removes the key.
func (d *Distributor) Publish(ctx context.Context, agentID string) error {
	a, err := d.store.Agents().Get(ctx, agentID)
	if errors.Is(err, store.ErrNotFound) {
		return d.Remove(ctx, agentID)
	}
	if err != nil {
		return fmt.Errorf("publish policy of agent %q: %w", agentID, err)
	}
	p, err := d.Effective(ctx, a)
	if err != nil {
		return err
	}
	_, err = d.put(ctx, agentID, p)
	return err
}

// Remove deletes an agent's policy key; the agent's watch sees the delete.
func (d *Distributor) Remove(ctx context.Context, agentID string) error {
	if !bus.ValidAgentID(agentID) {
		return fmt.Errorf("remove policy: invalid agent id %q", agentID)
	}
	d.mu.Lock()
	delete(d.published, agentID)
	d.mu.Unlock()
	if err := d.kv.Delete(ctx, bus.PolicyKey(agentID)); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("remove policy of agent %q: %w", agentID, err)
	}
	return nil
}

// put writes p to the agent's key unless the key holds p's revision
// already, and reports whether it wrote.
func (d *Distributor) put(ctx context.Context, agentID string, p *busv1.AgentPolicy) (bool, error) {
	if !bus.ValidAgentID(agentID) {
		return false, fmt.Errorf("publish policy: invalid agent id %q", agentID)
	}
	key := bus.PolicyKey(agentID)
	d.mu.Lock()
	last, known := d.published[agentID]
	d.mu.Unlock()
	if !known {
		var err error
		if last, err = d.stored(ctx, key); err != nil {
			return false, fmt.Errorf("publish policy of agent %q: %w", agentID, err)
		}
	}
	if last == p.GetRevision() {
		d.remember(agentID, last)
		return false, nil
	}
	value, err := proto.MarshalOptions{Deterministic: true}.Marshal(p)
	if err != nil {
		return false, fmt.Errorf("publish policy of agent %q: %w", agentID, err)
	}
	if _, err := d.kv.Put(ctx, key, value); err != nil {
		return false, fmt.Errorf("publish policy of agent %q: %w", agentID, err)
	}
	d.remember(agentID, p.GetRevision())
	return true, nil
}

// stored returns the policy revision the key holds now, 0 when it holds
// nothing usable.
func (d *Distributor) stored(ctx context.Context, key string) (uint64, error) {
	e, err := d.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", key, err)
	}
	var cur busv1.AgentPolicy
	if proto.Unmarshal(e.Value(), &cur) != nil {
		return 0, nil
	}
	return cur.GetRevision(), nil
}

func (d *Distributor) remember(agentID string, rev uint64) {
	d.mu.Lock()
	d.published[agentID] = rev
	d.mu.Unlock()
}
