// Package exehash computes the SHA-256 of executables off the path of
// the events that need them: a bounded queue served by a bounded number
// of workers, which start when there is work and stop when there is none,
// and a bounded cache keyed by the file's identity (device, inode, size,
// modification time), so that each version of a binary is read once
// however often it runs.
//
// Files larger than Config.MaxSize are not hashed: a partial hash would
// match no indicator feed, and reading hundreds of megabytes for one
// exec is not worth its cost; their Result says StatusTooLarge at once.
// A file is hashed only when an open path (the process's /proc/PID/exe
// first, then its path) still has the identity the kernel reported at
// exec, and the hash is kept only when the identity did not change while
// it was read, so a hash never describes another file than the one that
// ran. A failure is cached like a hash (StatusUnavailable): that version
// of the file cannot be read any more.
package exehash

import (
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Key identifies one version of a file.
type Key struct {
	// Dev is the device number as stat(2) reports it (st_dev).
	Dev uint64
	Ino uint64
	// Size is the file size in bytes.
	Size int64
	// MtimeNS is the modification time in nanoseconds since the epoch.
	MtimeNS int64
}

// Valid reports whether k names a file (inode 0 names none).
func (k Key) Valid() bool { return k.Ino != 0 }

// Status says why a Result has no hash.
type Status string

// Statuses of a Result.
const (
	// StatusOK: the hash is known.
	StatusOK Status = "ok"
	// StatusPending: the hash is being computed.
	StatusPending Status = "pending"
	// StatusTooLarge: the file is larger than Config.MaxSize.
	StatusTooLarge Status = "too-large"
	// StatusUnavailable: no path opened the file that ran (it was
	// replaced, removed or is unreadable).
	StatusUnavailable Status = "unavailable"
	// StatusBusy: the queue was full; a later request may succeed.
	StatusBusy Status = "busy"
)

// Result is the outcome of one request; it is shared by all requests for
// the same Key.
type Result struct {
	done   chan struct{}
	sum    string
	status Status
}

// Done is closed when the result is known.
func (r *Result) Done() <-chan struct{} { return r.done }

// Sum returns the hex SHA-256 and StatusOK, or "" and why not
// (StatusPending while it is being computed).
func (r *Result) Sum() (string, Status) {
	select {
	case <-r.done:
		return r.sum, r.status
	default:
		return "", StatusPending
	}
}

// Wait waits up to d for the result and returns Sum.
func (r *Result) Wait(d time.Duration) (string, Status) {
	select {
	case <-r.done:
	default:
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-r.done:
		case <-t.C:
		}
	}
	return r.Sum()
}

func finished(sum string, st Status) *Result {
	r := &Result{done: make(chan struct{}), sum: sum, status: st}
	close(r.done)
	return r
}

// Results without a hash, shared by every request that gets them.
var (
	resultUnavailable = finished("", StatusUnavailable)
	resultTooLarge    = finished("", StatusTooLarge)
	resultBusy        = finished("", StatusBusy)
)

// Config bounds a Hasher.
type Config struct {
	// MaxSize is the largest file hashed, in bytes; 0 means
	// DefaultMaxSize.
	MaxSize int64
	// CacheSize is the number of results kept; 0 means DefaultCacheSize.
	CacheSize int
	// QueueSize is the number of files waiting to be hashed; 0 means
	// DefaultQueueSize.
	QueueSize int
	// Workers is the number of files hashed at the same time; 0 means 1.
	Workers int
}

// Defaults of Config.
const (
	DefaultMaxSize   = 64 << 20
	DefaultCacheSize = 4096
	DefaultQueueSize = 256
)

// Stats counts a Hasher's work.
type Stats struct {
	Hashed, Bytes, CacheHits, Busy, Unavailable uint64
}

// Hasher hashes executables. It is safe for concurrent use.
type Hasher struct {
	maxSize atomic.Int64
	cfg     Config

	mu       sync.Mutex
	cache    map[Key]*list.Element // of *entry, most recent first
	lru      *list.List
	inflight map[Key]*job
	queue    []*job
	running  int

	hashed, bytes, hits, busy, unavailable atomic.Uint64
}

type entry struct {
	key Key
	res *Result
}

type job struct {
	key   Key
	paths []string
	res   *Result
}

// New returns a Hasher.
func New(cfg Config) *Hasher {
	if cfg.MaxSize <= 0 {
		cfg.MaxSize = DefaultMaxSize
	}
	if cfg.CacheSize <= 0 {
		cfg.CacheSize = DefaultCacheSize
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = DefaultQueueSize
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 1
	}
	h := &Hasher{cfg: cfg, cache: map[Key]*list.Element{}, lru: list.New(), inflight: map[Key]*job{}}
	h.maxSize.Store(cfg.MaxSize)
	return h
}

// SetMaxSize changes the largest file hashed (bytes, > 0).
func (h *Hasher) SetMaxSize(n int64) {
	if n > 0 {
		h.maxSize.Store(n)
	}
}

// Stats returns the counters.
func (h *Hasher) Stats() Stats {
	return Stats{Hashed: h.hashed.Load(), Bytes: h.bytes.Load(), CacheHits: h.hits.Load(),
		Busy: h.busy.Load(), Unavailable: h.unavailable.Load()}
}

// Cached returns the result for k when it is known or being computed,
// without queueing anything.
func (h *Hasher) Cached(k Key) (*Result, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if el, ok := h.cache[k]; ok {
		h.lru.MoveToFront(el)
		return el.Value.(*entry).res, true
	}
	if j, ok := h.inflight[k]; ok {
		return j.res, true
	}
	return nil, false
}

// Hash returns the result for the file k, computing it when it is not
// cached: paths are tried in order, and the first that opens a file with
// identity k is read. It never blocks on I/O.
func (h *Hasher) Hash(k Key, paths ...string) *Result {
	if !k.Valid() {
		return resultUnavailable
	}
	if k.Size > h.maxSize.Load() {
		return resultTooLarge
	}
	if r, ok := h.Cached(k); ok {
		h.hits.Add(1)
		return r
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if j, ok := h.inflight[k]; ok { // queued meanwhile
		return j.res
	}
	if len(h.queue) >= h.cfg.QueueSize {
		h.busy.Add(1)
		return resultBusy
	}
	j := &job{key: k, paths: paths, res: &Result{done: make(chan struct{})}}
	h.inflight[k] = j
	h.queue = append(h.queue, j)
	if h.running < h.cfg.Workers {
		h.running++
		go h.work()
	}
	return j.res
}

// work hashes queued files until the queue is empty.
func (h *Hasher) work() {
	buf := make([]byte, 64<<10)
	for {
		h.mu.Lock()
		if len(h.queue) == 0 {
			h.running--
			h.mu.Unlock()
			return
		}
		j := h.queue[0]
		h.queue[0] = nil
		h.queue = h.queue[1:]
		h.mu.Unlock()

		sum, err := h.hashFile(j, buf)
		status := StatusOK
		if err != nil {
			status = StatusUnavailable
			h.unavailable.Add(1)
		}
		j.res.sum, j.res.status = sum, status
		close(j.res.done)

		h.mu.Lock()
		delete(h.inflight, j.key)
		// A failure is kept too: the same identity would fail again
		// (the file that ran is gone or unreadable), and asking at
		// every exec would read in vain.
		h.remember(j.key, j.res)
		h.mu.Unlock()
	}
}

// remember caches a result, dropping the least recently used beyond the
// bound. h.mu is held.
func (h *Hasher) remember(k Key, r *Result) {
	if el, ok := h.cache[k]; ok {
		el.Value.(*entry).res = r
		h.lru.MoveToFront(el)
		return
	}
	h.cache[k] = h.lru.PushFront(&entry{key: k, res: r})
	for h.lru.Len() > h.cfg.CacheSize {
		old := h.lru.Back()
		h.lru.Remove(old)
		delete(h.cache, old.Value.(*entry).key)
	}
}

var errIdentity = errors.New("the file is not the one that ran")

// hashFile hashes the first path that opens the file of j.key.
func (h *Hasher) hashFile(j *job, buf []byte) (string, error) {
	var errs []error
	for _, p := range j.paths {
		sum, n, err := hashPath(p, j.key, buf)
		if err == nil {
			h.hashed.Add(1)
			h.bytes.Add(uint64(n))
			return sum, nil
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return "", errors.New("no path to read")
	}
	return "", errors.Join(errs...)
}

// hashPath hashes path when it is the file k, and checks that it did not
// change while it was read.
func hashPath(path string, k Key, buf []byte) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, fmt.Errorf("hash %s: %w", path, err)
	}
	defer f.Close()
	if err := same(f, k); err != nil {
		return "", 0, fmt.Errorf("hash %s: %w", path, err)
	}
	s := sha256.New()
	n, err := io.CopyBuffer(s, io.LimitReader(f, k.Size+1), buf)
	if err != nil {
		return "", n, fmt.Errorf("hash %s: %w", path, err)
	}
	if n != k.Size {
		return "", n, fmt.Errorf("hash %s: %w (read %d bytes of %d)", path, errIdentity, n, k.Size)
	}
	if err := same(f, k); err != nil {
		return "", n, fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(s.Sum(nil)), n, nil
}

// same checks that the open file f is the file k.
func same(f *os.File, k Key) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	got, ok := KeyOf(fi)
	if !ok || got != k {
		return errIdentity
	}
	return nil
}

// KeyOf returns the Key of a regular file from its FileInfo.
func KeyOf(fi os.FileInfo) (Key, bool) {
	dev, ino, ok := fileID(fi)
	if !ok || !fi.Mode().IsRegular() {
		return Key{}, false
	}
	return Key{Dev: dev, Ino: ino, Size: fi.Size(), MtimeNS: fi.ModTime().UnixNano()}, true
}
