package content

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"
)

func TestStore(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, 10)
	if err != nil {
		t.Fatal(err)
	}
	a, b := []byte("12345678"), []byte("abcdef")
	sa, sb := sha256.Sum256(a), sha256.Sum256(b)
	if !s.Put(sa, a) || s.Put(sb, b) {
		t.Fatal("bound not kept")
	}
	if got, ok := s.Get(sa); !ok || string(got) != string(a) {
		t.Errorf("Get = %q, %v", got, ok)
	}
	s.Retain(func([32]byte) bool { return false })
	if s.Has(sa) || s.Size() != 0 || !s.Put(sb, b) {
		t.Error("Retain did not free room")
	}
	// A damaged content is dropped, not returned.
	names, _ := os.ReadDir(dir)
	if err := os.WriteFile(filepath.Join(dir, names[0].Name()), []byte("tampered"), 0o600); err != nil {
		t.Fatal(err)
	}
	s2, _ := Open(dir, 10)
	if _, ok := s2.Get(sb); ok {
		t.Error("damaged content returned")
	}
}
