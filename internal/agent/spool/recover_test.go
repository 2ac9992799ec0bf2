package spool

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// Records in the recovery tests take 100 bytes on disk: record i of a
// segment starts at segHeaderLen + 100*i.
const (
	rsize = 92
	rdisk = recHeaderLen + rsize
)

func recOff(i int) int64 { return segHeaderLen + int64(rdisk*i) }

func TestRecoverDamage(t *testing.T) {
	single := func(t *testing.T, s *Spool) { appendAll(t, s, recs(0, 20, rsize)) }
	tests := []struct {
		name        string
		fill        func(*testing.T, *Spool)
		damage      func(t *testing.T, last string)
		want        [][]byte
		wantDropped uint64
	}{
		{"intact", single, func(*testing.T, string) {}, recs(0, 20, rsize), 0},
		{"cut mid payload", single, func(t *testing.T, p string) { os.Truncate(p, recOff(20)-30) }, recs(0, 19, rsize), 1},
		{"cut mid header", single, func(t *testing.T, p string) { os.Truncate(p, recOff(19)+3) }, recs(0, 19, rsize), 1},
		{"zero-filled tail", single, func(t *testing.T, p string) { patchFile(t, p, recOff(20), make([]byte, 1000)) }, recs(0, 20, rsize), 10},
		{"last payload flipped", single, func(t *testing.T, p string) { flipBit(t, p, recOff(19)+40, 3) }, recs(0, 19, rsize), 1},
		{"middle payload flipped", single, func(t *testing.T, p string) { flipBit(t, p, recOff(5)+20, 0) }, recs(0, 5, rsize), 15},
		{"middle checksum flipped", single, func(t *testing.T, p string) { flipBit(t, p, recOff(5)+5, 7) }, recs(0, 5, rsize), 15},
		{"middle length flipped", single, func(t *testing.T, p string) { flipBit(t, p, recOff(5)+2, 4) }, recs(0, 5, rsize), 15},
		{"segment header flipped", single, func(t *testing.T, p string) { flipBit(t, p, 2, 1) }, nil, 20},
		{
			"torn group",
			func(t *testing.T, s *Spool) {
				single(t, s)
				if err := s.Append(recs(20, 23, rsize)...); err != nil {
					t.Fatal(err)
				}
			},
			func(t *testing.T, p string) { os.Truncate(p, recOff(22)+50) },
			recs(0, 20, rsize), 3,
		},
		{
			"damage inside a group keeps its good records",
			func(t *testing.T, s *Spool) {
				for i := 0; i < 12; i += 3 {
					if err := s.Append(recs(i, i+3, rsize)...); err != nil {
						t.Fatal(err)
					}
				}
			},
			func(t *testing.T, p string) { flipBit(t, p, recOff(4)+50, 2) },
			recs(0, 4, rsize), 8,
		},
		{
			"damage in a middle segment drops only its rest",
			func(t *testing.T, s *Spool) { appendAll(t, s, recs(0, 30, rsize)) }, // 10 per 1 KiB segment
			func(t *testing.T, last string) {
				files := segFiles(t, filepath.Dir(last))
				flipBit(t, files[1], recOff(6)+30, 5)
			},
			slices.Concat(recs(0, 16, rsize), recs(20, 30, rsize)), 4,
		},
		{
			"segment cut inside its header",
			single,
			func(t *testing.T, last string) {
				os.WriteFile(filepath.Join(filepath.Dir(last), segName(99)), []byte("VGS"), 0o600)
			},
			recs(0, 20, rsize), 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			opts := Options{SegmentBytes: 1024}
			if tt.name != "damage in a middle segment drops only its rest" {
				opts.SegmentBytes = 64 << 10
			}
			s := openT(t, dir, opts)
			tt.fill(t, s)
			closeT(t, s)
			files := segFiles(t, dir)
			tt.damage(t, files[len(files)-1])

			s = openT(t, dir, opts)
			st := s.Stats()
			if st.DroppedTotal != tt.wantDropped || st.Records != int64(len(tt.want)) {
				t.Fatalf("Stats after recovery = %+v, want %d records, %d dropped", st, len(tt.want), tt.wantDropped)
			}
			closeT(t, s)

			// Recovery is done once: a second Open finds a clean spool.
			s = openT(t, dir, opts)
			if st2 := s.Stats(); st2 != st {
				t.Fatalf("Stats after second reopen = %+v, want %+v", st2, st)
			}
			appendAll(t, s, recs(100, 102, rsize))
			want := slices.Concat(tt.want, recs(100, 102, rsize))
			if d := diffRecords(want, drain(t, s, 7, 0)); d != "" {
				t.Fatalf("records (-want +got):\n%s", d)
			}
		})
	}
}

func TestPeekDamagedRecord(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir, Options{SegmentBytes: 1024, Sync: SyncNone})
	appendAll(t, s, recs(0, 30, rsize))
	flipBit(t, segFiles(t, dir)[0], recOff(3)+10, 6)

	b, err := s.Peek(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if d := diffRecords(recs(0, 3, rsize), b.Records); d != "" {
		t.Fatalf("first batch stops before the damage (-want +got):\n%s", d)
	}
	if err := s.Commit(b); err != nil {
		t.Fatal(err)
	}
	if d := diffRecords(recs(10, 30, rsize), drain(t, s, 0, 0)); d != "" {
		t.Fatalf("records after the damaged segment (-want +got):\n%s", d)
	}
	if st := s.Stats(); st.DroppedTotal != 7 {
		t.Fatalf("DroppedTotal = %d, want 7", st.DroppedTotal)
	}
}

func TestBadStateFile(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir, Options{Sync: SyncNone})
	appendAll(t, s, recs(0, 10, rsize))
	b, _ := s.Peek(4, 0)
	if err := s.Commit(b); err != nil {
		t.Fatal(err)
	}
	closeT(t, s)
	if err := os.WriteFile(filepath.Join(dir, stateName), []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	s = openT(t, dir, Options{Sync: SyncNone})
	// Without a trusted read position, everything on disk is sent again.
	if d := diffRecords(recs(0, 10, rsize), drain(t, s, 0, 0)); d != "" {
		t.Fatalf("records (-want +got):\n%s", d)
	}
}

func TestStateSlots(t *testing.T) {
	slot := func(st state) []byte {
		b := make([]byte, stateSlot)
		copy(b, st.marshal())
		return b
	}
	older := state{Counter: 4, HeadSeq: 2, HeadOff: 100, Dropped: 5}
	newer := state{Counter: 5, HeadSeq: 3, HeadOff: 8, Dropped: 1 << 40}
	damaged := slot(newer)
	damaged[20] ^= 1
	tests := []struct {
		name    string
		content []byte
		want    state
		bad     bool
	}{
		{"new spool", nil, state{}, false},
		{"one slot", newer.marshal(), newer, false},
		{"newest of two", slices.Concat(slot(newer), slot(older)), newer, false},
		{"newest of two, other order", slices.Concat(slot(older), slot(newer)), newer, false},
		{"newest slot torn", slices.Concat(slot(older), damaged), older, false},
		{"newest slot cut short", slices.Concat(slot(older), slot(newer)[:30]), older, false},
		{"garbage", []byte("garbage"), state{}, true},
		{"both damaged", slices.Concat(damaged, damaged), state{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeStateFile(tt.content)
			if (err != nil) != tt.bad || got != tt.want {
				t.Fatalf("decodeStateFile = %+v, %v; want %+v, bad=%v", got, err, tt.want, tt.bad)
			}
		})
	}
}

func TestStateFileWritesAlternate(t *testing.T) {
	dir := t.TempDir()
	sf, st, err := openStateFile(dir)
	if err != nil || st != (state{}) {
		t.Fatalf("openStateFile on a new directory = %+v, %v", st, err)
	}
	for i := range uint64(5) {
		if err := sf.write(state{HeadSeq: i + 1, HeadOff: 8, Dropped: i}, i%2 == 0); err != nil {
			t.Fatal(err)
		}
	}
	sf.f.Close()
	sf, st, err = openStateFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer sf.f.Close()
	if want := (state{Counter: 5, HeadSeq: 5, HeadOff: 8, Dropped: 4}); st != want {
		t.Fatalf("state after five writes = %+v, want %+v", st, want)
	}
}

func TestDropAcrossDamagedLength(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir, Options{SegmentBytes: 1024, MaxBytes: 3000, Sync: SyncNone})
	appendAll(t, s, recs(0, 30, rsize)) // full: 10 records in each of 3 segments
	flipBit(t, segFiles(t, dir)[0], recOff(3)+2, 4)

	appendAll(t, s, recs(30, 34, rsize))
	// Records 0-2 go by the bound; the damaged length of record 3 makes the
	// rest of the first segment (records 3-9) go with them.
	if st := s.Stats(); st.DroppedTotal != 10 || st.Records != 24 {
		t.Fatalf("Stats = %+v, want 10 dropped and 24 records", st)
	}
	if d := diffRecords(recs(10, 34, rsize), drain(t, s, 0, 0)); d != "" {
		t.Fatalf("records (-want +got):\n%s", d)
	}
}
