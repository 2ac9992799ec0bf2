package sqlstore

import (
	"errors"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/store"
)

func TestCursorRoundTrip(t *testing.T) {
	tests := []Cursor{
		{Kind: kindEvents, N: 1},
		{Kind: kindEvents, N: 1<<62 + 7},
		{Kind: kindAgents, S: "web-01", T: "agent-\u00e9\"x"},
		{Kind: kindAlerts, N: -5, S: "al-1"},
		{Kind: kindUsers, S: ""},
	}
	for _, c := range tests {
		s := c.Encode()
		if strings.ContainsAny(s, "+/=") {
			t.Errorf("%+v: cursor %q is not URL-safe", c, s)
		}
		got, ok, err := DecodeCursor(s, c.Kind)
		if err != nil || !ok || got != c {
			t.Errorf("%+v: decoded %+v, %v, %v", c, got, ok, err)
		}
	}
}

func TestDecodeCursorErrors(t *testing.T) {
	other := Cursor{Kind: kindAlerts, N: 3, S: "x"}.Encode()
	tests := []struct{ name, s string }{
		{"not base64", "!!!"},
		{"padded", other + "=="},
		{"not json", "bm90IGpzb24"},
		{"json null", "bnVsbA"},
		{"empty object", "e30"},
		{"array", "W10"},
		{"unknown field", "eyJrIjoiZXZlbnRzIiwieCI6MX0"},
		{"trailing data", "eyJrIjoiZXZlbnRzIn17fQ"},
		{"wrong type", "eyJrIjoiZXZlbnRzIiwibiI6IngifQ"},
		{"other listing", other},
		{"too long", strings.Repeat("A", maxCursorLen+1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := DecodeCursor(tt.s, kindEvents)
			if !errors.Is(err, ErrBadCursor) {
				t.Fatalf("DecodeCursor(%q): %v, want ErrBadCursor", tt.s, err)
			}
		})
	}
	if _, ok, err := DecodeCursor("", kindEvents); ok || err != nil {
		t.Fatalf("empty cursor: %v, %v", ok, err)
	}
}

func TestLimitOf(t *testing.T) {
	tests := []struct{ in, want int }{
		{-1, store.DefaultLimit}, {0, store.DefaultLimit}, {1, 1}, {store.MaxLimit, store.MaxLimit},
		{store.MaxLimit + 1, store.MaxLimit},
	}
	for _, tt := range tests {
		if got := limitOf(tt.in); got != tt.want {
			t.Errorf("limitOf(%d) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

// FuzzDecodeCursor feeds arbitrary strings to the cursor decoder: it must
// never panic, must reject with ErrBadCursor, and anything it accepts must
// encode back to an equal cursor.
func FuzzDecodeCursor(f *testing.F) {
	f.Add(Cursor{Kind: kindEvents, N: 42}.Encode())
	f.Add(Cursor{Kind: kindAgents, S: "h", T: "i"}.Encode())
	f.Add("")
	f.Add("e30")
	f.Add("eyJrIjoiZXZlbnRzIiwibiI6MX0")
	f.Fuzz(func(t *testing.T, s string) {
		for _, kind := range []string{kindEvents, kindAgents, kindAlerts} {
			c, ok, err := DecodeCursor(s, kind)
			if err != nil {
				if !errors.Is(err, ErrBadCursor) {
					t.Fatalf("error %v does not wrap ErrBadCursor", err)
				}
				continue
			}
			if !ok {
				if s != "" {
					t.Fatalf("non-empty %q decoded to no cursor", s)
				}
				continue
			}
			again, ok, err := DecodeCursor(c.Encode(), kind)
			if err != nil || !ok || again != c {
				t.Fatalf("%+v re-encoded decodes to %+v, %v, %v", c, again, ok, err)
			}
		}
	})
}
