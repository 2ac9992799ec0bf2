package procparse

import (
	"errors"
	"testing"
)

// Each fuzz target checks that a parser never panics, and that what it
// rejects it rejects with ErrMalformed.

func checkErr(t *testing.T, err error) {
	t.Helper()
	if err != nil && !errors.Is(err, ErrMalformed) {
		t.Fatalf("error %v does not wrap ErrMalformed", err)
	}
}

func FuzzParseStat(f *testing.F) {
	f.Add([]byte("812 (nginx) S 1 812 812 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 4711 1000 10\n"))
	f.Add([]byte("77 (a (b) c) R 5 77 3 34817 77 4194304 0 0 0 0 0 0 0 0 20 0 1 0 99 0 0"))
	f.Add([]byte("1 () S"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseStat(b)
		checkErr(t, err)
		if err == nil && s.PID <= 0 {
			t.Fatalf("accepted pid %d", s.PID)
		}
	})
}

func FuzzParseStatus(f *testing.F) {
	f.Add([]byte("Tgid:\t900\nPPid:\t899\nUid:\t65534\t0\t0\t0\nGid:\t1\t1\t1\t1\n"))
	f.Add([]byte("Uid:\t1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := ParseStatus(b)
		checkErr(t, err)
		_, err = ParseID(b)
		checkErr(t, err)
	})
}

func FuzzParseArgs(f *testing.F) {
	f.Add([]byte("/bin/sh\x00-c\x00id\x00"), 0)
	f.Add([]byte("\x00\x00"), 1)
	f.Fuzz(func(t *testing.T, b []byte, max int) {
		args, trunc := ParseArgs(b, max)
		if max > 0 && len(args) > max {
			t.Fatalf("%d args, max %d", len(args), max)
		}
		if max <= 0 && trunc {
			t.Fatal("truncated without a limit")
		}
	})
}

func FuzzContainerFromCgroup(f *testing.F) {
	id := "4f1d7bd9aa3e4e1bcdbfb4ea7ae0b2b43b2a3b9f8e37a3f1c0c5d88c2c6b1e01"
	f.Add([]byte("0::/system.slice/docker-" + id + ".scope\n"))
	f.Add([]byte("4:memory:/kubepods/burstable/pod0b8a3c3e-5d36-4a8c-9b6e-2a7c0c3c0c9d/" + id + "\n0::/\n"))
	f.Add([]byte("0::/machine.slice/libpod-conmon-" + id + ".scope\n"))
	f.Add([]byte("1:name=systemd:/docker/" + id))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, ok, err := ContainerFromCgroup(b)
		checkErr(t, err)
		if ok && !isContainerID(c.ID) {
			t.Fatalf("container id %q", c.ID)
		}
		c, ok = ContainerFromPath(string(b))
		if ok && !isContainerID(c.ID) {
			t.Fatalf("container id %q", c.ID)
		}
	})
}

func FuzzFindInetSocket(f *testing.F) {
	f.Add([]byte(tcpTable), false, uint64(31337))
	f.Add([]byte(tcp6Table), true, uint64(222))
	f.Add([]byte("h\n 0: 0:0 0:0 0 0 0 0 0 0 1\n"), false, uint64(1))
	f.Fuzz(func(t *testing.T, b []byte, v6 bool, ino uint64) {
		s, ok, err := FindInetSocket(b, v6, ino)
		checkErr(t, err)
		if ok && s.Inode != ino {
			t.Fatalf("found inode %d, asked %d", s.Inode, ino)
		}
	})
}

func FuzzFindUnixSocket(f *testing.F) {
	f.Add([]byte(unixTable), uint64(22343))
	f.Add([]byte("h\nx: 1 2 3 4 5 6 /p\n"), uint64(6))
	f.Fuzz(func(t *testing.T, b []byte, ino uint64) {
		s, ok, err := FindUnixSocket(b, ino)
		checkErr(t, err)
		if ok && s.Inode != ino {
			t.Fatalf("found inode %d, asked %d", s.Inode, ino)
		}
	})
}

func FuzzParseFDLink(f *testing.F) {
	f.Add("socket:[12345]")
	f.Add("pipe:[1]")
	f.Add("/dev/null")
	f.Fuzz(func(t *testing.T, s string) {
		kind, ino := ParseFDLink(s)
		if kind == FDOther && ino != 0 {
			t.Fatalf("other with inode %d", ino)
		}
	})
}
