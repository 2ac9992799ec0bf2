package spool

import (
	"bytes"
	"encoding/binary"
	"testing"
)

func TestEncodeGroup(t *testing.T) {
	tests := []struct {
		name    string
		records [][]byte
	}{
		{"single", [][]byte{[]byte("one")}},
		{"empty payload", [][]byte{{}}},
		{"group", [][]byte{[]byte("a"), []byte("bb"), []byte("ccc")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			buf := encodeGroup(nil, tt.records)
			if int64(len(buf)) != groupSize(tt.records) {
				t.Fatalf("encoded %d bytes, groupSize says %d", len(buf), groupSize(tt.records))
			}
			off := 0
			for i, r := range tt.records {
				n, more, _ := decodeHeader(buf[off:])
				if n != int64(len(r)) || more != (i < len(tt.records)-1) {
					t.Errorf("record %d: length %d more %v", i, n, more)
				}
				whole := buf[off : off+recHeaderLen+int(n)]
				if !validRecord(whole) {
					t.Errorf("record %d: checksum does not verify", i)
				}
				if !bytes.Equal(whole[recHeaderLen:], r) {
					t.Errorf("record %d: payload %q", i, whole[recHeaderLen:])
				}
				off += len(whole)
			}
		})
	}
}

func TestZeroHeaderNeverValid(t *testing.T) {
	if validRecord(make([]byte, recHeaderLen)) {
		t.Fatal("an all-zero header passes as an empty record")
	}
}

func TestCloseGroup(t *testing.T) {
	buf := encodeGroup(nil, [][]byte{[]byte("first"), []byte("second")})
	first := buf[:recHeaderLen+5]
	closeGroup(first)
	if _, more, _ := decodeHeader(first); more || !validRecord(first) {
		t.Fatalf("after closeGroup: more=%v valid=%v", more, validRecord(first))
	}
}

func TestValidRecordRejectsDamage(t *testing.T) {
	good := encodeGroup(nil, [][]byte{[]byte("payload")})
	for i := range len(good) * 8 {
		bad := bytes.Clone(good)
		bad[i/8] ^= 1 << (i % 8)
		if validRecord(bad) {
			t.Errorf("bit %d flipped: still valid", i)
		}
	}
	if validRecord(good[:len(good)-1]) {
		t.Error("short record is valid")
	}
	if binary.LittleEndian.Uint32(good) != 7 {
		t.Error("length word is not little-endian payload length")
	}
}
