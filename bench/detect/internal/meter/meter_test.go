package meter

import (
	"crypto/sha256"
	"testing"
)

// TestPhase checks that a phase sees the CPU time and the memory spent
// in it.
func TestPhase(t *testing.T) {
	p := Start()
	const size = 64 << 20
	buf := make([]byte, size)
	for i := range buf {
		buf[i] = byte(i)
	}
	sum := sha256.Sum256(buf)
	f := p.Stop()
	if sum[0] == 0 && sum[1] == 0 {
		t.Log("unlikely digest") // keeps the work from being optimized away
	}
	if f.CPU <= 0 || f.Wall <= 0 || f.Cores() <= 0 {
		t.Errorf("no CPU time seen: %+v", f)
	}
	if f.RSSStart == 0 || f.RSSPeak < f.RSSStart+size/2 {
		t.Errorf("RSS %d -> %d, want a peak %d MiB above the start at least", f.RSSStart>>20, f.RSSPeak>>20, size>>21)
	}
	if f.MachineCores <= 0 {
		t.Errorf("the machine looked idle while this process worked: %+v", f)
	}
}

func TestReadMachine(t *testing.T) {
	m := readMachine()
	if m.cpus <= 0 || m.total == 0 || m.busy > m.total {
		t.Errorf("/proc/stat read as %+v", m)
	}
}
