package spool

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
)

// recover rebuilds the in-memory account of the spool from its files,
// truncating torn and damaged data and counting what it drops. It runs
// before the spool is shared, so it does not lock mu.
func (s *Spool) recover() error {
	sf, st, err := openStateFile(s.dir)
	if sf == nil {
		return err
	}
	s.sf = sf
	if st.Counter == 0 && s.opts.Sync != SyncNone {
		// A new state file: make its directory entry durable.
		if err := syncDir(s.dir); err != nil {
			return err
		}
	}
	if errors.Is(err, errBadState) {
		s.log.Warn("spool state unreadable; reading from the oldest segment, dropped counter restarts at 0",
			slog.Any(logError, err))
		st, err = state{}, nil
		s.gen++
	}
	if err != nil {
		return err
	}
	s.dropped = st.Dropped
	seqs, err := listSegments(s.dir)
	if err != nil {
		return err
	}
	maxSeq := st.HeadSeq
	for _, seq := range seqs {
		maxSeq = max(maxSeq, seq)
		if seq < st.HeadSeq {
			if err := removeSegment(s.dir, seq); err != nil {
				return err
			}
			continue
		}
		seg, off, recs, err := s.recoverSegment(seq, st)
		if err != nil {
			return err
		}
		first := len(s.segs) == 0
		if seg.records == 0 || (first && off >= seg.size) {
			if err := removeSegment(s.dir, seq); err != nil {
				return err
			}
			continue
		}
		if first {
			s.readOff, s.readRecs = off, recs
		}
		s.segs = append(s.segs, seg)
		s.sumBytes += seg.size - segHeaderLen
		s.sumRecs += seg.records
	}
	s.nextSeq = maxSeq + 1
	if err := s.makeRoomLocked(0); err != nil {
		return err
	}
	if s.gen > 0 {
		return s.persist(s.opts.Sync != SyncNone)
	}
	return nil
}

// recoverSegment scans segment seq, cuts off what is torn or damaged and
// returns its account with the read position in it (meaningful when it is
// the head segment).
func (s *Spool) recoverSegment(seq uint64, st state) (seg segment, readOff, readRecs int64, err error) {
	path := s.segPath(seq)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return seg, 0, 0, fmt.Errorf("open segment: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return seg, 0, 0, fmt.Errorf("stat segment: %w", err)
	}
	size := fi.Size()
	isHead := seq == st.HeadSeq
	readOff = -1
	res, err := scanSegment(io.NewSectionReader(f, 0, size), size, func(off, _ int64) {
		switch {
		case !isHead:
		case off < st.HeadOff:
			readRecs++
		case readOff < 0:
			readOff = off
		}
	})
	if err != nil {
		return seg, 0, 0, fmt.Errorf("scan segment %s: %w", path, err)
	}
	if readOff < 0 {
		readOff = res.End
	}
	if !isHead {
		readOff, readRecs = segHeaderLen, 0
	}
	seg = segment{seq: seq, size: res.End, records: res.Records}
	// Damage entirely behind the committed position loses nothing unsent.
	if res.Dropped > 0 && !(isHead && st.HeadOff >= size) {
		s.dropped += uint64(res.Dropped)
		s.gen++
		s.log.Warn(res.describe(), slog.String(logSegment, segName(seq)),
			slog.Int64(logOffset, res.End), slog.Int64(logDropped, res.Dropped))
	}
	if res.BadHeader || res.Records == 0 {
		return seg, readOff, readRecs, nil
	}
	if res.End < size {
		if err := f.Truncate(res.End); err != nil {
			return seg, 0, 0, fmt.Errorf("truncate segment %s: %w", path, err)
		}
	}
	if res.FixOff >= 0 {
		if err := fixGroup(f, res.FixOff); err != nil {
			return seg, 0, 0, fmt.Errorf("segment %s: %w", path, err)
		}
	}
	if (res.End < size || res.FixOff >= 0) && s.opts.Sync != SyncNone {
		if err := f.Sync(); err != nil {
			return seg, 0, 0, fmt.Errorf("sync segment %s: %w", path, err)
		}
	}
	return seg, readOff, readRecs, nil
}

// describe names what scanSegment found, for the log.
func (res scanResult) describe() string {
	switch {
	case res.BadHeader:
		return "spool segment header damaged; segment dropped"
	case res.Corrupt:
		return "damaged spool record; rest of the segment dropped"
	default:
		return "torn spool tail truncated"
	}
}

// fixGroup makes the record at off the last of its group.
func fixGroup(f *os.File, off int64) error {
	var hdr [recHeaderLen]byte
	if _, err := f.ReadAt(hdr[:], off); err != nil {
		return fmt.Errorf("read record at offset %d: %w", off, err)
	}
	n, _, _ := decodeHeader(hdr[:])
	rec := make([]byte, recHeaderLen+n)
	if _, err := f.ReadAt(rec, off); err != nil {
		return fmt.Errorf("read record at offset %d: %w", off, err)
	}
	closeGroup(rec)
	if _, err := f.WriteAt(rec[:recHeaderLen], off); err != nil {
		return fmt.Errorf("rewrite record header at offset %d: %w", off, err)
	}
	return nil
}
