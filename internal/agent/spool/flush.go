package spool

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"
)

// flushLoop fsyncs the tail segment and the state file every SyncInterval
// until the spool is closed.
func (s *Spool) flushLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.opts.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
			if err := s.flush(); err != nil {
				s.log.Warn("spool flush", slog.Any(logError, err))
			}
		}
	}
}

// flush makes appended records and the read position durable (only written,
// not fsynced, in SyncNone mode). It runs without holding mu during fsync,
// so appends are not held up.
func (s *Spool) flush() error {
	sync := s.opts.Sync != SyncNone
	s.mu.Lock()
	w, dirty := s.w, s.dataDirty
	s.dataDirty = false
	s.mu.Unlock()
	var err error
	if sync && dirty && w != nil {
		// A rotation may close w meanwhile; it fsyncs the file itself.
		if serr := w.Sync(); serr != nil && !errors.Is(serr, os.ErrClosed) {
			err = fmt.Errorf("fsync tail segment: %w", serr)
		}
	}
	return errors.Join(err, s.persist(sync))
}

// persist writes the state file if it changed since the last write, or if
// sync is asked and the last write was not fsynced.
func (s *Spool) persist(sync bool) error {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	s.mu.Lock()
	gen := s.gen
	st := state{HeadSeq: s.nextSeq, HeadOff: segHeaderLen, Dropped: s.dropped}
	if len(s.segs) > 0 {
		st.HeadSeq, st.HeadOff = s.segs[0].seq, s.readOff
	}
	s.mu.Unlock()
	if gen == s.written && (!sync || gen == s.synced) {
		return nil
	}
	if err := s.sf.write(st, sync); err != nil {
		return err
	}
	s.written = gen
	if sync {
		s.synced = gen
	}
	return nil
}
