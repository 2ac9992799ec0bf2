package authlog

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// consumer handles the complete units (lines, records) at the start of
// the bytes read from a file.
type consumer interface {
	// consume handles the units at the start of data and returns how
	// many bytes it used. full means data fills the read buffer; final
	// means the file will not grow any more, so an incomplete unit at
	// the end is all there will be of it.
	consume(of *openFile, data []byte, full, final bool) int
	// lastTime and setLastTime carry the time of the last unit across
	// restarts, for consumers that need it (year inference).
	lastTime() time.Time
	setLastTime(time.Time)
}

// openFile is one open file being read.
type openFile struct {
	f        *os.File
	dev, ino uint64
	// off is the file offset of the first byte not yet handled; buf
	// holds the bytes read from off on.
	off int64
	buf []byte
	// head is the file's first bytes, to tell the file truncated and
	// written again from the one read.
	head []byte
	// skipping is set inside a line longer than the buffer.
	skipping bool
	// retiredAt is when the file was found rotated away.
	retiredAt time.Time
}

// headLen is how many leading bytes identify a file's content.
const headLen = 64

func (of *openFile) cursor() cursor {
	return cursor{Dev: of.dev, Inode: of.ino, Offset: of.off, Head: bytes.Clone(of.head)}
}

func (of *openFile) close() {
	if of.f != nil {
		_ = of.f.Close()
		of.f = nil
	}
}

// follower follows one path through rotations (rename and a new file,
// or copy and truncate) and restarts: it reads what is appended, hands
// it to its consumer, and records how far it got.
type follower struct {
	// path is the file's path on this machine (under the root); key is
	// its path on the host, the state's key.
	path, key string
	c         consumer
	store     *stateStore
	log       *slog.Logger
	stats     *counters
	bufSize   int
	// align is the unit size a position at the end is rounded down to
	// (1 for lines).
	align int64
	// startAtEnd says to skip what a file holds when there is no saved
	// position and the file exists when the follower starts.
	startAtEnd bool
	// grace is how long a rotated file is still read, for what its
	// writer appends before reopening the new one.
	grace time.Duration

	started bool
	cur     *openFile
	rotated []*openFile
	saved   fileState
	// reopenAt is the position of a current file closed after a read
	// error, where reading resumes when it is opened again.
	reopenAt *cursor
}

// poll reads everything new, notices rotation and truncation, and
// records the position. It returns only errors that reading again will
// not cure.
func (fw *follower) poll(now time.Time) {
	if !fw.started {
		fw.started = true
		fw.resume(now)
	}
	kept := fw.rotated[:0]
	for _, of := range fw.rotated {
		final := now.Sub(of.retiredAt) >= fw.grace
		fw.drain(of, final)
		if final || of.f == nil {
			of.close()
			continue
		}
		kept = append(kept, of)
	}
	clear(fw.rotated[len(kept):])
	fw.rotated = kept
	if fw.cur == nil {
		fw.cur = fw.open(fw.reopenAt)
		if fw.cur != nil {
			fw.reopenAt = nil
		}
	}
	if fw.cur != nil {
		fw.drain(fw.cur, false)
		fw.check(now)
	}
	fw.record()
}

// close stops following: rotated files are read to their end, and the
// position is recorded.
func (fw *follower) close() {
	for _, of := range fw.rotated {
		// What a rotated file holds now is all it will: its writer has
		// moved on. The last line may still lack its newline if the
		// writer is slow; it is read from the saved position next time.
		fw.drain(of, false)
	}
	fw.record()
	for _, of := range fw.rotated {
		of.close()
	}
	fw.rotated = nil
	if fw.cur != nil {
		fw.cur.close()
		fw.cur = nil
	}
	fw.started = false
}

// resume opens the files where the saved state says reading stopped:
// rotated files still unread first, found by their inode next to the
// path, then the current one.
func (fw *follower) resume(now time.Time) {
	saved := fw.store.file(fw.key)
	st, statErr := os.Stat(fw.path)
	if saved == nil {
		if statErr != nil {
			return // read from its start when it appears
		}
		fw.cur = fw.open(nil)
		if fw.cur != nil && fw.startAtEnd {
			end := st.Size() / fw.align * fw.align
			if _, err := fw.cur.f.Seek(end, io.SeekStart); err == nil {
				fw.cur.off = end
			}
		}
		return
	}
	fw.c.setLastTime(saved.LastTime)
	fw.saved = *saved
	cursors := append(saved.Rotated, saved.Current)
	for _, c := range cursors {
		if c.Inode == 0 {
			continue
		}
		if statErr == nil && sameFile(st, c) && fw.cur == nil {
			fw.cur = fw.open(&c)
			continue
		}
		name := fw.findRotated(c)
		if name == "" {
			fw.stats.gaps.Add(1)
			fw.log.Warn("rotated log file not found: lines written after the saved position before rotation are missed",
				"path", fw.path, "inode", c.Inode, "offset", c.Offset)
			continue
		}
		if of := fw.openAt(name, &c); of != nil {
			of.retiredAt = now
			fw.rotated = append(fw.rotated, of)
		}
	}
	if fw.cur == nil && statErr == nil {
		fw.cur = fw.open(nil) // created after the saved position's file was rotated
	}
}

// open opens the followed path at c, or at its start when c is nil.
func (fw *follower) open(c *cursor) *openFile {
	return fw.openAt(fw.path, c)
}

// openAt opens name and positions it at c when c still describes its
// content (same size or larger, same first bytes), else at its start.
func (fw *follower) openAt(name string, c *cursor) *openFile {
	f, err := os.Open(name)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			fw.stats.readErrors.Add(1)
			fw.log.Warn("cannot open log file", "path", name, "err", err)
		}
		return nil
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		fw.stats.readErrors.Add(1)
		fw.log.Warn("cannot stat log file", "path", name, "err", err)
		return nil
	}
	dev, ino := fileID(fi)
	of := &openFile{f: f, dev: dev, ino: ino, buf: make([]byte, 0, fw.bufSize)}
	of.head = readHead(f, fi.Size())
	if c == nil || c.Dev != dev || c.Inode != ino {
		return of
	}
	if fi.Size() < c.Offset || !bytes.HasPrefix(of.head, c.Head) && !bytes.HasPrefix(c.Head, of.head) {
		fw.stats.truncations.Add(1)
		fw.log.Info("log file was truncated since it was last read; reading it from its start", "path", name)
		return of
	}
	if _, err := f.Seek(c.Offset, io.SeekStart); err != nil {
		fw.log.Warn("cannot seek in log file; reading it from its start", "path", name, "err", err)
		return of
	}
	of.off = c.Offset
	return of
}

// drain reads of to its current end and hands the bytes to the
// consumer. final says that of will not grow any more.
func (fw *follower) drain(of *openFile, final bool) {
	if of.f == nil {
		return
	}
	for {
		if len(of.buf) == cap(of.buf) {
			fw.handOver(of, true, false)
		}
		n, err := of.f.Read(of.buf[len(of.buf):cap(of.buf)])
		of.buf = of.buf[:len(of.buf)+n]
		if n > 0 {
			fw.handOver(of, len(of.buf) == cap(of.buf), false)
		}
		if err == io.EOF || n == 0 && err == nil {
			break
		}
		if err != nil {
			fw.stats.readErrors.Add(1)
			fw.log.Warn("cannot read log file; it is opened again", "path", fw.path, "err", err)
			of.close()
			return
		}
	}
	if final && len(of.buf) > 0 {
		fw.handOver(of, false, true)
	}
	if len(of.head) < headLen {
		if fi, err := of.f.Stat(); err == nil {
			of.head = readHead(of.f, fi.Size())
		}
	}
}

// handOver gives the buffered bytes to the consumer and drops what it
// used.
func (fw *follower) handOver(of *openFile, full, final bool) {
	used := fw.c.consume(of, of.buf, full, final)
	if used <= 0 {
		return
	}
	of.off += int64(used)
	n := copy(of.buf, of.buf[used:])
	of.buf = of.buf[:n]
}

// check compares the open file with the path: a different file there
// (or none) means the open one was rotated away; a smaller size or other
// first bytes mean it was truncated (copytruncate).
func (fw *follower) check(now time.Time) {
	of := fw.cur
	if of.f == nil { // closed after a read error: open it again where it was
		c := of.cursor()
		fw.reopenAt, fw.cur = &c, nil
		return
	}
	st, err := os.Stat(fw.path)
	if err != nil || !sameFile(st, cursor{Dev: of.dev, Inode: of.ino}) {
		fw.stats.rotations.Add(1)
		of.retiredAt = now
		fw.rotated = append(fw.rotated, of)
		fw.cur = nil
		if err == nil {
			fw.cur = fw.open(nil)
			if fw.cur != nil {
				fw.drain(fw.cur, false)
			}
		}
		return
	}
	fi, err := of.f.Stat()
	if err != nil {
		return
	}
	read := of.off + int64(len(of.buf))
	head := readHead(of.f, fi.Size())
	if fi.Size() >= read && bytes.HasPrefix(head, of.head) {
		of.head = head
		return
	}
	fw.stats.truncations.Add(1)
	fw.log.Info("log file truncated; reading it from its start", "path", fw.path)
	if _, err := of.f.Seek(0, io.SeekStart); err != nil {
		of.close()
		fw.cur = nil
		return
	}
	of.off, of.buf, of.skipping, of.head = 0, of.buf[:0], false, head
	fw.drain(of, false)
}

// record stores the position in the state when it moved.
func (fw *follower) record() {
	st := fileState{LastTime: fw.c.lastTime()}
	switch {
	case fw.cur != nil:
		st.Current = fw.cur.cursor()
	case fw.reopenAt != nil:
		st.Current = *fw.reopenAt
	}
	for _, of := range fw.rotated {
		st.Rotated = append(st.Rotated, of.cursor())
	}
	if sameState(st, fw.saved) {
		return
	}
	fw.saved = st
	fw.store.setFile(fw.key, st)
}

func sameState(a, b fileState) bool {
	if !a.LastTime.Equal(b.LastTime) || !sameCursor(a.Current, b.Current) || len(a.Rotated) != len(b.Rotated) {
		return false
	}
	for i := range a.Rotated {
		if !sameCursor(a.Rotated[i], b.Rotated[i]) {
			return false
		}
	}
	return true
}

func sameCursor(a, b cursor) bool {
	return a.Dev == b.Dev && a.Inode == b.Inode && a.Offset == b.Offset && bytes.Equal(a.Head, b.Head)
}

// findRotated looks next to the path for the rotated file c names: a
// sibling whose name starts with the path's and a dot or dash
// ("auth.log.1", "secure-20261129"), not compressed, with c's inode.
func (fw *follower) findRotated(c cursor) string {
	dir, base := filepath.Split(fw.path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	for _, e := range entries {
		name := e.Name()
		if name == base || !strings.HasPrefix(name, base) || len(name) == len(base) ||
			(name[len(base)] != '.' && name[len(base)] != '-') || compressed(name) {
			continue
		}
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && sameFile(st, c) {
			return p
		}
	}
	return ""
}

func compressed(name string) bool {
	for _, ext := range []string{".gz", ".xz", ".bz2", ".zst", ".lz4", ".Z"} {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

// readHead returns up to headLen leading bytes of f.
func readHead(f *os.File, size int64) []byte {
	n := min(size, headLen)
	if n <= 0 {
		return nil
	}
	b := make([]byte, n)
	m, _ := f.ReadAt(b, 0)
	return b[:m]
}

// fileID returns the device and inode of a file.
func fileID(fi os.FileInfo) (dev, ino uint64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev), st.Ino
	}
	return 0, 0
}

func sameFile(fi os.FileInfo, c cursor) bool {
	dev, ino := fileID(fi)
	return ino != 0 && dev == c.Dev && ino == c.Inode
}
