package procparse

import (
	"errors"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Stat
		bad  bool
	}{
		{
			name: "plain",
			in:   "812 (nginx) S 1 812 812 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 4711 1000 10 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n",
			want: Stat{PID: 812, Comm: "nginx", State: 'S', PPID: 1, PGRP: 812, Session: 812, TTYNr: 0, Flags: 4194560, StartTicks: 4711},
		},
		{
			name: "name with spaces and parentheses",
			in:   "77 (a (b) c) R 5 77 3 34817 77 4194304 0 0 0 0 0 0 0 0 20 0 1 0 99 0 0",
			want: Stat{PID: 77, Comm: "a (b) c", State: 'R', PPID: 5, PGRP: 77, Session: 3, TTYNr: 34817, Flags: 4194304, StartTicks: 99},
		},
		{name: "kernel thread", in: "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 1 0 0",
			want: Stat{PID: 2, Comm: "kthreadd", State: 'S', Flags: 2129984, StartTicks: 1}},
		{name: "empty", in: "", bad: true},
		{name: "no name", in: "5 S 1 2 3", bad: true},
		{name: "short", in: "5 (x) S 1 2 3", bad: true},
		{name: "bad pid", in: "x (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 9 0 0", bad: true},
		{name: "bad start", in: "5 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 -9 0 0", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseStat([]byte(tt.in))
			if tt.bad {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("err = %v, want ErrMalformed", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
	if s, _ := ParseStat([]byte(tests[2].in)); !s.IsKernelThread() {
		t.Error("kthreadd is not a kernel thread")
	}
}

// TestParseOwnFiles parses this process's real /proc files.
func TestParseOwnFiles(t *testing.T) {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		t.Skip("no /proc")
	}
	st, err := ParseStat(b)
	if err != nil || st.PID != os.Getpid() || st.PPID != os.Getppid() || st.StartTicks == 0 {
		t.Errorf("stat %+v, %v", st, err)
	}
	b, _ = os.ReadFile("/proc/self/status")
	status, err := ParseStatus(b)
	if err != nil || status.Tgid != os.Getpid() || status.UID[0] != uint32(os.Getuid()) || status.GID[1] != uint32(os.Getegid()) {
		t.Errorf("status %+v, %v", status, err)
	}
	b, _ = os.ReadFile("/proc/self/cmdline")
	args, trunc := ParseArgs(b, 0)
	if d := cmp.Diff(os.Args, args); d != "" || trunc {
		t.Errorf("cmdline (-want +got):\n%s", d)
	}
	b, _ = os.ReadFile("/proc/self/cgroup")
	if _, err := ParseCgroup(b); err != nil {
		t.Error(err)
	}
}

func TestParseStatus(t *testing.T) {
	in := "Name:\tpasswd\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t900\nNgid:\t0\nPid:\t900\nPPid:\t899\n" +
		"Uid:\t65534\t0\t0\t0\nGid:\t65534\t65534\t65534\t65534\nGroups:\t\n"
	got, err := ParseStatus([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := Status{Tgid: 900, PPID: 899, UID: [4]uint32{65534, 0, 0, 0}, GID: [4]uint32{65534, 65534, 65534, 65534}}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	for _, bad := range []string{"", "Tgid:\t1\n", "Tgid:\t1\nPPid:\t0\nUid:\t0\t0\nGid:\t0\t0\t0\t0\n", "Tgid:\tx\nPPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n"} {
		if _, err := ParseStatus([]byte(bad)); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseStatus(%q) = %v, want ErrMalformed", bad, err)
		}
	}
}

func TestParseID(t *testing.T) {
	for in, want := range map[string]uint32{"1000": 1000, "4294967295": NoID, "0\n": 0} {
		if got, err := ParseID([]byte(in)); err != nil || got != want {
			t.Errorf("ParseID(%q) = %d, %v", in, got, err)
		}
	}
	if _, err := ParseID([]byte("-1")); !errors.Is(err, ErrMalformed) {
		t.Errorf("ParseID(-1) = %v", err)
	}
}

func TestParseArgs(t *testing.T) {
	tests := []struct {
		in    string
		max   int
		want  []string
		trunc bool
	}{
		{"", 0, nil, false},
		{"\x00", 0, []string{""}, false},
		{"/bin/sh\x00-c\x00echo hi\x00", 0, []string{"/bin/sh", "-c", "echo hi"}, false},
		{"nginx: worker process", 0, []string{"nginx: worker process"}, false},
		{"a\x00\x00b", 0, []string{"a", "", "b"}, false},
		{"a\x00b\x00c\x00", 2, []string{"a", "b"}, true},
	}
	for _, tt := range tests {
		got, trunc := ParseArgs([]byte(tt.in), tt.max)
		if d := cmp.Diff(tt.want, got); d != "" || trunc != tt.trunc {
			t.Errorf("ParseArgs(%q): trunc %v (-want +got):\n%s", tt.in, trunc, d)
		}
	}
}

func TestContainerFromPath(t *testing.T) {
	const id = "4f1d7bd9aa3e4e1bcdbfb4ea7ae0b2b43b2a3b9f8e37a3f1c0c5d88c2c6b1e01"
	const pod = "0b8a3c3e-5d36-4a8c-9b6e-2a7c0c3c0c9d"
	podSys := "kubepods-burstable-pod0b8a3c3e_5d36_4a8c_9b6e_2a7c0c3c0c9d.slice"
	tests := []struct {
		path string
		want Container
		ok   bool
	}{
		{"/system.slice/docker-" + id + ".scope", Container{ID: id, Runtime: RuntimeDocker}, true},
		{"/docker/" + id, Container{ID: id, Runtime: RuntimeDocker}, true},
		{"/docker/" + id + "/docker/" + id[:63] + "f", Container{ID: id[:63] + "f", Runtime: RuntimeDocker}, true},
		{"/system.slice/containerd.service/kubepods-besteffort-pod" + "x.slice:cri-containerd:" + id, Container{}, false},
		{"/kubepods.slice/kubepods-burstable.slice/" + podSys + "/cri-containerd-" + id + ".scope",
			Container{ID: id, Runtime: RuntimeContainerd, PodUID: pod}, true},
		{"/kubepods.slice/kubepods-burstable.slice/" + podSys + "/crio-" + id + ".scope",
			Container{ID: id, Runtime: RuntimeCRIO, PodUID: pod}, true},
		{"/kubepods.slice/kubepods-burstable.slice/" + podSys + "/crio-conmon-" + id + ".scope", Container{}, false},
		{"/kubepods/burstable/pod" + pod + "/" + id, Container{ID: id, Runtime: RuntimeKubernetes, PodUID: pod}, true},
		{"/kubepods/pod" + pod + "/" + id, Container{ID: id, Runtime: RuntimeKubernetes, PodUID: pod}, true},
		{"/machine.slice/libpod-" + id + ".scope/container", Container{ID: id, Runtime: RuntimePodman}, true},
		{"/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + id + ".scope", Container{ID: id, Runtime: RuntimePodman}, true},
		{"/machine.slice/libpod-conmon-" + id + ".scope", Container{}, false},
		{"/libpod_parent/libpod-" + id, Container{ID: id, Runtime: RuntimePodman}, true},
		{"/", Container{}, false},
		{"/user.slice/user-0.slice/session-3.scope", Container{}, false},
		{"/process_api/20e22407938ed447106e369a5dae1fe4", Container{}, false},
		{"/" + id, Container{}, false},
		{"/docker/" + id[:60], Container{}, false},
		{"/docker-" + string([]byte(id)[:63]) + "G.scope", Container{}, false},
	}
	for _, tt := range tests {
		got, ok := ContainerFromPath(tt.path)
		if ok != tt.ok || got != tt.want {
			t.Errorf("ContainerFromPath(%q) = %+v, %v; want %+v, %v", tt.path, got, ok, tt.want, tt.ok)
		}
	}
}

func TestContainerFromCgroup(t *testing.T) {
	const id = "4f1d7bd9aa3e4e1bcdbfb4ea7ae0b2b43b2a3b9f8e37a3f1c0c5d88c2c6b1e01"
	v1 := "12:pids:/docker/" + id + "\n4:memory:/docker/" + id + "\n1:name=systemd:/docker/" + id + "\n0::/\n"
	c, ok, err := ContainerFromCgroup([]byte(v1))
	if err != nil || !ok || c.ID != id || c.Runtime != RuntimeDocker {
		t.Errorf("v1: %+v %v %v", c, ok, err)
	}
	v2 := "0::/system.slice/docker-" + id + ".scope\n"
	if c, ok, err := ContainerFromCgroup([]byte(v2)); err != nil || !ok || c.ID != id {
		t.Errorf("v2: %+v %v %v", c, ok, err)
	}
	if _, ok, err := ContainerFromCgroup([]byte("0::/init.scope\n")); ok || err != nil {
		t.Errorf("host: %v %v", ok, err)
	}
	if _, _, err := ContainerFromCgroup([]byte("garbage\n")); !errors.Is(err, ErrMalformed) {
		t.Errorf("garbage: %v", err)
	}
}

func TestParseFDLink(t *testing.T) {
	tests := []struct {
		in   string
		kind string
		ino  uint64
	}{
		{"socket:[12345]", FDSocket, 12345},
		{"pipe:[77]", FDPipe, 77},
		{"/dev/pts/0", FDOther, 0},
		{"anon_inode:[eventfd]", FDOther, 0},
		{"socket:[12", FDOther, 0},
		{"socket:[x]", FDOther, 0},
	}
	for _, tt := range tests {
		if k, ino := ParseFDLink(tt.in); k != tt.kind || ino != tt.ino {
			t.Errorf("ParseFDLink(%q) = %s %d", tt.in, k, ino)
		}
	}
}

func TestTTYName(t *testing.T) {
	mk := func(major, minor uint32) uint32 { return (minor & 0xff) | (major&0xfff)<<8 | (minor&^0xff)<<12 }
	tests := map[uint32]string{0: "", mk(136, 3): "pts/3", mk(137, 1): "pts/257", mk(136, 300): "pts/300",
		mk(4, 1): "tty1", mk(4, 64): "ttyS0", mk(5, 1): "console", mk(5, 0): "tty", mk(1, 3): ""}
	for nr, want := range tests {
		if got := TTYName(nr); got != want {
			t.Errorf("TTYName(%#x) = %q, want %q", nr, got, want)
		}
	}
	for in, want := range map[string]string{"pts3": "pts/3", "tty1": "tty1", "pts": "pts", "ptsx": "ptsx"} {
		if got := KernelTTYName(in); got != want {
			t.Errorf("KernelTTYName(%q) = %q", in, got)
		}
	}
}

const tcpTable = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 20422 1 0000000000000000 100 0 0 10 0
   1: 0100007F:A1B2 0100007F:115C 01 00000000:00000000 00:00000000 00000000     0        0 31337 1 0000000000000000 20 4 30 10 -1
`

const tcp6Table = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0000000000000000 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:D431 0000000000000000FFFF00000100007F:115C 01 00000000:00000000 00:00000000 00000000     0        0 222 1 0000000000000000 20 4 30 10 -1
`

func TestFindInetSocket(t *testing.T) {
	s, ok, err := FindInetSocket([]byte(tcpTable), false, 31337)
	if err != nil || !ok {
		t.Fatalf("found %v, err %v", ok, err)
	}
	want := InetSocket{Local: netip.MustParseAddrPort("127.0.0.1:41394"), Remote: netip.MustParseAddrPort("127.0.0.1:4444"), State: 1, Inode: 31337}
	if s != want {
		t.Errorf("got %+v, want %+v", s, want)
	}
	if _, ok, _ := FindInetSocket([]byte(tcpTable), false, 1); ok {
		t.Error("found an inode that is not there")
	}
	s, ok, err = FindInetSocket([]byte(tcp6Table), true, 111)
	if err != nil || !ok || s.Local != netip.MustParseAddrPort("[::1]:22") || s.State != 10 {
		t.Errorf("tcp6 ::1: %+v %v %v", s, ok, err)
	}
	s, ok, err = FindInetSocket([]byte(tcp6Table), true, 222)
	if err != nil || !ok || s.Remote != netip.MustParseAddrPort("127.0.0.1:4444") {
		t.Errorf("tcp6 mapped: %+v %v %v", s, ok, err)
	}
	bad := tcpTable[:strings.Index(tcpTable, "\n")+1] + "   0: zz:0CEA 00000000:0000 0A 0 0 0 0 0 5\n" + tcpTable[strings.Index(tcpTable, "\n")+1:]
	s, ok, err = FindInetSocket([]byte(bad), false, 31337)
	if !ok || !errors.Is(err, ErrMalformed) || s.Inode != 31337 {
		t.Errorf("a bad line: %+v %v %v", s, ok, err)
	}
	// Read a real table of this process's network namespace, if any.
	if b, err := os.ReadFile("/proc/self/net/tcp"); err == nil {
		if _, _, err := FindInetSocket(b, false, 0); err != nil {
			t.Errorf("real tcp table: %v", err)
		}
	}
}

const unixTable = `Num       RefCount Protocol Flags    Type St Inode Path
ffff8a0c8a6a3c00: 00000002 00000000 00010000 0001 01 22343 /run/systemd/journal/stdout
ffff8a0c8a6a3800: 00000003 00000000 00000000 0001 03 22400
ffff8a0c8a6a4000: 00000002 00000000 00010000 0001 01 22500 @/tmp/.X11-unix/X0
ffff8a0c8a6a4400: 00000002 00000000 00010000 0002 01 22600 /run/a path with spaces
`

func TestFindUnixSocket(t *testing.T) {
	tests := []struct {
		ino  uint64
		want UnixSocket
	}{
		{22343, UnixSocket{Type: 1, State: 1, Inode: 22343, Path: "/run/systemd/journal/stdout"}},
		{22400, UnixSocket{Type: 1, State: 3, Inode: 22400}},
		{22500, UnixSocket{Type: 1, State: 1, Inode: 22500, Path: "@/tmp/.X11-unix/X0"}},
		{22600, UnixSocket{Type: 2, State: 1, Inode: 22600, Path: "/run/a path with spaces"}},
	}
	for _, tt := range tests {
		got, ok, err := FindUnixSocket([]byte(unixTable), tt.ino)
		if err != nil || !ok || got != tt.want {
			t.Errorf("inode %d: %+v %v %v", tt.ino, got, ok, err)
		}
	}
	if _, ok, err := FindUnixSocket([]byte(unixTable+"bad line\n"), 1); ok || !errors.Is(err, ErrMalformed) {
		t.Errorf("bad line: %v %v", ok, err)
	}
	if b, err := os.ReadFile("/proc/self/net/unix"); err == nil {
		if _, _, err := FindUnixSocket(b, 0); err != nil {
			t.Errorf("real unix table: %v", err)
		}
	}
}
