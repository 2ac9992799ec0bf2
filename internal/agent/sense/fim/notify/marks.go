package notify

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// This file places and releases the fanotify source's marks.
//
// With MarksInode every watched directory has its own mark, as an
// inotify watch, so that the kernel wakes the reader only for changes in
// the watched trees. The marks count against fs.fanotify.max_user_marks
// (per user, shared by all fanotify groups): when one does not fit
// (ENOSPC), the directory's filesystem is marked as a whole instead
// (FAN_MARK_FILESYSTEM), as with MarksFilesystem, and the inode marks on
// that filesystem are released, since the filesystem mark reports their
// events already.

// markDir marks the directory open as fd (key is its handle key, dir its
// local path) or its filesystem.
func (f *Fanotify) markDir(fd int, key, dir string) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("fanotify: stat %s: %w", dir, err)
	}
	f.markMu.Lock()
	fb, err := f.markDirLocked(fd, st.Dev, key, dir)
	f.markMu.Unlock()
	if fb != nil && f.onFallback != nil {
		f.onFallback(*fb)
	}
	return err
}

// markDirLocked places the mark; fb is set when inode marks fell back to
// a filesystem mark just now.
func (f *Fanotify) markDirLocked(fd int, dev uint64, key, dir string) (fb *Fallback, err error) {
	if m := f.fs[dev]; f.marks == MarksFilesystem || m != nil && m.err == nil {
		return nil, f.markFilesystemLocked(fd, dev, dir, nil)
	}
	mask := f.maskFor(dir)
	if m, ok := f.inode[key]; ok && m.mask&mask == mask {
		return nil, nil
	}
	_, had := f.inode[key]
	if f.maxMarks > 0 && len(f.inode) >= f.maxMarks && !had {
		err = fmt.Errorf("%w (%d)", errMarkBound, f.maxMarks)
	} else {
		err = unix.FanotifyMark(f.fd, unix.FAN_MARK_ADD|unix.FAN_MARK_INODE|unix.FAN_MARK_ONLYDIR, mask, fd, ".")
		if err == nil {
			m := f.inode[key]
			m.dev, m.mask = dev, m.mask|mask
			f.inode[key] = m
			return nil, nil
		}
		if !errors.Is(err, unix.ENOSPC) {
			return nil, fmt.Errorf("fanotify_mark(FAN_MARK_INODE) on %s: %w: %w", dir, err, ErrUnsupported)
		}
		err = fmt.Errorf("fanotify_mark: %w (fs.fanotify.max_user_marks is %s)", err, markLimit())
	}
	fb = &Fallback{Dir: dir, Tree: f.treeOf(dir), Cause: err}
	if fb.Tree == "" {
		fb.Tree = dir
	}
	if ferr := f.markFilesystemLocked(fd, dev, dir, fb); ferr != nil {
		return nil, fmt.Errorf("fanotify: inode mark on %s does not fit (%v) and %w", dir, err, ferr)
	}
	for k, m := range f.inode {
		if m.dev == dev {
			f.removeMarkLocked(k, m)
		}
	}
	return fb, nil
}

// markFilesystemLocked marks the filesystem of fd once; fb says why.
func (f *Fanotify) markFilesystemLocked(fd int, dev uint64, dir string, fb *Fallback) error {
	if m, done := f.fs[dev]; done {
		return m.err
	}
	err := unix.FanotifyMark(f.fd, unix.FAN_MARK_ADD|unix.FAN_MARK_FILESYSTEM, fanMask, fd, ".")
	if err != nil {
		err = fmt.Errorf("fanotify_mark(FAN_MARK_FILESYSTEM) on %s: %w: %w", dir, err, ErrUnsupported)
	}
	f.fs[dev] = &fsMark{err: err, fallback: fb}
	return err
}

// removeMarkLocked releases one inode mark. A directory that is gone
// took its mark along.
func (f *Fanotify) removeMarkLocked(key string, m inodeMark) {
	delete(f.inode, key)
	fd, err := f.openKey(key)
	if err != nil {
		return
	}
	_ = unix.FanotifyMark(f.fd, unix.FAN_MARK_REMOVE|unix.FAN_MARK_INODE, m.mask, fd, ".")
	_ = unix.Close(fd)
}

// unmark releases the inode marks of handle keys.
func (f *Fanotify) unmark(keys []string) {
	if len(keys) == 0 {
		return
	}
	f.markMu.Lock()
	defer f.markMu.Unlock()
	for _, k := range keys {
		if m, ok := f.inode[k]; ok {
			f.removeMarkLocked(k, m)
		}
	}
}

// pruneMarks forgets the marks of directories that are gone (their
// deletion went unseen).
func (f *Fanotify) pruneMarks() {
	f.markMu.Lock()
	defer f.markMu.Unlock()
	for k := range f.inode {
		fd, err := f.openKey(k)
		if err != nil {
			if errors.Is(err, unix.ESTALE) || errors.Is(err, unix.ENOENT) {
				delete(f.inode, k)
			}
			continue
		}
		_ = unix.Close(fd)
	}
}

// appeared marks at once a directory created or moved in at local path p
// (fi is its handle), before anything is written in it; the user's own
// Watch of it, when it scans it, finds the mark in place. A file that
// appears where a tree is gets its parent marked for its changes.
func (f *Fanotify) appeared(fi fidInfo, p string, isDir bool) {
	if !isDir {
		if f.marks == MarksInode && slices.Contains(f.trees, p) {
			_ = f.Watch(parentOf(p))
		}
		return
	}
	if f.marks == MarksFilesystem || !fi.ok {
		f.learn(fi, p)
		if !fi.ok {
			_ = f.Watch(p)
		}
		return
	}
	f.markMu.Lock()
	_, marked := f.inode[fi.key]
	f.markMu.Unlock()
	if !marked {
		fd, err := f.openKey(fi.key)
		if err != nil {
			// Gone already, or on a filesystem not met yet: by path.
			_ = f.Watch(p)
			return
		}
		// An error leaves the directory to the user's Watch, which
		// reports it.
		_ = f.markDir(fd, fi.key, p)
		_ = unix.Close(fd)
	}
	f.learn(fi, p)
}

// maskFor returns the inode mark a directory needs.
func (f *Fanotify) maskFor(dir string) uint64 {
	if f.treeOf(dir) != "" {
		return fanDirMask
	}
	for _, t := range f.trees {
		if parentOf(t) != dir || t == dir {
			continue
		}
		var st unix.Stat_t
		if err := unix.Lstat(t, &st); err == nil && st.Mode&unix.S_IFMT != unix.S_IFDIR {
			return fanDirMask // a tree that is a file: its changes are its parent's
		}
	}
	return fanAboveMask
}

// treeOf returns the watched tree holding local path p, "" for none.
func (f *Fanotify) treeOf(p string) string {
	best := ""
	for _, t := range f.trees {
		if within(p, t) && len(t) > len(best) {
			best = t
		}
	}
	return best
}

// MarksOn tells how the filesystem with device number dev is watched:
// MarksInode or MarksFilesystem, with the fallback that made it so (nil
// when none did).
func (f *Fanotify) MarksOn(dev uint64) (string, *Fallback) {
	f.markMu.Lock()
	defer f.markMu.Unlock()
	if m := f.fs[dev]; m != nil && m.err == nil {
		return MarksFilesystem, m.fallback
	}
	return f.marks, nil
}

// Fallbacks returns every fallback to a filesystem mark so far.
func (f *Fanotify) Fallbacks() []Fallback {
	f.markMu.Lock()
	defer f.markMu.Unlock()
	var out []Fallback
	for _, m := range f.fs {
		if m.err == nil && m.fallback != nil {
			out = append(out, *m.fallback)
		}
	}
	slices.SortFunc(out, func(a, b Fallback) int { return strings.Compare(a.Tree, b.Tree) })
	return out
}

// markLimit reads fs.fanotify.max_user_marks, for messages.
func markLimit() string {
	b, err := os.ReadFile("/proc/sys/fs/fanotify/max_user_marks")
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}
