package procid_test

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/agent/procid"
)

func TestEntityID(t *testing.T) {
	a := procid.EntityID("host-1", 4242, 123456)
	tests := []struct {
		name  string
		other string
		same  bool
	}{
		{"same inputs", procid.EntityID("host-1", 4242, 123456), true},
		{"other host", procid.EntityID("host-2", 4242, 123456), false},
		{"reused pid", procid.EntityID("host-1", 4242, 123457), false},
		{"other pid", procid.EntityID("host-1", 4243, 123456), false},
	}
	for _, tc := range tests {
		if (tc.other == a) != tc.same {
			t.Errorf("%s: %q vs %q", tc.name, tc.other, a)
		}
	}
	if len(a) != 22 || strings.ContainsAny(a, "+/=") {
		t.Errorf("id %q is not 22 URL-safe characters", a)
	}
}

func TestTicksFromBootNS(t *testing.T) {
	if got := procid.TicksFromBootNS(12_345_678_901); got != 1234 {
		t.Errorf("ticks = %d, want 1234", got)
	}
}

// TestProcStatMatches: the start time in /proc/self/stat is in ticks, so
// an id from /proc equals one from a start_boottime of the same process.
func TestProcStatMatches(t *testing.T) {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		t.Skip("no /proc here")
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ticks, err := strconv.ParseUint(fields[19], 10, 64) // field 22 overall
	if err != nil {
		t.Fatal(err)
	}
	ns := ticks*10_000_000 + 9_999_999
	if procid.TicksFromBootNS(ns) != ticks {
		t.Errorf("ticks %d from %d ns", procid.TicksFromBootNS(ns), ns)
	}
}
