//go:build unix && !linux

package stopsource

// process is what the host tells about a process.
type process struct {
	command string
	comm    string
	uid     int
}

// lookupProcess knows nothing without /proc.
func lookupProcess(int) (process, bool) { return process{}, false }

// loginUID is unknown without /proc.
func loginUID() (int, bool) { return 0, false }

// terminal is unknown without /proc.
func terminal() string { return "" }
