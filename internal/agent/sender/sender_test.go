package sender

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/zstd"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/agent/spool"
	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/bus/bustest"
	"github.com/vigilsec/vigil/internal/bus/client"
)

const wait = 20 * time.Second

// fixture is a real bus server, an agent connected to it with its own
// credentials, and a spool.
type fixture struct {
	c     *bustest.Center
	nc    *nats.Conn
	spool *spool.Spool
	state string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	c := bustest.Start(t)
	ident, _ := c.Agent("agent-s")
	nc, err := client.Connect(context.Background(), ident, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	sp, err := spool.Open(filepath.Join(t.TempDir(), "spool"), spool.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sp.Close() })
	return &fixture{c: c, nc: nc, spool: sp, state: t.TempDir()}
}

// add spools records from..to-1.
func (f *fixture) add(t *testing.T, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		if err := f.spool.Append([]byte(fmt.Sprintf(`{"n":%d}`, i))); err != nil {
			t.Fatal(err)
		}
	}
}

func (f *fixture) sender(t *testing.T) *Sender {
	t.Helper()
	s, err := New(Options{Spool: f.spool, Conn: f.nc, AgentID: "agent-s", StateDir: f.state, MaxBatchEvents: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// drain runs s until the spool is empty.
func drain(t *testing.T, s *Sender) {
	t.Helper()
	s.Drain()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := s.Run(ctx); err != nil || ctx.Err() != nil {
		t.Fatalf("Run = %v, %v", err, ctx.Err())
	}
}

// stored returns the stream's batches of the agent.
func (f *fixture) stored(t *testing.T) []*busv1.EventBatch {
	t.Helper()
	js, err := jetstream.New(f.c.Server.Conn())
	if err != nil {
		t.Fatal(err)
	}
	cons, err := js.OrderedConsumer(context.Background(), bus.EventsStream, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var out []*busv1.EventBatch
	for {
		batch, err := cons.Fetch(100, jetstream.FetchMaxWait(200*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for m := range batch.Messages() {
			n++
			b := &busv1.EventBatch{}
			if err := proto.Unmarshal(m.Data(), b); err != nil {
				t.Fatal(err)
			}
			if want := fmt.Sprintf("agent-s-%d", b.GetBatchSeq()); m.Headers().Get(jetstream.MsgIDHeader) != want {
				t.Errorf("Nats-Msg-Id %q, want %q", m.Headers().Get(jetstream.MsgIDHeader), want)
			}
			out = append(out, b)
		}
		if n == 0 {
			return out
		}
	}
}

// records decodes every record of the batches.
func records(t *testing.T, batches []*busv1.EventBatch) []string {
	t.Helper()
	dec, _ := zstd.NewReader(nil)
	defer dec.Close()
	var out []string
	for _, b := range batches {
		raw, err := dec.DecodeAll(b.GetPayload(), nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range splitLines(raw) {
			out = append(out, line)
		}
	}
	return out
}

func splitLines(raw []byte) []string {
	var out []string
	start := 0
	for i, c := range raw {
		if c == '\n' {
			out = append(out, string(raw[start:i]))
			start = i + 1
		}
	}
	return out
}

func want(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf(`{"n":%d}`, i))
	}
	return out
}

func TestSendsInOrderOnce(t *testing.T) {
	f := newFixture(t)
	f.add(t, 0, 2500)
	s := f.sender(t)
	drain(t, s)
	batches := f.stored(t)
	if d := cmp.Diff(want(0, 2500), records(t, batches)); d != "" {
		t.Errorf("records (-want +got):\n%s", d)
	}
	if len(batches) != 3 || s.Stats() != (Stats{EventsSent: 2500, BatchesSent: 3}) {
		t.Errorf("%d batches, stats %+v", len(batches), s.Stats())
	}
	for i := 1; i < len(batches); i++ {
		if batches[i].GetBatchSeq() != batches[i-1].GetBatchSeq()+1 {
			t.Errorf("batch seqs %d then %d", batches[i-1].GetBatchSeq(), batches[i].GetBatchSeq())
		}
	}
	if st := f.spool.Stats(); st.Records != 0 {
		t.Errorf("spool holds %d records after sending", st.Records)
	}
}

func TestResendAfterCrashKeepsIDs(t *testing.T) {
	f := newFixture(t)
	f.add(t, 0, 2500)
	// The first run publishes its window and dies before it learns of the
	// acknowledgements: nothing is committed.
	s1 := f.sender(t)
	w, b, err := s1.nextWindow()
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := s1.encode(w, b)
	if err != nil {
		t.Fatal(err)
	}
	if err := s1.publish(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}
	f.add(t, 2500, 2510)

	// The next run sends the same records again under the same ids: the
	// stream keeps one copy.
	s2 := f.sender(t)
	drain(t, s2)
	batches := f.stored(t)
	if d := cmp.Diff(want(0, 2510), records(t, batches)); d != "" {
		t.Errorf("records (-want +got):\n%s", d)
	}
	var seqs []uint64
	for _, b := range batches {
		seqs = append(seqs, b.GetBatchSeq())
	}
	wantSeqs := []uint64{w.FirstSeq, w.FirstSeq + 1, w.FirstSeq + 2, w.FirstSeq + 3}
	if !slices.Equal(seqs, wantSeqs) {
		t.Errorf("batch seqs %v, want %v", seqs, wantSeqs)
	}
}

func TestChangedRecordsGetNewIDs(t *testing.T) {
	f := newFixture(t)
	f.add(t, 0, 100)
	s1 := f.sender(t)
	w, _, err := s1.nextWindow()
	if err != nil {
		t.Fatal(err)
	}
	// Before the next run, the bound drops the oldest records: the
	// pending window's records are no longer those at the head.
	if err := f.spool.SetMaxBytes(40 * 20); err != nil {
		t.Fatal(err)
	}
	dropped := f.spool.Stats().DroppedTotal
	if dropped == 0 {
		t.Fatal("nothing dropped")
	}
	s2 := f.sender(t)
	drain(t, s2)
	batches := f.stored(t)
	if len(batches) != 1 || batches[0].GetBatchSeq() != w.FirstSeq+1 {
		t.Fatalf("batches %v, want one with seq %d", batches, w.FirstSeq+1)
	}
	if batches[0].GetDroppedSinceLast() != dropped {
		t.Errorf("dropped_since_last = %d, want %d", batches[0].GetDroppedSinceLast(), dropped)
	}
	got := records(t, batches)
	if d := cmp.Diff(want(100-len(got), 100), got); d != "" {
		t.Errorf("records (-want +got):\n%s", d)
	}
	// The drops are reported once.
	f.add(t, 100, 101)
	drain(t, f.sender(t))
	if b := f.stored(t); len(b) != 2 || b[1].GetDroppedSinceLast() != 0 {
		t.Errorf("second batch reports drops again: %v", b)
	}
}

func TestWaitsForTheCenter(t *testing.T) {
	f := newFixture(t)
	f.c.Server.Shutdown()
	f.add(t, 0, 50)
	s := f.sender(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	time.Sleep(500 * time.Millisecond)
	if s.Stats().EventsSent != 0 {
		t.Fatal("sent while the center was down")
	}
	f.c.Restart()
	deadline := time.Now().Add(wait)
	for s.Stats().EventsSent < 50 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want(0, 50), records(t, f.stored(t))); d != "" {
		t.Errorf("records (-want +got):\n%s", d)
	}
}

func TestSplit(t *testing.T) {
	rec := func(n int) []byte { return make([]byte, n) }
	tests := []struct {
		name      string
		sizes     []int
		maxEvents int
		maxBytes  int
		want      []int
	}{
		{"empty", nil, 3, 100, nil},
		{"by count", []int{1, 1, 1, 1, 1, 1, 1}, 3, 100, []int{3, 3, 1}},
		{"by bytes", []int{40, 40, 40}, 10, 100, []int{2, 1}},
		{"a large record alone", []int{10, 500, 10}, 10, 100, []int{1, 1, 1}},
	}
	for _, tt := range tests {
		var recs [][]byte
		for _, s := range tt.sizes {
			recs = append(recs, rec(s))
		}
		if got := split(recs, tt.maxEvents, tt.maxBytes); !slices.Equal(got, tt.want) {
			t.Errorf("%s: split = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestDamagedStateStartsANewSequence(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, StateFile)
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := loadState(path)
	if err != nil || st.NextSeq < uint64(time.Now().Add(-time.Minute).UnixMicro()) {
		t.Errorf("state = %+v, %v", st, err)
	}
	st.Pending = &window{FirstSeq: 5, Counts: []int{1, 2}, Sum: checksum([][]byte{[]byte("a"), []byte("b"), []byte("c")})}
	if err := st.save(path, true); err != nil {
		t.Fatal(err)
	}
	back, err := loadState(path)
	if err != nil || !cmp.Equal(st, back) {
		t.Errorf("saved %+v, loaded %+v (%v)", st, back, err)
	}
}

func FuzzLoadState(f *testing.F) {
	f.Add([]byte(`{"next_seq":5,"reported_dropped":2,"pending":{"first_seq":4,"counts":[1,2],"sum":"ab","dropped":2}}`))
	f.Add([]byte(`{"next_seq":0}`))
	f.Add([]byte(`{"pending":{"counts":[-1]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), StateFile)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		st, err := loadState(path)
		if err != nil {
			t.Fatalf("loadState of a readable file: %v", err)
		}
		if st.NextSeq == 0 {
			t.Fatal("a state with sequence 0")
		}
		if p := st.Pending; p != nil && (!p.valid() || p.total() <= 0) {
			t.Fatalf("loaded an invalid pending window %+v", p)
		}
	})
}
