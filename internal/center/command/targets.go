package command

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/store"
)

// target is one agent a command goes to; known is false for an id the
// store does not hold.
type target struct {
	store.Agent
	known bool
}

// resolve returns the request's agents: the explicit ids (unknown ones
// included, to be reported) and every agent the selector matches, each
// once, ordered by hostname then id.
func (s *Service) resolve(ctx context.Context, req Request) ([]target, error) {
	if len(req.AgentIDs) == 0 && len(req.Selector) == 0 {
		return nil, fmt.Errorf("%w: give agent ids or a selector", ErrNoTargets)
	}
	if len(req.AgentIDs) > MaxTargets {
		return nil, fmt.Errorf("%w: %d agent ids (max %d)", ErrTooManyTargets, len(req.AgentIDs), MaxTargets)
	}
	seen := map[string]bool{}
	var out []target
	for _, id := range req.AgentIDs {
		if seen[id] {
			continue
		}
		seen[id] = true
		t, err := s.lookup(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	if len(req.Selector) > 0 {
		f := store.AgentFilter{Labels: req.Selector, Page: store.Page{Limit: store.MaxLimit}}
		for {
			page, next, err := s.store.Agents().List(ctx, f)
			if err != nil {
				return nil, fmt.Errorf("resolve selector: %w", err)
			}
			for _, a := range page {
				if !seen[a.ID] {
					seen[a.ID] = true
					out = append(out, target{Agent: a, known: true})
				}
			}
			if len(out) > MaxTargets {
				return nil, fmt.Errorf("%w: more than %d agents match", ErrTooManyTargets, MaxTargets)
			}
			if next == "" {
				break
			}
			f.Cursor = next
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: the selector matches no agent", ErrNoTargets)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Hostname != out[j].Hostname {
			return out[i].Hostname < out[j].Hostname
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// lookup returns one explicitly named agent.
func (s *Service) lookup(ctx context.Context, id string) (target, error) {
	if !bus.ValidAgentID(id) {
		return target{Agent: store.Agent{ID: id}}, nil
	}
	a, err := s.store.Agents().Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return target{Agent: store.Agent{ID: id}}, nil
	}
	if err != nil {
		return target{}, fmt.Errorf("resolve agent %q: %w", id, err)
	}
	return target{Agent: a, known: true}, nil
}
