package plugin_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
)

type testSettings struct {
	Name     string           `json:"name"`
	Count    int              `json:"count"`
	Interval *plugin.Duration `json:"interval,omitempty"`
}

func TestDecodeSettings(t *testing.T) {
	defaults := testSettings{Name: "default", Count: 3}
	d := plugin.Duration(90 * time.Second)
	tests := []struct {
		name    string
		raw     string
		want    testSettings
		wantErr string
	}{
		{"empty", "", defaults, ""},
		{"blank", " \n\t", defaults, ""},
		{"null", "null", defaults, ""},
		{"empty object", "{}", defaults, ""},
		{"some fields", `{"count": 7}`, testSettings{Name: "default", Count: 7}, ""},
		{"duration", `{"interval": "1m30s"}`, testSettings{Name: "default", Count: 3, Interval: &d}, ""},
		{"unknown field", `{"colour": "red"}`, defaults, `settings: json: unknown field "colour"`},
		{"wrong type", `{"count": "7"}`, defaults, "settings: json: cannot unmarshal"},
		{"duration not a string", `{"interval": 90}`, defaults, `a duration is a string such as "5s", not 90`},
		{"bad duration", `{"interval": "soon"}`, defaults, `duration "soon": time: invalid duration`},
		{"second object", `{} {}`, defaults, "settings: data after the JSON object"},
		{"trailing brace", `{}}`, defaults, "settings: data after the JSON object"},
		{"trailing number", `{} 1`, defaults, "settings: data after the JSON object"},
		{"not an object", `[1]`, defaults, "settings: json: cannot unmarshal array"},
		{"truncated", `{"count": 1`, defaults, "settings: unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := defaults
			err := plugin.DecodeSettings(json.RawMessage(tt.raw), &got)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("error %v", err)
				}
				if got.Name != tt.want.Name || got.Count != tt.want.Count || (got.Interval == nil) != (tt.want.Interval == nil) ||
					got.Interval != nil && *got.Interval != *tt.want.Interval {
					t.Errorf("got %+v, want %+v", got, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestDecodeStrictEmpty(t *testing.T) {
	var v testSettings
	if err := plugin.DecodeStrict(nil, &v); err == nil {
		t.Error("empty data: no error")
	}
}

func TestDurationJSON(t *testing.T) {
	b, err := json.Marshal(plugin.Duration(1500 * time.Millisecond))
	if err != nil || string(b) != `"1.5s"` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var d plugin.Duration
	if err := json.Unmarshal(b, &d); err != nil || time.Duration(d) != 1500*time.Millisecond {
		t.Errorf("Unmarshal(%s) = %v, %v", b, time.Duration(d), err)
	}
}

func FuzzDecodeSettings(f *testing.F) {
	f.Add([]byte(`{"name":"x","count":2,"interval":"5s"}`))
	f.Add([]byte(`{} {}`))
	f.Add([]byte(`{"interval":7}`))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var s testSettings
		if err := plugin.DecodeSettings(raw, &s); err != nil {
			if !strings.HasPrefix(err.Error(), "settings: ") {
				t.Fatalf("error %q lacks the settings: prefix", err)
			}
			return
		}
		// What decodes encodes to settings that decode the same.
		again, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var s2 testSettings
		if err := plugin.DecodeSettings(again, &s2); err != nil {
			t.Fatalf("re-encoded %s: %v", again, err)
		}
		if s.Name != s2.Name || s.Count != s2.Count || (s.Interval == nil) != (s2.Interval == nil) ||
			s.Interval != nil && *s.Interval != *s2.Interval {
			t.Fatalf("round trip: %+v then %+v", s, s2)
		}
	})
}
