package notify

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Fanotify setup: notification class, FID mode reporting the directory
// handle and entry name of each event and the target's own handle
// (FAN_REPORT_DFID_NAME_TARGET, Linux 5.17), FAN_RENAME for both names of
// a rename in one event (Linux 5.17).
const (
	fanInitFlags  = unix.FAN_CLASS_NOTIF | unix.FAN_CLOEXEC | unix.FAN_NONBLOCK | unix.FAN_REPORT_DFID_NAME_TARGET
	fanEventFlags = unix.O_RDONLY | unix.O_LARGEFILE | unix.O_CLOEXEC
	fanMask       = unix.FAN_CREATE | unix.FAN_DELETE | unix.FAN_RENAME | unix.FAN_MODIFY |
		unix.FAN_CLOSE_WRITE | unix.FAN_ATTRIB | unix.FAN_ONDIR
)

// maxOutside bounds the cache of directory handles found to be outside
// the watched paths.
const maxOutside = 4096

// Fanotify is the fanotify source: filesystem marks, events with the
// acting process.
type Fanotify struct {
	fd    int
	file  *os.File
	keep  func(string) bool
	procs procReader

	mu      sync.Mutex
	dirs    map[string]string // handle key -> local directory path
	byPath  map[string]string // local directory path -> handle key
	outside map[string]struct{}
	mounts  map[string]int   // fsid -> descriptor on that filesystem
	marked  map[uint64]error // st_dev -> result of marking it
	closed  bool
}

var _ Source = (*Fanotify)(nil)

// NewFanotify opens a fanotify group. keep, when set, drops notices on
// paths it refuses before the acting process is looked up; it must accept
// every watched directory. procDir is the /proc to read processes from.
func NewFanotify(keep func(path string) bool, procDir string) (*Fanotify, error) {
	fd, err := unix.FanotifyInit(fanInitFlags, fanEventFlags)
	if err != nil {
		return nil, fmt.Errorf("fanotify_init(FAN_REPORT_DFID_NAME_TARGET): %w", err)
	}
	if procDir == "" {
		procDir = "/proc"
	}
	return &Fanotify{fd: fd, file: os.NewFile(uintptr(fd), "fanotify"), keep: keep,
		procs: procReader{dir: procDir},
		dirs:  map[string]string{}, byPath: map[string]string{}, outside: map[string]struct{}{},
		mounts: map[string]int{}, marked: map[uint64]error{}}, nil
}

// ProbeFanotify checks that a fanotify group in the mode this source uses
// can mark the filesystem of each path (local paths of existing
// directories), and releases it.
func ProbeFanotify(dirs []string) error {
	f, err := NewFanotify(nil, "")
	if err != nil {
		return err
	}
	defer f.Close()
	for _, d := range dirs {
		if err := f.mark(d); err != nil {
			return err
		}
	}
	return nil
}

// mark marks dir's filesystem once.
func (f *Fanotify) mark(dir string) error {
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		return fmt.Errorf("fanotify: %s: %w", dir, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err, done := f.marked[st.Dev]; done {
		return err
	}
	err := unix.FanotifyMark(f.fd, unix.FAN_MARK_ADD|unix.FAN_MARK_FILESYSTEM, fanMask, unix.AT_FDCWD, dir)
	if err != nil {
		err = fmt.Errorf("fanotify_mark(FAN_MARK_FILESYSTEM) on %s: %w: %w", dir, err, ErrUnsupported)
	}
	f.marked[st.Dev] = err
	return err
}

func fsidKey(val [2]int32) string {
	var b [8]byte
	binary.NativeEndian.PutUint32(b[0:], uint32(val[0]))
	binary.NativeEndian.PutUint32(b[4:], uint32(val[1]))
	return string(b[:])
}

// Watch implements Source: it marks dir's filesystem (once) and learns
// dir's handle, so that events in dir are turned into paths.
func (f *Fanotify) Watch(dir string) error {
	if err := f.mark(dir); err != nil {
		return err
	}
	var sfs unix.Statfs_t
	if err := unix.Statfs(dir, &sfs); err != nil {
		return fmt.Errorf("fanotify: statfs %s: %w", dir, err)
	}
	fsid := fsidKey(sfs.Fsid.Val)
	h, _, err := unix.NameToHandleAt(unix.AT_FDCWD, dir, 0)
	if err != nil {
		return fmt.Errorf("fanotify: name_to_handle_at %s: %w: %w", dir, err, ErrUnsupported)
	}
	key := fsid + handleKey(uint32(h.Type()), h.Bytes())
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.mounts[fsid]; !ok {
		mfd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err == nil {
			f.mounts[fsid] = mfd
		}
	}
	if old, ok := f.byPath[dir]; ok && old != key {
		delete(f.dirs, old)
	}
	f.dirs[key] = dir
	f.byPath[dir] = key
	delete(f.outside, key)
	return nil
}

func handleKey(typ uint32, b []byte) string {
	var t [4]byte
	binary.NativeEndian.PutUint32(t[:], typ)
	return string(t[:]) + string(b)
}

// Forget implements Source.
func (f *Fanotify) Forget(dir string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for p, key := range f.byPath {
		if within(p, dir) {
			delete(f.byPath, p)
			delete(f.dirs, key)
		}
	}
}

// Dirs returns the number of directories known by handle.
func (f *Fanotify) Dirs() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.dirs)
}

func (f *Fanotify) rename(from, to string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for p, key := range f.byPath {
		if within(p, from) {
			np := to + strings.TrimPrefix(p, from)
			delete(f.byPath, p)
			f.byPath[np] = key
			f.dirs[key] = np
		}
	}
	clear(f.outside) // a directory moved in was outside until now
}

// learn records the handle of a directory that appeared at local path p,
// so that events inside it resolve without asking the kernel.
func (f *Fanotify) learn(fi fidInfo, p string) {
	if !fi.ok {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dirs[fi.key] = p
	f.byPath[p] = fi.key
	delete(f.outside, fi.key)
}

// Close implements Source.
func (f *Fanotify) Close() error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil
	}
	f.closed = true
	for _, fd := range f.mounts {
		_ = unix.Close(fd)
	}
	f.mounts = map[string]int{}
	f.mu.Unlock()
	return f.file.Close()
}

// resolve returns the local path of the directory with handle key (fsid
// first), and whether it is watched.
func (f *Fanotify) resolve(fi fidInfo) (string, bool) {
	key := fi.key
	if !fi.ok || len(key) < 12 {
		return "", false
	}
	f.mu.Lock()
	if p, ok := f.dirs[key]; ok {
		f.mu.Unlock()
		return p, true
	}
	if _, ok := f.outside[key]; ok {
		f.mu.Unlock()
		return "", false
	}
	mfd, ok := f.mounts[key[:8]]
	f.mu.Unlock()
	if !ok {
		return "", false
	}
	// A directory not met yet (created a moment ago, or elsewhere on the
	// filesystem): ask the kernel for its path.
	typ := int32(binary.NativeEndian.Uint32([]byte(key[8:12])))
	fd, err := unix.OpenByHandleAt(mfd, unix.NewFileHandle(typ, []byte(key[12:])), unix.O_PATH|unix.O_CLOEXEC)
	p := ""
	if err == nil {
		p, err = os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
		_ = unix.Close(fd)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err != nil || !strings.HasPrefix(p, "/") || strings.HasSuffix(p, " (deleted)") || f.keep != nil && !f.keep(p) {
		if len(f.outside) >= maxOutside {
			clear(f.outside)
		}
		f.outside[key] = struct{}{}
		return "", false
	}
	f.dirs[key] = p
	f.byPath[p] = key
	return p, true
}

// Run implements Source.
func (f *Fanotify) Run(ctx context.Context, out chan<- Notice) error {
	defer f.Close()
	stop := context.AfterFunc(ctx, func() { _ = f.file.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	buf := make([]byte, 64<<10)
	for {
		n, err := f.file.Read(buf)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return fmt.Errorf("fanotify read: %w", err)
		}
		stopped := false
		derr := decodeFanotify(buf[:n], func(r *fanRecord) {
			if r.fd >= 0 {
				_ = unix.Close(int(r.fd)) // FID mode opens none; never leak one
			}
			if !stopped && !f.handle(ctx, r, out) {
				stopped = true
			}
		})
		if stopped || ctx.Err() != nil {
			return nil
		}
		if derr != nil {
			select {
			case out <- Notice{Op: OpOverflow, Mechanism: MechFanotify}:
			case <-ctx.Done():
				return nil
			}
		}
	}
}

// handle turns one fanotify record into notices; false means stop.
func (f *Fanotify) handle(ctx context.Context, r *fanRecord, out chan<- Notice) bool {
	send := func(n Notice) bool {
		n.Mechanism = MechFanotify
		select {
		case out <- n:
			return true
		case <-ctx.Done():
			return false
		}
	}
	if r.mask&unix.FAN_Q_OVERFLOW != 0 {
		return send(Notice{Op: OpOverflow})
	}
	isDir := r.mask&unix.FAN_ONDIR != 0
	var n Notice
	if r.mask&unix.FAN_RENAME != 0 {
		n = Notice{Op: OpRename, Dir: isDir}
		if d, ok := f.resolve(r.old); ok {
			n.OldPath = join(d, r.old.name)
		}
		if d, ok := f.resolve(r.new); ok {
			n.Path = join(d, r.new.name)
		}
		if n = filterNotice(n, f.keep); n.Op == 0 {
			return true
		}
		if isDir {
			if n.OldPath != "" && n.Path != "" {
				f.rename(n.OldPath, n.Path)
			} else if n.OldPath != "" {
				f.Forget(n.OldPath)
			}
			if n.Path != "" {
				f.learn(r.target, n.Path)
			}
		}
		n.Proc = f.procs.read(r.pid)
		return send(n)
	}
	if !r.dir.ok {
		return true
	}
	d, ok := f.resolve(r.dir)
	if !ok {
		return true
	}
	p := join(d, r.dir.name)
	if f.keep != nil && !f.keep(p) {
		return true
	}
	if isDir && r.mask&unix.FAN_DELETE != 0 {
		f.Forget(p)
	}
	if isDir && r.mask&unix.FAN_CREATE != 0 {
		f.learn(r.target, p)
	}
	proc := f.procs.read(r.pid)
	for _, op := range []struct {
		bit uint64
		op  Op
	}{{unix.FAN_CREATE, OpCreate}, {unix.FAN_MODIFY, OpModify}, {unix.FAN_ATTRIB, OpAttrib},
		{unix.FAN_CLOSE_WRITE, OpCloseWrite}, {unix.FAN_DELETE, OpDelete}} {
		if r.mask&op.bit != 0 && !send(Notice{Op: op.op, Path: p, Dir: isDir, Proc: proc}) {
			return false
		}
	}
	return true
}

// fidInfo is one file identifier record: handle key (fsid, handle type,
// handle) and, for directory records, the entry name.
type fidInfo struct {
	ok   bool
	key  string
	name string
}

// fanRecord is one decoded fanotify event.
type fanRecord struct {
	mask   uint64
	pid    int32
	fd     int32   // FAN_NOFD in FID mode
	dir    fidInfo // FAN_EVENT_INFO_TYPE_DFID_NAME or DFID
	old    fidInfo // FAN_EVENT_INFO_TYPE_OLD_DFID_NAME
	new    fidInfo // FAN_EVENT_INFO_TYPE_NEW_DFID_NAME
	target fidInfo // FAN_EVENT_INFO_TYPE_FID
}

// errFanotifyRecord is returned for a buffer that is not a sequence of
// whole fanotify events of the known version.
var errFanotifyRecord = errors.New("malformed fanotify record")

const fanMetadataLen = 24

// decodeFanotify calls fn for each event in b: struct
// fanotify_event_metadata followed by info records (header, fsid, struct
// file_handle, NUL-terminated name for the DFID_NAME kinds). Info records
// of other kinds are skipped.
func decodeFanotify(b []byte, fn func(*fanRecord)) error {
	for len(b) > 0 {
		if len(b) < fanMetadataLen {
			return errFanotifyRecord
		}
		evLen := binary.NativeEndian.Uint32(b[0:])
		vers := b[4]
		metaLen := binary.NativeEndian.Uint16(b[6:])
		if vers != unix.FANOTIFY_METADATA_VERSION || evLen < fanMetadataLen || uint64(evLen) > uint64(len(b)) ||
			metaLen < fanMetadataLen || uint32(metaLen) > evLen {
			return errFanotifyRecord
		}
		r := fanRecord{
			mask: binary.NativeEndian.Uint64(b[8:]),
			pid:  int32(binary.NativeEndian.Uint32(b[20:])),
		}
		r.fd = int32(binary.NativeEndian.Uint32(b[16:]))
		info := b[metaLen:evLen]
		for len(info) > 0 {
			if len(info) < 4 {
				return errFanotifyRecord
			}
			typ, n := info[0], int(binary.NativeEndian.Uint16(info[2:]))
			if n < 4 || n > len(info) {
				return errFanotifyRecord
			}
			rec := info[:n]
			info = info[n:]
			var dst *fidInfo
			named := true
			switch typ {
			case unix.FAN_EVENT_INFO_TYPE_DFID_NAME:
				dst = &r.dir
			case unix.FAN_EVENT_INFO_TYPE_DFID:
				dst, named = &r.dir, false
			case unix.FAN_EVENT_INFO_TYPE_OLD_DFID_NAME:
				dst = &r.old
			case unix.FAN_EVENT_INFO_TYPE_NEW_DFID_NAME:
				dst = &r.new
			case unix.FAN_EVENT_INFO_TYPE_FID:
				dst, named = &r.target, false
			default:
				continue
			}
			fi, err := decodeFid(rec[4:], named)
			if err != nil {
				return err
			}
			*dst = fi
		}
		fn(&r)
		b = b[evLen:]
	}
	return nil
}

// decodeFid reads fsid, struct file_handle and, when named, the name.
func decodeFid(b []byte, named bool) (fidInfo, error) {
	if len(b) < 16 {
		return fidInfo{}, errFanotifyRecord
	}
	fsid := b[:8]
	hb := binary.NativeEndian.Uint32(b[8:])
	typ := binary.NativeEndian.Uint32(b[12:])
	if uint64(hb) > uint64(len(b)-16) || hb > 128 {
		return fidInfo{}, errFanotifyRecord
	}
	fi := fidInfo{ok: true, key: string(fsid) + handleKey(typ, b[16:16+hb])}
	if named {
		name := b[16+hb:]
		i := indexNUL(name)
		if i < 0 {
			return fidInfo{}, errFanotifyRecord
		}
		fi.name = string(name[:i])
		if strings.IndexByte(fi.name, '/') >= 0 {
			return fidInfo{}, errFanotifyRecord
		}
	}
	return fi, nil
}
