package ebpf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// Kinds of ring buffer records (exec.bpf.c RECORD_*).
const (
	recordExec = 1
	recordFork = 2
	recordExit = 3
)

// Flags of an exec record (exec.bpf.c FLAG_*).
const (
	flagArgsTruncated = 1 << 0
	flagArgsUnread    = 1 << 1
	flagExeTruncated  = 1 << 2
	flagCwdTruncated  = 1 << 3
	flagExeUnread     = 1 << 4
	flagCwdUnread     = 1 << 5
	flagNoAudit       = 1 << 6
	flagKthread       = 1 << 7
)

// Kinds of stdio descriptors (exec.bpf.c STDIO_*).
const (
	stdioNone   = 0
	stdioSocket = 1
	stdioPipe   = 2
	stdioOther  = 3
)

// Sizes of the records, as exec.bpf.c lays them out (checked against the
// generated types by the tests).
const (
	execHeaderSize  = 600
	stdioSize       = 56
	stdioOffset     = 432
	forkRecordSize  = 80
	exitRecordSize  = 48
	maxUnixPathSize = 108
)

// errBadRecord is wrapped by the errors of decodeRecord.
var errBadRecord = errors.New("malformed ring buffer record")

// stdioRecord is one of file descriptors 0-2 as the kernel saw it.
type stdioRecord struct {
	Inode                                uint64
	Kind                                 uint8
	Family, Type, Protocol, LPort, RPort uint16
	LAddr, RAddr                         [16]byte
	LPath, RPath                         string
}

// execRecord is a decoded exec record.
type execRecord struct {
	Flags                           uint32
	Ktime, StartNS, ParentStartNS   uint64
	ExeIno                          uint64
	ExeSize, ExeMtimeSec            int64
	ExeMtimeNsec, ExeDev, ExeMode   uint32
	CgroupID                        uint64
	PID, OldPID, PPID               uint32
	UID, GID, EUID, EGID            uint32
	AUID, SessionID                 uint32
	ArgsSize                        uint32
	Comm, TTY, Cgroup, CgroupParent string
	Exe, Cwd                        string
	Args                            []byte
	// Filename is the path given to execve.
	Filename string
	Stdio    [3]stdioRecord
}

// forkRecord is a decoded fork record.
type forkRecord struct {
	PID, PPID                     uint32
	Ktime, StartNS, ParentStartNS uint64
	UID, GID, EUID, EGID          uint32
	AUID, SessionID               uint32
	Comm                          string
}

// exitRecord is a decoded exit record.
type exitRecord struct {
	PID, PPID      uint32
	Ktime, StartNS uint64
	ExitCode       uint32
	Comm           string
}

var le = binary.LittleEndian

// recordKind returns the kind of a raw record.
func recordKind(b []byte) (uint32, error) {
	if len(b) < 4 {
		return 0, fmt.Errorf("%w: %d bytes", errBadRecord, len(b))
	}
	return le.Uint32(b), nil
}

// cstr returns the text of a NUL-terminated field.
func cstr(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// decodeExec decodes an exec record: the header, then the data it
// announces.
func decodeExec(b []byte, r *execRecord) error {
	if len(b) < execHeaderSize {
		return fmt.Errorf("%w: exec record of %d bytes, header is %d", errBadRecord, len(b), execHeaderSize)
	}
	if k := le.Uint32(b[0:]); k != recordExec {
		return fmt.Errorf("%w: kind %d is not exec", errBadRecord, k)
	}
	r.Flags = le.Uint32(b[4:])
	r.Ktime = le.Uint64(b[8:])
	r.StartNS = le.Uint64(b[16:])
	r.ParentStartNS = le.Uint64(b[24:])
	r.ExeIno = le.Uint64(b[32:])
	r.ExeSize = int64(le.Uint64(b[40:]))
	r.ExeMtimeSec = int64(le.Uint64(b[48:]))
	r.CgroupID = le.Uint64(b[56:])
	r.PID = le.Uint32(b[64:])
	r.OldPID = le.Uint32(b[68:])
	r.PPID = le.Uint32(b[72:])
	r.UID = le.Uint32(b[76:])
	r.GID = le.Uint32(b[80:])
	r.EUID = le.Uint32(b[84:])
	r.EGID = le.Uint32(b[88:])
	r.AUID = le.Uint32(b[92:])
	r.SessionID = le.Uint32(b[96:])
	r.ExeDev = le.Uint32(b[100:])
	r.ExeMode = le.Uint32(b[104:])
	r.ExeMtimeNsec = le.Uint32(b[108:])
	r.ArgsSize = le.Uint32(b[112:])
	exeLen := int(le.Uint16(b[116:]))
	cwdLen := int(le.Uint16(b[118:]))
	argsLen := int(le.Uint16(b[120:]))
	dataLen := int(le.Uint16(b[122:]))
	filenameLen := int(le.Uint16(b[124:]))
	r.Comm = cstr(b[128:144])
	r.TTY = cstr(b[144:176])
	r.Cgroup = cstr(b[176:304])
	r.CgroupParent = cstr(b[304:432])
	data := b[execHeaderSize:]
	if dataLen > len(data) {
		return fmt.Errorf("%w: data of %d bytes announced, %d present", errBadRecord, dataLen, len(data))
	}
	data = data[:dataLen]
	if r.PID == 0 {
		return fmt.Errorf("%w: pid 0", errBadRecord)
	}
	next := func(n int) ([]byte, error) {
		if n > len(data) {
			return nil, fmt.Errorf("%w: a field of %d bytes overruns the data", errBadRecord, n)
		}
		v := data[:n]
		data = data[n:]
		return v, nil
	}
	exe, err := next(exeLen)
	if err != nil {
		return err
	}
	cwd, err := next(cwdLen)
	if err != nil {
		return err
	}
	args, err := next(argsLen)
	if err != nil {
		return err
	}
	filename, err := next(filenameLen)
	if err != nil {
		return err
	}
	r.Exe, r.Cwd, r.Filename = string(exe), string(cwd), string(filename)
	r.Args = append(r.Args[:0], args...)
	for i := range r.Stdio {
		s := &r.Stdio[i]
		o := b[stdioOffset+i*stdioSize:]
		s.Inode = le.Uint64(o[0:])
		s.Kind = o[8]
		lpath, rpath := int(o[9]), int(o[10])
		s.Family = le.Uint16(o[12:])
		s.Type = le.Uint16(o[14:])
		s.Protocol = le.Uint16(o[16:])
		s.LPort = le.Uint16(o[18:])
		s.RPort = le.Uint16(o[20:])
		copy(s.LAddr[:], o[24:40])
		copy(s.RAddr[:], o[40:56])
		if lpath > maxUnixPathSize || rpath > maxUnixPathSize {
			return fmt.Errorf("%w: unix path of fd %d longer than %d bytes", errBadRecord, i, maxUnixPathSize)
		}
		lp, err := next(lpath)
		if err != nil {
			return err
		}
		rp, err := next(rpath)
		if err != nil {
			return err
		}
		s.LPath, s.RPath = unixPath(lp), unixPath(rp)
	}
	return nil
}

// unixPath turns a sun_path into text: "@name" for an abstract name.
func unixPath(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if b[0] == 0 {
		return "@" + string(bytes.TrimRight(b[1:], "\x00"))
	}
	return cstr(b)
}

// decodeFork decodes a fork record.
func decodeFork(b []byte, r *forkRecord) error {
	if len(b) < forkRecordSize || le.Uint32(b) != recordFork {
		return fmt.Errorf("%w: fork record of %d bytes", errBadRecord, len(b))
	}
	r.PID = le.Uint32(b[4:])
	r.Ktime = le.Uint64(b[8:])
	r.StartNS = le.Uint64(b[16:])
	r.ParentStartNS = le.Uint64(b[24:])
	r.PPID = le.Uint32(b[32:])
	r.UID = le.Uint32(b[36:])
	r.GID = le.Uint32(b[40:])
	r.EUID = le.Uint32(b[44:])
	r.EGID = le.Uint32(b[48:])
	r.AUID = le.Uint32(b[52:])
	r.SessionID = le.Uint32(b[56:])
	r.Comm = cstr(b[64:80])
	if r.PID == 0 {
		return fmt.Errorf("%w: fork of pid 0", errBadRecord)
	}
	return nil
}

// decodeExit decodes an exit record.
func decodeExit(b []byte, r *exitRecord) error {
	if len(b) < exitRecordSize || le.Uint32(b) != recordExit {
		return fmt.Errorf("%w: exit record of %d bytes", errBadRecord, len(b))
	}
	r.PID = le.Uint32(b[4:])
	r.Ktime = le.Uint64(b[8:])
	r.StartNS = le.Uint64(b[16:])
	r.PPID = le.Uint32(b[24:])
	r.ExitCode = le.Uint32(b[28:])
	r.Comm = cstr(b[32:48])
	if r.PID == 0 {
		return fmt.Errorf("%w: exit of pid 0", errBadRecord)
	}
	return nil
}

// Socket families and types of the kernel.
const (
	afUnix    = 1
	afInet    = 2
	afInet6   = 10
	afNetlink = 16
	afPacket  = 17
	afVsock   = 40

	sockStream = 1
	sockDgram  = 2
	sockRaw    = 3

	ipprotoTCP   = 6
	ipprotoUDP   = 17
	ipprotoMPTCP = 262
)

// transport names the protocol of a socket.
func (s *stdioRecord) transport() string {
	switch s.Family {
	case afUnix:
		return "unix"
	case afInet, afInet6:
		switch {
		case s.Protocol == ipprotoTCP || s.Protocol == ipprotoMPTCP:
			return "tcp"
		case s.Protocol == ipprotoUDP:
			return "udp"
		case s.Type == sockRaw:
			return "raw"
		case s.Type == sockStream:
			return "tcp"
		case s.Type == sockDgram:
			return "udp"
		}
	case afNetlink:
		return "netlink"
	case afPacket:
		return "packet"
	case afVsock:
		return "vsock"
	}
	return ""
}

// endpoints returns the local and remote endpoints of an inet socket,
// remote "" when it has no peer.
func (s *stdioRecord) endpoints() (local, remote string) {
	var l, r netip.Addr
	switch s.Family {
	case afInet:
		l, r = netip.AddrFrom4([4]byte(s.LAddr[:4])), netip.AddrFrom4([4]byte(s.RAddr[:4]))
	case afInet6:
		l, r = netip.AddrFrom16(s.LAddr).Unmap(), netip.AddrFrom16(s.RAddr).Unmap()
	default:
		return s.LPath, s.RPath
	}
	local = netip.AddrPortFrom(l, s.LPort).String()
	if !r.IsUnspecified() || s.RPort != 0 {
		remote = netip.AddrPortFrom(r, s.RPort).String()
	}
	return local, remote
}
