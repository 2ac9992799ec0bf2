// Package utmp decodes the login accounting records of Linux:
// /var/log/wtmp (logins, logouts, boots, shutdowns), /var/log/btmp
// (failed logins) and /run/utmp (current sessions), each a sequence of
// glibc's struct utmp, and /var/log/lastlog, an array of struct lastlog
// indexed by uid. The files are in the byte order of the machine that
// wrote them, and the width of their time fields depends on its
// architecture (see Layout).
//
// struct utmp (offsets in bytes; 32-bit time fields, then 64-bit ones):
//
//	  0       ut_type    int16 (+2 padding)
//	  4       ut_pid     int32
//	  8       ut_line    [32]byte   tty without /dev/
//	 40       ut_id      [4]byte    inittab id or tty suffix
//	 44       ut_user    [32]byte
//	 76       ut_host    [256]byte
//	332       ut_exit    int16 e_termination, int16 e_exit
//	336  336  ut_session int32 | int64
//	340  344  ut_tv      tv_sec, tv_usec: uint32, int32 | int64, int64
//	348  360  ut_addr_v6 [4]int32   network byte order; IPv4 in the first word
//	364  376  reserved   [20]byte (+4 padding with 64-bit fields)
//	384  400  (size)
//
// struct lastlog: ll_time (uint32 | int64), ll_line [32]byte, ll_host
// [256]byte; 292 or 296 bytes.
package utmp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"strings"
	"time"
	"unicode/utf8"
)

// Sizes of struct utmp and struct lastlog with 32-bit and with 64-bit
// time fields.
const (
	RecordSize32  = 384
	RecordSize64  = 400
	LastlogSize32 = 292
	LastlogSize64 = 296
)

// Offsets and sizes of the fields of struct utmp up to ut_session, the
// same in both layouts.
const (
	offType    = 0
	offPID     = 4
	offLine    = 8
	lenLine    = 32
	offID      = 40
	lenID      = 4
	offUser    = 44
	lenUser    = 32
	offHost    = 76
	lenHost    = 256
	offExit    = 332
	offSession = 336
	lenAddr    = 16
)

// Sizes of the text fields of struct lastlog.
const (
	lenLLLine = 32
	lenLLHost = 256
)

// maxTime64 bounds the seconds of a 64-bit time field (year 36812): a
// larger value, or a negative one, is not a time the file's writer put
// there.
const maxTime64 = 1 << 40

// Layout is how one architecture's glibc lays out struct utmp and
// struct lastlog.
type Layout struct {
	// Time64 is set where ut_session is a 64-bit long, ut_tv a struct
	// timeval of two 64-bit fields and ll_time a 64-bit time_t (400- and
	// 296-byte records). Elsewhere they are 32 bits wide (384 and 292
	// bytes), with unsigned seconds.
	Time64 bool
	// Order is the byte order of the fields.
	Order binary.ByteOrder
}

// Native is the layout of this machine's files.
var Native = Layout{Time64: Time64(runtime.GOARCH), Order: binary.NativeEndian}

// Time64 reports whether glibc on goarch has 64-bit time fields in
// struct utmp and struct lastlog: on the 64-bit architectures whose
// bits/wordsize.h sets __WORDSIZE_TIME64_COMPAT32 to 0 (arm64, loong64),
// and on s390x, whose own bits/utmp.h has 64-bit fields. The others
// keep 32-bit fields: amd64, ppc64, ppc64le, mips64, mips64le and
// riscv64 set __WORDSIZE_TIME64_COMPAT32 to 1 so that 32-bit programs
// share the files, and the 32-bit architectures have 32-bit long and
// time_t.
func Time64(goarch string) bool {
	switch goarch {
	case "arm64", "loong64", "s390x":
		return true
	}
	return false
}

// RecordSize is the size of one struct utmp.
func (l Layout) RecordSize() int {
	if l.Time64 {
		return RecordSize64
	}
	return RecordSize32
}

// LastlogSize is the size of one struct lastlog.
func (l Layout) LastlogSize() int {
	if l.Time64 {
		return LastlogSize64
	}
	return LastlogSize32
}

// timeOffsets returns the offsets of tv_sec, tv_usec and ut_addr_v6.
func (l Layout) timeOffsets() (sec, usec, addr int) {
	if l.Time64 {
		return 344, 352, 360
	}
	return 340, 344, 348
}

// Type is ut_type.
type Type int16

// Record types (utmp.h).
const (
	Empty        Type = 0
	RunLevel     Type = 1
	BootTime     Type = 2
	NewTime      Type = 3
	OldTime      Type = 4
	InitProcess  Type = 5
	LoginProcess Type = 6
	UserProcess  Type = 7
	DeadProcess  Type = 8
	Accounting   Type = 9
)

var typeNames = [...]string{"EMPTY", "RUN_LVL", "BOOT_TIME", "NEW_TIME", "OLD_TIME",
	"INIT_PROCESS", "LOGIN_PROCESS", "USER_PROCESS", "DEAD_PROCESS", "ACCOUNTING"}

// String returns the type's name in utmp.h ("USER_PROCESS").
func (t Type) String() string {
	if t >= 0 && int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("TYPE_%d", int16(t))
}

// Record is one decoded struct utmp.
type Record struct {
	Type Type
	PID  int32
	// Line is the terminal without "/dev/" ("pts/0", "tty1", "ssh:notty"
	// in btmp).
	Line string
	// ID is the terminal suffix or inittab id, without trailing spaces.
	ID string
	// User is the user name (for RUN_LVL: "runlevel" or "shutdown"; for
	// BOOT_TIME: "reboot").
	User string
	// Host is the remote host, or the kernel version for BOOT_TIME and
	// RUN_LVL records.
	Host string
	// Addr is the remote address, invalid when the record has none.
	Addr netip.Addr
	// ExitTermination and ExitStatus are ut_exit of DEAD_PROCESS records.
	ExitTermination, ExitStatus int16
	// Session is the session id (getsid of the login process).
	Session int32
	// Time is ut_tv.
	Time time.Time
}

// ErrCorrupt reports a record that cannot be a struct utmp or a struct
// lastlog.
var ErrCorrupt = errors.New("corrupt login accounting record")

// Decode decodes one struct utmp of l.RecordSize() bytes. A record with
// an unknown type, text that is not printable UTF-8, a time outside
// tv_usec's range or before 1970, or a session id that is not a pid is
// ErrCorrupt.
func (l Layout) Decode(b []byte) (Record, error) {
	if len(b) != l.RecordSize() {
		return Record{}, fmt.Errorf("%w: %d bytes, want %d", ErrCorrupt, len(b), l.RecordSize())
	}
	order := l.Order
	var r Record
	r.Type = Type(int16(order.Uint16(b[offType:])))
	if r.Type < Empty || r.Type > Accounting {
		return Record{}, fmt.Errorf("%w: type %d", ErrCorrupt, r.Type)
	}
	r.PID = int32(order.Uint32(b[offPID:]))
	var err error
	if r.Line, err = text(b, offLine, lenLine, "ut_line"); err != nil {
		return Record{}, err
	}
	if r.ID, err = text(b, offID, lenID, "ut_id"); err != nil {
		return Record{}, err
	}
	if r.User, err = text(b, offUser, lenUser, "ut_user"); err != nil {
		return Record{}, err
	}
	if r.Host, err = text(b, offHost, lenHost, "ut_host"); err != nil {
		return Record{}, err
	}
	r.ID = strings.TrimRight(r.ID, " ") // utmpdump -r pads it with spaces
	r.ExitTermination = int16(order.Uint16(b[offExit:]))
	r.ExitStatus = int16(order.Uint16(b[offExit+2:]))
	offSec, offUsec, offAddr := l.timeOffsets()
	var sec, usec int64
	if l.Time64 {
		session := int64(order.Uint64(b[offSession:]))
		if session != int64(int32(session)) {
			return Record{}, fmt.Errorf("%w: ut_session %d", ErrCorrupt, session)
		}
		r.Session = int32(session)
		sec, usec = int64(order.Uint64(b[offSec:])), int64(order.Uint64(b[offUsec:]))
		if sec < 0 || sec > maxTime64 {
			return Record{}, fmt.Errorf("%w: tv_sec %d", ErrCorrupt, sec)
		}
	} else {
		r.Session = int32(order.Uint32(b[offSession:]))
		// tv_sec is unsigned: glibc keeps 32 bits for compatibility,
		// and unsigned seconds reach 2106.
		sec, usec = int64(order.Uint32(b[offSec:])), int64(order.Uint32(b[offUsec:]))
	}
	if usec < 0 || usec >= 1_000_000 {
		return Record{}, fmt.Errorf("%w: tv_usec %d", ErrCorrupt, usec)
	}
	if sec != 0 || usec != 0 {
		r.Time = time.Unix(sec, usec*1000).UTC()
	}
	r.Addr = addr(b[offAddr : offAddr+lenAddr])
	return r, nil
}

// addr decodes ut_addr_v6: an IPv4 address in the first four bytes when
// the other twelve are zero, else an IPv6 address; invalid when all are
// zero.
func addr(b []byte) netip.Addr {
	var a16 [16]byte
	copy(a16[:], b)
	zeroTail := true
	for _, c := range a16[4:] {
		if c != 0 {
			zeroTail = false
			break
		}
	}
	if zeroTail {
		if a16[0] == 0 && a16[1] == 0 && a16[2] == 0 && a16[3] == 0 {
			return netip.Addr{}
		}
		return netip.AddrFrom4([4]byte(a16[:4]))
	}
	return netip.AddrFrom16(a16).Unmap()
}

// text returns the text of the field name at b[off:off+n] (cString), an
// ErrCorrupt naming the field when it is not text.
func text(b []byte, off, n int, name string) (string, error) {
	s, err := cString(b[off : off+n])
	if err != nil {
		return "", fmt.Errorf("%w: %s: %v", ErrCorrupt, name, err)
	}
	return s, nil
}

// cString returns the text of a fixed-size, NUL-padded field: up to the
// first NUL, which must be printable UTF-8.
func cString(b []byte) (string, error) {
	n := 0
	for n < len(b) && b[n] != 0 {
		n++
	}
	b = b[:n]
	if !utf8.Valid(b) {
		return "", errors.New("not UTF-8")
	}
	for _, c := range b {
		if c < 0x20 || c == 0x7f {
			return "", fmt.Errorf("control byte %#x", c)
		}
	}
	return string(b), nil
}

// Encode writes r into b (l.RecordSize() bytes), as glibc's pututline
// and updwtmp do. Text longer than its field is cut.
func (l Layout) Encode(r Record, b []byte) error {
	if len(b) != l.RecordSize() {
		return fmt.Errorf("utmp: encode into %d bytes, want %d", len(b), l.RecordSize())
	}
	order := l.Order
	clear(b)
	order.PutUint16(b[offType:], uint16(r.Type))
	order.PutUint32(b[offPID:], uint32(r.PID))
	copy(b[offLine:offLine+lenLine], r.Line)
	copy(b[offID:offID+lenID], r.ID)
	copy(b[offUser:offUser+lenUser], r.User)
	copy(b[offHost:offHost+lenHost], r.Host)
	order.PutUint16(b[offExit:], uint16(r.ExitTermination))
	order.PutUint16(b[offExit+2:], uint16(r.ExitStatus))
	offSec, offUsec, offAddr := l.timeOffsets()
	if l.Time64 {
		order.PutUint64(b[offSession:], uint64(int64(r.Session)))
	} else {
		order.PutUint32(b[offSession:], uint32(r.Session))
	}
	if !r.Time.IsZero() {
		l.putTime(b[offSec:], r.Time.Unix())
		l.putTime(b[offUsec:], int64(r.Time.Nanosecond()/1000))
	}
	if r.Addr.IsValid() {
		if r.Addr.Is4() && !r.Addr.IsUnspecified() {
			a := r.Addr.As4()
			copy(b[offAddr:], a[:])
		} else {
			a := r.Addr.As16()
			copy(b[offAddr:], a[:])
		}
	}
	return nil
}

// putTime writes a time field of the layout's width.
func (l Layout) putTime(b []byte, v int64) {
	if l.Time64 {
		l.Order.PutUint64(b, uint64(v))
	} else {
		l.Order.PutUint32(b, uint32(v))
	}
}

// Lastlog is one struct lastlog: the last login of the account whose uid
// is the record's index in /var/log/lastlog (written by login, sshd and
// pam_lastlog; sparse, indexed by uid).
type Lastlog struct {
	// Time is ll_time, zero for an account that never logged in.
	Time time.Time
	// Line is the terminal ("pts/0"), Host the remote host.
	Line, Host string
}

// DecodeLastlog decodes one struct lastlog of l.LastlogSize() bytes. An
// all-zero record (never logged in) gives the zero Lastlog. Text that is
// not printable UTF-8, or a 64-bit time before 1970, is ErrCorrupt.
func (l Layout) DecodeLastlog(b []byte) (Lastlog, error) {
	if len(b) != l.LastlogSize() {
		return Lastlog{}, fmt.Errorf("%w: lastlog: %d bytes, want %d", ErrCorrupt, len(b), l.LastlogSize())
	}
	sec, rest := int64(l.Order.Uint32(b)), b[4:]
	if l.Time64 {
		sec, rest = int64(l.Order.Uint64(b)), b[8:]
		if sec < 0 || sec > maxTime64 {
			return Lastlog{}, fmt.Errorf("%w: lastlog: ll_time %d", ErrCorrupt, sec)
		}
	}
	line, err := text(rest, 0, lenLLLine, "lastlog: ll_line")
	if err != nil {
		return Lastlog{}, err
	}
	host, err := text(rest, lenLLLine, lenLLHost, "lastlog: ll_host")
	if err != nil {
		return Lastlog{}, err
	}
	ll := Lastlog{Line: line, Host: host}
	if sec != 0 {
		ll.Time = time.Unix(sec, 0).UTC()
	}
	return ll, nil
}

// EncodeLastlog writes ll into b (l.LastlogSize() bytes). Text longer
// than its field is cut.
func (l Layout) EncodeLastlog(ll Lastlog, b []byte) error {
	if len(b) != l.LastlogSize() {
		return fmt.Errorf("utmp: encode lastlog into %d bytes, want %d", len(b), l.LastlogSize())
	}
	clear(b)
	off := 4
	if l.Time64 {
		off = 8
	}
	if !ll.Time.IsZero() {
		l.putTime(b, ll.Time.Unix())
	}
	copy(b[off:off+lenLLLine], ll.Line)
	copy(b[off+lenLLLine:off+lenLLLine+lenLLHost], ll.Host)
	return nil
}

// Terminal returns Line as a device name for display: "pts/0" stays, and
// btmp's "ssh:notty" becomes "".
func (r Record) Terminal() string {
	if strings.Contains(r.Line, ":") {
		return ""
	}
	return r.Line
}
