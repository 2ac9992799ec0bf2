package spool

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// quiet is a logger for tests that expect warnings.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// openT opens a spool in dir and closes it when the test ends.
func openT(t testing.TB, dir string, opts Options) *Spool {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open(%q): %v", dir, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// closeT closes s and fails the test on error.
func closeT(t testing.TB, s *Spool) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// rec is record i, padded with dots to size bytes (at least its label).
func rec(i, size int) []byte {
	b := fmt.Appendf(nil, "{\"seq\":%07d}", i)
	for len(b) < size {
		b = append(b, '.')
	}
	return b
}

// recs returns records from..to-1 of the given size.
func recs(from, to, size int) [][]byte {
	var out [][]byte
	for i := from; i < to; i++ {
		out = append(out, rec(i, size))
	}
	return out
}

// appendAll appends records one per call.
func appendAll(t testing.TB, s *Spool, records [][]byte) {
	t.Helper()
	for _, r := range records {
		if err := s.Append(r); err != nil {
			t.Fatalf("Append: %v", err)
		}
	}
}

// drain peeks and commits until the spool is empty and returns what it read.
func drain(t testing.TB, s *Spool, maxRecords, maxBytes int) [][]byte {
	t.Helper()
	var out [][]byte
	for {
		b, err := s.Peek(maxRecords, maxBytes)
		if err != nil {
			t.Fatalf("Peek: %v", err)
		}
		if b.Len() == 0 {
			return out
		}
		out = append(out, b.Records...)
		if err := s.Commit(b); err != nil {
			t.Fatalf("Commit: %v", err)
		}
	}
}

// diffRecords compares record lists as strings for readable diffs.
func diffRecords(want, got [][]byte) string {
	str := func(rs [][]byte) []string {
		out := make([]string, len(rs))
		for i, r := range rs {
			out[i] = string(r)
		}
		return out
	}
	return cmp.Diff(str(want), str(got))
}

// segFiles lists the segment files of dir.
func segFiles(t testing.TB, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*"+segSuffix))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// patchFile overwrites bytes of a file at off.
func patchFile(t testing.TB, path string, off int64, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// flipBit inverts one bit of a file.
func flipBit(t testing.TB, path string, off int64, bit uint) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	patchFile(t, path, off, []byte{b[off] ^ 1<<bit})
}
