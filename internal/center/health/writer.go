package health

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/store"
)

// Store writes are tried this often, this far apart, before they are
// given up (and counted in StoreErrorsTotal).
const (
	writeTries = 3
	writePause = 500 * time.Millisecond
)

// job is one store write. Jobs run one at a time in the order they were
// queued, which is the order the registry decided them in.
type job struct {
	kind jobKind
	id   string
	// status
	to     store.AgentStatus
	reason string
	at     time.Time
	alert  *hostAlert
	// update; zero values leave the stored fields alone
	facts *busv1.HostFacts
	state []byte
	seen  time.Time
	// touch
	touch map[string]time.Time
	// done, when set, receives the job's outcome.
	done chan error
}

type jobKind int

const (
	jobStatus jobKind = iota + 1
	jobUpdate
	jobTouch
	jobResync
)

// queue is an unbounded FIFO of jobs: pushing never blocks, so it may be
// done under the registry lock, which fixes the order of the writes.
type queue struct {
	mu     sync.Mutex
	jobs   []job
	closed bool
	signal chan struct{}
}

func newQueue() *queue { return &queue{signal: make(chan struct{}, 1)} }

func (q *queue) push(j job) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		if j.done != nil {
			j.done <- errors.New("health service stopped")
		}
		return
	}
	q.jobs = append(q.jobs, j)
	q.mu.Unlock()
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

// close stops accepting jobs; the worker ends once the queue is empty.
func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

// work runs queued jobs until the queue is closed and empty, or ctx is
// done.
func (s *Service) work(ctx context.Context) {
	for {
		s.q.mu.Lock()
		jobs, closed := s.q.jobs, s.q.closed
		s.q.jobs = nil
		s.q.mu.Unlock()
		for _, j := range jobs {
			err := s.retry(ctx, j)
			if j.done != nil {
				j.done <- err
			}
		}
		if len(jobs) > 0 {
			continue
		}
		if closed {
			return
		}
		select {
		case <-s.q.signal:
		case <-ctx.Done():
			return
		}
	}
}

// retry runs a job, trying again after a transient failure.
func (s *Service) retry(ctx context.Context, j job) error {
	var err error
	for try := 1; try <= writeTries; try++ {
		if err = s.do(ctx, j); err == nil || isNotFound(err) || ctx.Err() != nil {
			break
		}
		if try < writeTries {
			select {
			case <-time.After(writePause):
			case <-ctx.Done():
			}
		}
	}
	switch {
	case err == nil:
	case isNotFound(err):
		s.reg.remove(j.id) // deleted meanwhile
	default:
		s.stats.add(func(st *Stats) { st.StoreErrorsTotal++ })
		s.log.Error("health: store write failed", "agent", j.id, "err", err)
	}
	return err
}

// do runs one job once.
func (s *Service) do(ctx context.Context, j job) error {
	agents := s.store.Agents()
	switch j.kind {
	case jobStatus:
		return s.setStatus(ctx, j)
	case jobUpdate:
		a, err := agents.Get(ctx, j.id)
		if err != nil {
			return fmt.Errorf("update agent %q: %w", j.id, err)
		}
		applyFacts(&a, j.facts)
		if j.state != nil {
			a.LastState = j.state
		}
		a.LastSeen = j.seen
		return agents.Update(ctx, a)
	case jobTouch:
		return agents.TouchMany(ctx, j.touch)
	case jobResync:
		all, err := s.loadAll(ctx)
		if err != nil {
			return err
		}
		s.reg.sync(all, time.Now())
		return nil
	}
	return fmt.Errorf("unknown job kind %d", j.kind)
}

// setStatus stores a status change and raises its alert when the status
// did change.
func (s *Service) setStatus(ctx context.Context, j job) error {
	changed, err := s.store.Agents().SetStatus(ctx, j.id, j.to, j.reason, j.at)
	if err != nil || !changed {
		return err
	}
	s.stats.add(func(st *Stats) { st.StatusChangesTotal[j.to]++ })
	s.log.Info("agent status", "agent", j.id, "status", j.to, "reason", j.reason)
	if j.alert == nil {
		return nil
	}
	// The status is stored: a retry would find it unchanged and raise
	// nothing, so the alert gets its own tries.
	var a store.Alert
	var isNew bool
	err = s.again(ctx, func() error {
		a, isNew, err = s.store.Alerts().Raise(ctx, j.alert.alert)
		return err
	})
	if err != nil {
		return fmt.Errorf("raise %s for agent %q: %w", j.alert.alert.RuleID, j.id, err)
	}
	s.stats.add(func(st *Stats) { st.AlertsTotal++ })
	s.attach(ctx, &a, j.alert)
	s.log.Warn("agent alert", "agent", j.id, "rule", a.RuleID, "alert", a.ID, "new", isNew, "count", a.Count,
		"incident", a.IncidentID)
	if isNew && s.cfg.OnAlert != nil {
		s.cfg.OnAlert(a)
	}
	return nil
}

// attach puts a raised alert into an incident, as a host alert: the
// incident sharing its entities, else the one its host is in, within the
// incident window (store.Join.SameHost). A repeat stays in its incident.
// A failure is logged and counted: the alert stays raised, outside any
// incident.
func (s *Service) attach(ctx context.Context, a *store.Alert, h *hostAlert) {
	err := s.again(ctx, func() error {
		inc, _, err := s.store.Incidents().Attach(ctx, store.Join{
			AlertID: a.ID, Entities: h.entities, Window: s.cfg.IncidentWindow, Title: h.incidentTitle,
			SameHost: true,
		})
		if err == nil {
			a.IncidentID = inc.ID
		}
		return err
	})
	if err != nil {
		s.stats.add(func(st *Stats) { st.StoreErrorsTotal++ })
		s.log.Error("health: attach alert to an incident", "agent", a.AgentID, "alert", a.ID, "err", err)
	}
}

// again runs write until it succeeds, up to writeTries times, writePause
// apart, and returns its last error.
func (s *Service) again(ctx context.Context, write func() error) error {
	for try := 1; ; try++ {
		err := write()
		if err == nil || try == writeTries || ctx.Err() != nil {
			return err
		}
		select {
		case <-time.After(writePause):
		case <-ctx.Done():
		}
	}
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }
