package eventbatch

import (
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/center/eventbatch/batchtest"
	"github.com/vigilsec/vigil/internal/event"
)

// events, lines and batchMsg build batches as agents publish them.
var (
	events   = batchtest.Events
	lines    = batchtest.Lines
	batchMsg = batchtest.Message
)

func TestDecodeEvent(t *testing.T) {
	const ok = `{"event":{"id":"e1","category":"process","action":"exec"},"@timestamp":"2026-01-02T03:04:05Z"`
	tests := []struct {
		name, line, reason, agent string
	}{
		{"agent set", ok + `,"agent":{"id":"a1"}}`, "", "a1"},
		{"agent missing", ok + `}`, "", "a1"},
		{"agent empty", ok + `,"agent":{"id":""}}`, "", "a1"},
		{"flat agent key", ok + `,"agent.id":"a1"}`, "", "a1"},
		{"agent not an object", ok + `,"agent":"x"}`, "", "a1"},
		{"other agent", ok + `,"agent":{"id":"a2"}}`, ReasonEventAgent, ""},
		{"numeric agent", ok + `,"agent":{"id":7}}`, ReasonEventAgent, ""},
		{"no id", `{"@timestamp":"2026-01-02T03:04:05Z","event":{"category":"c","action":"a"}}`, ReasonEventInvalid, ""},
		{"bad time", `{"@timestamp":"yesterday","event":{"id":"e","category":"c","action":"a"}}`, ReasonEventInvalid, ""},
		{"null", `null`, ReasonEventJSON, ""},
		{"array", `[1]`, ReasonEventJSON, ""},
		{"truncated", ok, ReasonEventJSON, ""},
		{"too large", `{"m":"` + strings.Repeat("x", event.MaxSize) + `"}`, ReasonEventTooLarge, ""},
		{"trailing data", ok + `,"agent":{"id":"a1"}} x`, ReasonEventJSON, ""},
		{"second object", ok + `,"agent":{"id":"a1"}}{}`, ReasonEventJSON, ""},
		{"duplicate agent keys", ok + `,"agent":{"id":"a2"},"agent":{"id":"a1"}}`, "", "a1"},
		{"escaped agent", ok + `,"agent":{"\u0069d":"\u0061\u0031"}}`, "", "a1"},
		{"number out of range", ok + `,"process":{"pid":1e400}}`, ReasonEventJSON, ""},
		{"nested too deep", ok + `,"x":` + strings.Repeat("[", event.MaxJSONDepth) + strings.Repeat("]", event.MaxJSONDepth) + `}`, ReasonEventJSON, ""},
		{"invalid UTF-8", ok + ",\"message\":\"\xff\"}", "", "a1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, reason := DecodeEvent([]byte(tc.line), "a1")
			if reason != tc.reason {
				t.Fatalf("reason %q, want %q", reason, tc.reason)
			}
			if tc.reason == "" && e.AgentID() != tc.agent {
				t.Errorf("agent.id %q, want %q", e.AgentID(), tc.agent)
			}
		})
	}
}

func TestDecodeMessage(t *testing.T) {
	d, err := NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	good := lines(t, events("a1", "m", 3))
	tests := []struct {
		name    string
		subject string
		data    []byte
		reason  string
		events  int
	}{
		{"plain", "vigil.agent.a1.events", batchMsg("a1", good, 3, false, 0), "", 3},
		{"zstd", "vigil.agent.a1.events", batchMsg("a1", good, 3, true, 0), "", 3},
		{"empty", "vigil.agent.a1.events", batchMsg("a1", nil, 0, false, 0), "", 0},
		{"count lies", "vigil.agent.a1.events", batchMsg("a1", good, 1<<32-1, false, 0), "", 3},
		{"heartbeat subject", "vigil.agent.a1.heartbeat", batchMsg("a1", good, 3, false, 0), ReasonSubject, 0},
		{"bad subject", "vigil.agent.a.1.events", batchMsg("a1", good, 3, false, 0), ReasonSubject, 0},
		{"other agent", "vigil.agent.a2.events", batchMsg("a1", good, 3, false, 0), ReasonAgentMismatch, 0},
		{"not protobuf", "vigil.agent.a1.events", []byte{0xff, 0xff}, ReasonDecode, 0},
		{"corrupt zstd", "vigil.agent.a1.events", corruptZstd(t), ReasonDecompress, 0},
		{"bomb", "vigil.agent.a1.events", batchMsg("a1", make([]byte, MaxDecompressed+1), 0, true, 0), ReasonTooLarge, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := d.Decode(tc.subject, tc.data)
			var rej *RejectError
			switch {
			case tc.reason == "" && err != nil:
				t.Fatalf("decode: %v", err)
			case tc.reason != "" && (!errors.As(err, &rej) || rej.Reason != tc.reason):
				t.Fatalf("decode error %v, want reason %s", err, tc.reason)
			}
			if len(b.Events) != tc.events {
				t.Errorf("%d events, want %d", len(b.Events), tc.events)
			}
		})
	}
}

func corruptZstd(t *testing.T) []byte {
	t.Helper()
	b := &busv1.EventBatch{}
	if err := proto.Unmarshal(batchMsg("a1", []byte(strings.Repeat("abc", 100)), 0, true, 0), b); err != nil {
		t.Fatal(err)
	}
	b.Payload = b.Payload[:len(b.Payload)/2]
	data, _ := proto.Marshal(b)
	return data
}
