package sqlstore

import (
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/event"
)

func TestReplaceNULEscapes(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"a":"x\u0000y"}`, `{"a":"x\ufffdy"}`},
		{`{"a":"x\\u0000y"}`, `{"a":"x\\u0000y"}`},
		{`{"a":"\\\u0000"}`, `{"a":"\\\ufffd"}`},
		{`{"a\u0000":"\u0000\u0000"}`, `{"a\ufffd":"\ufffd\ufffd"}`},
		{`{"a":"\u00001"}`, `{"a":"\ufffd1"}`},
	}
	for _, tt := range tests {
		if got := string(replaceNULEscapes([]byte(tt.in))); got != tt.want {
			t.Errorf("replaceNULEscapes(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestStrMatchesEventString(t *testing.T) {
	e := event.New("id-1", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), "process", "exec")
	e["agent.id"] = "flat-agent"                      // a flat dotted key wins
	e["agent"] = map[string]any{"id": "nested-agent"} // over this
	e["host"] = event.Event{"name": "typed-map"}      // another map type
	e["process"] = map[string]any{"pid": 42.0, "parent": map[string]any{"executable": "/bin/sh"}}
	e["user"] = "not-an-object"
	e["message"] = "top"
	for _, path := range []string{
		"event.id", "event.action", "agent.id", "host.name", "process.pid", "process.parent.executable",
		"process.missing", "user.name", "message", "missing", "missing.deeper", "event",
	} {
		if got, want := str(e, path), e.String(path); got != want {
			t.Errorf("str(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestChunkSizes(t *testing.T) {
	for _, n := range []int{0, 1, 3, 4, 255, 256, 257, 1000, 5000} {
		total := 0
		for _, size := range chunkSizes(n) {
			total += size
		}
		if total != n {
			t.Errorf("chunkSizes(%d) adds up to %d", n, total)
		}
	}
	if got := len(chunkSizes(1000)); got > 12 {
		t.Errorf("1000 rows take %d statements", got)
	}
}
