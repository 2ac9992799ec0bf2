package spool

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
)

// Errors returned by the spool.
var (
	ErrClosed       = errors.New("spool: closed")
	ErrTooLarge     = errors.New("spool: record too large")
	ErrLocked       = errors.New("spool: directory in use by another spool")
	ErrForeignBatch = errors.New("spool: batch does not belong to this spool's read position")
)

// Log field names.
const (
	logDir     = "spool.dir"
	logSegment = "spool.segment"
	logOffset  = "spool.offset"
	logDropped = "spool.dropped"
	logError   = "error"
)

// Stats describe the spool's content.
type Stats struct {
	Bytes        int64  // bytes of uncommitted records, headers included
	Records      int64  // uncommitted records
	DroppedTotal uint64 // records dropped since the spool was created
	Segments     int    // segment files holding uncommitted records
}

// Spool is a bounded on-disk queue of records. Append may be called from
// any number of goroutines; Peek, Commit and Wait belong to a single reader,
// which may run concurrently with the appenders.
type Spool struct {
	dir  string
	opts Options
	log  *slog.Logger
	lock *os.File
	sf   *stateFile

	mu        sync.Mutex
	closed    bool
	maxBytes  int64
	segs      []segment // oldest first; the last one is the tail
	sumBytes  int64     // record bytes in segs, segment headers excluded
	sumRecs   int64     // records in segs
	readOff   int64     // offset of the oldest live record in segs[0]
	readRecs  int64     // records of segs[0] before readOff
	dropped   uint64
	nextSeq   uint64
	w         *os.File // the tail segment open for appending, or nil
	rd        *os.File // read handle on segment rdSeq, or nil
	rdSeq     uint64
	buf       []byte // encoding buffer for Append
	skipBuf   []byte // header window for dropping
	dataDirty bool   // appended since the last fsync
	gen       uint64 // bumped on every change of the persisted state

	stateMu sync.Mutex // serialises state file writes; taken before mu
	written uint64     // gen last written to the state file
	synced  uint64     // gen last written and fsynced

	ready chan struct{}
	done  chan struct{}
	wg    sync.WaitGroup
}

// Open opens or creates the spool in dir, recovering what a crash left.
// Only one Spool may have a directory open at a time.
func Open(dir string, opts Options) (*Spool, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create spool directory: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	s := &Spool{
		dir:      dir,
		opts:     opts,
		log:      opts.Logger.With(slog.String(logDir, dir)),
		lock:     lock,
		maxBytes: opts.MaxBytes,
		readOff:  segHeaderLen,
		ready:    make(chan struct{}, 1),
		done:     make(chan struct{}),
	}
	if err := s.recover(); err != nil {
		errs := []error{fmt.Errorf("open spool %s: %w", dir, err), s.closeFiles(), lock.Close()}
		if s.sf != nil {
			errs = append(errs, s.sf.f.Close())
		}
		return nil, errors.Join(errs...)
	}
	s.wg.Add(1)
	go s.flushLoop()
	if s.liveRecords() > 0 {
		s.notify()
	}
	return s, nil
}

// Close stops the flusher, fsyncs and closes the files and releases the
// directory. Later calls do nothing.
func (s *Spool) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	s.mu.Unlock()
	s.wg.Wait()

	sync := s.opts.Sync != SyncNone
	s.mu.Lock()
	var errs []error
	if s.w != nil && sync {
		errs = append(errs, s.w.Sync())
	}
	errs = append(errs, s.closeFiles())
	s.mu.Unlock()
	errs = append(errs, s.persist(sync), s.sf.f.Close(), s.lock.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close spool %s: %w", s.dir, err)
	}
	return nil
}

// closeFiles closes the segment handles.
func (s *Spool) closeFiles() error {
	var errs []error
	if s.w != nil {
		errs = append(errs, s.w.Close())
		s.w = nil
	}
	if s.rd != nil {
		errs = append(errs, s.rd.Close())
		s.rd = nil
	}
	return errors.Join(errs...)
}

// Stats returns the current content of the spool.
func (s *Spool) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{
		Bytes:        s.liveBytes(),
		Records:      s.liveRecords(),
		DroppedTotal: s.dropped,
		Segments:     len(s.segs),
	}
}

// SetMaxBytes changes the bound; n <= 0 restores DefaultMaxBytes. A smaller
// bound drops the oldest records at once, and counts them.
func (s *Spool) SetMaxBytes(n int64) error {
	if n <= 0 {
		n = DefaultMaxBytes
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.maxBytes = n
	before := s.dropped
	err := s.makeRoomLocked(0)
	changed := s.dropped != before
	s.mu.Unlock()
	if changed {
		err = errors.Join(err, s.persist(s.opts.Sync == SyncAlways))
	}
	return err
}

// liveBytes is the size of the uncommitted records; mu must be held.
func (s *Spool) liveBytes() int64 { return s.sumBytes - (s.readOff - segHeaderLen) }

// liveRecords is the number of uncommitted records; mu must be held.
func (s *Spool) liveRecords() int64 { return s.sumRecs - s.readRecs }

// notify wakes the reader without blocking.
func (s *Spool) notify() {
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// segPath is the file of segment seq.
func (s *Spool) segPath(seq uint64) string { return filepath.Join(s.dir, segName(seq)) }
