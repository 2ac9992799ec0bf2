package spool

import (
	"bytes"
	"slices"
	"testing"
)

// FuzzScan feeds arbitrary bytes to the segment scanner as a segment file.
// It must never fail or panic, return only whole records with good
// checksums laid end to end, count every byte it cuts as at least one lost
// record, and leave a prefix that scans again as clean.
func FuzzScan(f *testing.F) {
	seg := func(groups ...[][]byte) []byte {
		b := []byte(segMagic)
		for _, g := range groups {
			b = encodeGroup(b, g)
		}
		return b
	}
	good := seg([][]byte{[]byte("a")}, [][]byte{[]byte("bb"), []byte("ccc")}, [][]byte{{}})
	f.Add(good)
	f.Add(good[:len(good)-3])
	f.Add(seg([][]byte{[]byte("x"), []byte("y")}))
	f.Add(append(bytes.Clone(good), make([]byte, 64)...))
	flipped := bytes.Clone(good)
	flipped[segHeaderLen+recHeaderLen] ^= 1
	f.Add(flipped)
	f.Add([]byte("VGSPOOL"))
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, data []byte) {
		var spans []span
		res, err := scanSegment(bytes.NewReader(data), int64(len(data)), func(off, n int64) {
			spans = append(spans, span{off, n})
		})
		if err != nil {
			t.Fatalf("scanSegment: %v", err)
		}
		if res.End > int64(len(data)) || res.Records != int64(len(spans)) || res.Dropped < 0 {
			t.Fatalf("inconsistent result %+v for %d bytes, %d spans", res, len(data), len(spans))
		}
		if res.BadHeader {
			if len(spans) > 0 || res.End != 0 {
				t.Fatalf("bad header but records kept: %+v", res)
			}
			if len(data) > int(segHeaderLen) && res.Dropped == 0 {
				t.Fatal("foreign segment with content dropped without a count")
			}
			return
		}
		at := segHeaderLen
		for i, sp := range spans {
			rec := data[sp.off : sp.off+recHeaderLen+sp.n]
			if sp.off != at || !validRecord(rec) {
				t.Fatalf("span %d %+v is not a whole good record at offset %d", i, sp, at)
			}
			if _, more, _ := decodeHeader(rec); more && i == len(spans)-1 && res.FixOff != sp.off {
				t.Fatalf("last kept record ends a group that is not closed: %+v", res)
			}
			at += recHeaderLen + sp.n
		}
		if at != res.End {
			t.Fatalf("records end at %d, End is %d", at, res.End)
		}
		if res.End < int64(len(data)) && res.Dropped == 0 {
			t.Fatalf("%d bytes cut without a count", int64(len(data))-res.End)
		}

		// What recovery leaves behind must scan as clean, with the same records.
		fixed := bytes.Clone(data[:res.End])
		if res.FixOff >= 0 {
			n, _, _ := decodeHeader(fixed[res.FixOff:])
			closeGroup(fixed[res.FixOff : res.FixOff+recHeaderLen+n])
		}
		var again []span
		res2, err := scanSegment(bytes.NewReader(fixed), int64(len(fixed)), func(off, n int64) {
			again = append(again, span{off, n})
		})
		if err != nil || res2.Dropped != 0 || res2.End != res.End || !slices.Equal(spans, again) {
			t.Fatalf("rescan of the recovered prefix: %+v, %v; spans %v, want %v", res2, err, again, spans)
		}
	})
}

// FuzzState feeds arbitrary bytes to the state file decoder: it must pick
// a slot that round-trips, or fail.
func FuzzState(f *testing.F) {
	one := state{Counter: 1, HeadSeq: 3, HeadOff: 100, Dropped: 7}.marshal()
	f.Add(one)
	f.Add(append(append(bytes.Clone(one), make([]byte, stateSlot-stateLen)...), one...))
	f.Add([]byte("VGST"))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := decodeStateFile(data)
		if err != nil || len(data) == 0 {
			return
		}
		enc := st.marshal()
		if st.HeadOff < 0 || !(bytes.HasPrefix(data, enc) || bytes.HasPrefix(data[min(stateSlot, len(data)):], enc)) {
			t.Fatalf("accepted state %+v is not one of the slots", st)
		}
	})
}
