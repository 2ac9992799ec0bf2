package agentpolicy

import (
	"context"
	"fmt"
	"sync"

	"github.com/vigilsec/vigil/internal/store"
)

// PublishAll recomputes every agent's policy and writes the ones that
// changed, for instance after a policy or an agent's labels changed. One
// agent's failure does not stop the others; the error then says how many
// failed and why the first did.
func (d *Distributor) PublishAll(ctx context.Context) error {
	policies, err := d.store.AgentPolicies().List(ctx)
	if err != nil {
		return fmt.Errorf("publish all policies: %w", err)
	}
	words, err := uploadedWords(ctx, d.store)
	if err != nil {
		return fmt.Errorf("publish all policies: %w", err)
	}
	agents := make(chan store.Agent)
	var (
		mu       sync.Mutex
		failed   int
		firstErr error
		wg       sync.WaitGroup
	)
	for range publishWorkers {
		wg.Go(func() {
			for a := range agents {
				err := d.publishAgent(ctx, policies, words, a)
				if err == nil {
					continue
				}
				d.log.Warn("publish agent policy", "agent", a.ID, "err", err)
				mu.Lock()
				if failed++; firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		})
	}
	listErr := d.eachAgent(ctx, func(a store.Agent) { agents <- a })
	close(agents)
	wg.Wait()
	if listErr != nil {
		return fmt.Errorf("publish all policies: %w", listErr)
	}
	if failed > 0 {
		return fmt.Errorf("publish all policies: %d agents failed, first: %w", failed, firstErr)
	}
	return nil
}

// publishAgent computes and writes one agent's policy from policies.
func (d *Distributor) publishAgent(ctx context.Context, policies []store.AgentPolicy, words []string, a store.Agent) error {
	p, err := d.effective(ctx, policies, a, words)
	if err != nil {
		return err
	}
	_, err = d.put(ctx, a.ID, p)
	return err
}

// eachAgent calls fn for every agent, all pages.
func (d *Distributor) eachAgent(ctx context.Context, fn func(store.Agent)) error {
	f := store.AgentFilter{Page: store.Page{Limit: store.MaxLimit}}
	for {
		page, next, err := d.store.Agents().List(ctx, f)
		if err != nil {
			return fmt.Errorf("list agents: %w", err)
		}
		for _, a := range page {
			fn(a)
		}
		if next == "" {
			return nil
		}
		f.Cursor = next
	}
}
