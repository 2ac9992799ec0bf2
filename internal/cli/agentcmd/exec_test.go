package agentcmd

import (
	"testing"

	"github.com/vigilsec/vigil/internal/center/command"
)

func TestDurationCell(t *testing.T) {
	for _, tc := range []struct {
		r    command.Result
		want string
	}{
		{command.Result{OK: true, DurationMS: 12}, "12ms"},
		{command.Result{OK: true, DurationMS: 2500}, "2.5s"},
		{command.Result{OK: true}, "<1ms"},
		{command.Result{Error: "agent offline"}, ""},
		{command.Result{Error: "timeout", DurationMS: 10000}, "10s"},
	} {
		if got := durationCell(tc.r); got != tc.want {
			t.Errorf("durationCell(%+v) = %q, want %q", tc.r, got, tc.want)
		}
	}
}
