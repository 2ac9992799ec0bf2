package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/vigilsec/vigil/internal/agent/spool"
	"github.com/vigilsec/vigil/internal/event"
)

// appendGroup bounds the records of one spool append.
const appendGroup = 256

// pipeline stamps events and writes them to the spool.
type pipeline struct {
	spool                    *spool.Spool
	agentID, hostID, version string
}

// add stamps, encodes and spools events, and returns how many were
// spooled; the error names those that were not.
func (p *pipeline) add(evs []event.Event) (int, error) {
	var errs []error
	recs := make([][]byte, 0, min(len(evs), appendGroup))
	n := 0
	flush := func() {
		if len(recs) == 0 {
			return
		}
		if err := p.spool.Append(recs...); err != nil {
			errs = append(errs, fmt.Errorf("spool: %w", err))
		} else {
			n += len(recs)
		}
		recs = recs[:0]
	}
	for _, e := range evs {
		rec, err := p.encode(e)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		recs = append(recs, rec)
		if len(recs) == appendGroup {
			flush()
		}
	}
	flush()
	return n, errors.Join(errs...)
}

// encode stamps one event and encodes it. Every event gets a new event.id,
// whatever it had, so that ids stay unique across plugins and runs.
func (p *pipeline) encode(e event.Event) ([]byte, error) {
	if e == nil {
		return nil, errors.New("nil event")
	}
	id, err := uuid.NewV7()
	if err != nil {
		return nil, fmt.Errorf("event id: %w", err)
	}
	e.Set(event.FieldID, id.String())
	e.Set(event.FieldAgentID, p.agentID)
	e.Set(event.FieldAgentVersion, p.version)
	if e.String(event.FieldHostID) == "" {
		e.Set(event.FieldHostID, p.hostID)
	}
	if _, ok := e.Get(event.FieldTimestamp); !ok {
		e.Set(event.FieldTimestamp, time.Now().UTC().Format(time.RFC3339Nano))
	}
	if err := e.Validate(); err != nil {
		return nil, fmt.Errorf("event %s/%s: %w", e.String(event.FieldCategory), e.String(event.FieldAction), err)
	}
	rec, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encode event: %w", err)
	}
	if len(rec) > event.MaxSize {
		return nil, fmt.Errorf("event %s/%s: %w: %d bytes", e.String(event.FieldCategory), e.String(event.FieldAction), event.ErrTooLarge, len(rec))
	}
	return rec, nil
}
