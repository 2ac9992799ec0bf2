//go:build linux && (amd64 || arm64)

package ebpf

import (
	"encoding/binary"
	"os"
	"testing"

	"github.com/vigilsec/vigil/internal/agent/proctable"
	"github.com/vigilsec/vigil/internal/event"
)

type discard struct{}

func (discard) Emit(event.Event) {}
func (discard) Lost(uint64)      {}

// BenchmarkRecords measures the user-space cost of one process's records
// (fork, exec, exit) from decoding to the events handed to the runtime.
func BenchmarkRecords(b *testing.B) {
	tbl := proctable.New(proctable.Config{Root: "/", HostID: "bench"})
	if _, err := tbl.Seed(); err != nil {
		b.Fatal(err)
	}
	stream := tbl.NewStream(proctable.StreamConfig{Dataset: Name}, discard{})
	defer stream.Close()
	s := New()
	r := reader{s: s, t: tbl, stream: stream, emit: discard{}}
	self := uint32(os.Getpid())
	parentStart := uint64(0)
	if p, ok := tbl.Get(int(self)); ok {
		parentStart = p.StartTicks * 10_000_000
	}
	exec := rawExec(0, "/usr/bin/true", "/srv/app", "/usr/bin/true\x00", nil)
	binary.LittleEndian.PutUint32(exec[72:], self)
	binary.LittleEndian.PutUint64(exec[24:], parentStart)
	fork := make([]byte, forkRecordSize)
	binary.LittleEndian.PutUint32(fork, recordFork)
	binary.LittleEndian.PutUint32(fork[32:], self)
	binary.LittleEndian.PutUint64(fork[24:], parentStart)
	exit := make([]byte, exitRecordSize)
	binary.LittleEndian.PutUint32(exit, recordExit)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		pid := uint32(1_000_000 + i%100_000)
		start := uint64(1_000_000_000 + i*10_000_000)
		binary.LittleEndian.PutUint32(fork[4:], pid)
		binary.LittleEndian.PutUint64(fork[16:], start)
		r.handle(fork)
		binary.LittleEndian.PutUint32(exec[64:], pid)
		binary.LittleEndian.PutUint64(exec[16:], start)
		r.handle(exec)
		binary.LittleEndian.PutUint32(exit[4:], pid)
		binary.LittleEndian.PutUint64(exit[16:], start)
		r.handle(exit)
	}
}
