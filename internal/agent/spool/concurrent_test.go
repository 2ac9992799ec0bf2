package spool

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// parseRec splits a record written by concurrentWriter into writer and sequence.
func parseRec(t *testing.T, r []byte) (w, seq int) {
	t.Helper()
	if _, err := fmt.Sscanf(string(r), "w%d-%d.", &w, &seq); err != nil {
		t.Fatalf("unexpected record %q: %v", r, err)
	}
	return w, seq
}

// concurrentWriter appends perWriter records as random groups.
func concurrentWriter(s *Spool, id, perWriter int, errs chan<- error) {
	rng := rand.New(rand.NewPCG(uint64(id), 7))
	for i := 0; i < perWriter; {
		var g [][]byte
		for n := 1 + rng.IntN(4); n > 0 && i < perWriter; n-- {
			r := fmt.Appendf(nil, "w%d-%d.", id, i)
			for pad := rng.IntN(400); pad > 0; pad-- {
				r = append(r, 'x')
			}
			g = append(g, r)
			i++
		}
		if err := s.Append(g...); err != nil {
			errs <- err
			return
		}
	}
}

func TestConcurrentAppendRead(t *testing.T) {
	const writers, perWriter = 4, 3000
	tests := []struct {
		name     string
		maxBytes int64
		exact    bool
	}{
		{"unbounded", 0, true},
		{"bounded with drops", 64 << 10, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openT(t, t.TempDir(), Options{
				SegmentBytes: 16 << 10, MaxBytes: tt.maxBytes, SyncInterval: 5 * time.Millisecond,
			})
			errs := make(chan error, writers)
			var wg sync.WaitGroup
			for id := range writers {
				wg.Add(1)
				go func() { defer wg.Done(); concurrentWriter(s, id, perWriter, errs) }()
			}
			done := make(chan struct{})
			go func() { wg.Wait(); close(done) }()

			next := make([]int, writers) // next sequence expected per writer
			received := 0
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			for finished := false; ; {
				b, err := s.Peek(100, 32<<10)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range b.Records {
					w, seq := parseRec(t, r)
					if seq < next[w] || (tt.exact && seq != next[w]) {
						t.Fatalf("writer %d: got record %d, want %d", w, seq, next[w])
					}
					next[w] = seq + 1
					received++
				}
				if err := s.Commit(b); err != nil {
					t.Fatal(err)
				}
				if b.Len() > 0 {
					continue
				}
				if finished {
					break
				}
				select {
				case <-done:
					finished = true // one more pass picks up the last records
				case <-s.Ready():
				case <-ctx.Done():
					t.Fatal("reader timed out")
				}
			}
			select {
			case err := <-errs:
				t.Fatalf("Append: %v", err)
			default:
			}
			st := s.Stats()
			total := writers * perWriter
			if tt.exact && (received != total || st.DroppedTotal != 0) {
				t.Fatalf("received %d of %d records, %d dropped", received, total, st.DroppedTotal)
			}
			// Records dropped while in a peeked batch are both delivered and
			// counted, so the sum may exceed the total, never fall short.
			if received+int(st.DroppedTotal) < total || received > total {
				t.Fatalf("received %d + dropped %d, appended %d", received, st.DroppedTotal, total)
			}
		})
	}
}

func TestReady(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir, Options{Sync: SyncNone})
	select {
	case <-s.Ready():
		t.Fatal("Ready fired on an empty spool")
	default:
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait with a cancelled context = %v", err)
	}

	waited := make(chan error, 1)
	go func() { waited <- s.Wait(context.Background()) }()
	appendAll(t, s, recs(0, 1, 10))
	if err := <-waited; err != nil {
		t.Fatalf("Wait = %v", err)
	}
	appendAll(t, s, recs(1, 3, 10))
	<-s.Ready() // a value is pending after an append
	select {
	case <-s.Ready():
		t.Fatal("Ready holds more than one value")
	default:
	}
	closeT(t, s)

	s = openT(t, dir, Options{Sync: SyncNone})
	select {
	case <-s.Ready():
	default:
		t.Fatal("Ready does not fire after Open finds records")
	}
	drain(t, s, 0, 0)
	go func() { waited <- s.Wait(context.Background()) }()
	closeT(t, s)
	if err := <-waited; !errors.Is(err, ErrClosed) {
		t.Fatalf("Wait across Close = %v, want ErrClosed", err)
	}
}
