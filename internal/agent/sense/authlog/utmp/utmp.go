// Package utmp decodes the login accounting records of Linux:
// /var/log/wtmp (logins, logouts, boots, shutdowns), /var/log/btmp
// (failed logins) and /run/utmp (current sessions). Each is a sequence of
// glibc's struct utmp, 384 bytes on every 64-bit and 32-bit Linux
// architecture glibc supports (the time fields are 32-bit there for
// compatibility), in the byte order of the machine that wrote it.
//
// Layout (offsets in bytes):
//
//	  0 ut_type    int16 (+2 padding)
//	  4 ut_pid     int32
//	  8 ut_line    [32]byte   tty without /dev/
//	 40 ut_id      [4]byte    inittab id or tty suffix
//	 44 ut_user    [32]byte
//	 76 ut_host    [256]byte
//	332 ut_exit    int16 e_termination, int16 e_exit
//	336 ut_session int32
//	340 ut_tv      int32 tv_sec, int32 tv_usec
//	348 ut_addr_v6 [4]int32   network byte order; IPv4 in the first word
//	364 reserved   [20]byte
package utmp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"
)

// RecordSize is the size of one struct utmp.
const RecordSize = 384

// Field offsets and sizes of struct utmp.
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
	offSec     = 340
	offUsec    = 344
	offAddr    = 348
	lenAddr    = 16
)

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

// ErrCorrupt reports a record that cannot be a struct utmp.
var ErrCorrupt = errors.New("corrupt utmp record")

// Decode decodes one record of RecordSize bytes written in byte order
// order (binary.NativeEndian for files of this machine). A record with an
// unknown type, text that is not printable UTF-8, or a time outside
// tv_usec's range is ErrCorrupt.
func Decode(b []byte, order binary.ByteOrder) (Record, error) {
	if len(b) != RecordSize {
		return Record{}, fmt.Errorf("%w: %d bytes, want %d", ErrCorrupt, len(b), RecordSize)
	}
	var r Record
	r.Type = Type(int16(order.Uint16(b[offType:])))
	if r.Type < Empty || r.Type > Accounting {
		return Record{}, fmt.Errorf("%w: type %d", ErrCorrupt, r.Type)
	}
	r.PID = int32(order.Uint32(b[offPID:]))
	var err error
	if r.Line, err = cString(b[offLine : offLine+lenLine]); err != nil {
		return Record{}, fmt.Errorf("%w: ut_line: %v", ErrCorrupt, err)
	}
	if r.ID, err = cString(b[offID : offID+lenID]); err != nil {
		return Record{}, fmt.Errorf("%w: ut_id: %v", ErrCorrupt, err)
	}
	r.ID = strings.TrimRight(r.ID, " ") // utmpdump -r pads it with spaces
	if r.User, err = cString(b[offUser : offUser+lenUser]); err != nil {
		return Record{}, fmt.Errorf("%w: ut_user: %v", ErrCorrupt, err)
	}
	if r.Host, err = cString(b[offHost : offHost+lenHost]); err != nil {
		return Record{}, fmt.Errorf("%w: ut_host: %v", ErrCorrupt, err)
	}
	r.ExitTermination = int16(order.Uint16(b[offExit:]))
	r.ExitStatus = int16(order.Uint16(b[offExit+2:]))
	r.Session = int32(order.Uint32(b[offSession:]))
	// tv_sec is read as unsigned: glibc keeps 32 bits for compatibility,
	// and unsigned seconds reach 2106.
	sec := order.Uint32(b[offSec:])
	usec := order.Uint32(b[offUsec:])
	if usec >= 1_000_000 {
		return Record{}, fmt.Errorf("%w: tv_usec %d", ErrCorrupt, usec)
	}
	if sec != 0 || usec != 0 {
		r.Time = time.Unix(int64(sec), int64(usec)*1000).UTC()
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

// Encode writes r into b (RecordSize bytes) in byte order order, as
// glibc's pututline and updwtmp do. Text longer than its field is cut.
func Encode(r Record, b []byte, order binary.ByteOrder) error {
	if len(b) != RecordSize {
		return fmt.Errorf("utmp: encode into %d bytes, want %d", len(b), RecordSize)
	}
	clear(b)
	order.PutUint16(b[offType:], uint16(r.Type))
	order.PutUint32(b[offPID:], uint32(r.PID))
	copy(b[offLine:offLine+lenLine], r.Line)
	copy(b[offID:offID+lenID], r.ID)
	copy(b[offUser:offUser+lenUser], r.User)
	copy(b[offHost:offHost+lenHost], r.Host)
	order.PutUint16(b[offExit:], uint16(r.ExitTermination))
	order.PutUint16(b[offExit+2:], uint16(r.ExitStatus))
	order.PutUint32(b[offSession:], uint32(r.Session))
	if !r.Time.IsZero() {
		order.PutUint32(b[offSec:], uint32(r.Time.Unix()))
		order.PutUint32(b[offUsec:], uint32(r.Time.Nanosecond()/1000))
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

// Terminal returns Line as a device name for display: "pts/0" stays, and
// btmp's "ssh:notty" becomes "".
func (r Record) Terminal() string {
	if strings.Contains(r.Line, ":") {
		return ""
	}
	return r.Line
}
