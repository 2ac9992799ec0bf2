package eventbatch

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/event"
)

func FuzzDecode(f *testing.F) {
	good := lines(f, events("a1", "f", 2))
	f.Add(batchMsg("a1", good, 2, false, 0))
	f.Add(batchMsg("a1", good, 2, true, 3))
	f.Add(batchMsg("a1", []byte("{}\n{\"agent\":{\"id\":\"a2\"}}\nnull\n"), 3, false, 0))
	f.Add(batchMsg("a2", good, 2, false, 0))
	f.Add([]byte{0x0a, 0x02, 'a', '1', 0x20, 0x01, 0x2a, 0x04, 0x28, 0xb5, 0x2f, 0xfd})
	d, err := NewDecoder()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := d.Decode("vigil.agent.a1.events", data)
		if err != nil {
			return
		}
		for _, e := range b.Events {
			if err := e.Validate(); err != nil {
				t.Fatalf("accepted an invalid event: %v", err)
			}
			if e.AgentID() != "a1" {
				t.Fatalf("accepted an event of agent %q", e.AgentID())
			}
			if _, ok := e.Get(event.FieldID); !ok {
				t.Fatal("accepted an event without id")
			}
		}
	})
}

// decodeEventStd is DecodeEvent as it was with encoding/json: the
// reference FuzzDecodeEvent compares it with.
func decodeEventStd(line []byte, id string) (event.Event, string) {
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

// FuzzDecodeEvent checks that DecodeEvent decides and decodes as
// encoding/json did, but for documents nested deeper than
// event.MaxJSONDepth.
func FuzzDecodeEvent(f *testing.F) {
	for _, line := range strings.Split(string(lines(f, events("a1", "f", 2))), "\n") {
		f.Add([]byte(line))
	}
	const ok = `{"event":{"id":"e1","category":"process","action":"exec"},"@timestamp":"2026-01-02T03:04:05Z"`
	for _, tail := range []string{
		`}`, `,"agent":{"id":"a1"}}`, `,"agent":{"id":"a2"}}`, `,"agent.id":"a1"}`, `,"agent":{"id":7}}`,
		`,"agent":{"id":"a2"},"agent":{"id":"a1"}}`, `,"agent":{"\u0069d":"a\u0031"}}`,
		`,"process":{"pid":1e400}}`, `,"process":{"pid":-0.5e-3,"args":["a",null,true,{}]}}`,
		`,"m":"\ud83d\ude00\ud83d\u0041\/\b"}`, ",\"m\":\"\xff\xed\xa0\x80\"}", `} x`, `}}`, `,}`,
	} {
		f.Add([]byte(ok + tail))
	}
	f.Add([]byte(`null`))
	f.Add([]byte(`[` + ok + `}]`))
	f.Fuzz(func(t *testing.T, line []byte) {
		got, reason := DecodeEvent(line, "a1")
		want, wantReason := decodeEventStd(line, "a1")
		if reason == ReasonEventJSON && wantReason != ReasonEventJSON {
			var doc any
			if json.Unmarshal(line, &doc) == nil && depth(doc) > event.MaxJSONDepth {
				return
			}
		}
		if reason != wantReason {
			t.Fatalf("reason %q, with encoding/json %q", reason, wantReason)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("event %#v\nwith encoding/json %#v", got, want)
		}
	})
}

// depth is the nesting of objects and arrays in v.
func depth(v any) int {
	inner := 0
	switch x := v.(type) {
	case event.Event:
		return depth(map[string]any(x))
	case map[string]any:
		for _, w := range x {
			inner = max(inner, depth(w))
		}
	case []any:
		for _, w := range x {
			inner = max(inner, depth(w))
		}
	default:
		return 0
	}
	return inner + 1
}
