// Package eventbatch decodes the event batches agents publish
// (busv1.EventBatch: newline-delimited ECS JSON, optionally
// zstd-compressed) and checks them as untrusted input: the subject's
// agent must be the batch's and every event's, a compressed payload may
// not expand beyond MaxDecompressed, and every event must pass
// event.Validate. Ingest and detection both read the events stream
// through it.
package eventbatch

import (
	"bytes"
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
	ReasonEventJSON     = "event_json"     // an event line is not a JSON object
	ReasonEventInvalid  = "event_invalid"  // an event fails event.Validate
	ReasonEventTooLarge = "event_too_large"
	ReasonEventAgent    = "event_agent_mismatch" // an event's agent.id is another agent's
)

// RejectError is a message-level rejection with its reason (one of the
// Reason constants).
type RejectError struct {
	Reason string
	Err    error
}

func (e *RejectError) Error() string { return e.Reason + ": " + e.Err.Error() }
func (e *RejectError) Unwrap() error { return e.Err }

func reject(reason string, format string, args ...any) error {
	return &RejectError{Reason: reason, Err: fmt.Errorf(format, args...)}
}

// Batch is one decoded message: its valid events and what was dropped.
type Batch struct {
	AgentID string
	Events  []event.Event
	// Rejected counts dropped events by reason.
	Rejected map[string]int
	// AgentDropped is the batch's dropped_since_last: events the agent
	// dropped before sending.
	AgentDropped uint64
}

// Decoder decodes event batches; it is safe for concurrent use.
type Decoder struct {
	zstd *zstd.Decoder
}

// NewDecoder returns a Decoder.
func NewDecoder() (*Decoder, error) {
	z, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(0),
		zstd.WithDecoderMaxMemory(MaxDecompressed), zstd.WithDecoderMaxWindow(MaxDecompressed))
	if err != nil {
		return nil, fmt.Errorf("zstd decoder: %w", err)
	}
	return &Decoder{zstd: z}, nil
}

// Decode checks and decodes one message of subject. An error is a
// *RejectError: the whole message is bad. Bad events inside a good
// message are dropped and counted in Batch.Rejected.
func (d *Decoder) Decode(subject string, data []byte) (Batch, error) {
	id, err := bus.AgentIDFromSubject(subject)
	if err != nil || subject != bus.EventsSubject(id) {
		return Batch{}, reject(ReasonSubject, "subject %q is not an agent's events subject", subject)
	}
	var eb busv1.EventBatch
	if err := proto.Unmarshal(data, &eb); err != nil {
		return Batch{}, reject(ReasonDecode, "event batch: %w", err)
	}
	if eb.GetAgentId() != id {
		return Batch{}, reject(ReasonAgentMismatch, "batch of agent %q on the subject of %q", eb.GetAgentId(), id)
	}
	payload, err := d.payload(&eb)
	if err != nil {
		return Batch{}, err
	}
	// count is the sender's word: it sizes the slice only within what the
	// payload can hold (an event is far longer than minEventSize bytes).
	size := min(int(eb.GetCount()), len(payload)/minEventSize+1)
	b := Batch{AgentID: id, AgentDropped: eb.GetDroppedSinceLast(), Events: make([]event.Event, 0, size)}
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
		e, reason := DecodeEvent(line, id)
		if reason != "" {
			if b.Rejected == nil {
				b.Rejected = map[string]int{}
			}
			b.Rejected[reason]++
			continue
		}
		b.Events = append(b.Events, e)
	}
	return b, nil
}

// payload returns the batch's payload decompressed.
func (d *Decoder) payload(eb *busv1.EventBatch) ([]byte, error) {
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

// DecodeEvent parses and checks one event line of agent id's batch, as
// event.Decode does, except that numbers are float64 and a missing
// agent.id is set to id. It returns the reason when the event is
// rejected: a line that is not one JSON object, or that nests deeper
// than event.MaxJSONDepth, is ReasonEventJSON.
func DecodeEvent(line []byte, id string) (event.Event, string) {
	if len(line) > event.MaxSize {
		return nil, ReasonEventTooLarge
	}
	// The same event as json.Unmarshal makes (numbers are float64), in
	// a fraction of its time: ingest and detection decode every event.
	e, err := event.DecodeJSON(line)
	if err != nil {
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
