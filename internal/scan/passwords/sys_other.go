//go:build !unix

package passwords

import (
	"io/fs"
	"time"
)

// openFlags: no link or FIFO protection where the system has none.
const openFlags = 0

// ownedByUs: ownership is not checked where the system has no uids.
func ownedByUs(fs.FileInfo) bool { return true }

// processCPU is not known here: the throttle counts the wall time of
// the hashes instead.
func processCPU() (time.Duration, bool) { return 0, false }
