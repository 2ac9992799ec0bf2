//go:build linux

package kmod_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/procfs"
	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/procid"
	"github.com/vigilsec/vigil/internal/agent/sense/internal/sensetest"
	"github.com/vigilsec/vigil/internal/agent/sense/kmod"
	"github.com/vigilsec/vigil/internal/event"
)

// helperEnv makes the test binary a helper process that tries to load
// the module file named by the variable, and exits.
const helperEnv = "VIGIL_KMOD_TEST_FINIT"

func TestMain(m *testing.M) {
	if file := os.Getenv(helperEnv); file != "" {
		f, err := os.Open(file)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		err = unix.FinitModule(int(f.Fd()), "from_helper=1", 0)
		fmt.Println(err)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// needKernel skips a test that needs what this host lacks, unless
// VIGIL_REQUIRE_KERNEL=1 says it must be there.
func needKernel(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("VIGIL_REQUIRE_KERNEL") == "1" {
		t.Fatalf("required kernel feature missing: %s", why)
	}
	t.Skip(why)
}

func named(action, name string) func(event.Event) bool {
	return func(e event.Event) bool {
		return e.String(event.FieldAction) == action && e.String("vigil.kmod.name") == name
	}
}

// checkFields compares fields of e with want, by their JSON form; a nil
// want means the field must be absent.
func checkFields(t *testing.T, e event.Event, want map[string]any) {
	t.Helper()
	for path, w := range want {
		got, ok := e.Get(path)
		if w == nil {
			if ok {
				t.Errorf("%s: %s = %v, want none", e.String(event.FieldAction), path, got)
			}
			continue
		}
		if !ok {
			t.Errorf("%s: no %s in %v", e.String(event.FieldAction), path, e)
			continue
		}
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(w)
		if string(gj) != string(wj) {
			t.Errorf("%s: %s = %s, want %s", e.String(event.FieldAction), path, gj, wj)
		}
	}
	if e.Timestamp().IsZero() || e.String(event.FieldMessage) == "" {
		t.Errorf("no @timestamp or message in %v", e)
	}
}

// waitFile waits until path exists with content other than before.
func waitFile(t *testing.T, path string, before []byte, r *sensetest.Running) {
	t.Helper()
	deadline := time.Now().Add(sensetest.WaitLimit)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(path); err == nil && string(b) != string(before) {
			return
		}
		if done, err := r.Returned(); done {
			t.Fatalf("Run returned %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s was not written", path)
}

// fixture is a host root with the files the poller reads.
type fixture struct {
	root, data, release string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{root: t.TempDir(), data: t.TempDir(), release: "6.1.0-99-test"}
	f.write(t, "proc/sys/kernel/osrelease", f.release+"\n")
	f.write(t, "proc/sys/kernel/random/boot_id", "boot-one\n")
	f.write(t, "sys/module/module/parameters/sig_enforce", "N\n")
	f.write(t, "lib/modules/"+f.release+"/modules.dep",
		"kernel/fs/fat/fat.ko.xz:\n"+
			"kernel/fs/fat/vfat.ko.xz: kernel/fs/fat/fat.ko.xz\n"+
			"kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko.xz:\n"+
			"kernel/net/netfilter/nf_tables.ko.xz:\n"+
			"not a dependency line\n")
	return f
}

// write replaces a file of the fixture atomically, as the kernel's
// files change: a reader sees the old or the new content.
func (f *fixture) write(t *testing.T, rel, content string) {
	t.Helper()
	p := filepath.Join(f.root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := p + ".new"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, p); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) sensor(t *testing.T) *kmod.Sensor {
	t.Helper()
	s := kmod.New()
	if err := s.Configure(plugin.Env{Root: f.root, DataDir: f.data, HostID: "host-1"}); err != nil {
		t.Fatal(err)
	}
	if err := s.ApplySettings(json.RawMessage(`{"mechanism": "poll", "poll_interval": "100ms"}`)); err != nil {
		t.Fatal(err)
	}
	if m := s.Mechanism(); m != kmod.MechanismPoll {
		t.Fatalf("mechanism %q", m)
	}
	return s
}

// TestPollModules: the proc-modules mechanism on a fixture host: loads,
// unloads and a reload between two readings, with the module's file from
// modules.dep, its taints and signature; then what changed while the
// sensor was stopped.
func TestPollModules(t *testing.T) {
	f := newFixture(t)
	f.write(t, "proc/modules",
		"fat 86016 1 vfat, Live 0xffffffffc0300000\n"+
			"vfat 20480 0 - Live 0xffffffffc0310000\n")
	state := filepath.Join(f.data, "state", "kmod.json")
	c := &sensetest.Emitter{}
	s := f.sensor(t)
	r := sensetest.Start(s, c)
	t.Cleanup(func() { r.Stop(t) })
	waitFile(t, state, nil, r)
	if evs := c.All(); len(evs) != 0 {
		t.Fatalf("first run reported %d events: %v", len(evs), evs[0])
	}

	f.write(t, "proc/modules",
		"vfat 20480 0 - Live 0xffffffffc0390000\n"+ // reloaded elsewhere
			"e1000e 327680 0 - Live 0xffffffffc0320000\n"+
			"rootkit 16384 0 - Live 0xffffffffc0330000 (OE)\n"+
			"this line is not a module\n")
	e := c.Take(t, "rootkit loaded", named(kmod.ActionLoaded, "rootkit"))
	checkFields(t, e, map[string]any{
		event.FieldCategory:         "driver",
		"event.type":                []string{"start"},
		event.FieldOutcome:          "success",
		event.FieldDataset:          "kmod",
		event.FieldKind:             "event",
		"vigil.kmod.size":           16384,
		"vigil.kmod.taints":         "OE",
		"vigil.kmod.taint_flags":    []string{"out-of-tree", "unsigned"},
		"vigil.kmod.signed":         false,
		"vigil.kmod.in_modules_dep": false,
		"vigil.kmod.path":           nil,
		"vigil.kmod.unusual_path":   nil,
		"vigil.offline":             nil,
		event.FieldProcessPID:       nil,
	})
	e = c.Take(t, "e1000e loaded", named(kmod.ActionLoaded, "e1000e"))
	checkFields(t, e, map[string]any{
		"vigil.kmod.path":           "/lib/modules/" + f.release + "/kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko.xz",
		"vigil.kmod.path_source":    "modules.dep",
		"vigil.kmod.unusual_path":   false,
		"vigil.kmod.in_modules_dep": true,
		"vigil.kmod.signed":         true,
		"vigil.kmod.taints":         nil,
	})
	e = c.Take(t, "fat unloaded", named(kmod.ActionUnloaded, "fat"))
	checkFields(t, e, map[string]any{"event.type": []string{"end"}, "vigil.kmod.size": 86016})
	c.Take(t, "vfat unloaded (reload)", named(kmod.ActionUnloaded, "vfat"))
	c.Take(t, "vfat loaded (reload)", named(kmod.ActionLoaded, "vfat"))
	if c.LostCount() == 0 {
		t.Error("the bad line was not counted as lost")
	}
	// The bad lines are counted once each, however often they are read.
	time.Sleep(300 * time.Millisecond)
	waitCounters(t, s, map[string]uint64{"malformed_module_lines": 1, "malformed_modules_dep_lines": 1, "modules": 3})
	r.Stop(t)
	if n := len(c.All()); n != 5 {
		t.Errorf("%d events, want 5", n)
	}

	// While stopped: the rootkit goes, nf_tables comes, the host reboots.
	saved, _ := os.ReadFile(state)
	f.write(t, "proc/modules",
		"vfat 20480 0 - Live 0xffffffffc0500000\n"+
			"e1000e 327680 0 - Live 0xffffffffc0510000\n"+
			"nf_tables 307200 0 - Live 0xffffffffc0520000\n")
	f.write(t, "proc/sys/kernel/random/boot_id", "boot-two\n")
	c2 := &sensetest.Emitter{}
	r2 := sensetest.Start(f.sensor(t), c2)
	t.Cleanup(func() { r2.Stop(t) })
	waitFile(t, state, saved, r2)
	e = c2.Take(t, "rootkit unloaded offline", named(kmod.ActionUnloaded, "rootkit"))
	checkFields(t, e, map[string]any{"vigil.offline": true, "vigil.kmod.rebooted": true, "vigil.kmod.taints": "OE"})
	e = c2.Take(t, "nf_tables loaded offline", named(kmod.ActionLoaded, "nf_tables"))
	checkFields(t, e, map[string]any{"vigil.offline": true, "vigil.kmod.path_source": "modules.dep"})
	r2.Stop(t)
	if n := len(c2.All()); n != 2 {
		t.Errorf("%d events at the second start, want 2 (addresses change across reboots)", n)
	}
}

// tracing returns a sensor on the running kernel with the eBPF mechanism,
// or skips where the kernel cannot run it.
func tracing(t *testing.T, data string) *kmod.Sensor {
	t.Helper()
	if os.Geteuid() != 0 {
		needKernel(t, "eBPF needs root")
	}
	s := kmod.New()
	err := s.ApplySettings(json.RawMessage(`{"mechanism": "ebpf", "failed_attempts": true}`))
	if err == nil {
		err = s.Configure(plugin.Env{Root: "/", DataDir: data, HostID: "host-1"})
	}
	if err != nil {
		needKernel(t, fmt.Sprintf("the eBPF mechanism cannot run here: %v", err))
	}
	if m := s.Mechanism(); m != kmod.MechanismEBPF {
		t.Fatalf("mechanism %q", m)
	}
	return s
}

// ownTicks returns this process's start time in ticks.
func ownTicks(t *testing.T) uint64 {
	t.Helper()
	p, err := procfs.Self()
	if err != nil {
		t.Fatal(err)
	}
	st, err := p.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return st.Starttime
}

// onThread runs f on a locked thread and returns that thread's id.
func onThread(f func()) int {
	tid := make(chan int, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		f()
		tid <- unix.Gettid()
	}()
	return <-tid
}

func errnoOf(err error) unix.Errno {
	var errno unix.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return 0
}

func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// TestFailedAttempts makes real module syscalls fail and checks what the
// eBPF programs report: the process (this test, and a helper process it
// starts), the file (found through the descriptor, across a mount point,
// and a memfd), the parameters, the flags and the error. On a kernel
// without module support every load fails; elsewhere junk is refused.
func TestFailedAttempts(t *testing.T) {
	goroutines, fds := runtime.NumGoroutine(), openFDs(t)
	s := tracing(t, t.TempDir())
	c := &sensetest.Emitter{}
	r := sensetest.Start(s, c)
	t.Cleanup(func() { r.Stop(t) })
	// Wait until the programs are attached: the first attempt may come
	// before; try until one is seen.
	junk := []byte("\x7fELF not really a module")
	dir := t.TempDir()
	file := filepath.Join(dir, "vigil-rootkit.ko")
	if err := os.WriteFile(file, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	fh, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	deadline := time.Now().Add(sensetest.WaitLimit)
	var finitErr error
	var tid int
	for {
		tid = onThread(func() {
			finitErr = unix.FinitModule(int(fh.Fd()), "vigil_test=1", 2)
		})
		if finitErr == nil {
			t.Fatal("the kernel loaded junk as a module")
		}
		found := false
		for _, e := range c.All() {
			if e.String("vigil.kmod.path") == file {
				found = true
			}
		}
		if found || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	exe, _ := os.Executable()
	comm, _ := os.ReadFile("/proc/self/comm")
	e := c.Take(t, "finit_module failed", func(e event.Event) bool {
		return e.String(event.FieldAction) == kmod.ActionLoadFailed && e.String("vigil.kmod.path") == file &&
			e.String("process.thread.id") == strconv.Itoa(tid)
	})
	checkFields(t, e, map[string]any{
		event.FieldCategory:       "driver",
		"event.type":              []string{"start"},
		event.FieldOutcome:        "failure",
		"error.code":              unix.ErrnoName(errnoOf(finitErr)),
		"error.message":           errnoOf(finitErr).Error(),
		"vigil.kmod.syscall":      "finit_module",
		"vigil.kmod.params":       "vigil_test=1",
		"vigil.kmod.load_flags":   []string{"ignore-vermagic"},
		"vigil.kmod.unusual_path": true,
		"vigil.kmod.path_source":  "syscall",
		"vigil.kmod.file_deleted": nil,
		event.FieldProcessPID:     os.Getpid(),
		"process.name":            strings.TrimSpace(string(comm)),
		event.FieldProcessEntity:  procid.EntityID("host-1", os.Getpid(), ownTicks(t)),
		event.FieldProcessExe:     exe,
		"process.parent.pid":      os.Getppid(),
		"user.id":                 strconv.Itoa(os.Geteuid()),
		"process.real_user.id":    strconv.Itoa(os.Getuid()),
		"process.args_count":      len(os.Args),
	})

	// init_module: the image from memory.
	var initErr error
	onThread(func() { initErr = unix.InitModule(junk, "p=2") })
	e = c.Take(t, "init_module failed", func(e event.Event) bool {
		return e.String(event.FieldAction) == kmod.ActionLoadFailed && e.String("vigil.kmod.syscall") == "init_module" &&
			e.String("vigil.kmod.params") == "p=2"
	})
	checkFields(t, e, map[string]any{
		"vigil.kmod.image_size": len(junk),
		"vigil.kmod.path":       nil,
		"error.code":            unix.ErrnoName(errnoOf(initErr)),
	})

	// delete_module of a module that is not there.
	var delErr error
	onThread(func() { delErr = unix.DeleteModule("vigil_nosuch", unix.O_NONBLOCK) })
	e = c.Take(t, "delete_module failed", named(kmod.ActionUnloadFailed, "vigil_nosuch"))
	checkFields(t, e, map[string]any{
		"event.type":              []string{"end"},
		event.FieldOutcome:        "failure",
		"vigil.kmod.syscall":      "delete_module",
		"vigil.kmod.unload_flags": []string{"nonblock"},
		"error.code":              unix.ErrnoName(errnoOf(delErr)),
	})

	// A fileless module: memfd.
	mfd, err := unix.MemfdCreate("vigil-fileless", unix.MFD_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := unix.Write(mfd, junk); err != nil {
		t.Fatal(err)
	}
	onThread(func() { _ = unix.FinitModule(mfd, "", 0) })
	unix.Close(mfd)
	e = c.Take(t, "memfd finit_module failed", func(e event.Event) bool {
		return e.String(event.FieldAction) == kmod.ActionLoadFailed && e.String("vigil.kmod.path") == "/memfd:vigil-fileless"
	})
	checkFields(t, e, map[string]any{"vigil.kmod.file_deleted": true, "vigil.kmod.unusual_path": true, "vigil.kmod.params": nil})

	// A file below a mount point: the path crosses it.
	mnt := filepath.Join(t.TempDir(), "mnt")
	if err := os.Mkdir(mnt, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("tmpfs", mnt, "tmpfs", 0, "size=1m"); err != nil {
		needKernel(t, fmt.Sprintf("mount tmpfs: %v", err))
	}
	t.Cleanup(func() {
		if err := unix.Unmount(mnt, 0); err != nil {
			t.Errorf("unmount: %v", err)
		}
	})
	deep := filepath.Join(mnt, "a", "b", "evil.ko")
	if err := os.MkdirAll(filepath.Dir(deep), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(deep, junk, 0o600); err != nil {
		t.Fatal(err)
	}

	// Another process: the helper is this test binary, started as a
	// child.
	cmd := exec.Command(exe, "-test.run=^$", "helper-arg")
	cmd.Env = append(os.Environ(), helperEnv+"="+deep)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper: %v %s", err, out)
	}
	e = c.Take(t, "helper's finit_module failed", func(e event.Event) bool {
		return e.String(event.FieldAction) == kmod.ActionLoadFailed && e.String("vigil.kmod.path") == deep
	})
	checkFields(t, e, map[string]any{
		event.FieldProcessPID:     cmd.Process.Pid,
		"process.parent.pid":      os.Getpid(),
		"process.parent.name":     strings.TrimSpace(string(comm)),
		"vigil.kmod.params":       "from_helper=1",
		"vigil.kmod.unusual_path": true,
	})

	r.Stop(t)
	if n := c.LostCount(); n != 0 {
		t.Errorf("%d lost", n)
	}
	for _, e := range c.All() {
		t.Log(e.String(event.FieldMessage))
		if err := validate(e); err != nil {
			t.Error(err)
		}
	}
	// Nothing left behind: goroutines and descriptors (eBPF programs,
	// maps and links are descriptors).
	fh.Close()
	settle(t, goroutines, fds)
}

// validate checks what every event must carry to be stored.
func validate(e event.Event) error {
	c := event.Event{}
	b, _ := json.Marshal(e)
	_ = json.Unmarshal(b, &c)
	c.Set(event.FieldID, "x")
	c.Set(event.FieldAgentID, "a")
	return c.Validate()
}

// settle waits until goroutines and open files are back to what they
// were.
func settle(t *testing.T, goroutines, fds int) {
	t.Helper()
	deadline := time.Now().Add(sensetest.WaitLimit)
	for {
		g, f := runtime.NumGoroutine(), openFDs(t)
		if g <= goroutines && f <= fds {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("left behind: %d goroutines (was %d), %d files (was %d)", g, goroutines, f, fds)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRealModuleLoad loads and unloads a real, harmless module with
// modprobe where the kernel can load modules.
func TestRealModuleLoad(t *testing.T) {
	if _, err := os.Stat("/proc/modules"); err != nil {
		// Not even CI can change this: the kernel was built without
		// loadable module support.
		t.Skip("this kernel cannot load modules (CONFIG_MODULES off: no /proc/modules)")
	}
	modprobe, err := exec.LookPath("modprobe")
	if err != nil {
		needKernel(t, "modprobe (package kmod) is missing")
	}
	release, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		t.Fatal(err)
	}
	depFile, err := os.Open(filepath.Join("/lib/modules", strings.TrimSpace(string(release)), "modules.dep"))
	if err != nil {
		needKernel(t, fmt.Sprintf("no modules.dep for this kernel: %v", err))
	}
	files, _, err := kmod.ParseModulesDep(depFile)
	depFile.Close()
	if err != nil {
		t.Fatal(err)
	}
	procModules, err := os.Open("/proc/modules")
	if err != nil {
		t.Fatal(err)
	}
	loaded, _, err := kmod.ParseProcModules(procModules)
	procModules.Close()
	if err != nil {
		t.Fatal(err)
	}
	var name string
	for _, cand := range []string{"crc_itu_t", "crc7", "crc8", "crc4"} {
		if _, ok := files[cand]; ok && !slices.ContainsFunc(loaded, func(m kmod.Module) bool { return m.Name == cand }) {
			name = cand
			break
		}
	}
	if name == "" {
		needKernel(t, "no harmless unloaded module (crc_itu_t, crc7, crc8, crc4) to load")
	}
	data := t.TempDir()
	s := tracing(t, data)
	c := &sensetest.Emitter{}
	r := sensetest.Start(s, c)
	t.Cleanup(func() { r.Stop(t) })
	// The programs are attached before the snapshot is written.
	waitFile(t, filepath.Join(data, "state", "kmod.json"), nil, r)
	t.Cleanup(func() { _ = exec.Command(modprobe, "-r", name).Run() })
	if out, err := exec.Command(modprobe, name).CombinedOutput(); err != nil {
		t.Fatalf("modprobe %s: %v %s", name, err, out)
	}
	e := c.Take(t, name+" loaded", named(kmod.ActionLoaded, name))
	checkFields(t, e, map[string]any{
		event.FieldOutcome:          "success",
		"process.name":              "modprobe",
		"process.parent.pid":        os.Getpid(),
		"vigil.kmod.syscall":        "finit_module",
		"vigil.kmod.path_source":    "syscall",
		"vigil.kmod.unusual_path":   false,
		"vigil.kmod.in_modules_dep": true,
	})
	if p := e.String("vigil.kmod.path"); !strings.Contains(p, "/modules/") {
		t.Errorf("path %q", p)
	}
	if out, err := exec.Command(modprobe, "-r", name).CombinedOutput(); err != nil {
		t.Fatalf("modprobe -r %s: %v %s", name, err, out)
	}
	e = c.Take(t, name+" unloaded", named(kmod.ActionUnloaded, name))
	checkFields(t, e, map[string]any{
		"process.name":           "modprobe",
		"vigil.kmod.syscall":     "delete_module",
		"vigil.kmod.init_failed": nil,
	})
}

// waitCounters waits until the counters of s have the values of want.
func waitCounters(t *testing.T, s *kmod.Sensor, want map[string]uint64) {
	t.Helper()
	deadline := time.Now().Add(sensetest.WaitLimit)
	for {
		got := s.Counters()
		ok := true
		for k, v := range want {
			if got[k] != v {
				ok = false
			}
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("counters %v, want %v", got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestUnreadableSnapshot: a saved module table that cannot be read is
// counted, as lost and in snapshot_errors, and replaced.
func TestUnreadableSnapshot(t *testing.T) {
	f := newFixture(t)
	f.write(t, "proc/modules", "vfat 20480 0 - Live 0xffffffffc0310000\n")
	state := filepath.Join(f.data, "state", "kmod.json")
	garbage := []byte("{not json")
	if err := os.MkdirAll(filepath.Dir(state), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(state, garbage, 0o600); err != nil {
		t.Fatal(err)
	}
	c := &sensetest.Emitter{}
	s := f.sensor(t)
	r := sensetest.Start(s, c)
	t.Cleanup(func() { r.Stop(t) })
	waitFile(t, state, garbage, r)
	r.Stop(t)
	waitCounters(t, s, map[string]uint64{"snapshot_errors": 1, "modules": 1})
	if c.LostCount() != 1 || len(c.All()) != 0 {
		t.Errorf("%d lost and %d events, want 1 and none", c.LostCount(), len(c.All()))
	}
}

// TestLostRecordsCounted: while the sensor's events are held up, failed
// module syscalls overflow its ring buffer; the sensor counts the loss
// and, where the kernel has /proc/modules, compares its table with it,
// and reports both in its counters.
func TestLostRecordsCounted(t *testing.T) {
	s := tracing(t, t.TempDir())
	c := &sensetest.Emitter{}
	r := sensetest.Start(s, c)
	t.Cleanup(func() { r.Stop(t) })
	// Attached once an attempt is seen.
	deadline := time.Now().Add(sensetest.WaitLimit)
	for !slices.ContainsFunc(c.All(), named(kmod.ActionUnloadFailed, "vigil_counted")) {
		if time.Now().After(deadline) {
			t.Fatal("no failed unload reported")
		}
		_ = unix.DeleteModule("vigil_counted", unix.O_NONBLOCK)
		time.Sleep(20 * time.Millisecond)
	}
	release := c.Hold()
	// One record holds up the reader; the ring holds about 54 more.
	for range 500 {
		_ = unix.DeleteModule("vigil_counted", unix.O_NONBLOCK)
	}
	release()
	// Without loadable module support there is no table to compare.
	_, err := os.Stat("/proc/modules")
	modules := err == nil
	deadline = time.Now().Add(sensetest.WaitLimit)
	for {
		got := s.Counters()
		if got["lost_records"] > 0 && (got["resyncs"] > 0) == modules {
			if c.LostCount() < got["lost_records"] {
				t.Errorf("%d counted lost through the Emitter, %d in the counters", c.LostCount(), got["lost_records"])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("counters %v after the ring overflowed", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.Stop(t)
}
