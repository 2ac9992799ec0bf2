package notify

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// inotifyMask is what each directory watch asks for. IN_EXCL_UNLINK keeps
// unlinked-but-open files quiet; IN_DONT_FOLLOW and IN_ONLYDIR refuse a
// symlink or file put where a directory was.
const inotifyMask = unix.IN_CREATE | unix.IN_DELETE | unix.IN_MODIFY | unix.IN_CLOSE_WRITE |
	unix.IN_ATTRIB | unix.IN_MOVED_FROM | unix.IN_MOVED_TO | unix.IN_DELETE_SELF | unix.IN_MOVE_SELF |
	unix.IN_DONT_FOLLOW | unix.IN_EXCL_UNLINK | unix.IN_ONLYDIR

// renameWait is how long a move out of a directory waits for its move in
// to arrive: the kernel queues both together, so this only bridges a read
// buffer that ends between them.
const renameWait = 50 * time.Millisecond

// Inotify is the inotify source. The kernel does not tell the acting
// process.
type Inotify struct {
	fd   int
	file *os.File
	keep func(string) bool

	mu    sync.Mutex
	wds   map[int32]string
	paths map[string]int32
}

var _ Source = (*Inotify)(nil)

// NewInotify opens an inotify instance. keep, when set, drops notices on
// paths it refuses.
func NewInotify(keep func(path string) bool) (*Inotify, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("inotify_init1: %w", err)
	}
	return &Inotify{fd: fd, file: os.NewFile(uintptr(fd), "inotify"), keep: keep,
		wds: map[int32]string{}, paths: map[string]int32{}}, nil
}

// Watch implements Source.
func (w *Inotify) Watch(dir string) error {
	wd, err := unix.InotifyAddWatch(w.fd, dir, inotifyMask)
	if err != nil {
		if errors.Is(err, unix.ENOSPC) {
			return fmt.Errorf("inotify watch %s: %w (fs.inotify.max_user_watches reached)", dir, err)
		}
		return fmt.Errorf("inotify watch %s: %w", dir, err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if old, ok := w.wds[int32(wd)]; ok && old != dir {
		delete(w.paths, old)
	}
	w.wds[int32(wd)] = dir
	w.paths[dir] = int32(wd)
	return nil
}

// Forget implements Source.
func (w *Inotify) Forget(dir string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for p, wd := range w.paths {
		if within(p, dir) {
			_, _ = unix.InotifyRmWatch(w.fd, uint32(wd))
			delete(w.paths, p)
			delete(w.wds, wd)
		}
	}
}

// Watches returns the number of directories watched.
func (w *Inotify) Watches() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.wds)
}

// Close implements Source.
func (w *Inotify) Close() error { return w.file.Close() }

// movedFrom is a move out of a directory waiting for its move in.
type movedFrom struct {
	cookie uint32
	path   string
	dir    bool
}

// Run implements Source.
func (w *Inotify) Run(ctx context.Context, out chan<- Notice) error {
	defer w.file.Close()
	stop := context.AfterFunc(ctx, func() { _ = w.file.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	buf := make([]byte, 64<<10)
	var pending []movedFrom
	send := func(n Notice) bool {
		if n = filterNotice(n, w.keep); n.Op == 0 {
			return true
		}
		n.Mechanism = MechInotify
		select {
		case out <- n:
			return true
		case <-ctx.Done():
			return false
		}
	}
	flushMoves := func() bool {
		for _, m := range pending {
			if m.dir {
				w.Forget(m.path)
			}
			if !send(Notice{Op: OpRename, OldPath: m.path, Dir: m.dir}) {
				return false
			}
		}
		pending = pending[:0]
		return true
	}
	for {
		if len(pending) > 0 {
			_ = w.file.SetReadDeadline(time.Now().Add(renameWait))
		} else {
			_ = w.file.SetReadDeadline(time.Time{})
		}
		if ctx.Err() != nil {
			return nil
		}
		n, err := w.file.Read(buf)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			if !flushMoves() {
				return nil
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("inotify read: %w", err)
		}
		var sendErr error
		derr := decodeInotify(buf[:n], func(wd int32, mask, cookie uint32, name string) {
			if sendErr != nil {
				return
			}
			if !w.handle(wd, mask, cookie, name, &pending, send) {
				sendErr = ctx.Err()
			}
		})
		if sendErr != nil || ctx.Err() != nil {
			return nil
		}
		if derr != nil {
			// A malformed buffer cannot be read further: whatever it held
			// must be found by a rescan.
			if !send(Notice{Op: OpOverflow, Malformed: true}) {
				return nil
			}
		}
	}
}

// handle turns one inotify record into notices; false means stop.
func (w *Inotify) handle(wd int32, mask, cookie uint32, name string, pending *[]movedFrom, send func(Notice) bool) bool {
	if mask&unix.IN_Q_OVERFLOW != 0 {
		return send(Notice{Op: OpOverflow})
	}
	w.mu.Lock()
	dir, ok := w.wds[wd]
	parentWatched := false
	if ok {
		_, parentWatched = w.paths[parentOf(dir)]
	}
	if mask&unix.IN_IGNORED != 0 && ok {
		delete(w.wds, wd)
		if w.paths[dir] == wd {
			delete(w.paths, dir)
		}
	}
	w.mu.Unlock()
	if !ok || mask&unix.IN_IGNORED != 0 {
		return true
	}
	isDir := mask&unix.IN_ISDIR != 0
	if name == "" {
		// An event on the watched directory itself: its parent's watch
		// reports it too, unless the parent is not watched.
		if parentWatched {
			return true
		}
		switch {
		case mask&unix.IN_DELETE_SELF != 0:
			return send(Notice{Op: OpDelete, Path: dir, Dir: true})
		case mask&unix.IN_MOVE_SELF != 0:
			w.Forget(dir)
			return send(Notice{Op: OpRename, OldPath: dir, Dir: true})
		case mask&unix.IN_ATTRIB != 0:
			return send(Notice{Op: OpAttrib, Path: dir, Dir: true})
		}
		return true
	}
	p := join(dir, name)
	switch {
	case mask&unix.IN_MOVED_FROM != 0:
		*pending = append(*pending, movedFrom{cookie: cookie, path: p, dir: isDir})
		return true
	case mask&unix.IN_MOVED_TO != 0:
		for i, m := range *pending {
			if m.cookie == cookie {
				*pending = append((*pending)[:i], (*pending)[i+1:]...)
				if isDir {
					w.rename(m.path, p)
				}
				return send(Notice{Op: OpRename, OldPath: m.path, Path: p, Dir: isDir})
			}
		}
		return send(Notice{Op: OpRename, Path: p, Dir: isDir})
	}
	for _, op := range []struct {
		bit uint32
		op  Op
	}{{unix.IN_CREATE, OpCreate}, {unix.IN_MODIFY, OpModify}, {unix.IN_ATTRIB, OpAttrib},
		{unix.IN_CLOSE_WRITE, OpCloseWrite}, {unix.IN_DELETE, OpDelete}} {
		if mask&op.bit != 0 && !send(Notice{Op: op.op, Path: p, Dir: isDir}) {
			return false
		}
	}
	return true
}

// rename moves the watches of directory from and below to their new
// paths.
func (w *Inotify) rename(from, to string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for p, wd := range w.paths {
		if within(p, from) {
			np := to + strings.TrimPrefix(p, from)
			delete(w.paths, p)
			w.paths[np] = wd
			w.wds[wd] = np
		}
	}
}

func parentOf(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

// errInotifyRecord is returned for a buffer that is not a sequence of
// whole inotify_event records.
var errInotifyRecord = errors.New("malformed inotify record")

// decodeInotify calls fn for each struct inotify_event in b (wd, mask,
// cookie, len, then len bytes of NUL-padded name).
func decodeInotify(b []byte, fn func(wd int32, mask, cookie uint32, name string)) error {
	for len(b) > 0 {
		if len(b) < unix.SizeofInotifyEvent {
			return errInotifyRecord
		}
		wd := int32(binary.NativeEndian.Uint32(b[0:]))
		mask := binary.NativeEndian.Uint32(b[4:])
		cookie := binary.NativeEndian.Uint32(b[8:])
		n := binary.NativeEndian.Uint32(b[12:])
		if uint64(n) > uint64(len(b)-unix.SizeofInotifyEvent) {
			return errInotifyRecord
		}
		name := b[unix.SizeofInotifyEvent : unix.SizeofInotifyEvent+int(n)]
		if i := indexNUL(name); i >= 0 {
			name = name[:i]
		}
		fn(wd, mask, cookie, string(name))
		b = b[unix.SizeofInotifyEvent+int(n):]
	}
	return nil
}

func indexNUL(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return -1
}
