package procparse

import "bytes"

// ParseArgs splits a NUL-separated argument block (/proc/PID/cmdline, or
// the block an eBPF program copies from the process's memory) into
// arguments. A trailing NUL ends the last argument. truncated says the
// block was cut and its last argument may be partial; at most maxArgs
// arguments are returned (0: no limit), and more also count as truncated.
func ParseArgs(b []byte, maxArgs int) (args []string, truncated bool) {
	if len(b) == 0 {
		return nil, false
	}
	b = bytes.TrimSuffix(b, []byte{0})
	n := bytes.Count(b, []byte{0}) + 1
	if maxArgs > 0 && n > maxArgs {
		n, truncated = maxArgs, true
	}
	args = make([]string, 0, n)
	// One string for the whole block; the arguments share it.
	all := string(b)
	for len(args) < n {
		i := indexNUL(all)
		if i < 0 {
			args = append(args, all)
			break
		}
		args = append(args, all[:i])
		all = all[i+1:]
	}
	return args, truncated
}

func indexNUL(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return i
		}
	}
	return -1
}
