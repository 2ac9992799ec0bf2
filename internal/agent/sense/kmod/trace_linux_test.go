//go:build linux && (amd64 || arm64)

package kmod

import (
	"os"
	"testing"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

// TestRecordLayout: the hand decoder reads struct record where bpf2go's
// type, generated from the program's BTF, has its fields.
func TestRecordLayout(t *testing.T) {
	var r kmodRecord
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"size", unsafe.Sizeof(r), recordSize},
		{"ret", unsafe.Offsetof(r.Ret), 32},
		{"kind", unsafe.Offsetof(r.Kind), 48},
		{"fd", unsafe.Offsetof(r.Fd), 88},
		{"path_len", unsafe.Offsetof(r.PathLen), 100},
		{"comm", unsafe.Offsetof(r.Comm), offComm},
		{"parent_comm", unsafe.Offsetof(r.ParentComm), offParent},
		{"name", unsafe.Offsetof(r.Name), offName},
		{"params", unsafe.Offsetof(r.Params), offParams},
		{"path", unsafe.Offsetof(r.Path), offPath},
		{"path size", unsafe.Sizeof(r.Path), pathBufLen},
	} {
		if c.got != c.want {
			t.Errorf("%s: %d in the program, %d in the decoder", c.name, c.got, c.want)
		}
	}
}

// TestModuleProgramsVerify loads the module_load and module_free
// programs. Where the kernel has those tracepoints they are loaded and
// attached for real; where it has not (no module support), they are
// loaded against another tracepoint, which still runs the kernel's
// verifier and the CO-RE relocations over all their code.
func TestModuleProgramsVerify(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("VIGIL_REQUIRE_KERNEL") == "1" {
			t.Fatal("loading eBPF programs needs root")
		}
		t.Skip("loading eBPF programs needs root")
	}
	hasBTF, tracepoints, why := probeKernel()
	if !hasBTF {
		if os.Getenv("VIGIL_REQUIRE_KERNEL") == "1" {
			t.Fatalf("no BTF: %v", why)
		}
		t.Skipf("no BTF: %v", why)
	}
	if tracepoints {
		tr, err := startTracer(true, true)
		if err != nil {
			t.Fatalf("%+v", err)
		}
		if err := tr.close(); err != nil {
			t.Error(err)
		}
		return
	}
	t.Logf("verifying only: %v", why)
	spec, err := loadKmod()
	if err != nil {
		t.Fatal(err)
	}
	delete(spec.Programs, kmodProgSysExit)
	for _, name := range []string{kmodProgModuleLoad, kmodProgModuleFree} {
		spec.Programs[name].AttachTo = "sched_process_exec"
	}
	coll, err := ebpf.NewCollection(spec)
	if err != nil {
		t.Fatalf("%+v", err)
	}
	coll.Close()
}

// TestRingOverflowCounted: records that do not fit in the ring buffer
// while nobody reads it are counted, not silently dropped.
func TestRingOverflowCounted(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("VIGIL_REQUIRE_KERNEL") == "1" {
			t.Fatal("loading eBPF programs needs root")
		}
		t.Skip("loading eBPF programs needs root")
	}
	tr, err := startTracer(false, true)
	if err != nil {
		if os.Getenv("VIGIL_REQUIRE_KERNEL") == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	defer tr.close()
	// Each failed delete_module makes one record; the ring holds about
	// 54 of them.
	const attempts = 200
	for range attempts {
		if err := unix.DeleteModule("vigil_nosuch", unix.O_NONBLOCK); err == nil {
			t.Fatal("a module named vigil_nosuch was unloaded")
		}
	}
	lost, err := tr.lost()
	if err != nil {
		t.Fatal(err)
	}
	ours := 0
	for {
		tr.setDeadline(time.Now().Add(200 * time.Millisecond))
		raw, ok, err := tr.read()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		rec, err := decodeRecord(raw)
		if err != nil {
			t.Fatal(err)
		}
		if rec.TGID == uint32(os.Getpid()) && rec.Name == "vigil_nosuch" {
			ours++
		}
	}
	if lost == 0 || uint64(ours)+lost < attempts {
		t.Errorf("%d records read and %d lost of %d attempts", ours, lost, attempts)
	}
	t.Logf("%d records read, %d lost", ours, lost)
}

// BenchmarkSysExitCost measures what the sys_exit program adds to every
// syscall: a successful one (getppid) and a failing one (close(-1)),
// with and without the program attached.
func BenchmarkSysExitCost(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("loading eBPF programs needs root")
	}
	run := func(b *testing.B) {
		b.Run("getppid", func(b *testing.B) {
			for b.Loop() {
				unix.Getppid()
			}
		})
		b.Run("close-fails", func(b *testing.B) {
			for b.Loop() {
				_ = unix.Close(-1)
			}
		})
	}
	b.Run("detached", run)
	tr, err := startTracer(false, true)
	if err != nil {
		b.Skip(err)
	}
	defer tr.close()
	b.Run("attached", run)
}
