package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/klauspost/compress/zstd"
	"google.golang.org/protobuf/proto"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/event"
)

// MaxDecompressed bounds the decompressed payload of one batch, against
// compression bombs. Real batches stay far below it: a message is at most
// 1 MiB compressed.
const MaxDecompressed = 16 << 20

// minEventSize is less than the encoding of any valid event.
const minEventSize = 64

// Reasons a message or an event is rejected, the labels of MalformedTotal.
const (
	ReasonSubject       = "subject"        // not an agent's events subject
	ReasonDecode        = "decode"         // not a protobuf EventBatch
	ReasonAgentMismatch = "agent_mismatch" // batch agent_id is not the subject's agent
	ReasonCompression   = "compression"    // unknown compression
	ReasonDecompress    = "decompress"     // corrupt compressed payload
	ReasonTooLarge      = "too_large"      // payload expands beyond MaxDecompressed
	ReasonStoreRejected = "store_rejected" // the store kept refusing the message
	ReasonEventJSON     = "event_json"     // an event line is not a JSON object
	ReasonEventInvalid  = "event_invalid"  // an event fails event.Validate
	ReasonEventTooLarge = "event_too_large"
	ReasonEventAgent    = "event_agent_mismatch" // an event's agent.id is another agent's
)

// rejectError is a message-level rejection with its reason.
type rejectError struct {
	reason string
	err    error
}

func (e *rejectError) Error() string { return e.reason + ": " + e.err.Error() }
func (e *rejectError) Unwrap() error { return e.err }

func reject(reason string, format string, args ...any) error {
	return &rejectError{reason: reason, err: fmt.Errorf(format, args...)}
}

// batch is one decoded message: its valid events and what was dropped.
type batch struct {
	agentID string
	events  []event.Event
	// rejected counts dropped events by reason.
	rejected map[string]int
	// agentDropped is the batch's dropped_since_last.
	agentDropped uint64
}

// decoder decodes event batches; it is safe for concurrent use.
type decoder struct {
	zstd *zstd.Decoder
}

func newDecoder() (*decoder, error) {
	z, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(0),
		zstd.WithDecoderMaxMemory(MaxDecompressed), zstd.WithDecoderMaxWindow(MaxDecompressed))
	if err != nil {
		return nil, fmt.Errorf("zstd decoder: %w", err)
	}
	return &decoder{zstd: z}, nil
}

// decode checks and decodes one message. An error is a *rejectError: the
// whole message is bad.
func (d *decoder) decode(subject string, data []byte) (batch, error) {
	id, err := bus.AgentIDFromSubject(subject)
	if err != nil || subject != bus.EventsSubject(id) {
		return batch{}, reject(ReasonSubject, "subject %q is not an agent's events subject", subject)
	}
	var eb busv1.EventBatch
	if err := proto.Unmarshal(data, &eb); err != nil {
		return batch{}, reject(ReasonDecode, "event batch: %w", err)
	}
	if eb.GetAgentId() != id {
		return batch{}, reject(ReasonAgentMismatch, "batch of agent %q on the subject of %q", eb.GetAgentId(), id)
	}
	payload, err := d.payload(&eb)
	if err != nil {
		return batch{}, err
	}
	// count is the sender's word: it sizes the slice only within what the
	// payload can hold (an event is far longer than minEventSize bytes).
	size := min(int(eb.GetCount()), len(payload)/minEventSize+1)
	b := batch{agentID: id, agentDropped: eb.GetDroppedSinceLast(), events: make([]event.Event, 0, size)}
	for len(payload) > 0 {
		line := payload
		if i := bytes.IndexByte(payload, '\n'); i >= 0 {
			line, payload = payload[:i], payload[i+1:]
		} else {
			payload = nil
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		e, reason := decodeEvent(line, id)
		if reason != "" {
			if b.rejected == nil {
				b.rejected = map[string]int{}
			}
			b.rejected[reason]++
			continue
		}
		b.events = append(b.events, e)
	}
	return b, nil
}

// payload returns the batch's payload decompressed.
func (d *decoder) payload(eb *busv1.EventBatch) ([]byte, error) {
	switch eb.GetCompression() {
	case busv1.EventBatch_COMPRESSION_NONE:
		if len(eb.GetPayload()) > MaxDecompressed {
			return nil, reject(ReasonTooLarge, "payload of %d bytes", len(eb.GetPayload()))
		}
		return eb.GetPayload(), nil
	case busv1.EventBatch_COMPRESSION_ZSTD:
		out, err := d.zstd.DecodeAll(eb.GetPayload(), nil)
		if errors.Is(err, zstd.ErrDecoderSizeExceeded) || errors.Is(err, zstd.ErrWindowSizeExceeded) || len(out) > MaxDecompressed {
			return nil, reject(ReasonTooLarge, "payload expands beyond %d bytes", MaxDecompressed)
		}
		if err != nil {
			return nil, reject(ReasonDecompress, "zstd: %w", err)
		}
		return out, nil
	}
	return nil, reject(ReasonCompression, "unknown compression %d", eb.GetCompression())
}

// decodeEvent parses and checks one event line of agent id's batch, as
// event.Decode does, except that a missing agent.id is set to id. It
// returns the reason when the event is rejected.
func decodeEvent(line []byte, id string) (event.Event, string) {
	if len(line) > event.MaxSize {
		return nil, ReasonEventTooLarge
	}
	var e event.Event
	if err := json.Unmarshal(line, &e); err != nil || e == nil {
		return nil, ReasonEventJSON
	}
	switch got, ok := e.Get(event.FieldAgentID); {
	case !ok || got == nil || got == "":
		e.Set(event.FieldAgentID, id)
	case e.AgentID() != id:
		return nil, ReasonEventAgent
	}
	if err := e.Validate(); err != nil {
		return nil, ReasonEventInvalid
	}
	return e, ""
}
