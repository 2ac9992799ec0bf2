package proctable

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/procid"
	"github.com/vigilsec/vigil/internal/agent/proctable/exehash"
	"github.com/vigilsec/vigil/internal/agent/proctable/procparse"
	"github.com/vigilsec/vigil/internal/event"
)

// fixture is a host root with a /proc made of files and symlinks.
type fixture struct {
	t    *testing.T
	root string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, root: t.TempDir()}
	f.write("etc/passwd", "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\nnobody:x:65534:65534::/:/usr/sbin/nologin\n")
	f.write("etc/group", "root:x:0:\nalice:x:1000:\nnogroup:x:65534:\n")
	return f
}

func (f *fixture) write(rel, body string) string {
	f.t.Helper()
	p := filepath.Join(f.root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		f.t.Fatal(err)
	}
	return p
}

func (f *fixture) link(rel, target string) {
	f.t.Helper()
	p := filepath.Join(f.root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.Symlink(target, p); err != nil {
		f.t.Fatal(err)
	}
}

// proc describes one fixture process.
type proc struct {
	pid, ppid  int
	comm       string
	ticks      uint64
	uid, euid  int
	args       []string
	exe        string // a file made under the root's bin/
	cwd        string
	loginuid   string
	cgroupFile string // a file of testdata/cgroup
	ttyNr      int
	fds        map[int]string
	kernel     bool
}

func (f *fixture) add(p proc) {
	f.t.Helper()
	dir := fmt.Sprintf("proc/%d/", p.pid)
	flags := 4194560
	if p.kernel {
		flags = 2129984
	}
	f.write(dir+"stat", fmt.Sprintf("%d (%s) S %d %d %d %d -1 %d 0 0 0 0 0 0 0 0 20 0 1 0 %d 0 0\n",
		p.pid, p.comm, p.ppid, p.pid, p.pid, p.ttyNr, flags, p.ticks))
	f.write(dir+"status", fmt.Sprintf("Name:\t%s\nTgid:\t%d\nPid:\t%d\nPPid:\t%d\nUid:\t%d\t%d\t%d\t%d\nGid:\t%d\t%d\t%d\t%d\n",
		p.comm, p.pid, p.pid, p.ppid, p.uid, p.euid, p.euid, p.euid, p.uid, p.uid, p.uid, p.uid))
	if p.kernel {
		f.write(dir+"cmdline", "")
		return
	}
	f.write(dir+"cmdline", strings.Join(p.args, "\x00")+"\x00")
	if p.exe != "" {
		exe := f.write("bin/"+p.exe, "#!/bin/sh\necho "+p.exe+"\n")
		f.link(dir+"exe", exe)
	}
	if p.cwd != "" {
		f.link(dir+"cwd", p.cwd)
	}
	login := p.loginuid
	if login == "" {
		login = "4294967295"
	}
	f.write(dir+"loginuid", login)
	f.write(dir+"sessionid", "4294967295")
	cg := "0::/\n"
	if p.cgroupFile != "" {
		b, err := os.ReadFile(filepath.Join("testdata", "cgroup", p.cgroupFile))
		if err != nil {
			f.t.Fatal(err)
		}
		cg = string(b)
	}
	f.write(dir+"cgroup", cg)
	f.write(dir+"fd/.keep", "")
	for fd, target := range p.fds {
		f.link(fmt.Sprintf("%sfd/%d", dir, fd), target)
	}
	f.write(dir+"net/tcp", "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"+
		"   0: 0100007F:A1B2 0100007F:115C 01 00000000:00000000 00:00000000 00000000     0        0 31337 1 0000000000000000 20 4 30 10 -1\n")
	f.write(dir+"net/tcp6", "header\n")
	f.write(dir+"net/udp", "header\n")
	f.write(dir+"net/udp6", "header\n")
	f.write(dir+"net/unix", "Num       RefCount Protocol Flags    Type St Inode Path\n"+
		"ffff8a0c8a6a3c00: 00000002 00000000 00010000 0001 01 22343 /run/systemd/journal/stdout\n")
}

// tree adds init, a kernel thread, sshd, a shell below it, and a reverse
// shell in a container below the shell.
func (f *fixture) tree() {
	f.add(proc{pid: 1, ppid: 0, comm: "systemd", ticks: 1, args: []string{"/sbin/init"}, exe: "systemd", cwd: "/", cgroupFile: "host"})
	f.add(proc{pid: 2, ppid: 0, comm: "kthreadd", ticks: 1, kernel: true})
	f.add(proc{pid: 700, ppid: 1, comm: "sshd", ticks: 300, args: []string{"sshd: /usr/sbin/sshd -D"}, exe: "sshd", cwd: "/",
		cgroupFile: "host", fds: map[int]string{0: "/dev/null", 1: "socket:[22343]", 2: "socket:[22343]"}})
	f.add(proc{pid: 800, ppid: 700, comm: "bash", ticks: 400, uid: 1000, euid: 1000, args: []string{"-bash"}, exe: "bash",
		cwd: "/home/alice", loginuid: "1000", ttyNr: 136<<8 | 1, cgroupFile: "host",
		fds: map[int]string{0: "/dev/pts/1", 1: "/dev/pts/1", 2: "/dev/pts/1"}})
	f.add(proc{pid: 900, ppid: 800, comm: "sh", ticks: 500, uid: 1000, euid: 0, args: []string{"sh", "-i"}, exe: "sh",
		cwd: "/srv/app", loginuid: "1000", cgroupFile: "docker-v1",
		fds: map[int]string{0: "socket:[31337]", 1: "socket:[31337]", 2: "pipe:[555]"}})
}

func TestSeedAndLookup(t *testing.T) {
	f := newFixture(t)
	f.tree()
	tbl := New(Config{Root: f.root, HostID: "host-1"})
	n, err := tbl.Seed()
	if err != nil || n != 5 {
		t.Fatalf("Seed = %d, %v", n, err)
	}
	sh, ok := tbl.Lookup(900)
	if !ok {
		t.Fatal("pid 900 not found")
	}
	want := &Process{
		EntityID: procid.EntityID("host-1", 900, 500), PID: 900, PPID: 800, ParentEntityID: procid.EntityID("host-1", 800, 400),
		StartTicks: 500, Start: tbl.Clock().FromTicks(500), Name: "sh", Executable: filepath.Join(f.root, "bin/sh"),
		Args: []string{"sh", "-i"}, WorkingDir: "/srv/app", UID: 1000, EUID: 0, GID: 1000, EGID: 1000, AUID: 1000, SessionID: NoID,
		Container: procparse.Container{ID: "4f1d7bd9aa3e4e1bcdbfb4ea7ae0b2b43b2a3b9f8e37a3f1c0c5d88c2c6b1e01", Runtime: "docker"},
		Stdio: []Stdio{
			{FD: 0, Type: "socket", Transport: "tcp", Local: "127.0.0.1:41394", Remote: "127.0.0.1:4444", Inode: 31337},
			{FD: 1, Type: "socket", Transport: "tcp", Local: "127.0.0.1:41394", Remote: "127.0.0.1:4444", Inode: 31337},
			{FD: 2, Type: "pipe", Inode: 555},
		},
	}
	fi, _ := os.Stat(filepath.Join(f.root, "bin/sh"))
	want.Exe, _ = exehash.KeyOf(fi)
	if d := cmp.Diff(want, sh, cmpopts.IgnoreUnexported(Process{})); d != "" {
		t.Errorf("pid 900 (-want +got):\n%s", d)
	}
	if b, _ := tbl.Lookup(800); b.TTY != "pts/1" || b.AUID != 1000 || len(b.Stdio) != 0 || b.Container.ID != "" {
		t.Errorf("bash %+v", b)
	}
	if s, _ := tbl.Lookup(700); len(s.Stdio) != 2 || s.Stdio[0].Transport != "unix" || s.Stdio[0].Local != "/run/systemd/journal/stdout" {
		t.Errorf("sshd stdio %+v", s.Stdio)
	}
	if k, _ := tbl.Lookup(2); !k.KernelThread || k.Executable != "" || len(k.Missing) != 0 {
		t.Errorf("kthreadd %+v", k)
	}
	anc := tbl.Ancestry(sh)
	var pids []int
	for _, a := range anc {
		pids = append(pids, a.PID)
	}
	if !slices.Equal(pids, []int{800, 700, 1}) {
		t.Errorf("ancestry %v", pids)
	}
	if _, ok := tbl.Lookup(4242); ok {
		t.Error("a pid not in /proc was found")
	}
	// A process that appears after the seed is read on demand.
	f.add(proc{pid: 950, ppid: 900, comm: "cat", ticks: 600, args: []string{"cat"}, exe: "cat", cwd: "/srv/app"})
	if c, ok := tbl.Lookup(950); !ok || c.ParentEntityID != sh.EntityID || tbl.Stats().ProcReads != 1 {
		t.Errorf("late process %+v %v stats %+v", c, ok, tbl.Stats())
	}
}

func TestContainerFixtures(t *testing.T) {
	tests := map[string]string{
		"docker-v1":           "4f1d7bd9aa3e4e1bcdbfb4ea7ae0b2b43b2a3b9f8e37a3f1c0c5d88c2c6b1e01",
		"kubepods-containerd": "9a1e2b8f63b5c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5",
		"podman":              "1c5e2b3a4d6f7081928374655647382910abcdef0123456789abcdef01234567",
		"host":                "",
	}
	f := newFixture(t)
	pid := 100
	pids := map[string]int{}
	for file := range tests {
		pid++
		pids[file] = pid
		f.add(proc{pid: pid, ppid: 1, comm: "x", ticks: 10, args: []string{"x"}, exe: fmt.Sprint("x", pid), cwd: "/", cgroupFile: file})
	}
	tbl := New(Config{Root: f.root, HostID: "h"})
	for file, id := range tests {
		p, ok := tbl.Lookup(pids[file])
		if !ok || p.Container.ID != id {
			t.Errorf("%s: container %+v", file, p.Container)
		}
	}
	if p, _ := tbl.Lookup(pids["kubepods-containerd"]); p.Container.Runtime != "containerd" || p.Container.PodUID != "0b8a3c3e-5d36-4a8c-9b6e-2a7c0c3c0c9d" {
		t.Errorf("kubepods: %+v", p.Container)
	}
}

// collector is a plugin.Emitter for the stream tests.
type collector struct {
	mu     sync.Mutex
	events []event.Event
}

func (c *collector) Emit(e event.Event) { c.mu.Lock(); c.events = append(c.events, e); c.mu.Unlock() }
func (c *collector) Lost(uint64)        {}

func (c *collector) actions() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, e := range c.events {
		out = append(out, fmt.Sprintf("%s:%s", e.String("event.action"), e.String("process.pid")))
	}
	return out
}

// TestStream: forks folded into their exec, forks without exec emitted
// after the window and before their exit, exec events with hash, parent
// and ancestry, exits with code and signal, in order.
func TestStream(t *testing.T) {
	f := newFixture(t)
	f.tree()
	tbl := New(Config{Root: f.root, HostID: "h"})
	if _, err := tbl.Seed(); err != nil {
		t.Fatal(err)
	}
	out := &collector{}
	s := tbl.NewStream(StreamConfig{Dataset: "exec/test", ForkWindow: time.Hour}, out)
	sh, _ := tbl.Get(900)
	at := time.Now()

	// sh forks 1001, which execs cat; sh forks 1002, which exits 7.
	c1 := tbl.ForkChild(sh, 1001, 900, 700, tbl.Clock().FromTicks(700))
	s.Fork(at, c1)
	exe := f.write("bin/cat", "cat binary") // /bin/cat below the root
	fi, _ := os.Stat(exe)
	key, _ := exehash.KeyOf(fi)
	img := c1.clone()
	img.Executable, img.Args, img.Name, img.Exe = "/bin/cat", []string{"cat", "/etc/shadow"}, "cat", key
	s.Exec(at, img)
	c2 := tbl.ForkChild(sh, 1002, 900, 710, tbl.Clock().FromTicks(710))
	s.Fork(at, c2)
	s.Exit(at.Add(time.Second), 1002, c2.EntityID, ExitStatus(7<<8), nil)
	// A second thread of 1002 that also looked like the last one.
	s.Exit(at.Add(time.Second), 1002, c2.EntityID, ExitStatus(7<<8), &Process{PID: 1002, EntityID: c2.EntityID})
	s.Exit(at.Add(2*time.Second), 1001, c1.EntityID, ExitStatus(9), nil)
	// A fork that waits past the window.
	c3 := tbl.ForkChild(sh, 1003, 900, 720, tbl.Clock().FromTicks(720))
	s.Fork(at, c3)
	s.Tick(time.Now().Add(2 * time.Hour))
	// The exit of a process the table never knew.
	s.Exit(at, 4242, "", 0, &Process{PID: 4242, EntityID: "x", Name: "ghost", AUID: NoID, SessionID: NoID, Missing: []string{FieldExecutable}})
	s.Close()

	wantOrder := []string{"exec:1001", "fork:1002", "exit:1002", "exit:1001", "fork:1003", "exit:4242"}
	if d := cmp.Diff(wantOrder, out.actions()); d != "" {
		t.Fatalf("events (-want +got):\n%s", d)
	}
	st := s.Stats()
	if st.ForksFolded != 1 || st.Exec != 1 || st.Fork != 3 || st.Exit != 3 || st.Emitted != 6 || st.Incomplete != 1 {
		t.Errorf("stats %+v", st)
	}
	exec, fork, exit7, exit9, ghost := out.events[0], out.events[1], out.events[2], out.events[3], out.events[5]
	sum := sha256.Sum256([]byte("cat binary"))
	checks := []struct {
		e      event.Event
		fields map[string]string
	}{
		{exec, map[string]string{"process.hash.sha256": hex.EncodeToString(sum[:]), "process.parent.pid": "900",
			"process.parent.entity_id": sh.EntityID, "process.parent.executable": sh.Executable, "process.command_line": "cat /etc/shadow",
			"process.user.name": "root", "process.real_user.name": "alice", "user.audit.name": "alice", "user.audit.id": "1000",
			"container.id": sh.Container.ID, "event.dataset": "exec/test", "process.working_directory": "/srv/app",
			"message": "sh (pid 1001) executed cat /etc/shadow"}},
		{fork, map[string]string{"process.parent.pid": "900", "process.executable": sh.Executable, "message": "sh (pid 900) forked pid 1002"}},
		{exit7, map[string]string{"process.exit_code": "7", "message": "sh (pid 1002) exited with code 7"}},
		{exit9, map[string]string{"process.exit_code": "137", "vigil.process.exit_signal": "SIGKILL", "process.executable": "/bin/cat"}},
		{ghost, map[string]string{"process.name": "ghost", "vigil.process.incomplete": "true"}},
	}
	for i, c := range checks {
		for path, v := range c.fields {
			if got := c.e.String(path); got != v {
				t.Errorf("event %d: %s = %q, want %q", i, path, got, v)
			}
		}
	}
	prev, _ := exec.Get("process.previous")
	if b, _ := json.Marshal(prev); !strings.Contains(string(b), `"executable":"`+sh.Executable) {
		t.Errorf("process.previous %s", b)
	}
	anc, _ := exec.Get("process.ancestry")
	if b, _ := json.Marshal(anc); strings.Count(string(b), "entity_id") != 4 {
		t.Errorf("ancestry %s", b)
	}
	for _, e := range out.events {
		e.Set(event.FieldID, "x")
		e.Set(event.FieldAgentID, "a")
		b, _ := json.Marshal(e)
		if _, err := event.Decode(b); err != nil {
			t.Errorf("%v: %s", err, b)
		}
	}
}

// TestParentUser: process.parent carries the parent's effective and real
// user as the table knows them when the event is made, also after the
// parent changed its ids without an exec.
func TestParentUser(t *testing.T) {
	f := newFixture(t)
	f.tree()
	tbl := New(Config{Root: f.root, HostID: "h"})
	if _, err := tbl.Seed(); err != nil {
		t.Fatal(err)
	}
	// run makes parent fork pid and the child exec id as uid (real and
	// effective), and returns the exec event.
	run := func(parent *Process, pid int, uid uint32) event.Event {
		child := tbl.ForkChild(parent, pid, parent.PID, uint64(pid), tbl.Clock().FromTicks(uint64(pid)))
		child.Executable, child.Args, child.Name, child.UID, child.EUID = "/usr/bin/id", []string{"id"}, "id", uid, uid
		tbl.Put(child)
		return tbl.ExecEvent("exec/test", time.Now(), child, parent)
	}
	sh, _ := tbl.Get(900) // real uid alice, effective root
	annotated := event.Event{}
	if _, ok := tbl.Annotate(annotated, 900); !ok {
		t.Fatal("Annotate found nothing")
	}
	asRoot := run(sh, 1001, 0)
	if !tbl.Update(900, "", func(p *Process) { p.EUID = 1000 }) { // seteuid(1000), no exec
		t.Fatal("Update found nothing")
	}
	sh, _ = tbl.Get(900)
	dropped := run(sh, 1002, 1000)
	noUser := &Process{PID: 950, PPID: 1, EntityID: "no-user", Name: "ghost", AUID: NoID, SessionID: NoID, Missing: []string{FieldUser}}
	tbl.Put(noUser)
	unknown := run(noUser, 1003, 0)

	for _, tt := range []struct {
		name   string
		e      event.Event
		want   map[string]string
		absent []string
	}{
		{"a shell of alice's, annotated", annotated, map[string]string{
			"process.parent.pid": "800", "process.parent.user.id": "1000", "process.parent.user.name": "alice",
			"process.parent.real_user.id": "1000", "process.parent.real_user.name": "alice",
		}, nil},
		{"a root child of a setuid parent", asRoot, map[string]string{
			"process.user.id": "0", "process.parent.pid": "900", "process.parent.user.id": "0",
			"process.parent.user.name": "root", "process.parent.real_user.id": "1000", "process.parent.real_user.name": "alice",
		}, nil},
		{"a child after the parent dropped its ids", dropped, map[string]string{
			"process.user.id": "1000", "process.parent.pid": "900", "process.parent.user.id": "1000",
			"process.parent.user.name": "alice", "process.parent.real_user.id": "1000",
		}, nil},
		{"a parent whose ids could not be read", unknown, map[string]string{
			"process.parent.pid": "950", "process.parent.name": "ghost",
		}, []string{"process.parent.user", "process.parent.real_user"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for path, v := range tt.want {
				if got := tt.e.String(path); got != v {
					t.Errorf("%s = %q, want %q", path, got, v)
				}
			}
			for _, path := range tt.absent {
				if v, ok := tt.e.Get(path); ok {
					t.Errorf("%s = %v, want it absent", path, v)
				}
			}
		})
	}
}

func TestBounds(t *testing.T) {
	f := newFixture(t)
	tbl := New(Config{Root: f.root, HostID: "h", MaxProcesses: 10, MaxExited: 3, ExitedRetention: time.Minute})
	for pid := 100; pid < 120; pid++ {
		tbl.Put(&Process{PID: pid, EntityID: fmt.Sprint("e", pid), AUID: NoID, SessionID: NoID})
	}
	if st := tbl.Stats(); st.Live > 10 || st.Evicted+st.Swept < 10 {
		t.Errorf("live %d after 20 puts with a bound of 10: %+v", st.Live, st)
	}
	// Exits beyond MaxExited drop the oldest.
	f.add(proc{pid: 500, ppid: 1, comm: "a", ticks: 5, args: []string{"a"}, exe: "a", cwd: "/"})
	for i := range 5 {
		p := &Process{PID: 500 + i, EntityID: fmt.Sprint("x", i), AUID: NoID, SessionID: NoID}
		tbl.Put(p)
		if _, ok := tbl.Exit(p.PID, p.EntityID, time.Now(), 0); !ok {
			t.Fatalf("exit of %d not found", p.PID)
		}
	}
	if _, ok := tbl.LookupEntity("x0"); ok {
		t.Error("the oldest exited process is still kept beyond MaxExited")
	}
	if p, ok := tbl.LookupEntity("x4"); !ok || !p.Exited {
		t.Error("the latest exited process is not kept")
	}
	if p, ok := tbl.LastExited(504, time.Now().Add(-time.Minute)); !ok || p.EntityID != "x4" {
		t.Errorf("LastExited(504) = %+v, %v; want x4", p, ok)
	}
	if _, ok := tbl.LastExited(504, time.Now().Add(time.Minute)); ok {
		t.Error("LastExited found a process that ended before the time asked")
	}
	if _, ok := tbl.LastExited(500, time.Time{}); ok {
		t.Error("LastExited found a process beyond MaxExited")
	}
	if _, ok := tbl.LastExited(100, time.Time{}); ok {
		t.Error("LastExited found a process the table no longer keeps")
	}
	tbl.Maintain(time.Now().Add(2 * time.Minute))
	if _, ok := tbl.LookupEntity("x4"); ok {
		t.Error("an exited process kept past its retention")
	}
	// The sweep retires live processes /proc does not show; a late exit
	// without an entity id still finds them.
	if st := tbl.Stats(); st.Live != 0 || st.Swept == 0 {
		t.Errorf("after the sweep: %+v", st)
	}
	found := 0
	for pid := 100; pid < 120; pid++ {
		retired, wasRetired := tbl.Retired(pid)
		if wasRetired && (retired.EntityID != fmt.Sprint("e", pid) || !retired.End.IsZero()) {
			t.Errorf("retired process of pid %d: %+v", pid, retired)
		}
		if p, ok := tbl.Exit(pid, "", time.Now(), 0); ok {
			found++
			if !wasRetired {
				t.Errorf("pid %d: a late exit found a process that Retired did not", pid)
			}
			if _, still := tbl.Retired(pid); still {
				t.Errorf("pid %d: still retired without an exit after its exit", pid)
			}
			if p.EntityID != fmt.Sprint("e", pid) || p.End.IsZero() {
				t.Errorf("late exit of %d: %+v", pid, p)
			}
			if _, again := tbl.Exit(pid, "", time.Now(), 0); again {
				t.Errorf("a second exit of %d found the same process", pid)
			}
		}
	}
	if found == 0 {
		t.Error("no swept process found by its late exit")
	}
}

func TestPIDReuse(t *testing.T) {
	tbl := New(Config{Root: t.TempDir(), HostID: "h"})
	a := &Process{PID: 7, EntityID: "a", AUID: NoID, SessionID: NoID}
	b := &Process{PID: 7, EntityID: "b", AUID: NoID, SessionID: NoID}
	tbl.Put(a)
	tbl.Put(b)
	if p, _ := tbl.Get(7); p.EntityID != "b" {
		t.Errorf("pid 7 is %s", p.EntityID)
	}
	if p, ok := tbl.LookupEntity("a"); !ok || !p.Exited {
		t.Error("the first process of the pid is not kept as exited")
	}
	if _, ok := tbl.Exit(7, "a", time.Now(), 0); !ok {
		t.Error("a late exit of the first process is not recognized")
	}
	if p, _ := tbl.Get(7); p.EntityID != "b" {
		t.Error("a late exit of the first process ended the second")
	}
}

func TestProcessesAndAnnotate(t *testing.T) {
	f := newFixture(t)
	f.tree()
	tbl := New(Config{Root: f.root, HostID: "h"})
	if _, err := tbl.Seed(); err != nil {
		t.Fatal(err)
	}
	list := tbl.Processes()
	if len(list) != 5 || list[0].PID != 1 || list[4].PID != 900 {
		t.Fatalf("listed %+v", list)
	}
	sh := list[4]
	if sh.User != "root" || sh.UID != 1000 || sh.EUID != 0 || sh.LoginUser != "alice" || sh.ContainerID == "" ||
		!slices.Equal(sh.Stdio, []string{"socket:tcp 127.0.0.1:41394->127.0.0.1:4444", "socket:tcp 127.0.0.1:41394->127.0.0.1:4444", "pipe"}) {
		t.Errorf("sh %+v", sh)
	}
	// The hash is computed in the background and listed once known.
	deadline := time.Now().Add(20 * time.Second)
	for tbl.Processes()[4].SHA256 == "" {
		if time.Now().After(deadline) {
			t.Fatal("no hash listed")
		}
		time.Sleep(20 * time.Millisecond)
	}
	e := event.Event{}
	if p, ok := tbl.Annotate(e, 900); !ok || p.PID != 900 {
		t.Fatal("Annotate found nothing")
	}
	for path, v := range map[string]string{"process.pid": "900", "process.parent.pid": "800", "user.name": "root",
		"container.runtime": "docker", "process.tty.name": ""} {
		if got := e.String(path); got != v {
			t.Errorf("annotated %s = %q, want %q", path, got, v)
		}
	}
	if _, ok := tbl.Annotate(event.Event{}, 31000); ok {
		t.Error("annotated an unknown pid")
	}
}

func TestSettings(t *testing.T) {
	var s Settings
	if err := plugin.DecodeSettings([]byte(`{"fork_events":"all","fork_window":"250ms","hash_wait":"0s","hash_max_mib":8}`), &s); err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	c := s.StreamConfig("exec/x")
	if c.Fork != ForkAll || c.ForkWindow != 250*time.Millisecond || c.HashWait != time.Nanosecond || c.Dataset != "exec/x" {
		t.Errorf("stream config %+v", c)
	}
	if c := (Settings{}).StreamConfig("d"); c.HashWait != DefaultHashWait || c.Fork != "" {
		t.Errorf("defaults %+v", c)
	}
}

func TestExitStatus(t *testing.T) {
	tests := []struct {
		s          ExitStatus
		code, sig  int
		signaled   bool
		signalName string
	}{
		{0, 0, 0, false, ""}, {3 << 8, 3, 0, false, ""}, {9, 137, 9, true, "SIGKILL"}, {15 | 0x80, 143, 15, true, "SIGTERM"},
	}
	for _, tt := range tests {
		if tt.s.Code() != tt.code || tt.s.Signal() != tt.sig || tt.s.Signaled() != tt.signaled {
			t.Errorf("%#x: code %d signal %d", uint32(tt.s), tt.s.Code(), tt.s.Signal())
		}
		if tt.signaled && signalName(tt.sig) != tt.signalName {
			t.Errorf("signal %d named %s", tt.sig, signalName(tt.sig))
		}
	}
	if signalName(99) != "SIG99" {
		t.Error(signalName(99))
	}
}

func TestClip(t *testing.T) {
	for in, want := range map[string]string{"abc": "abc", "abcdef": "abcd...", "ab日本": "ab...", "日本語": "日..."} {
		if got := clip(in, 4); got != want {
			t.Errorf("clip(%q) = %q, want %q", in, got, want)
		}
	}
}

// BenchmarkExecEvent measures the exec event of a child of a process the
// table knows: each exec is a new image with a lineage of its own, whose
// process.parent object (with the parent's users) is the parent's, made
// once and shared.
func BenchmarkExecEvent(b *testing.B) {
	tbl := New(Config{Root: "/", HostID: "bench"})
	if _, err := tbl.Seed(); err != nil {
		b.Fatal(err)
	}
	parent, ok := tbl.Lookup(os.Getpid())
	if !ok {
		b.Fatal("this process is not in the table")
	}
	child := tbl.ForkChild(parent, 1_000_000, parent.PID, 1, parent.Start)
	tbl.Put(child)
	b.ReportAllocs()
	for b.Loop() {
		img := child.clone()
		img.lineage = &lineage{}
		e := tbl.ExecEvent("bench", parent.Start, img, child)
		if _, ok := e.Get("process.parent.user.id"); !ok {
			b.Fatal("no process.parent.user.id")
		}
	}
}
