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
	"sync/atomic"
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
	// fanMask is what is reported of a watched directory: entries
	// created, deleted and renamed (FAN_RENAME gives both names of a
	// move in one event, so FAN_MOVED_FROM and FAN_MOVED_TO would only
	// repeat it), and writes, closes after writing and attribute changes
	// of the directory and, with FAN_EVENT_ON_CHILD, of its entries.
	fanMask = unix.FAN_CREATE | unix.FAN_DELETE | unix.FAN_RENAME | unix.FAN_MODIFY |
		unix.FAN_CLOSE_WRITE | unix.FAN_ATTRIB | unix.FAN_ONDIR
	// fanDirMask is the inode mark of a directory in a watched tree.
	fanDirMask = fanMask | unix.FAN_EVENT_ON_CHILD
	// fanAboveMask is the inode mark of a directory above the watched
	// trees: only its entries appearing, going and moving matter (a tree
	// created, deleted or renamed); the trees' own changes come from
	// their own marks. A tree that is not a directory needs fanDirMask
	// on its parent instead.
	fanAboveMask = unix.FAN_CREATE | unix.FAN_DELETE | unix.FAN_RENAME | unix.FAN_ONDIR
)

// Kinds of fanotify marks.
const (
	// MarksInode places a mark on each watched directory
	// (FAN_MARK_INODE): the kernel reports what happens in those
	// directories only.
	MarksInode = "inode"
	// MarksFilesystem marks each watched directory's whole filesystem
	// once (FAN_MARK_FILESYSTEM): the kernel reports every change on it
	// and the source drops those outside the watched directories.
	MarksFilesystem = "filesystem"
)

// maxOutside bounds the cache of directory handles found to be outside
// the watched paths.
const maxOutside = 4096

// errMarkBound is the cause of a fallback forced by
// FanotifyOptions.MaxInodeMarks.
var errMarkBound = errors.New("bound of inode marks reached")

// FanotifyOptions configure a fanotify source.
type FanotifyOptions struct {
	// Keep, when set, drops notices on paths it refuses before the
	// acting process is looked up; it must accept every watched
	// directory.
	Keep func(path string) bool
	// ProcDir is the /proc to read acting processes from ("/proc").
	ProcDir string
	// Marks is MarksInode (the default) or MarksFilesystem.
	Marks string
	// Trees are the watched trees (local paths). A directory in a tree is
	// marked for its entries' changes; a directory outside every tree
	// (above one, watched for the tree to appear) only for its entries
	// appearing, going and moving.
	Trees []string
	// MaxInodeMarks bounds the inode marks the source holds, as if the
	// kernel's limit were reached there; 0 leaves the bound to the
	// kernel (fs.fanotify.max_user_marks, shared by the user's fanotify
	// groups).
	MaxInodeMarks int
	// OnFallback is called when inode marks do not fit and a filesystem
	// is marked as a whole instead (once per filesystem). It must not
	// call the source.
	OnFallback func(Fallback)
}

// Fallback tells that a directory's inode mark did not fit, so that its
// filesystem is marked as a whole instead: every watched tree on that
// filesystem is then watched through the filesystem mark, and their
// inode marks are released.
type Fallback struct {
	// Dir is the directory whose mark did not fit and Tree the watched
	// tree holding it (Dir when outside every tree); local paths.
	Dir, Tree string
	// Cause is why: the kernel's limit (wrapping unix.ENOSPC) or
	// MaxInodeMarks.
	Cause error
}

// FanotifyStats are a source's figures.
type FanotifyStats struct {
	// Reads counts the reads of the fanotify descriptor that returned
	// events: each is one wake-up of the reader.
	Reads uint64
	// Records counts the events read.
	Records uint64
	// InodeMarks is the number of directories marked now.
	InodeMarks int
	// FilesystemMarks is the number of filesystems marked as a whole.
	FilesystemMarks int
}

// Fanotify is the fanotify source: inode or filesystem marks, events
// with the acting process.
type Fanotify struct {
	fd         int
	file       *os.File
	keep       func(string) bool
	procs      procReader
	marks      string
	trees      []string
	maxMarks   int
	onFallback func(Fallback)

	reads, records atomic.Uint64

	mu      sync.Mutex
	dirs    map[string]string // handle key -> local directory path
	byPath  map[string]string // local directory path -> handle key
	outside map[string]struct{}
	mounts  map[string]int // fsid -> descriptor on that filesystem
	closed  bool

	// markMu guards the marks; it is taken before mu.
	markMu sync.Mutex
	inode  map[string]inodeMark // handle key -> the directory's mark
	fs     map[uint64]*fsMark   // st_dev -> its filesystem mark
}

// inodeMark is one directory's mark.
type inodeMark struct {
	dev  uint64
	mask uint64
}

// fsMark is the result of marking a filesystem, and why it was marked.
type fsMark struct {
	err      error
	fallback *Fallback // nil when marked by the MarksFilesystem choice
}

var _ Source = (*Fanotify)(nil)

// NewFanotify opens a fanotify group.
func NewFanotify(opt FanotifyOptions) (*Fanotify, error) {
	switch opt.Marks {
	case "":
		opt.Marks = MarksInode
	case MarksInode, MarksFilesystem:
	default:
		return nil, fmt.Errorf("fanotify: unknown marks %q", opt.Marks)
	}
	fd, err := unix.FanotifyInit(fanInitFlags, fanEventFlags)
	if err != nil {
		return nil, fmt.Errorf("fanotify_init(FAN_REPORT_DFID_NAME_TARGET): %w", err)
	}
	if opt.ProcDir == "" {
		opt.ProcDir = "/proc"
	}
	return &Fanotify{fd: fd, file: os.NewFile(uintptr(fd), "fanotify"), keep: opt.Keep,
		procs: procReader{dir: opt.ProcDir}, marks: opt.Marks, trees: opt.Trees,
		maxMarks: max(opt.MaxInodeMarks, 0), onFallback: opt.OnFallback,
		dirs: map[string]string{}, byPath: map[string]string{}, outside: map[string]struct{}{},
		mounts: map[string]int{}, inode: map[string]inodeMark{}, fs: map[uint64]*fsMark{}}, nil
}

// ProbeFanotify checks that a fanotify group in the mode this source uses
// can watch each directory (local paths of existing directories) with
// the given marks, and releases it.
func ProbeFanotify(dirs []string, marks string) error {
	f, err := NewFanotify(FanotifyOptions{Marks: marks})
	if err != nil {
		return err
	}
	defer f.Close()
	for _, d := range dirs {
		if err := f.Watch(d); err != nil {
			return err
		}
	}
	return nil
}

func fsidKey(val [2]int32) string {
	var b [8]byte
	binary.NativeEndian.PutUint32(b[0:], uint32(val[0]))
	binary.NativeEndian.PutUint32(b[4:], uint32(val[1]))
	return string(b[:])
}

func handleKey(typ uint32, b []byte) string {
	var t [4]byte
	binary.NativeEndian.PutUint32(t[:], typ)
	return string(t[:]) + string(b)
}

// Watch implements Source: it marks dir (or its filesystem, once) and
// learns dir's handle, so that events in dir are turned into paths.
func (f *Fanotify) Watch(dir string) error {
	// Not O_PATH where it can be helped: the descriptor may become the
	// filesystem's mount descriptor for open_by_handle_at, which refuses
	// O_PATH ones.
	const flags = unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC
	mountable := true
	fd, err := unix.Open(dir, unix.O_RDONLY|flags, 0)
	if errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) {
		mountable = false
		fd, err = unix.Open(dir, unix.O_PATH|flags, 0)
	}
	if err != nil {
		return fmt.Errorf("fanotify: %s: %w", dir, err)
	}
	kept := false
	defer func() {
		if !kept {
			_ = unix.Close(fd)
		}
	}()
	var sfs unix.Statfs_t
	if err := unix.Fstatfs(fd, &sfs); err != nil {
		return fmt.Errorf("fanotify: statfs %s: %w", dir, err)
	}
	h, _, err := unix.NameToHandleAt(fd, "", unix.AT_EMPTY_PATH)
	if err != nil {
		return fmt.Errorf("fanotify: name_to_handle_at %s: %w: %w", dir, err, ErrUnsupported)
	}
	fsid := fsidKey(sfs.Fsid.Val)
	key := fsid + handleKey(uint32(h.Type()), h.Bytes())
	f.mu.Lock()
	if _, ok := f.mounts[fsid]; !ok && mountable && !f.closed {
		f.mounts[fsid], kept = fd, true // resolves this filesystem's handles
	}
	f.mu.Unlock()
	if err := f.markDir(fd, key, dir); err != nil {
		return err
	}
	f.learnKey(key, dir)
	return nil
}

// Forget implements Source: it stops watching dir and every directory
// below, releasing their marks.
func (f *Fanotify) Forget(dir string) {
	var keys []string
	f.mu.Lock()
	for p, key := range f.byPath {
		if within(p, dir) {
			delete(f.byPath, p)
			delete(f.dirs, key)
			keys = append(keys, key)
		}
	}
	f.mu.Unlock()
	f.unmark(keys)
}

// Dirs returns the number of directories known by handle.
func (f *Fanotify) Dirs() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.dirs)
}

// Stats returns the source's figures.
func (f *Fanotify) Stats() FanotifyStats {
	st := FanotifyStats{Reads: f.reads.Load(), Records: f.records.Load()}
	f.markMu.Lock()
	defer f.markMu.Unlock()
	st.InodeMarks = len(f.inode)
	for _, m := range f.fs {
		if m.err == nil {
			st.FilesystemMarks++
		}
	}
	return st
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
	if fi.ok {
		f.learnKey(fi.key, p)
	}
}

func (f *Fanotify) learnKey(key, p string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if old, ok := f.byPath[p]; ok && old != key {
		delete(f.dirs, old)
	}
	f.dirs[key] = p
	f.byPath[p] = key
	delete(f.outside, key)
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
	return f.file.Close() // the group's marks go with it
}

// openKey opens the object of a handle key (fsid first) as an O_PATH
// descriptor.
func (f *Fanotify) openKey(key string) (int, error) {
	if len(key) < 12 {
		return -1, errFanotifyRecord
	}
	f.mu.Lock()
	mfd, ok := f.mounts[key[:8]]
	f.mu.Unlock()
	if !ok {
		return -1, fmt.Errorf("fanotify: no watched directory on that filesystem: %w", unix.ESTALE)
	}
	typ := int32(binary.NativeEndian.Uint32([]byte(key[8:12])))
	return unix.OpenByHandleAt(mfd, unix.NewFileHandle(typ, []byte(key[12:])), unix.O_PATH|unix.O_CLOEXEC)
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
	f.mu.Unlock()
	// A directory not met yet (created a moment ago, or elsewhere on the
	// filesystem): ask the kernel for its path.
	fd, err := f.openKey(key)
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
		f.reads.Add(1)
		stopped := false
		derr := decodeFanotify(buf[:n], func(r *fanRecord) {
			f.records.Add(1)
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
			case out <- Notice{Op: OpOverflow, Mechanism: MechFanotify, Malformed: true}:
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
		f.pruneMarks() // deletions of marked directories may be among the lost events
		return send(Notice{Op: OpOverflow})
	}
	isDir := r.mask&unix.FAN_ONDIR != 0
	var n Notice
	if r.mask&unix.FAN_RENAME != 0 {
		// With inode marks the kernel gives only the names in marked
		// directories: one side for a move in or out.
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
		}
		if n.Path != "" {
			f.appeared(r.target, n.Path, isDir)
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
	if r.mask&unix.FAN_CREATE != 0 {
		f.appeared(r.target, p, isDir)
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
