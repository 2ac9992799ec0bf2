package spool

import (
	"testing"
)

func TestBoundDropsOldest(t *testing.T) {
	tests := []struct {
		name         string
		maxBytes     int64
		segmentBytes int64
		recordSize   int
		n            int
		group        int
	}{
		{"many segments", 10_000, 1024, 92, 1000, 1}, // 100-byte records, 100 kept
		{"one tail segment", 5_000, 64 << 10, 92, 300, 1},
		{"groups", 10_000, 2048, 42, 2000, 4},
		{"bound not multiple of record", 10_050, 1024, 92, 500, 1},
		{"segments larger than bound", 3_000, 8192, 192, 100, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			opts := Options{MaxBytes: tt.maxBytes, SegmentBytes: tt.segmentBytes, Sync: SyncNone}
			s := openT(t, dir, opts)
			for i := 0; i < tt.n; i += tt.group {
				if err := s.Append(recs(i, min(i+tt.group, tt.n), tt.recordSize)...); err != nil {
					t.Fatalf("Append: %v", err)
				}
				if st := s.Stats(); st.Bytes > tt.maxBytes {
					t.Fatalf("after record %d: %d bytes above the bound %d", i, st.Bytes, tt.maxBytes)
				}
			}
			recBytes := int64(recHeaderLen + tt.recordSize)
			kept := int(tt.maxBytes / recBytes)
			if tt.group > 1 {
				// Room is made for a whole group, so the bound holds a
				// whole number of groups' worth of space at the end.
				kept = int(tt.maxBytes/(recBytes*int64(tt.group))) * tt.group
				kept += int((tt.maxBytes % (recBytes * int64(tt.group))) / recBytes)
			}
			st := s.Stats()
			if st.Records != int64(kept) || st.DroppedTotal != uint64(tt.n-kept) {
				t.Fatalf("Stats = %+v, want %d records and %d dropped", st, kept, tt.n-kept)
			}
			closeT(t, s)

			s = openT(t, dir, opts)
			if st2 := s.Stats(); st2 != st {
				t.Fatalf("Stats after reopen = %+v, want %+v", st2, st)
			}
			got := drain(t, s, 50, 0)
			if d := diffRecords(recs(tt.n-kept, tt.n, tt.recordSize), got); d != "" {
				t.Fatalf("kept records (-want +got):\n%s", d)
			}
			closeT(t, s)
			s = openT(t, dir, opts)
			if st := s.Stats(); st.DroppedTotal != uint64(tt.n-kept) || st.Records != 0 {
				t.Fatalf("Stats after drain and reopen = %+v", st)
			}
		})
	}
}

func TestSetMaxBytesShrink(t *testing.T) {
	dir := t.TempDir()
	opts := Options{SegmentBytes: 1024, Sync: SyncNone}
	s := openT(t, dir, opts)
	appendAll(t, s, recs(0, 200, 92)) // 100 bytes each, about 10 per segment
	inFlight, err := s.Peek(5, 0)
	if err != nil {
		t.Fatal(err)
	}

	steps := []struct {
		maxBytes    int64
		wantRecords int64
		wantDropped uint64
	}{
		{15_000, 150, 50},
		{15_050, 150, 50}, // growing drops nothing
		{999, 9, 191},
		{100, 1, 199},
	}
	for _, step := range steps {
		if err := s.SetMaxBytes(step.maxBytes); err != nil {
			t.Fatalf("SetMaxBytes(%d): %v", step.maxBytes, err)
		}
		if st := s.Stats(); st.Records != step.wantRecords || st.DroppedTotal != step.wantDropped {
			t.Fatalf("after SetMaxBytes(%d): Stats = %+v, want %d records, %d dropped",
				step.maxBytes, st, step.wantRecords, step.wantDropped)
		}
	}
	// The batch peeked before the shrink was dropped; committing it is a no-op.
	if err := s.Commit(inFlight); err != nil {
		t.Fatalf("Commit of a dropped batch: %v", err)
	}
	if st := s.Stats(); st.Records != 1 {
		t.Fatalf("Commit of a dropped batch removed live records: %+v", st)
	}
	if err := s.SetMaxBytes(0); err != nil { // back to the default
		t.Fatal(err)
	}
	appendAll(t, s, recs(200, 300, 92))
	closeT(t, s)

	s = openT(t, dir, opts)
	if st := s.Stats(); st.Records != 101 || st.DroppedTotal != 199 {
		t.Fatalf("Stats after reopen = %+v, want 101 records, 199 dropped", st)
	}
	if d := diffRecords(recs(199, 300, 92), drain(t, s, 0, 0)); d != "" {
		t.Fatalf("records (-want +got):\n%s", d)
	}
}

func TestOpenWithSmallerBound(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir, Options{SegmentBytes: 1024, Sync: SyncNone})
	appendAll(t, s, recs(0, 100, 92))
	closeT(t, s)

	s = openT(t, dir, Options{SegmentBytes: 1024, MaxBytes: 2_000, Sync: SyncNone})
	if st := s.Stats(); st.Records != 20 || st.DroppedTotal != 80 {
		t.Fatalf("Stats = %+v, want 20 records, 80 dropped", st)
	}
	if d := diffRecords(recs(80, 100, 92), drain(t, s, 0, 0)); d != "" {
		t.Fatalf("records (-want +got):\n%s", d)
	}
}

func TestPartialDropKeepsBatchConsistent(t *testing.T) {
	s := openT(t, t.TempDir(), Options{SegmentBytes: 4096, MaxBytes: 1000, Sync: SyncNone})
	appendAll(t, s, recs(0, 10, 92)) // exactly full
	b, err := s.Peek(4, 0)
	if err != nil {
		t.Fatal(err)
	}
	appendAll(t, s, recs(10, 12, 92)) // drops records 0 and 1 of the batch
	if err := s.Commit(b); err != nil {
		t.Fatal(err)
	}
	got := drain(t, s, 0, 0)
	if d := diffRecords(recs(4, 12, 92), got); d != "" {
		t.Fatalf("records after a partly dropped batch (-want +got):\n%s", d)
	}
	if st := s.Stats(); st.DroppedTotal != 2 {
		t.Fatalf("DroppedTotal = %d, want 2", st.DroppedTotal)
	}
}
