package workload

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/vigilsec/vigil/internal/agent/sender"
	"github.com/vigilsec/vigil/internal/event"
)

// Batch is one agent's event batch as its sender cuts it: the events'
// JSON lines (the payload before compression).
type Batch struct {
	Agent  int
	Lines  []byte
	Events int
	// Alerts are the event ids of the alert events in the batch.
	Alerts []string
}

// Batcher cuts events into batches within the sender's limits
// (sender.DefaultMaxBatchEvents events, sender.DefaultMaxBatchBytes
// bytes).
type Batcher struct {
	agent int
	cur   Batch
	// emit receives each full batch.
	emit func(Batch) error
}

// NewBatcher returns a Batcher of agent's events that hands each batch
// to emit.
func NewBatcher(agent int, emit func(Batch) error) *Batcher {
	return &Batcher{agent: agent, cur: Batch{Agent: agent}, emit: emit}
}

// Add appends one event; alert says that it is an alert event.
func (b *Batcher) Add(ev event.Event, alert bool) error {
	line, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode event: %w", err)
	}
	if b.cur.Events > 0 && (b.cur.Events == sender.DefaultMaxBatchEvents || len(b.cur.Lines)+len(line)+1 > sender.DefaultMaxBatchBytes) {
		if err := b.Flush(); err != nil {
			return err
		}
	}
	b.cur.Lines = append(append(b.cur.Lines, line...), '\n')
	b.cur.Events++
	if alert {
		b.cur.Alerts = append(b.cur.Alerts, ev.ID())
	}
	return nil
}

// Flush hands the pending events, if any, to emit.
func (b *Batcher) Flush() error {
	if b.cur.Events == 0 {
		return nil
	}
	full := b.cur
	b.cur = Batch{Agent: b.agent}
	return b.emit(full)
}

// Share is agent i's part of n events spread over agents.
func Share(n, agents, i int) int {
	share := n / agents
	if i < n%agents {
		share++
	}
	return share
}

// Batches makes the first n events of simulated agent index (seed and
// alertEvery as NewAgent), stamped with the time they are made, and
// hands them to emit in batches as the agent's sender cuts them.
func Batches(seed uint64, index, alertEvery, n int, emit func(Batch) error) error {
	a := NewAgent(seed, index, alertEvery)
	b := NewBatcher(index, emit)
	for range n {
		ev, alert := a.Next(time.Now())
		if err := b.Add(ev, alert); err != nil {
			return err
		}
	}
	return b.Flush()
}
