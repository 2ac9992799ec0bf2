package ebpf

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/vigilsec/vigil/internal/agent/proctable"
)

// rawExec builds an exec record the way exec.bpf.c lays it out.
func rawExec(pid uint32, exe, cwd, args string, tail []byte) []byte {
	b := make([]byte, execHeaderSize)
	binary.LittleEndian.PutUint32(b[0:], recordExec)
	binary.LittleEndian.PutUint64(b[16:], 5_000_000_000)
	binary.LittleEndian.PutUint64(b[24:], 1_000_000_000)
	binary.LittleEndian.PutUint64(b[32:], 1234)
	binary.LittleEndian.PutUint64(b[40:], 100)
	binary.LittleEndian.PutUint32(b[64:], pid)
	binary.LittleEndian.PutUint32(b[72:], 1)
	binary.LittleEndian.PutUint32(b[76:], 1000)
	binary.LittleEndian.PutUint32(b[84:], 0)
	binary.LittleEndian.PutUint32(b[92:], 1000)
	binary.LittleEndian.PutUint32(b[96:], 3)
	binary.LittleEndian.PutUint32(b[100:], 8<<20|1) // major 8, minor 1
	binary.LittleEndian.PutUint32(b[104:], 0o104755)
	binary.LittleEndian.PutUint16(b[116:], uint16(len(exe)))
	binary.LittleEndian.PutUint16(b[118:], uint16(len(cwd)))
	binary.LittleEndian.PutUint16(b[120:], uint16(len(args)))
	filename := "passwd" // a relative path, as a shell in /usr/bin would pass it
	binary.LittleEndian.PutUint16(b[124:], uint16(len(filename)))
	data := exe + cwd + args + filename + string(tail)
	binary.LittleEndian.PutUint16(b[122:], uint16(len(data)))
	copy(b[128:], "passwd")
	copy(b[144:], "pts7")
	copy(b[176:], "docker-4f1d7bd9aa3e4e1bcdbfb4ea7ae0b2b43b2a3b9f8e37a3f1c0c5d88c2c6b1e01.scope")
	copy(b[304:], "system.slice")
	// fd 0: a tcp6 socket to a v4-mapped peer.
	o := b[stdioOffset:]
	binary.LittleEndian.PutUint64(o[0:], 777)
	o[8] = stdioSocket
	binary.LittleEndian.PutUint16(o[12:], afInet6)
	binary.LittleEndian.PutUint16(o[14:], sockStream)
	binary.LittleEndian.PutUint16(o[16:], ipprotoTCP)
	binary.LittleEndian.PutUint16(o[18:], 40000)
	binary.LittleEndian.PutUint16(o[20:], 4444)
	copy(o[24:], []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 5})
	copy(o[40:], []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 203, 0, 113, 9})
	// fd 1: a pipe; fd 2: a file.
	b[stdioOffset+stdioSize+8] = stdioPipe
	b[stdioOffset+2*stdioSize+8] = stdioOther
	return append(b, data...)
}

func TestExecProcess(t *testing.T) {
	tbl := proctable.New(proctable.Config{Root: t.TempDir(), HostID: "h"})
	var r execRecord
	raw := rawExec(42, "/usr/bin/passwd", "/home/alice", "passwd\x00--help\x00", nil)
	if err := decodeExec(raw, &r); err != nil {
		t.Fatal(err)
	}
	p := execProcess(tbl, &r)
	if p.PID != 42 || p.PPID != 1 || p.EntityID != tbl.EntityID(42, 500) || p.ParentEntityID != tbl.EntityID(1, 100) {
		t.Errorf("identity %+v", p)
	}
	if p.Executable != "/usr/bin/passwd" || p.ExecPath != "passwd" || p.WorkingDir != "/home/alice" || len(p.Args) != 2 || p.Args[1] != "--help" {
		t.Errorf("image %q %q %q", p.Executable, p.WorkingDir, p.Args)
	}
	if p.UID != 1000 || p.EUID != 0 || p.AUID != 1000 || p.SessionID != 3 || p.TTY != "pts/7" || p.Name != "passwd" {
		t.Errorf("ids %+v", p)
	}
	if p.Container.ID != "4f1d7bd9aa3e4e1bcdbfb4ea7ae0b2b43b2a3b9f8e37a3f1c0c5d88c2c6b1e01" || p.Container.Runtime != "docker" {
		t.Errorf("container %+v", p.Container)
	}
	if p.Exe.Ino != 1234 || p.Exe.Size != 100 || p.Exe.Dev != 8<<8|1 {
		t.Errorf("exe key %+v", p.Exe)
	}
	if len(p.Stdio) != 2 || p.Stdio[0].Transport != "tcp" || p.Stdio[0].Local != "10.0.0.5:40000" ||
		p.Stdio[0].Remote != "203.0.113.9:4444" || p.Stdio[1].Type != "pipe" || p.Stdio[1].FD != 1 {
		t.Errorf("stdio %+v", p.Stdio)
	}
	if len(p.Missing) != 0 {
		t.Errorf("missing %v", p.Missing)
	}
}

func TestUserDev(t *testing.T) {
	// major 259, minor 300 (an NVMe partition): st_dev as glibc's makedev.
	kdev := uint32(259<<20 | 300)
	want := uint64(300&0xff) | uint64(259)<<8 | uint64(300&^0xff)<<12
	if got := userDev(kdev); got != want {
		t.Errorf("userDev = %#x, want %#x", got, want)
	}
}

func TestDecodeErrors(t *testing.T) {
	good := rawExec(42, "/bin/x", "/", "x\x00", nil)
	tests := map[string][]byte{
		"short":         good[:100],
		"pid 0":         rawExec(0, "/bin/x", "/", "x\x00", nil),
		"data overruns": good[:len(good)-2],
		"field overruns": func() []byte {
			b := append([]byte(nil), good...)
			binary.LittleEndian.PutUint16(b[116:], 5000)
			return b
		}(),
		"unix path overruns": func() []byte {
			b := append([]byte(nil), good...)
			b[stdioOffset+8] = stdioSocket
			binary.LittleEndian.PutUint16(b[stdioOffset+12:], afUnix)
			b[stdioOffset+9] = 50
			return b
		}(),
	}
	for name, b := range tests {
		var r execRecord
		if err := decodeExec(b, &r); !errors.Is(err, errBadRecord) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if err := decodeFork(make([]byte, 10), &forkRecord{}); !errors.Is(err, errBadRecord) {
		t.Errorf("short fork: %v", err)
	}
	if err := decodeExit(make([]byte, 10), &exitRecord{}); !errors.Is(err, errBadRecord) {
		t.Errorf("short exit: %v", err)
	}
}

func FuzzDecodeRecord(f *testing.F) {
	f.Add(rawExec(42, "/usr/bin/passwd", "/home/alice", "passwd\x00--help\x00", nil))
	f.Add(rawExec(1, "", "", "", []byte("abc")))
	fork := make([]byte, forkRecordSize)
	binary.LittleEndian.PutUint32(fork, recordFork)
	binary.LittleEndian.PutUint32(fork[4:], 9)
	f.Add(fork)
	exit := make([]byte, exitRecordSize)
	binary.LittleEndian.PutUint32(exit, recordExit)
	binary.LittleEndian.PutUint32(exit[4:], 9)
	f.Add(exit)
	tbl := proctable.New(proctable.Config{Root: f.TempDir(), HostID: "h"})
	f.Fuzz(func(t *testing.T, b []byte) {
		kind, err := recordKind(b)
		if err != nil {
			return
		}
		var ex execRecord
		var fr forkRecord
		var xr exitRecord
		switch kind {
		case recordExec:
			err = decodeExec(b, &ex)
			if err == nil {
				p := execProcess(tbl, &ex)
				if p.PID == 0 {
					t.Fatal("pid 0 accepted")
				}
			}
		case recordFork:
			err = decodeFork(b, &fr)
		case recordExit:
			err = decodeExit(b, &xr)
		default:
			return
		}
		if err != nil && !errors.Is(err, errBadRecord) {
			t.Fatalf("error %v does not wrap errBadRecord", err)
		}
	})
}
