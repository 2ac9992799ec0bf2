package spool

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
)

// maxKeptBuf is the largest encoding buffer kept between appends.
const maxKeptBuf = 1 << 20

// Append writes records as one group at the end of the tail segment: either
// all of them are appended or, on error, none. They are in the operating
// system's page cache when Append returns (see the package doc for fsync).
// If the spool is full, the oldest records are dropped first and counted.
// A group larger than a segment or than the bound fails with ErrTooLarge.
func (s *Spool) Append(records ...[]byte) error {
	if len(records) == 0 {
		return nil
	}
	size := groupSize(records)
	if limit := s.opts.SegmentBytes - segHeaderLen; size > limit {
		return fmt.Errorf("%w: %d record(s) take %d bytes, a segment holds %d", ErrTooLarge, len(records), size, limit)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if size > s.maxBytes {
		return fmt.Errorf("%w: %d record(s) take %d bytes, the spool holds %d", ErrTooLarge, len(records), size, s.maxBytes)
	}
	if err := s.makeRoomLocked(size); err != nil {
		return err
	}
	if s.w == nil || s.segs[len(s.segs)-1].size+size > s.opts.SegmentBytes {
		if err := s.rotateLocked(); err != nil {
			return err
		}
	}
	s.buf = encodeGroup(s.buf[:0], records)
	tail := &s.segs[len(s.segs)-1]
	if _, err := s.w.WriteAt(s.buf, tail.size); err != nil {
		if terr := s.w.Truncate(tail.size); terr != nil {
			// The segment holds a partial group; append to a new one.
			err = errors.Join(err, terr, s.w.Close())
			s.w = nil
		}
		return fmt.Errorf("spool: append to %s: %w", segName(tail.seq), err)
	}
	if cap(s.buf) > maxKeptBuf {
		s.buf = nil
	}
	tail.size += size
	tail.records += int64(len(records))
	s.sumBytes += size
	s.sumRecs += int64(len(records))
	s.dataDirty = true
	s.notify()
	if s.opts.Sync == SyncAlways {
		if err := s.w.Sync(); err != nil {
			return fmt.Errorf("spool: records appended but not synced to disk: %w", err)
		}
		s.dataDirty = false
	}
	return nil
}

// rotateLocked closes the tail segment, fsyncing it, and starts a new one.
func (s *Spool) rotateLocked() error {
	sync := s.opts.Sync != SyncNone
	if s.w != nil {
		var err error
		if sync {
			err = s.w.Sync()
		}
		if err = errors.Join(err, s.w.Close()); err != nil {
			return fmt.Errorf("spool: close segment %s: %w", segName(s.segs[len(s.segs)-1].seq), err)
		}
		s.w = nil
		s.dataDirty = false
	}
	f, err := createSegment(s.dir, s.nextSeq, sync)
	if err != nil {
		return err
	}
	s.w = f
	s.segs = append(s.segs, segment{seq: s.nextSeq, size: segHeaderLen})
	s.nextSeq++
	s.cleanupLocked()
	return nil
}

// makeRoomLocked drops the oldest records until incoming more bytes fit in
// the bound.
func (s *Spool) makeRoomLocked(incoming int64) error {
	for len(s.segs) > 0 && s.liveBytes()+incoming > s.maxBytes {
		head := s.segs[0]
		excess := s.liveBytes() + incoming - s.maxBytes
		if head.size-s.readOff <= excess {
			s.dropLocked(head.records - s.readRecs)
			s.readOff, s.readRecs = head.size, head.records
		} else if err := s.skipLocked(excess); err != nil {
			return err
		}
		if !s.cleanupLocked() && s.readOff >= head.size {
			break // only the empty tail is left
		}
	}
	return nil
}

// skipLocked drops records from the head segment until at least excess
// bytes are freed; the head must hold more than excess live bytes. It reads
// the headers in windows rather than one by one.
func (s *Spool) skipLocked(excess int64) error {
	head := s.segs[0]
	f, err := s.readerLocked(head.seq)
	if err != nil {
		return err
	}
	off, n := s.readOff, int64(0)
	win := min(max(excess+recHeaderLen, 4096), 64<<10)
	if int64(cap(s.skipBuf)) < win {
		s.skipBuf = make([]byte, win)
	}
	damaged := func(at int64) {
		s.log.Warn("damaged record length; dropping the rest of the segment",
			slog.String(logSegment, segName(head.seq)), slog.Int64(logOffset, at))
		s.dropLocked(head.records - s.readRecs)
		s.readOff, s.readRecs = head.size, head.records
	}
	for off-s.readOff < excess {
		if head.size-off < recHeaderLen {
			damaged(off)
			return nil
		}
		buf := s.skipBuf[:min(win, head.size-off)]
		if _, err := f.ReadAt(buf, off); err != nil {
			return fmt.Errorf("spool: read %s at offset %d: %w", segName(head.seq), off, err)
		}
		for q := int64(0); off-s.readOff < excess && q+recHeaderLen <= int64(len(buf)); {
			l, _, _ := decodeHeader(buf[q:])
			if off+recHeaderLen+l > head.size {
				damaged(off)
				return nil
			}
			q += recHeaderLen + l
			off += recHeaderLen + l
			n++
		}
	}
	s.dropLocked(n)
	s.readOff = off
	s.readRecs += n
	return nil
}

// dropLocked counts n dropped records.
func (s *Spool) dropLocked(n int64) {
	if n > 0 {
		s.dropped += uint64(n)
		s.gen++
	}
}

// cleanupLocked deletes fully consumed segments from the head, except the
// tail while it is open for appending. It reports whether any was deleted.
func (s *Spool) cleanupLocked() bool {
	removed := false
	for len(s.segs) > 0 {
		head := s.segs[0]
		if s.readOff < head.size || (s.w != nil && len(s.segs) == 1) {
			break
		}
		if s.rd != nil && s.rdSeq == head.seq {
			if err := s.rd.Close(); err != nil {
				s.log.Warn("close spool segment", slog.String(logSegment, segName(head.seq)), slog.Any(logError, err))
			}
			s.rd = nil
		}
		// A file that cannot be removed now is removed by the next Open,
		// since the state file puts the read position past it.
		if err := removeSegment(s.dir, head.seq); err != nil {
			s.log.Warn("remove consumed segment", slog.String(logSegment, segName(head.seq)), slog.Any(logError, err))
		}
		s.segs = s.segs[1:]
		s.sumBytes -= head.size - segHeaderLen
		s.sumRecs -= head.records
		s.readOff, s.readRecs = segHeaderLen, 0
		s.gen++
		removed = true
	}
	return removed
}

// readerLocked returns a read handle on segment seq.
func (s *Spool) readerLocked(seq uint64) (*os.File, error) {
	if s.rd != nil && s.rdSeq == seq {
		return s.rd, nil
	}
	if s.rd != nil {
		if err := s.rd.Close(); err != nil {
			s.log.Warn("close spool segment", slog.String(logSegment, segName(s.rdSeq)), slog.Any(logError, err))
		}
		s.rd = nil
	}
	f, err := os.Open(s.segPath(seq))
	if err != nil {
		return nil, fmt.Errorf("spool: open segment for reading: %w", err)
	}
	s.rd, s.rdSeq = f, seq
	return f, nil
}
