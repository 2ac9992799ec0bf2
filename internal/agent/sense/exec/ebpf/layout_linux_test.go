//go:build linux && (amd64 || arm64)

package ebpf

import (
	"bytes"
	"encoding/binary"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
)

// cbytes fills a C char array.
func cbytes[T ~int8 | ~uint8](dst []T, s string) {
	for i := range dst {
		dst[i] = 0
	}
	for i := 0; i < len(s) && i < len(dst)-1; i++ {
		dst[i] = T(s[i])
	}
}

// TestLayout checks the decoder's offsets against the record types bpf2go
// generated from exec.bpf.c: a record written from the generated struct
// decodes to the same values.
func TestLayout(t *testing.T) {
	if n := unsafe.Sizeof(execExecHeader{}); n != execHeaderSize {
		t.Fatalf("exec header is %d bytes, the decoder says %d", n, execHeaderSize)
	}
	if n := unsafe.Sizeof(execStdioFd{}); n != stdioSize || unsafe.Offsetof(execExecHeader{}.Stdio) != stdioOffset {
		t.Fatalf("stdio of %d bytes at %d", n, unsafe.Offsetof(execExecHeader{}.Stdio))
	}
	if n := unsafe.Sizeof(execForkRecord{}); n != forkRecordSize {
		t.Fatalf("fork record is %d bytes, the decoder says %d", n, forkRecordSize)
	}
	if n := unsafe.Sizeof(execExitRecord{}); n != exitRecordSize {
		t.Fatalf("exit record is %d bytes, the decoder says %d", n, exitRecordSize)
	}

	h := execExecHeader{Kind: recordExec, Flags: flagArgsTruncated, Ktime: 11, StartNs: 22, ParentStartNs: 33,
		ExeIno: 44, ExeSize: 55, ExeMtimeSec: 66, CgroupId: 77, Pid: 88, OldPid: 99, Ppid: 111, Uid: 1, Gid: 2,
		Euid: 3, Egid: 4, Auid: 5, Sessionid: 6, ExeDev: 7, ExeMode: 0o100755, ExeMtimeNsec: 8, ArgsSize: 99999}
	exe, cwd, args := "/usr/bin/sleep", "/srv/app", "sleep\x0060\x00"
	filename := "./sleep"
	h.ExeLen, h.CwdLen, h.ArgsLen, h.FilenameLen = uint16(len(exe)), uint16(len(cwd)), uint16(len(args)), uint16(len(filename))
	cbytes(h.Comm[:], "sleep")
	cbytes(h.Tty[:], "pts3")
	cbytes(h.Cgroup[:], "leaf")
	cbytes(h.CgroupParent[:], "parent")
	h.Stdio[0] = execStdioFd{Inode: 5, Kind: stdioSocket, Family: afInet, Type: sockStream, Protocol: ipprotoTCP, Lport: 1, Rport: 2}
	h.Stdio[1] = execStdioFd{Inode: 6, Kind: stdioSocket, Family: afUnix, LpathLen: 3, RpathLen: 2}
	h.Stdio[2] = execStdioFd{Inode: 7, Kind: stdioPipe}
	copy(h.Stdio[0].Laddr[:], []byte{127, 0, 0, 1})
	data := exe + cwd + args + filename + "/ab" + "\x00x"
	h.DataLen = uint16(len(data))
	var buf bytes.Buffer
	if err := binary.Write(&buf, binary.LittleEndian, &h); err != nil {
		t.Fatal(err)
	}
	buf.WriteString(data)
	var got execRecord
	if err := decodeExec(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := execRecord{Flags: flagArgsTruncated, Ktime: 11, StartNS: 22, ParentStartNS: 33, ExeIno: 44, ExeSize: 55,
		ExeMtimeSec: 66, ExeMtimeNsec: 8, ExeDev: 7, ExeMode: 0o100755, CgroupID: 77, PID: 88, OldPID: 99, PPID: 111,
		UID: 1, GID: 2, EUID: 3, EGID: 4, AUID: 5, SessionID: 6, ArgsSize: 99999, Comm: "sleep", TTY: "pts3",
		Cgroup: "leaf", CgroupParent: "parent", Exe: exe, Cwd: cwd, Args: []byte(args), Filename: filename}
	want.Stdio[0] = stdioRecord{Inode: 5, Kind: stdioSocket, Family: afInet, Type: sockStream, Protocol: ipprotoTCP, LPort: 1, RPort: 2}
	copy(want.Stdio[0].LAddr[:], []byte{127, 0, 0, 1})
	want.Stdio[1] = stdioRecord{Inode: 6, Kind: stdioSocket, Family: afUnix, LPath: "/ab", RPath: "@x"}
	want.Stdio[2] = stdioRecord{Inode: 7, Kind: stdioPipe}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("exec (-want +got):\n%s", d)
	}

	f := execForkRecord{Kind: recordFork, Pid: 10, Ktime: 1, StartNs: 2, ParentStartNs: 3, Ppid: 4, Uid: 5, Gid: 6,
		Euid: 7, Egid: 8, Auid: 9, Sessionid: 12}
	cbytes(f.Comm[:], "bash")
	buf.Reset()
	_ = binary.Write(&buf, binary.LittleEndian, &f)
	var fr forkRecord
	if err := decodeFork(buf.Bytes(), &fr); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(forkRecord{PID: 10, PPID: 4, Ktime: 1, StartNS: 2, ParentStartNS: 3, UID: 5, GID: 6, EUID: 7, EGID: 8,
		AUID: 9, SessionID: 12, Comm: "bash"}, fr); d != "" {
		t.Errorf("fork (-want +got):\n%s", d)
	}

	x := execExitRecord{Kind: recordExit, Pid: 10, Ktime: 1, StartNs: 2, Ppid: 3, ExitCode: 0x300}
	cbytes(x.Comm[:], "bash")
	buf.Reset()
	_ = binary.Write(&buf, binary.LittleEndian, &x)
	var xr exitRecord
	if err := decodeExit(buf.Bytes(), &xr); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(exitRecord{PID: 10, PPID: 3, Ktime: 1, StartNS: 2, ExitCode: 0x300, Comm: "bash"}, xr); d != "" {
		t.Errorf("exit (-want +got):\n%s", d)
	}
}
