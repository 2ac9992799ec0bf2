package jsonenc

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/event"
)

// decodeJSON parses b as encoding/json would for an event.
func decodeJSON(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("invalid JSON %q: %v", b, err)
	}
	return v
}

func TestAppendMatchesEncodingJSON(t *testing.T) {
	values := []any{
		nil, true, "", "plain", "quote\" back\\ slash", "ctl \x00\x01\x1f\n\r\t", "<html>&",
		"bad utf8 \xff\xfe end", "line\u2028sep\u2029", "日本語", 0.0, -0.0, 1.5, 1e21, 1e-7, 123456789.0,
		math.MaxFloat64, math.SmallestNonzeroFloat64, 42, int64(-7), int32(3), uint32(4), uint64(1 << 63),
		[]any{"a", 1.0, nil, []any{}}, []string{"x", "y"}, map[string]any{},
		map[string]any{"b": 1.0, "a": map[string]any{"z": "q", "y": []any{false}}},
		event.Event{"process": map[string]any{"pid": 1.0}},
		map[string]string{"fallback": "type"}, json.Number("12.5"), time.Unix(0, 0).UTC(),
	}
	for _, v := range values {
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Append(nil, v)
		if err != nil {
			t.Fatalf("Append(%#v): %v", v, err)
		}
		if d := cmp.Diff(decodeJSON(t, want), decodeJSON(t, got)); d != "" {
			t.Errorf("Append(%#v) = %s; differs from encoding/json %s:\n%s", v, got, want, d)
		}
	}
	for _, v := range []any{math.NaN(), math.Inf(1), map[string]any{"x": math.Inf(-1)}, func() {}} {
		if _, err := Append(nil, v); err == nil {
			t.Errorf("Append(%v) succeeded", v)
		}
	}
}

// FuzzAppend checks that any JSON document, decoded the way events are,
// encodes to JSON that decodes to the same value.
func FuzzAppend(f *testing.F) {
	f.Add(`{"event":{"id":"x"},"n":[1,2.5,-3e-9,null,true],"s":"\u0000\u2028\ud800"}`)
	f.Add(`"\xff"`)
	f.Fuzz(func(t *testing.T, doc string) {
		var v any
		if json.Unmarshal([]byte(doc), &v) != nil {
			return
		}
		b, err := Append(nil, v)
		if err != nil {
			t.Fatal(err)
		}
		var again any
		if err := json.Unmarshal(b, &again); err != nil {
			t.Fatalf("%q encoded to invalid %q: %v", doc, b, err)
		}
		if d := cmp.Diff(v, again); d != "" {
			t.Fatalf("%q round trip differs:\n%s", doc, d)
		}
	})
}

func BenchmarkAppend(b *testing.B) {
	e := benchEvent()
	buf := make([]byte, 0, 1024)
	for b.Loop() {
		buf, _ = Append(buf[:0], e)
	}
}

func BenchmarkEncodingJSON(b *testing.B) {
	e := benchEvent()
	for b.Loop() {
		_, _ = json.Marshal(e)
	}
}

func benchEvent() event.Event {
	e := event.New("agent-1-000000000042", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), "process", "exec")
	e.Set(event.FieldAgentID, "agent-1")
	e.Set(event.FieldHostName, "web-01.prod.example")
	e.Set(event.FieldProcessPID, 4242.0)
	e.Set(event.FieldProcessExe, "/usr/bin/curl")
	e.Set(event.FieldProcessCmd, "curl -fsS https://repo.example/pkg/42.tar.gz -o /tmp/pkg.tgz")
	e.Set(event.FieldParentExe, "/bin/bash")
	e.Set(event.FieldUserName, "deploy")
	return e
}
