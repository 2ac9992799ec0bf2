package sender

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// StateFile is the sender's state file in its state directory.
const StateFile = "sender.json"

// state is what the sender keeps across restarts.
type state struct {
	// NextSeq is the sequence number of the next new batch. A new state
	// starts at the current time in microseconds, so that a state file lost
	// with its directory never gives a message id the stream has seen
	// inside its de-duplication window.
	NextSeq uint64 `json:"next_seq"`
	// Reported is the spool's dropped counter as last reported upstream
	// in an acknowledged batch.
	Reported uint64 `json:"reported_dropped"`
	// Pending is the window being sent, written before its first publish.
	Pending *window `json:"pending,omitempty"`
}

// window is a run of spooled records sent as up to MaxInFlight batches.
type window struct {
	// FirstSeq is the sequence number of the first batch; the others
	// follow.
	FirstSeq uint64 `json:"first_seq"`
	// Counts are the records in each batch.
	Counts []int `json:"counts"`
	// Sum is the SHA-256 of the records, to recognize the same records
	// after a restart.
	Sum string `json:"sum"`
	// Dropped is the spool's dropped counter when the window was made.
	Dropped uint64 `json:"dropped"`
}

// total is the number of records in the window.
func (w *window) total() int {
	n := 0
	for _, c := range w.Counts {
		n += c
	}
	return n
}

// valid reports whether the window can be sent again as recorded.
func (w *window) valid() bool {
	if len(w.Counts) == 0 || w.FirstSeq == 0 || len(w.Sum) != sha256.Size*2 {
		return false
	}
	for _, c := range w.Counts {
		if c <= 0 {
			return false
		}
	}
	return true
}

// checksum is the SHA-256 of the records, each preceded by its length.
func checksum(records [][]byte) string {
	h := sha256.New()
	var n [8]byte
	for _, r := range records {
		binary.LittleEndian.PutUint64(n[:], uint64(len(r)))
		h.Write(n[:])
		h.Write(r)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// loadState reads the state file, or starts a new state when there is none.
func loadState(path string) (state, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return state{NextSeq: uint64(time.Now().UnixMicro())}, nil
	}
	if err != nil {
		return state{}, fmt.Errorf("sender state: %w", err)
	}
	var st state
	if err := json.Unmarshal(data, &st); err != nil || st.NextSeq == 0 {
		// A damaged file must not stop the agent: start a new sequence.
		return state{NextSeq: uint64(time.Now().UnixMicro())}, nil
	}
	if p := st.Pending; p != nil && !p.valid() {
		st.Pending = nil
		st.NextSeq = max(st.NextSeq, p.FirstSeq+uint64(len(p.Counts)))
	}
	return st, nil
}

// save writes the state atomically; with sync it is on disk on return.
func (st state) save(path string, sync bool) error {
	data, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("sender state: %w", err)
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("sender state: %w", err)
	}
	_, werr := f.Write(data)
	if werr == nil && sync {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("sender state: %w", werr)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("sender state: %w", err)
	}
	if sync {
		if d, err := os.Open(filepath.Dir(path)); err == nil {
			_ = d.Sync()
			d.Close()
		}
	}
	return nil
}
