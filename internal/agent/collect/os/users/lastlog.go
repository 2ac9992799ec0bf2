package users

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"
	"unicode/utf8"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/rootfs"
	"github.com/vigilsec/vigil/internal/agent/sense/authlog/utmp"
)

// Lastlog is one record of /var/log/lastlog: the last login of the
// account whose uid is the record's index. The file is sparse, indexed
// by uid, written by login, sshd and pam_lastlog.
//
// Layout (glibc's struct lastlog): ll_time, then ll_line [32]byte and
// ll_host [256]byte. ll_time is 32 bits where glibc keeps 32-bit time
// fields for compatibility (x86-64, 32-bit systems, PowerPC, SPARC,
// MIPS), so a record is 292 bytes; 64 bits elsewhere (arm64, RISC-V,
// s390x, LoongArch), 296 bytes.
type Lastlog struct {
	Time time.Time
	// Line is the terminal ("pts/0"), Host the remote host.
	Line, Host string
}

// Sizes of struct lastlog.
const (
	LastlogSize32 = 292
	LastlogSize64 = 296
)

// lastlogSize is the record size of this architecture's glibc.
func lastlogSize(goarch string) int {
	switch goarch {
	case "arm64", "riscv64", "s390x", "loong64":
		return LastlogSize64
	}
	return LastlogSize32
}

// ErrCorruptLastlog reports a record that cannot be a struct lastlog.
var ErrCorruptLastlog = errors.New("corrupt lastlog record")

// DecodeLastlog decodes one record of LastlogSize32 or LastlogSize64
// bytes in byte order order. An all-zero record (never logged in) gives
// the zero Lastlog. Text that is not printable UTF-8 is
// ErrCorruptLastlog.
func DecodeLastlog(b []byte, order binary.ByteOrder) (Lastlog, error) {
	var sec int64
	var rest []byte
	switch len(b) {
	case LastlogSize32:
		sec, rest = int64(order.Uint32(b)), b[4:]
	case LastlogSize64:
		s := int64(order.Uint64(b))
		if s < 0 || s > 1<<40 {
			return Lastlog{}, fmt.Errorf("%w: time %d", ErrCorruptLastlog, s)
		}
		sec, rest = s, b[8:]
	default:
		return Lastlog{}, fmt.Errorf("%w: %d bytes", ErrCorruptLastlog, len(b))
	}
	line, err := cString(rest[:32])
	if err != nil {
		return Lastlog{}, fmt.Errorf("%w: ll_line: %v", ErrCorruptLastlog, err)
	}
	host, err := cString(rest[32:288])
	if err != nil {
		return Lastlog{}, fmt.Errorf("%w: ll_host: %v", ErrCorruptLastlog, err)
	}
	l := Lastlog{Line: line, Host: host}
	if sec != 0 {
		l.Time = time.Unix(sec, 0).UTC()
	}
	return l, nil
}

// cString returns the text of a NUL-padded field, which must be
// printable UTF-8.
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

// logins reads when each account last logged in, from lastlog (by uid)
// and wtmp (by name).
type logins struct {
	byUID  map[int64]time.Time
	byName map[string]time.Time
	// Corrupt counts records that could not be decoded.
	Corrupt int
}

// last returns the later of the account's lastlog and wtmp times.
func (l logins) last(uid int64, name string) time.Time {
	a, b := l.byUID[uid], l.byName[name]
	if b.After(a) {
		return b
	}
	return a
}

// maxWtmp bounds what is read of wtmp: its last 64 MiB (some 170,000
// records), where the latest logins are.
const maxWtmp = 64 << 20

// readLogins reads /var/log/lastlog for the given uids (the file is
// sparse and may be terabytes long when a uid is large: only the
// records of known accounts are read) and /var/log/wtmp. Missing files
// are no error.
func readLogins(fsys *rootfs.FS, uids []int64) (logins, error) {
	l := logins{byUID: map[int64]time.Time{}, byName: map[string]time.Time{}}
	if f, err := openRegular(fsys, "/var/log/lastlog"); err != nil {
		if !rootfs.IsNotExist(err) {
			return l, err
		}
	} else {
		defer f.Close()
		size := lastlogSize(runtime.GOARCH)
		buf := make([]byte, size)
		for _, uid := range uids {
			if uid < 0 {
				continue
			}
			n, err := f.ReadAt(buf, uid*int64(size))
			if err == io.EOF && n == 0 {
				continue // past the end: never logged in
			}
			if err != nil && err != io.EOF {
				return l, fmt.Errorf("read lastlog: %w", err)
			}
			if n < size {
				l.Corrupt++
				continue
			}
			rec, err := DecodeLastlog(buf, binary.NativeEndian)
			if err != nil {
				l.Corrupt++
				continue
			}
			if !rec.Time.IsZero() {
				l.byUID[uid] = rec.Time
			}
		}
	}
	if !utmpLayout(runtime.GOARCH) {
		return l, nil
	}
	f, err := openRegular(fsys, "/var/log/wtmp")
	if err != nil {
		if rootfs.IsNotExist(err) {
			return l, nil
		}
		return l, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return l, fmt.Errorf("wtmp: %w", err)
	}
	end := fi.Size() - fi.Size()%utmp.RecordSize
	start := max(end-maxWtmp, 0)
	r := io.NewSectionReader(f, start, end-start)
	buf := make([]byte, min(wtmpChunk*utmp.RecordSize, end-start))
	for len(buf) > 0 {
		n, err := io.ReadFull(r, buf)
		l.Corrupt += l.addWtmp(buf[:n])
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return l, fmt.Errorf("read wtmp: %w", err)
		}
	}
	if fi.Size() != end {
		l.Corrupt++ // a partial record at the end
	}
	return l, nil
}

// wtmpChunk is the number of wtmp records read at a time.
const wtmpChunk = 1024

// addWtmp records the USER_PROCESS entries of wtmp data and returns the
// number of records that could not be decoded.
func (l logins) addWtmp(data []byte) int {
	corrupt := 0
	for len(data) >= utmp.RecordSize {
		rec, err := utmp.Decode(data[:utmp.RecordSize], binary.NativeEndian)
		data = data[utmp.RecordSize:]
		if err != nil {
			corrupt++
			continue
		}
		if rec.Type != utmp.UserProcess || rec.User == "" || rec.Time.IsZero() {
			continue
		}
		if rec.Time.After(l.byName[rec.User]) {
			l.byName[rec.User] = rec.Time
		}
	}
	if len(data) > 0 {
		corrupt++
	}
	return corrupt
}

// utmpLayout reports whether glibc's struct utmp on goarch is the
// 384-byte layout package utmp decodes: true where glibc keeps 32-bit
// time fields (x86-64, 32-bit systems, PowerPC, SPARC, MIPS); arm64,
// RISC-V, s390x and LoongArch use 64-bit ones.
func utmpLayout(goarch string) bool { return lastlogSize(goarch) == LastlogSize32 }

// openRegular opens a regular file below the root, links resolved inside
// it.
func openRegular(fsys *rootfs.FS, p string) (*os.File, error) {
	r, ok, err := fsys.Resolve(p)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%s: %w", p, os.ErrNotExist)
	}
	f, err := os.OpenFile(fsys.Host(r), os.O_RDONLY|oNoFollow|oNonBlock, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", p, err)
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s: %w", p, rootfs.ErrNotFile)
	}
	return f, nil
}
