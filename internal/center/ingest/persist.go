package ingest

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigilsec/vigil/internal/center/eventbatch"
	"github.com/vigilsec/vigil/internal/event"
)

// finalFlush bounds the store call that saves what is in flight at stop.
const finalFlush = 5 * time.Second

// insertTimeout bounds one Insert; the messages are kept from redelivery
// meanwhile by keepInProgress.
const insertTimeout = 60 * time.Second

// decodedMsg is a message and what decoding made of it.
type decodedMsg struct {
	msg   jetstream.Msg
	batch eventbatch.Batch
	err   error
}

// pending is the messages waiting for one Insert.
type pending struct {
	msgs   []decodedMsg
	events int
}

// persist gathers decoded messages into batches and stores them until in
// is closed.
func (s *Service) persist(ctx context.Context, in <-chan decodedMsg) {
	var p pending
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	for {
		var lingerC <-chan time.Time
		if len(p.msgs) > 0 {
			lingerC = linger.C
		}
		select {
		case d, ok := <-in:
			if !ok {
				s.flush(ctx, &p)
				return
			}
			if !s.admit(d, &p) {
				continue
			}
			if len(p.msgs) == 1 {
				linger.Reset(s.cfg.Linger)
			}
			if len(p.msgs) >= s.cfg.BatchSize || p.events >= s.cfg.MaxBatchEvents {
				linger.Stop()
				s.flush(ctx, &p)
			}
		case <-lingerC:
			s.flush(ctx, &p)
		}
	}
}

// admit counts a decoded message and adds it to p; it reports whether it
// did. A rejected message is terminated, one without valid events acked.
func (s *Service) admit(d decodedMsg, p *pending) bool {
	s.stats.message(d)
	var rej *eventbatch.RejectError
	if errors.As(d.err, &rej) {
		s.log.Warn("ingest: message rejected", "subject", d.msg.Subject(), "reason", rej.Reason, "err", rej.Err)
		_ = d.msg.TermWithReason(rej.Reason)
		return false
	}
	if len(d.batch.Events) == 0 {
		_ = d.msg.Ack()
		return false
	}
	p.msgs = append(p.msgs, d)
	p.events += len(d.batch.Events)
	return true
}

// flush stores the pending messages' events in one Insert and acks the
// messages after it returned. When it fails, each message is tried alone,
// so that one the store refuses does not hold up the others.
func (s *Service) flush(ctx context.Context, p *pending) {
	if len(p.msgs) == 0 {
		return
	}
	msgs := p.msgs
	*p = pending{msgs: make([]decodedMsg, 0, cap(msgs))}
	// A stop asks to read no more, not to abort a commit: the insert runs
	// to its end, bounded by the ack wait (by finalFlush once stopping).
	limit := insertTimeout
	if ctx.Err() != nil {
		limit = finalFlush
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), limit)
	defer cancel()
	all := make([]event.Event, 0, len(msgs)*len(msgs[0].batch.Events))
	for _, d := range msgs {
		all = append(all, d.batch.Events...)
	}
	stop := s.keepInProgress(msgs)
	n, err := s.cfg.Events.Insert(ctx, all)
	stop()
	if err == nil {
		s.stats.stored(len(all), n)
		for _, d := range msgs {
			_ = d.msg.Ack()
		}
		return
	}
	s.stats.insertError()
	s.log.Warn("ingest: insert failed; storing messages one by one", "messages", len(msgs), "events", len(all), "err", err)
	for _, d := range msgs {
		s.storeOne(ctx, d)
	}
}

// storeOne stores one message's events. A message the store keeps
// refusing is terminated after MaxStoreTries deliveries; otherwise it is
// delivered again after a pause.
func (s *Service) storeOne(ctx context.Context, d decodedMsg) {
	if ctx.Err() != nil {
		_ = d.msg.Nak() // delivered again, to whoever reads next
		return
	}
	n, err := s.cfg.Events.Insert(ctx, d.batch.Events)
	if err == nil {
		s.stats.stored(len(d.batch.Events), n)
		_ = d.msg.Ack()
		return
	}
	s.stats.insertError()
	tries := uint64(1)
	if md, mdErr := d.msg.Metadata(); mdErr == nil {
		tries = md.NumDelivered
	}
	if tries >= uint64(s.cfg.MaxStoreTries) {
		s.log.Error("ingest: store refuses message; dropped", "subject", d.msg.Subject(), "tries", tries, "err", err)
		s.stats.malformedMsg(ReasonStoreRejected)
		_ = d.msg.TermWithReason(ReasonStoreRejected)
		return
	}
	s.log.Warn("ingest: store refuses message; retrying", "subject", d.msg.Subject(), "tries", tries, "err", err)
	_ = d.msg.NakWithDelay(min(time.Duration(tries)*time.Second, 30*time.Second))
}

// keepInProgress tells the stream, every half ack wait, that msgs are still
// being worked on, until the returned stop is called: a long insert does not
// get its messages delivered a second time.
func (s *Service) keepInProgress(msgs []decodedMsg) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(s.cfg.AckWait / 2)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				for _, d := range msgs {
					_ = d.msg.InProgress()
				}
			}
		}
	}()
	return func() { close(done); <-finished }
}
