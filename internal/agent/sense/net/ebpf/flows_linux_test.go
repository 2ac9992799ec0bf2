//go:build linux && (amd64 || arm64)

package ebpf

import (
	"log/slog"
	"os"
	"reflect"
	"slices"
	"testing"
	"time"

	cebpf "github.com/cilium/ebpf"

	"github.com/vigilsec/vigil/internal/agent/sense/net/sockdiag"
)

// TestFlowEvictions: the flow reader counts the entries the kernel's LRU
// map evicted before they were read, and not those it deleted itself.
// The map is a real kernel LRU map, filled from user space.
func TestFlowEvictions(t *testing.T) {
	const size = 64
	m, err := cebpf.NewMap(&cebpf.MapSpec{
		Type: cebpf.LRUHash, KeySize: uint32(reflect.TypeFor[vnetFlowKey]().Size()),
		ValueSize: uint32(reflect.TypeFor[vnetFlowVal]().Size()), MaxEntries: size,
	})
	if err != nil {
		if os.Getenv("VIGIL_REQUIRE_KERNEL") == "1" {
			t.Fatal(err)
		}
		t.Skipf("no eBPF maps here: %v", err)
	}
	defer m.Close()
	k := &kernel{objs: vnetObjects{vnetMaps: vnetMaps{Flows: m}}}
	cnt := &counters{}
	f := newFlowReader("host", sockdiag.NewProcessInfo(t.TempDir(), 16), sockdiag.Filter{}, time.Now())
	f.counters = cnt
	log := slog.New(slog.DiscardHandler)
	put := func(port int, created uint64) {
		t.Helper()
		key := vnetFlowKey{Tgid: 1, Port: uint16(port), Proto: protoTCP, Dir: dirEgress}
		if err := m.Put(&key, &vnetFlowVal{BytesOut: 100, PktsOut: 1, CreatedNs: created}); err != nil {
			t.Fatal(err)
		}
	}
	read := func() {
		var out events
		f.read(k, time.Now(), &out, log)
	}

	for p := range size / 2 {
		put(p+1, 1)
	}
	read()
	entries := cnt.flowEntries.Load()
	if entries == 0 || entries > size/2 || cnt.flowEvictions.Load() != 0 {
		t.Fatalf("after the first read: %d entries, %d evictions", entries, cnt.flowEvictions.Load())
	}
	// An entry evicted and made anew between two reads (the map is not
	// full: nothing else goes).
	put(1, 5)
	read()
	if n := cnt.flowEvictions.Load(); n != 1 {
		t.Fatalf("%d evictions counted for an entry made anew, want 1", n)
	}
	// Idle entries deleted by the reader are no evictions.
	for range idleReads + 1 {
		read()
	}
	if n := cnt.flowEvictions.Load(); n != 1 || cnt.flowEntries.Load() != 0 {
		t.Fatalf("the reader's own deletions: %d evictions, %d entries left", n, cnt.flowEntries.Load())
	}

	// Fill the map, read, and push past its size: the LRU evicts.
	for p := range size {
		put(p+1, 2)
	}
	read()
	before := cnt.flowEvictions.Load()
	for p := range size * 2 {
		put(1000+p, 3)
	}
	read()
	if cnt.flowEvictions.Load() == before {
		t.Errorf("no eviction counted after %d entries went into a map of %d", size*2, size)
	}
}

// TestCoreObjects: the objects loaded without the io_uring program are
// every other one bpf2go generated.
func TestCoreObjects(t *testing.T) {
	tags := func(typ reflect.Type) []string {
		var out []string
		for i := range typ.NumField() {
			if tag := typ.Field(i).Tag.Get("ebpf"); tag != "" {
				out = append(out, tag)
			}
		}
		slices.Sort(out)
		return out
	}
	want := slices.DeleteFunc(tags(reflect.TypeFor[vnetPrograms]()), func(s string) bool { return s == vnetProgIoUringComplete })
	if got := tags(reflect.TypeFor[coreObjects]()); !slices.Equal(got, want) {
		t.Errorf("coreObjects has %v, want %v", got, want)
	}
}
