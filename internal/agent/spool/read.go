package spool

import (
	"context"
	"fmt"
	"log/slog"
)

// peekChunk is the most Peek reads from a segment with one call.
const peekChunk = 256 << 10

// pos is a position in the spool: a segment and an offset in it.
type pos struct {
	seq uint64
	off int64
}

func (p pos) less(q pos) bool { return p.seq < q.seq || (p.seq == q.seq && p.off < q.off) }

// Batch is a run of the oldest uncommitted records returned by Peek. The
// record slices belong to the caller.
type Batch struct {
	// Records are the payloads, oldest first.
	Records [][]byte

	owner  *Spool
	start  pos   // position of the first record
	end    pos   // position just past the last record
	endIdx int64 // records of segment end.seq before end.off
	bytes  int64
}

// Len is the number of records in the batch.
func (b Batch) Len() int { return len(b.Records) }

// Bytes is the payload size of the batch.
func (b Batch) Bytes() int64 { return b.bytes }

// Ready returns a channel that receives a value after records are appended.
// It holds at most one pending value and is never closed; after receiving,
// call Peek until it returns an empty batch.
func (s *Spool) Ready() <-chan struct{} { return s.ready }

// Wait blocks until the spool holds an uncommitted record, ctx ends or the
// spool is closed.
func (s *Spool) Wait(ctx context.Context) error {
	for {
		s.mu.Lock()
		closed, n := s.closed, s.liveRecords()
		s.mu.Unlock()
		switch {
		case closed:
			return ErrClosed
		case n > 0:
			return nil
		}
		select {
		case <-s.ready:
		case <-s.done:
			return ErrClosed
		case <-ctx.Done():
			return fmt.Errorf("spool wait: %w", ctx.Err())
		}
	}
}

// Peek returns the oldest uncommitted records without removing them: at
// most maxRecords records and maxBytes of payload (no limit where <= 0), but
// always at least one record if there is any, however large. Peek again
// without a Commit returns the same records. A damaged record met on the way
// drops the rest of its segment, counted in DroppedTotal.
func (s *Spool) Peek(maxRecords, maxBytes int) (Batch, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return Batch{}, ErrClosed
	}
	for {
		b, damaged, err := s.peekLocked(maxRecords, maxBytes)
		if err != nil || !damaged || b.Len() > 0 {
			return b, err
		}
		// The oldest record is damaged: drop the rest of its segment.
		head := s.segs[0]
		s.log.Warn("damaged record; dropping the rest of the segment",
			slog.String(logSegment, segName(head.seq)), slog.Int64(logOffset, s.readOff),
			slog.Int64(logDropped, head.records-s.readRecs))
		s.dropLocked(head.records - s.readRecs)
		s.readOff, s.readRecs = head.size, head.records
		s.cleanupLocked()
	}
}

// peekLocked collects records from the read position. damaged reports that
// reading stopped at a damaged record.
func (s *Spool) peekLocked(maxRecords, maxBytes int) (b Batch, damaged bool, err error) {
	b.owner = s
	if len(s.segs) == 0 {
		return b, false, nil
	}
	b.start = pos{s.segs[0].seq, s.readOff}
	limit := int64(maxBytes)
	avg := s.liveBytes() / max(s.liveRecords(), 1) // average record size on disk
	off, idx := s.readOff, s.readRecs
	for i := 0; i < len(s.segs); i, off, idx = i+1, segHeaderLen, 0 {
		seg := s.segs[i]
		if off >= seg.size {
			continue
		}
		f, err := s.readerLocked(seg.seq)
		if err != nil {
			return b, false, err
		}
		for off < seg.size {
			// Read about what the limits let through; a short guess only
			// costs one more read.
			chunk := min(seg.size-off, peekChunk)
			if limit > 0 {
				chunk = min(chunk, max(limit-b.bytes, 0)+4096)
			}
			if maxRecords > 0 {
				chunk = min(chunk, int64(maxRecords-b.Len())*avg+4096)
			}
			buf := make([]byte, chunk)
			if _, err := f.ReadAt(buf, off); err != nil {
				return b, false, fmt.Errorf("spool: read %s at offset %d: %w", segName(seg.seq), off, err)
			}
			for q := 0; len(buf)-q >= recHeaderLen; {
				n, _, _ := decodeHeader(buf[q:])
				if off+recHeaderLen+n > seg.size {
					return b, true, nil
				}
				if limit > 0 && b.Len() > 0 && b.bytes+n > limit {
					return b, false, nil
				}
				if int64(q)+recHeaderLen+n > int64(len(buf)) {
					if q > 0 {
						break // read again from this record
					}
					buf = make([]byte, recHeaderLen+n) // a record larger than the chunk
					if _, err := f.ReadAt(buf, off); err != nil {
						return b, false, fmt.Errorf("spool: read %s at offset %d: %w", segName(seg.seq), off, err)
					}
				}
				rec := buf[q : q+recHeaderLen+int(n) : q+recHeaderLen+int(n)]
				if !validRecord(rec) {
					return b, true, nil
				}
				b.Records = append(b.Records, rec[recHeaderLen:])
				b.bytes += n
				q += len(rec)
				off += int64(len(rec))
				idx++
				b.end, b.endIdx = pos{seg.seq, off}, idx
				if maxRecords > 0 && b.Len() >= maxRecords {
					return b, false, nil
				}
			}
			if seg.size-off > 0 && seg.size-off < recHeaderLen {
				return b, true, nil
			}
		}
	}
	return b, false, nil
}

// Commit removes the records of b, which must come from Peek on this spool,
// and persists the new read position. Records of b that the bound dropped
// meanwhile are already gone (and counted); committing them again is a no-op.
func (s *Spool) Commit(b Batch) error {
	if b.Len() == 0 {
		return nil
	}
	if b.owner != s {
		return ErrForeignBatch
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	cur := pos{s.nextSeq, 0} // everything is consumed
	if len(s.segs) > 0 {
		cur = pos{s.segs[0].seq, s.readOff}
	}
	if !cur.less(b.end) {
		s.mu.Unlock()
		return nil
	}
	if cur.less(b.start) {
		s.mu.Unlock()
		return fmt.Errorf("%w: batch starts at %s:%d, read position is %s:%d",
			ErrForeignBatch, segName(b.start.seq), b.start.off, segName(cur.seq), cur.off)
	}
	for len(s.segs) > 0 && s.segs[0].seq < b.end.seq {
		s.readOff, s.readRecs = s.segs[0].size, s.segs[0].records
		s.cleanupLocked()
	}
	if len(s.segs) > 0 && s.segs[0].seq == b.end.seq {
		s.readOff, s.readRecs = b.end.off, b.endIdx
		s.gen++
		s.cleanupLocked()
	}
	s.mu.Unlock()
	return s.persist(s.opts.Sync == SyncAlways)
}
