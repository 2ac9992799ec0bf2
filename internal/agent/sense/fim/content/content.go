// Package content keeps earlier contents of small files, so that a change
// can be shown as a diff against what the file held before. Contents are
// stored by their SHA-256 (one file each, written beside its name and
// renamed), checked against it when read, and bounded in total size: past
// the bound a new content is not kept (and its file's next change has no
// diff) until Retain drops what is no longer needed.
package content

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// Store is a bounded content store in one directory. It is safe for
// concurrent use.
type Store struct {
	dir   string
	max   int64
	mu    sync.Mutex
	sizes map[[32]byte]int64
	total int64
}

// Open opens (creating it) the store in dir, bounded to maxBytes.
// Leftover temporary files and files of other names are removed.
func Open(dir string, maxBytes int64) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("content store: %w", err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("content store: %w", err)
	}
	s := &Store{dir: dir, max: maxBytes, sizes: map[[32]byte]int64{}}
	for _, de := range ents {
		sum, ok := parseName(de.Name())
		info, err := de.Info()
		if !ok || err != nil || !info.Mode().IsRegular() {
			_ = os.RemoveAll(filepath.Join(dir, de.Name()))
			continue
		}
		s.sizes[sum] = info.Size()
		s.total += info.Size()
	}
	return s, nil
}

func parseName(name string) ([32]byte, bool) {
	var sum [32]byte
	if len(name) != 64 {
		return sum, false
	}
	if _, err := hex.Decode(sum[:], []byte(name)); err != nil {
		return sum, false
	}
	return sum, true
}

func (s *Store) path(sum [32]byte) string { return filepath.Join(s.dir, hex.EncodeToString(sum[:])) }

// Has reports whether the content with this hash is kept.
func (s *Store) Has(sum [32]byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.sizes[sum]
	return ok
}

// Size returns the bytes kept.
func (s *Store) Size() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// Get returns the content with this hash, if kept and intact.
func (s *Store) Get(sum [32]byte) ([]byte, bool) {
	if !s.Has(sum) {
		return nil, false
	}
	data, err := os.ReadFile(s.path(sum))
	if err != nil || sha256.Sum256(data) != sum {
		s.drop(sum)
		return nil, false
	}
	return data, true
}

// Put keeps data under its hash sum; it reports false when data does not
// fit in the bound or cannot be written.
func (s *Store) Put(sum [32]byte, data []byte) bool {
	s.mu.Lock()
	if _, ok := s.sizes[sum]; ok {
		s.mu.Unlock()
		return true
	}
	if s.total+int64(len(data)) > s.max {
		s.mu.Unlock()
		return false
	}
	s.sizes[sum] = int64(len(data))
	s.total += int64(len(data))
	s.mu.Unlock()
	p := s.path(sum)
	tmp := p + ".tmp"
	err := os.WriteFile(tmp, data, 0o600)
	if err == nil {
		err = os.Rename(tmp, p)
	}
	if err != nil {
		_ = os.Remove(tmp)
		s.drop(sum)
		return false
	}
	return true
}

func (s *Store) drop(sum [32]byte) {
	s.mu.Lock()
	n, ok := s.sizes[sum]
	if ok {
		delete(s.sizes, sum)
		s.total -= n
	}
	s.mu.Unlock()
	if ok {
		_ = os.Remove(s.path(sum))
	}
}

// Retain removes every content for which keep returns false.
func (s *Store) Retain(keep func(sum [32]byte) bool) {
	s.mu.Lock()
	var gone [][32]byte
	for sum := range s.sizes {
		if !keep(sum) {
			gone = append(gone, sum)
		}
	}
	s.mu.Unlock()
	for _, sum := range gone {
		s.drop(sum)
	}
}
