package users

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/rootfs"
	"github.com/vigilsec/vigil/internal/agent/sense/authlog/utmp"
)

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
// records), where the latest logins are. Tests lower it.
var maxWtmp int64 = 64 << 20

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
		size := utmp.Native.LastlogSize()
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
			rec, err := utmp.Native.DecodeLastlog(buf)
			if err != nil {
				l.Corrupt++
				continue
			}
			if !rec.Time.IsZero() {
				l.byUID[uid] = rec.Time
			}
		}
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
	size := int64(utmp.Native.RecordSize())
	end := fi.Size() - fi.Size()%size
	start := max(end-maxWtmp/size*size, 0) // at a record's start
	r := io.NewSectionReader(f, start, end-start)
	buf := make([]byte, min(wtmpChunk*size, end-start))
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
	size := utmp.Native.RecordSize()
	for len(data) >= size {
		rec, err := utmp.Native.Decode(data[:size])
		data = data[size:]
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
