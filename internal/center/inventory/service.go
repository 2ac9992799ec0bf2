// Package inventory keeps every agent's asset inventory on the center: it
// answers the agents' inventory requests on the bus (changes to apply,
// state to read; the protocol is described in internal/agent/invsync),
// checks every item it receives, and stores the current set and the
// history of changes (store.InventoryStore). It also parses the
// inventory's search language (ParseQuery) for the API.
package inventory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

// Limits on what one agent may send.
const (
	// MaxChangesPerRequest bounds the items of one changes message (the
	// bus bounds its size too).
	MaxChangesPerRequest = 20000
	// MaxItemsPerSet bounds the items of one collector's set for one
	// agent (a host's libraries can number tens of thousands).
	MaxItemsPerSet = 500000
	// MaxSetsPerAgent bounds the collectors one agent keeps sets for.
	MaxSetsPerAgent = 64
	// statePage is the number of item hashes per state page.
	statePage = store.MaxLimit
	// workers bounds the requests handled at once.
	workers = 8
)

// NoHistory lists the kinds whose changes are not kept as history:
// processes come and go, and the event stream records them.
var NoHistory = []string{event.AssetProcess}

// collectorName is the form of a collector's name (host/facts, os/packages).
var collectorName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}(/[a-z0-9][a-z0-9_-]{0,31}){1,2}$`)

// Config configures the service. Conn and Store are required.
type Config struct {
	Conn   *nats.Conn
	Store  store.Store
	Logger *slog.Logger
	// OnChange, when set, is called after changes were applied to an
	// agent's set (the vulnerability service matches the host again).
	OnChange func(agentID, collector string)
}

// Service answers inventory requests.
type Service struct {
	cfg   Config
	log   *slog.Logger
	slots chan struct{}
	stats Stats
}

// Stats are the service's counters.
type Stats struct {
	Requests, Refused, Resyncs, StateReads atomic.Uint64
	Added, Changed, Removed                atomic.Uint64
}

// New returns the service.
func New(cfg Config) *Service {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg, log: log, slots: make(chan struct{}, workers)}
}

// Stats returns the service's counters.
func (s *Service) Stats() *Stats { return &s.stats }

// Run answers requests until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	if s.cfg.Conn == nil || s.cfg.Store == nil {
		return errors.New("inventory: Conn and Store are required")
	}
	var wg sync.WaitGroup
	sub, err := s.cfg.Conn.QueueSubscribe(bus.AllInventory, "inventory", func(m *nats.Msg) {
		select {
		case s.slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-s.slots }()
			s.handle(ctx, m)
		}()
	})
	if err != nil {
		return fmt.Errorf("inventory: subscribe: %w", err)
	}
	if err := sub.SetPendingLimits(-1, 256<<20); err != nil {
		return fmt.Errorf("inventory: %w", err)
	}
	<-ctx.Done()
	_ = sub.Unsubscribe()
	wg.Wait()
	return nil
}

// handle answers one request.
func (s *Service) handle(ctx context.Context, m *nats.Msg) {
	s.stats.Requests.Add(1)
	reply, err := s.answer(ctx, m.Subject, m.Data)
	if err != nil {
		s.stats.Refused.Add(1)
		s.log.Warn("inventory request refused", "subject", m.Subject, "err", err)
		reply = &busv1.InventoryReply{Error: err.Error()}
	}
	if m.Reply == "" {
		return
	}
	data, merr := proto.Marshal(reply)
	if merr != nil {
		s.log.Error("inventory: encode reply", "err", merr)
		return
	}
	if err := m.Respond(data); err != nil {
		s.log.Debug("inventory: reply", "subject", m.Subject, "err", err)
	}
}

// answer checks and carries out one request. An error is a refusal, sent
// back to the agent.
func (s *Service) answer(ctx context.Context, subject string, data []byte) (*busv1.InventoryReply, error) {
	agentID, err := bus.AgentIDFromSubject(subject)
	if err != nil {
		return nil, fmt.Errorf("subject: %w", err)
	}
	req := &busv1.InventoryRequest{}
	if err := proto.Unmarshal(data, req); err != nil {
		return nil, fmt.Errorf("malformed request: %w", err)
	}
	if req.GetAgentId() != agentID {
		return nil, fmt.Errorf("request names agent %q on agent %q's subject", req.GetAgentId(), agentID)
	}
	if !collectorName.MatchString(req.GetCollector()) {
		return nil, fmt.Errorf("collector name %q: want area/name in lower case", req.GetCollector())
	}
	if _, err := s.cfg.Store.Agents().Get(ctx, agentID); err != nil {
		return nil, fmt.Errorf("agent %s: %w", agentID, err)
	}
	switch body := req.GetBody().(type) {
	case *busv1.InventoryRequest_Changes:
		return s.applyChanges(ctx, agentID, req.GetCollector(), body.Changes)
	case *busv1.InventoryRequest_State:
		return s.readState(ctx, agentID, req.GetCollector(), body.State)
	default:
		return nil, errors.New("request carries neither changes nor a state query")
	}
}

// checkChanges returns the store form of changes after checking every item.
func checkChanges(agentID, collector string, c *busv1.InventoryChanges, now time.Time) (store.InventoryChanges, error) {
	out := store.InventoryChanges{AgentID: agentID, Collector: collector, BaseDigest: c.GetBaseDigest(),
		Digest: c.GetDigest(), Last: c.GetLast(), NoHistory: NoHistory, At: now}
	if !digestForm.MatchString(c.GetBaseDigest()) || !digestForm.MatchString(c.GetDigest()) {
		return out, errors.New("digests must be 64 lower-case hex digits")
	}
	if n := len(c.GetUpserts()) + len(c.GetRemoved()); n > MaxChangesPerRequest {
		return out, fmt.Errorf("%d changes in one request, at most %d", n, MaxChangesPerRequest)
	}
	kinds := map[string]bool{}
	for _, k := range c.GetKinds() {
		if !event.IsAssetKind(k) {
			return out, fmt.Errorf("kind %q: %w", k, event.ErrAssetKind)
		}
		kinds[k] = true
	}
	seen := make(map[string]bool, len(c.GetUpserts()))
	for i, a := range c.GetUpserts() {
		ev := event.Asset{Kind: a.GetKind(), Key: a.GetKey(), Name: a.GetName(), Version: a.GetVersion()}
		if err := ev.Validate(); err != nil {
			return out, fmt.Errorf("item %d: %w", i, err)
		}
		if len(kinds) > 0 && !kinds[a.GetKind()] {
			return out, fmt.Errorf("item %d: kind %s is not among the collector's kinds", i, a.GetKind())
		}
		if f := a.GetFieldsJson(); len(f) > 0 {
			if len(f) > event.MaxAssetFields {
				return out, fmt.Errorf("item %d: %w: %d bytes, more than %d", i, event.ErrAssetFields, len(f), event.MaxAssetFields)
			}
			var obj map[string]json.RawMessage
			if err := json.Unmarshal(f, &obj); err != nil {
				return out, fmt.Errorf("item %d: %w: not a JSON object: %w", i, event.ErrAssetFields, err)
			}
		}
		if seen[ev.ID()] {
			return out, fmt.Errorf("item %d: %s %q sent twice", i, a.GetKind(), a.GetKey())
		}
		seen[ev.ID()] = true
		out.Upserts = append(out.Upserts, store.AssetRecord{Kind: a.GetKind(), Key: a.GetKey(), Name: a.GetName(),
			Version: a.GetVersion(), Fields: json.RawMessage(a.GetFieldsJson()),
			Hash: event.AssetHash(a.GetKind(), a.GetKey(), a.GetName(), a.GetVersion(), a.GetFieldsJson())})
	}
	for i, r := range c.GetRemoved() {
		ev := event.Asset{Kind: r.GetKind(), Key: r.GetKey()}
		if err := ev.Validate(); err != nil {
			return out, fmt.Errorf("removed item %d: %w", i, err)
		}
		if seen[ev.ID()] {
			return out, fmt.Errorf("removed item %d: %s %q is also upserted", i, r.GetKind(), r.GetKey())
		}
		out.Removed = append(out.Removed, store.AssetRef{Kind: r.GetKind(), Key: r.GetKey()})
	}
	if t := c.GetTakenAtUnixNano(); t > 0 {
		// The agent's clock, unless it is off by more than a day.
		if at := time.Unix(0, t); at.After(now.Add(-24*time.Hour)) && at.Before(now.Add(time.Hour)) {
			out.At = at
		}
	}
	return out, nil
}

var digestForm = regexp.MustCompile(`^[0-9a-f]{64}$`)

// applyChanges applies one changes message.
func (s *Service) applyChanges(ctx context.Context, agentID, collector string, c *busv1.InventoryChanges) (*busv1.InventoryReply, error) {
	changes, err := checkChanges(agentID, collector, c, time.Now())
	if err != nil {
		return nil, err
	}
	if len(changes.Upserts) > 0 {
		if err := s.checkRoom(ctx, agentID, collector, len(changes.Upserts)); err != nil {
			return nil, err
		}
	}
	res, err := s.cfg.Store.Inventory().Apply(ctx, changes)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if res.Resync {
		s.stats.Resyncs.Add(1)
		return &busv1.InventoryReply{Resync: true, Digest: res.Digest}, nil
	}
	s.stats.Added.Add(uint64(res.Added))
	s.stats.Changed.Add(uint64(res.Changed))
	s.stats.Removed.Add(uint64(res.Removed))
	if res.Added+res.Changed+res.Removed > 0 {
		s.log.Info("inventory changed", "agent", agentID, "collector", collector,
			"added", res.Added, "changed", res.Changed, "removed", res.Removed)
		if s.cfg.OnChange != nil {
			s.cfg.OnChange(agentID, collector)
		}
	}
	return &busv1.InventoryReply{Ok: true, Digest: res.Digest, Added: uint32(res.Added),
		Changed: uint32(res.Changed), Removed: uint32(res.Removed)}, nil
}

// checkRoom refuses changes that would grow an agent's inventory past
// the limits: a hostile agent could otherwise fill the center's store.
func (s *Service) checkRoom(ctx context.Context, agentID, collector string, upserts int) error {
	sets, err := s.cfg.Store.Inventory().Sets(ctx, agentID)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	known := false
	for _, set := range sets {
		if set.Collector != collector {
			continue
		}
		known = true
		if set.Items+int64(upserts) > MaxItemsPerSet {
			return fmt.Errorf("collector %s would hold more than %d items", collector, MaxItemsPerSet)
		}
	}
	if !known && len(sets) >= MaxSetsPerAgent {
		return fmt.Errorf("more than %d collectors' inventories for one agent", MaxSetsPerAgent)
	}
	return nil
}

// readState answers one page of a state query.
func (s *Service) readState(ctx context.Context, agentID, collector string, q *busv1.InventoryStateQuery) (*busv1.InventoryReply, error) {
	s.stats.StateReads.Add(1)
	digest, items, next, err := s.cfg.Store.Inventory().State(ctx, agentID, collector, store.Page{Limit: statePage, Cursor: q.GetCursor()})
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	reply := &busv1.InventoryReply{Ok: true, Digest: digest, NextCursor: next}
	for _, it := range items {
		reply.Items = append(reply.Items, &busv1.AssetDigest{Kind: it.Kind, Key: it.Key, Hash: append([]byte(nil), it.Hash[:]...)})
	}
	return reply, nil
}
