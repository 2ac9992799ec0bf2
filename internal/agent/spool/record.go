package spool

import (
	"encoding/binary"
	"hash/crc32"
)

const (
	// segMagic opens every segment file; its last byte is the format version.
	segMagic     = "VGSPOOL\x01"
	segHeaderLen = int64(len(segMagic))
	recHeaderLen = 8

	// moreFlag in a record's length word says that the next record belongs
	// to the same group.
	moreFlag uint32 = 1 << 31
	lenMask         = moreFlag - 1
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// recordSum is the checksum stored in a record header: CRC-32C of the
// little-endian length word followed by the payload, so that a damaged
// length or group flag is caught as well as a damaged payload.
func recordSum(word uint32, payload []byte) uint32 {
	var w [4]byte
	binary.LittleEndian.PutUint32(w[:], word)
	return crc32.Update(crc32.Checksum(w[:], castagnoli), castagnoli, payload)
}

// groupSize is the number of bytes records take on disk.
func groupSize(records [][]byte) int64 {
	var n int64
	for _, r := range records {
		n += recHeaderLen + int64(len(r))
	}
	return n
}

// encodeGroup appends the encoded records to dst; all but the last carry
// moreFlag.
func encodeGroup(dst []byte, records [][]byte) []byte {
	for i, r := range records {
		word := uint32(len(r))
		if i < len(records)-1 {
			word |= moreFlag
		}
		dst = binary.LittleEndian.AppendUint32(dst, word)
		dst = binary.LittleEndian.AppendUint32(dst, recordSum(word, r))
		dst = append(dst, r...)
	}
	return dst
}

// decodeHeader splits a record header into payload length, group flag and
// checksum.
func decodeHeader(h []byte) (n int64, more bool, sum uint32) {
	word := binary.LittleEndian.Uint32(h[0:4])
	return int64(word & lenMask), word&moreFlag != 0, binary.LittleEndian.Uint32(h[4:8])
}

// validRecord reports whether rec (header and payload) is a whole record with
// a matching checksum.
func validRecord(rec []byte) bool {
	if len(rec) < recHeaderLen {
		return false
	}
	n, _, sum := decodeHeader(rec)
	if int64(len(rec)) != recHeaderLen+n {
		return false
	}
	return recordSum(binary.LittleEndian.Uint32(rec[0:4]), rec[recHeaderLen:]) == sum
}

// closeGroup clears the group flag of the encoded record rec and recomputes
// its checksum, making it the last record of its group.
func closeGroup(rec []byte) {
	word := binary.LittleEndian.Uint32(rec[0:4]) &^ moreFlag
	binary.LittleEndian.PutUint32(rec[0:4], word)
	binary.LittleEndian.PutUint32(rec[4:8], recordSum(word, rec[recHeaderLen:]))
}
