package spool

import (
	"errors"
	"testing"
	"time"
)

func TestAppendPeekCommitOrder(t *testing.T) {
	tests := []struct {
		name         string
		segmentBytes int64
		recordSize   int
		n            int
		group        int // records per Append
		peekMax      int
		peekBytes    int
		minSegments  int
	}{
		{"one segment", 0, 400, 100, 1, 10, 0, 1},
		{"many segments", 4096, 400, 500, 1, 7, 0, 40},
		{"groups across segments", 4096, 100, 1000, 5, 0, 1000, 25},
		{"byte-limited peeks", 1024, 50, 300, 3, 0, 120, 20},
		{"unlimited peek", 2048, 200, 200, 1, 0, 0, 20},
		{"empty records", 1024, 0, 50, 2, 4, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openT(t, t.TempDir(), Options{SegmentBytes: tt.segmentBytes, Sync: SyncNone})
			want := [][]byte{}
			for i := 0; i < tt.n; i += tt.group {
				g := recs(i, min(i+tt.group, tt.n), tt.recordSize)
				if tt.recordSize == 0 {
					g = make([][]byte, len(g))
					for j := range g {
						g[j] = []byte{}
					}
				}
				if err := s.Append(g...); err != nil {
					t.Fatalf("Append: %v", err)
				}
				want = append(want, g...)
			}
			st := s.Stats()
			if st.Records != int64(tt.n) || st.Segments < tt.minSegments {
				t.Fatalf("Stats = %+v, want %d records in at least %d segments", st, tt.n, tt.minSegments)
			}
			got := drain(t, s, tt.peekMax, tt.peekBytes)
			if d := diffRecords(want, got); d != "" {
				t.Fatalf("records (-want +got):\n%s", d)
			}
			if st := s.Stats(); st.Records != 0 || st.Bytes != 0 || st.Segments > 1 {
				t.Fatalf("after drain Stats = %+v", st)
			}
		})
	}
}

func TestPeekLimits(t *testing.T) {
	s := openT(t, t.TempDir(), Options{SegmentBytes: 64 << 10, Sync: SyncNone})
	appendAll(t, s, [][]byte{rec(0, 100), rec(1, 5000), rec(2, 100), rec(3, 100)})
	tests := []struct {
		name               string
		maxRecords, nBytes int
		want               int
	}{
		{"one record", 1, 0, 1},
		{"bytes stop before the large one", 0, 1000, 1},
		{"count", 3, 0, 3},
		{"all", 0, 0, 4},
		{"bytes just enough", 0, 5100, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := s.Peek(tt.maxRecords, tt.nBytes)
			if err != nil {
				t.Fatal(err)
			}
			if b.Len() != tt.want {
				t.Fatalf("Peek(%d, %d) returned %d records, want %d", tt.maxRecords, tt.nBytes, b.Len(), tt.want)
			}
		})
	}
	// A record larger than maxBytes still comes alone.
	b, _ := s.Peek(0, 0)
	first, _ := s.Peek(1, 0)
	if err := s.Commit(first); err != nil {
		t.Fatal(err)
	}
	big, err := s.Peek(10, 10)
	if err != nil || big.Len() != 1 || len(big.Records[0]) != 5000 {
		t.Fatalf("Peek(10, 10) = %d records, %v; want the 5000-byte record", big.Len(), err)
	}
	// Committing the older, larger batch now only removes what is left of it.
	if err := s.Commit(b); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Records != 0 {
		t.Fatalf("Stats after committing everything = %+v", st)
	}
}

func TestReopenKeepsUncommitted(t *testing.T) {
	dir := t.TempDir()
	opts := Options{SegmentBytes: 2048}
	s := openT(t, dir, opts)
	all := recs(0, 200, 100)
	appendAll(t, s, all)
	b, err := s.Peek(70, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(b); err != nil {
		t.Fatal(err)
	}
	before := len(segFiles(t, dir))
	closeT(t, s)

	s = openT(t, dir, opts)
	if st := s.Stats(); st.Records != 130 || st.DroppedTotal != 0 {
		t.Fatalf("Stats after reopen = %+v, want 130 records", st)
	}
	if got := len(segFiles(t, dir)); got != before {
		t.Fatalf("%d segment files after reopen, %d before", got, before)
	}
	// A new batch of appends after reopen lands after the old ones.
	appendAll(t, s, recs(200, 210, 100))
	got := drain(t, s, 33, 0)
	if d := diffRecords(recs(70, 210, 100), got); d != "" {
		t.Fatalf("records after reopen (-want +got):\n%s", d)
	}
	closeT(t, s)

	s = openT(t, dir, opts)
	if st := s.Stats(); st.Records != 0 {
		t.Fatalf("committed records came back: %+v", st)
	}
	if n := len(segFiles(t, dir)); n > 1 {
		t.Fatalf("%d segment files left after everything was committed", n)
	}
}

func TestTooLarge(t *testing.T) {
	s := openT(t, t.TempDir(), Options{SegmentBytes: 1024, MaxBytes: 900, Sync: SyncNone})
	tests := []struct {
		name    string
		records [][]byte
	}{
		{"record above segment", [][]byte{make([]byte, 1024)}},
		{"group above segment", recs(0, 12, 90)},
		{"group above MaxBytes", recs(0, 9, 100)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.Append(tt.records...); !errors.Is(err, ErrTooLarge) {
				t.Fatalf("Append = %v, want ErrTooLarge", err)
			}
		})
	}
	if st := s.Stats(); st.Records != 0 || st.DroppedTotal != 0 {
		t.Fatalf("a rejected append changed the spool: %+v", st)
	}
	largest := make([]byte, 900-recHeaderLen)
	if err := s.Append(largest); err != nil {
		t.Fatalf("Append of a record that fits: %v", err)
	}
}

func TestSecondOpenLocked(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir, Options{})
	if _, err := Open(dir, Options{Logger: quiet}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open = %v, want ErrLocked", err)
	}
	closeT(t, s)
	s2 := openT(t, dir, Options{})
	closeT(t, s2)
}

func TestClosedSpool(t *testing.T) {
	s := openT(t, t.TempDir(), Options{})
	closeT(t, s)
	if err := s.Append([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close = %v", err)
	}
	if _, err := s.Peek(1, 0); !errors.Is(err, ErrClosed) {
		t.Errorf("Peek after Close = %v", err)
	}
	if err := s.SetMaxBytes(1); !errors.Is(err, ErrClosed) {
		t.Errorf("SetMaxBytes after Close = %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

func TestForeignBatch(t *testing.T) {
	a := openT(t, t.TempDir(), Options{Sync: SyncNone})
	b := openT(t, t.TempDir(), Options{Sync: SyncNone})
	appendAll(t, a, recs(0, 3, 10))
	batch, err := a.Peek(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(batch); !errors.Is(err, ErrForeignBatch) {
		t.Fatalf("Commit on another spool = %v, want ErrForeignBatch", err)
	}
	if err := a.Commit(batch); err != nil {
		t.Fatal(err)
	}
	if err := a.Commit(batch); err != nil {
		t.Fatalf("committing twice = %v, want nil", err)
	}
}

func TestOptionsValidation(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		ok   bool
	}{
		{"defaults", Options{}, true},
		{"segment too small", Options{SegmentBytes: 100}, false},
		{"segment too large", Options{SegmentBytes: 2 << 30}, false},
		{"unknown sync", Options{Sync: SyncMode(9)}, false},
		{"always", Options{Sync: SyncAlways}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(t.TempDir(), tt.opts)
			if (err == nil) != tt.ok {
				t.Fatalf("Open = %v, want ok=%v", err, tt.ok)
			}
			if s != nil {
				closeT(t, s)
			}
		})
	}
}

// crash abandons s the way a killed process would: descriptors are closed,
// nothing is flushed or persisted.
func crash(s *Spool) {
	s.mu.Lock()
	s.closed = true
	close(s.done)
	s.mu.Unlock()
	s.wg.Wait()
	s.closeFiles()
	s.sf.f.Close()
	s.lock.Close()
}

func TestProcessCrash(t *testing.T) {
	dir := t.TempDir()
	opts := Options{SegmentBytes: 1024, MaxBytes: 4000, SyncInterval: time.Hour}
	s := openT(t, dir, opts)
	appendAll(t, s, recs(0, 50, 92)) // 100 bytes each: 10 dropped
	b, err := s.Peek(5, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(b); err != nil { // persists the drops with the position
		t.Fatal(err)
	}
	appendAll(t, s, recs(50, 58, 92)) // 3 more dropped, not yet persisted
	if st := s.Stats(); st.DroppedTotal != 13 {
		t.Fatalf("DroppedTotal before crash = %d, want 13", st.DroppedTotal)
	}
	crash(s)

	s = openT(t, dir, opts)
	// The 3 unpersisted drops came back and went again under the bound.
	if st := s.Stats(); st.DroppedTotal != 13 || st.Records != 40 {
		t.Fatalf("Stats after crash = %+v, want 13 dropped and 40 records", st)
	}
	if d := diffRecords(recs(18, 58, 92), drain(t, s, 0, 0)); d != "" {
		t.Fatalf("records after crash (-want +got):\n%s", d)
	}
}
