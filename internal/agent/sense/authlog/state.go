package authlog

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// stateVersion is the version of the state file's format.
const stateVersion = 1

// saveEvery bounds how often the state is written while events flow; it
// is always written when Run returns.
const saveEvery = time.Second

// cursor is a position in one file: the file (device and inode), the
// offset of the first byte not yet handled, and the file's first bytes,
// which tell a file truncated and written again from the one read.
type cursor struct {
	Dev    uint64 `json:"dev"`
	Inode  uint64 `json:"inode"`
	Offset int64  `json:"offset"`
	Head   []byte `json:"head,omitempty"`
}

// fileState is what is kept for one followed path: the current file and
// the rotated ones not read to their end, oldest first.
type fileState struct {
	Current cursor   `json:"current"`
	Rotated []cursor `json:"rotated,omitempty"`
	// LastTime is the time of the last line read, from which the year of
	// traditional timestamps is inferred.
	LastTime time.Time `json:"last_time,omitzero"`
}

// journalState is the position in the systemd journal.
type journalState struct {
	Cursor string `json:"cursor,omitempty"`
	// Realtime is the last entry's __REALTIME_TIMESTAMP in microseconds,
	// from which reading resumes when the cursor is refused.
	Realtime int64 `json:"realtime,omitempty"`
}

// state is the sensor's saved position in everything it reads.
type state struct {
	Version int                   `json:"version"`
	Files   map[string]*fileState `json:"files"`
	Journal journalState          `json:"journal"`
}

// stateStore keeps the state in memory and in a file of the data
// directory, written atomically.
type stateStore struct {
	path string

	mu    sync.Mutex
	st    state
	dirty bool
	saved time.Time
}

// loadState reads the state file; a missing file gives an empty state,
// an unreadable one an empty state and an error to log.
func loadState(path string, legacy ...string) (*stateStore, error) {
	s := &stateStore{path: path, st: state{Version: stateVersion, Files: map[string]*fileState{}}}
	if path == "" {
		return s, nil
	}
	data, err := os.ReadFile(path)
	for _, old := range legacy {
		if !errors.Is(err, fs.ErrNotExist) {
			break
		}
		data, err = os.ReadFile(old) // saved to path from now on
	}
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("read state: %w", err)
	}
	var st state
	if err := json.Unmarshal(data, &st); err != nil {
		return s, fmt.Errorf("state %s: %w", path, err)
	}
	if st.Version != stateVersion {
		return s, fmt.Errorf("state %s: version %d, want %d", path, st.Version, stateVersion)
	}
	if st.Files == nil {
		st.Files = map[string]*fileState{}
	}
	s.st = st
	return s, nil
}

// file returns a copy of the saved state of a followed path, nil when
// there is none.
func (s *stateStore) file(key string) *fileState {
	s.mu.Lock()
	defer s.mu.Unlock()
	fs := s.st.Files[key]
	if fs == nil {
		return nil
	}
	c := *fs
	c.Rotated = append([]cursor(nil), fs.Rotated...)
	return &c
}

// setFile records the position in a followed path.
func (s *stateStore) setFile(key string, fs fileState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.Files[key] = &fs
	s.dirty = true
}

// journal returns the saved journal position.
func (s *stateStore) journal() journalState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.Journal
}

// setJournal records the journal position.
func (s *stateStore) setJournal(j journalState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.Journal = j
	s.dirty = true
}

// maybeSave writes the state when it changed and the last write is
// older than saveEvery.
func (s *stateStore) maybeSave(now time.Time) error {
	s.mu.Lock()
	due := s.dirty && now.Sub(s.saved) >= saveEvery
	s.mu.Unlock()
	if !due {
		return nil
	}
	return s.save(now)
}

// save writes the state file when it changed: a temporary file, synced,
// renamed over the old one.
func (s *stateStore) save(now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.dirty || s.path == "" {
		return nil
	}
	data, err := json.Marshal(&s.st)
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return fmt.Errorf("state directory: %w", err)
	}
	tmp := s.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, s.path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write state %s: %w", s.path, err)
	}
	s.dirty, s.saved = false, now
	return nil
}
