package spool

import (
	"bufio"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
)

// recStatus is what recReader found at one position.
type recStatus int

const (
	recOK      recStatus = iota
	recShort             // fewer bytes than a header remain
	recOverrun           // the length runs past the end of the segment
	recBadSum            // the checksum does not match
	recZero              // an all-zero header: space the file system never wrote
)

// recReader reads records one after the other from a segment stream,
// checking each checksum without keeping the payload.
type recReader struct {
	br   *bufio.Reader
	h    hash.Hash32
	off  int64 // offset of the next header in the segment
	size int64
	hdr  [recHeaderLen]byte
}

// next reads the record at r.off. After recOK and recBadSum the reader is
// past the payload; after recOverrun and recZero it is past the header only.
func (r *recReader) next() (n int64, more bool, st recStatus, err error) {
	if r.size-r.off < recHeaderLen {
		return 0, false, recShort, nil
	}
	if _, err := io.ReadFull(r.br, r.hdr[:]); err != nil {
		return 0, false, recShort, fmt.Errorf("read record header at offset %d: %w", r.off, err)
	}
	r.off += recHeaderLen
	n, more, sum := decodeHeader(r.hdr[:])
	if n == 0 && !more && sum == 0 {
		return 0, false, recZero, nil
	}
	if n > r.size-r.off {
		return n, more, recOverrun, nil
	}
	r.h.Reset()
	r.h.Write(r.hdr[0:4])
	if _, err := io.CopyN(r.h, r.br, n); err != nil {
		return n, more, recShort, fmt.Errorf("read record at offset %d: %w", r.off-recHeaderLen, err)
	}
	r.off += n
	if r.h.Sum32() != sum {
		return n, more, recBadSum, nil
	}
	return n, more, recOK, nil
}

// defaultRecordSize stands in for the average record size (header
// included) of a segment without a good record.
const defaultRecordSize = 520

// estimate is the number of records of average size avg that rem bytes held:
// at least one if rem > 0.
func estimate(rem, avg int64) int64 {
	if rem <= 0 {
		return 0
	}
	return (rem + avg - 1) / avg
}

// walk counts the records from the reader's position to the end of the
// segment by following their length fields, and reports whether any of them
// has a good checksum. Where a length field cannot be followed (it runs past
// the end, or the header is zero or cut), the bytes left are counted as
// records of size avg.
func (r *recReader) walk(avg int64) (count int64, valid bool, err error) {
	for {
		start := r.off
		_, _, st, err := r.next()
		if err != nil {
			return count, valid, err
		}
		switch st {
		case recOK, recBadSum:
			count++
			valid = valid || st == recOK
		default:
			return count + estimate(r.size-start, avg), valid, nil
		}
	}
}

// scanResult is what scanSegment found in one segment.
type scanResult struct {
	End       int64 // length of the good prefix; the file is cut here
	Records   int64 // records kept
	Dropped   int64 // records lost behind End
	BadHeader bool  // the segment header is missing or foreign: nothing is kept
	Torn      bool  // the segment ends in a cut or damaged record or group
	Corrupt   bool  // a damaged record is followed by good ones
	// FixOff is the offset of the last kept record when it still carries the
	// group flag (its group was cut by damage); closeGroup must be applied to
	// it. It is -1 otherwise.
	FixOff int64
}

// span locates one good record in a segment.
type span struct{ off, n int64 }

// scanSegment reads a whole segment of size bytes from r and decides which
// records to keep. fn is called, in order, for every kept record with its
// offset and payload length. Only read errors of r are returned.
func scanSegment(r io.Reader, size int64, fn func(off, n int64)) (scanResult, error) {
	res := scanResult{FixOff: -1}
	br := bufio.NewReaderSize(r, 64<<10)
	rr := &recReader{br: br, h: crc32.New(castagnoli), off: segHeaderLen, size: size}
	if size < segHeaderLen {
		// A segment cut while its header was written holds no record.
		res.BadHeader = true
		return res, nil
	}
	var magic [segHeaderLen]byte
	if _, err := io.ReadFull(br, magic[:]); err != nil {
		return res, fmt.Errorf("read segment header: %w", err)
	}
	if string(magic[:]) != segMagic {
		res.BadHeader = true
		count, _, err := rr.walk(defaultRecordSize)
		res.Dropped = count
		return res, err
	}
	res.End = segHeaderLen
	var pending []span // records of the group being read
	var lost int64     // records in the damaged region
	var validAfter, damaged bool
	var goodBytes, goodRecs int64 // for the average record size
	for {
		start := rr.off
		n, more, st, err := rr.next()
		if err != nil {
			return res, err
		}
		if st == recOK {
			goodBytes += recHeaderLen + n
			goodRecs++
			pending = append(pending, span{start, n})
			if !more {
				res.keep(pending, fn)
				pending = pending[:0]
			}
			continue
		}
		if st == recShort && start == size {
			break // clean end of the segment
		}
		damaged = true
		avg := int64(defaultRecordSize)
		if goodRecs > 0 {
			avg = goodBytes / goodRecs
		}
		if st != recBadSum {
			// The length cannot be followed: estimate from the bytes left.
			lost = estimate(size-start, avg)
			break
		}
		var rest int64
		rest, validAfter, err = rr.walk(avg)
		if err != nil {
			return res, err
		}
		lost = 1 + rest
		break
	}
	if len(pending) > 0 {
		if damaged && validAfter {
			// Damage, not a torn write: the group's good records stay.
			res.keep(pending, fn)
			res.FixOff = pending[len(pending)-1].off
		} else {
			res.Dropped += int64(len(pending))
			res.Torn = true
		}
	}
	if damaged {
		res.Dropped += lost
		res.Corrupt = validAfter
		res.Torn = res.Torn || !validAfter
	}
	return res, nil
}

// keep records the spans as kept.
func (res *scanResult) keep(spans []span, fn func(off, n int64)) {
	for _, s := range spans {
		if fn != nil {
			fn(s.off, s.n)
		}
		res.Records++
		res.End = s.off + recHeaderLen + s.n
	}
}
