//go:build unix

package exehash

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"
)

func keyOf(t *testing.T, path string) Key {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	k, ok := KeyOf(fi)
	if !ok {
		t.Fatalf("%s: no key", path)
	}
	return k
}

func want(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestHash(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "tool")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\necho one\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	h := New(Config{MaxSize: 1 << 20})
	k := keyOf(t, exe)
	r := h.Hash(k, filepath.Join(dir, "missing"), exe)
	sum, st := r.Wait(20 * time.Second)
	if st != StatusOK || sum != want(t, exe) {
		t.Fatalf("hash %q %s", sum, st)
	}
	if again := h.Hash(k, exe); again != r {
		t.Error("a second request for the same file was not served from the cache")
	}
	if s := h.Stats(); s.Hashed != 1 || s.CacheHits != 1 {
		t.Errorf("stats %+v", s)
	}

	// The file is replaced: the old identity no longer opens.
	if err := os.WriteFile(exe+".new", []byte("#!/bin/sh\necho two\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(exe+".new", exe); err != nil {
		t.Fatal(err)
	}
	stale := k
	stale.Size += 7 // a version no file has: the path opens another file
	if _, st := h.Hash(stale, exe).Wait(20 * time.Second); st != StatusUnavailable {
		t.Errorf("a replaced file: status %s", st)
	}
	if sum, st := h.Hash(keyOf(t, exe), exe).Wait(20 * time.Second); st != StatusOK || sum != want(t, exe) {
		t.Errorf("the new file: %q %s", sum, st)
	}

	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, 2<<20), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, st := h.Hash(keyOf(t, big), big).Sum(); st != StatusTooLarge {
		t.Errorf("big file: %s", st)
	}
	if _, st := h.Hash(Key{}, exe).Sum(); st != StatusUnavailable {
		t.Errorf("no key: %s", st)
	}
}

// TestBounded: a full queue answers busy, the cache keeps at most
// CacheSize results, and the workers stop when idle. The first file's
// first path is a FIFO, whose open blocks the only worker until the test
// opens its other end: the queue fills without a race.
func TestBounded(t *testing.T) {
	dir := t.TempDir()
	before := runtime.NumGoroutine()
	h := New(Config{QueueSize: 2, CacheSize: 3, Workers: 1})
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	var results []*Result
	var paths []string
	for i := range 12 {
		p := filepath.Join(dir, "f"+string(rune('a'+i)))
		if err := os.WriteFile(p, make([]byte, 1<<20+i), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
		if i == 0 {
			results = append(results, h.Hash(keyOf(t, p), fifo, p))
			// Wait until the worker took the first job off the queue.
			for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(5 * time.Millisecond) {
				h.mu.Lock()
				n := len(h.queue)
				h.mu.Unlock()
				if n == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the worker did not start")
				}
			}
			continue
		}
		results = append(results, h.Hash(keyOf(t, p), p))
	}
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0) // lets the worker's open return
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	busy := 0
	for i, r := range results {
		sum, st := r.Wait(20 * time.Second)
		switch st {
		case StatusBusy:
			busy++
		case StatusOK:
			if sum != want(t, paths[i]) {
				t.Errorf("%s: wrong sum", paths[i])
			}
		default:
			t.Errorf("%s: status %s", paths[i], st)
		}
	}
	if busy != 9 || h.Stats().Busy != 9 {
		t.Errorf("busy %d, want 9 (12 files, 1 hashing, 2 queued); stats %+v", busy, h.Stats())
	}
	h.mu.Lock()
	n := h.lru.Len()
	h.mu.Unlock()
	if n > 3 {
		t.Errorf("cache holds %d results, bound 3", n)
	}
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines, %d before", runtime.NumGoroutine(), before)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
