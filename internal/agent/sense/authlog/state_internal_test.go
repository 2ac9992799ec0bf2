package authlog

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestLegacyStateRead: the state an older agent kept at the top level of
// the data directory is read when the state folder has none, and the
// next save goes to the state folder, leaving the old file alone.
func TestLegacyStateRead(t *testing.T) {
	data := t.TempDir()
	legacy := filepath.Join(data, legacyStateFile)
	if err := os.MkdirAll(filepath.Dir(legacy), 0o700); err != nil {
		t.Fatal(err)
	}
	old := `{"version":1,"files":{"/var/log/auth.log":{"current":{"dev":1,"inode":2,"offset":4096}}},"journal":{}}`
	if err := os.WriteFile(legacy, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(data, stateFile)
	s, err := loadState(path, legacy)
	if err != nil {
		t.Fatal(err)
	}
	if f := s.st.Files["/var/log/auth.log"]; f == nil || f.Current.Offset != 4096 {
		t.Fatalf("legacy state not read: %+v", s.st.Files)
	}
	s.dirty = true
	if err := s.save(time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("state not saved in the state folder: %v", err)
	}
	if got, err := os.ReadFile(legacy); err != nil || string(got) != old {
		t.Errorf("the legacy file changed: %q, %v", got, err)
	}
	// The state folder's file wins from now on.
	if err := os.WriteFile(legacy, []byte("not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err = loadState(path, legacy); err != nil || s.st.Files["/var/log/auth.log"] == nil {
		t.Errorf("reload: %v, %+v", err, s.st.Files)
	}
}
