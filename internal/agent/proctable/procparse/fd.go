package procparse

import (
	"strconv"
	"strings"
)

// FD kinds of ParseFDLink.
const (
	FDSocket = "socket"
	FDPipe   = "pipe"
	FDOther  = "other"
)

// ParseFDLink classifies the target of a /proc/PID/fd/N link:
// "socket:[INODE]" and "pipe:[INODE]" give their kind and inode; every
// other target (a file, a terminal, "anon_inode:...") is FDOther.
func ParseFDLink(target string) (kind string, inode uint64) {
	for _, k := range []string{FDSocket, FDPipe} {
		rest, ok := strings.CutPrefix(target, k+":[")
		if !ok {
			continue
		}
		num, ok := strings.CutSuffix(rest, "]")
		if !ok {
			return FDOther, 0
		}
		ino, err := strconv.ParseUint(num, 10, 64)
		if err != nil {
			return FDOther, 0
		}
		return k, ino
	}
	return FDOther, 0
}
