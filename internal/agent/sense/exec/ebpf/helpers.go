package ebpf

import "github.com/vigilsec/vigil/internal/agent/proctable/procparse"

// sameStart reports whether a /proc/PID/stat describes the process
// started at ticks.
func sameStart(stat []byte, ticks uint64) bool {
	st, err := procparse.ParseStat(stat)
	return err == nil && st.StartTicks == ticks
}

// without returns list without v.
func without(list []string, v string) []string {
	out := list[:0:0]
	for _, s := range list {
		if s != v {
			out = append(out, s)
		}
	}
	return out
}
