package procparse

import (
	"bytes"
	"fmt"
	"strconv"
)

// Status holds the ids of /proc/PID/status.
type Status struct {
	Tgid int
	PPID int
	// UID and GID are real, effective, saved and filesystem ids.
	UID [4]uint32
	GID [4]uint32
}

// ParseStatus parses the Tgid, PPid, Uid and Gid lines of
// /proc/PID/status; each must be present.
func ParseStatus(b []byte) (Status, error) {
	var s Status
	var seen int
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		key, val, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		var err error
		switch string(key) {
		case "Tgid":
			s.Tgid, err = strconv.Atoi(string(bytes.TrimSpace(val)))
			seen |= 1
		case "PPid":
			s.PPID, err = strconv.Atoi(string(bytes.TrimSpace(val)))
			seen |= 2
		case "Uid":
			err = parseIDs(val, &s.UID)
			seen |= 4
		case "Gid":
			err = parseIDs(val, &s.GID)
			seen |= 8
		}
		if err != nil {
			return s, fmt.Errorf("%w: status: %s: %v", ErrMalformed, key, err)
		}
	}
	if seen != 15 {
		return s, fmt.Errorf("%w: status: Tgid, PPid, Uid or Gid line missing", ErrMalformed)
	}
	return s, nil
}

// parseIDs parses four tab-separated ids.
func parseIDs(val []byte, dst *[4]uint32) error {
	fields := bytes.Fields(val)
	if len(fields) != 4 {
		return fmt.Errorf("%d ids, want 4", len(fields))
	}
	for i, f := range fields {
		v, err := strconv.ParseUint(string(f), 10, 32)
		if err != nil {
			return err
		}
		dst[i] = uint32(v)
	}
	return nil
}

// NoID is the value of an unset login uid or audit session id.
const NoID = ^uint32(0)

// ParseID parses /proc/PID/loginuid or /proc/PID/sessionid: one decimal
// number, NoID when unset.
func ParseID(b []byte) (uint32, error) {
	v, err := strconv.ParseUint(string(bytes.TrimSpace(b)), 10, 32)
	if err != nil {
		return NoID, fmt.Errorf("%w: id: %v", ErrMalformed, err)
	}
	return uint32(v), nil
}
