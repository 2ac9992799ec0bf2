// Package notify turns the kernel's file notifications (fanotify or
// inotify) into Notices: what happened to which path, and, where the
// kernel says, which process did it.
//
// Both sources watch directories one by one as their user asks (Watch),
// so that the user decides what is watched: inotify places a watch on each
// directory; fanotify (FID mode with directory handles and names) places
// an inode mark on each directory (MarksInode), or marks each directory's
// whole filesystem once (MarksFilesystem, and the fallback when inode
// marks do not fit), and turns the directory handles of events back into
// paths through the handles of the watched directories, dropping events
// elsewhere on the filesystem before any further work. Directories
// created or moved into the watched ones are marked by the source itself
// as soon as it reads their creation.
//
// A source never follows a path outside what Keep accepts: events on
// other paths are dropped where they are read.
package notify

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
)

// Op is what happened.
type Op uint8

// Operations reported.
const (
	// OpCreate: a path was created (file, directory, link, node).
	OpCreate Op = iota + 1
	// OpModify: a file's data was written (repeats for each write).
	OpModify
	// OpCloseWrite: a file opened for writing was closed.
	OpCloseWrite
	// OpAttrib: metadata changed (mode, owner, times, link count).
	OpAttrib
	// OpDelete: a path was removed.
	OpDelete
	// OpRename: OldPath became Path. OldPath is "" for a path moved in
	// from outside the watched directories, Path "" for one moved out.
	OpRename
	// OpOverflow: the kernel dropped events; what changed must be found
	// by a rescan.
	OpOverflow
)

var opNames = [...]string{"", "create", "modify", "close-write", "attrib", "delete", "rename", "overflow"}

// String returns the operation's name.
func (o Op) String() string {
	if int(o) < len(opNames) {
		return opNames[o]
	}
	return "unknown"
}

// Mechanisms of sources.
const (
	MechFanotify = "fanotify"
	MechInotify  = "inotify"
)

// Notice is one thing a source saw.
type Notice struct {
	Op Op
	// Path and OldPath are in this process's view of the filesystem.
	Path, OldPath string
	// Dir is set when the path is a directory.
	Dir bool
	// Proc is the acting process, where the mechanism tells it (fanotify);
	// nil otherwise.
	Proc *Process
	// Mechanism is the source that saw it.
	Mechanism string
	// Malformed is set on an OpOverflow that the source sends because it
	// could not decode what the kernel gave, rather than because the
	// kernel's queue overflowed.
	Malformed bool
}

// Source reports notifications for the directories it is asked to watch.
type Source interface {
	// Watch starts watching the entries of directory dir (a local path).
	// It is safe to call from any goroutine, also while Run runs.
	Watch(dir string) error
	// Forget stops watching dir and every directory below it.
	Forget(dir string)
	// Run sends notices to out until ctx ends (then it returns nil) or the
	// source fails. The source is closed when Run returns.
	Run(ctx context.Context, out chan<- Notice) error
	// Close releases the source when Run was never called.
	Close() error
}

// ErrUnsupported is wrapped by Watch errors that mean this mechanism
// cannot watch that directory's filesystem: another mechanism may.
var ErrUnsupported = errors.New("mechanism unsupported here")

// within reports whether p is dir or below it.
func within(p, dir string) bool {
	if dir == "/" {
		return strings.HasPrefix(p, "/")
	}
	return p == dir || strings.HasPrefix(p, dir) && len(p) > len(dir) && p[len(dir)] == '/'
}

// join joins a directory and an entry name as the kernel gives it.
func join(dir, name string) string {
	if name == "" || name == "." {
		return dir
	}
	return filepath.Join(dir, name)
}

// filterNotice drops the paths of n that keep refuses; a notice left
// without a path comes back with Op 0 (drop it). A rename keeps the side
// that is watched: moved out or moved in.
func filterNotice(n Notice, keep func(string) bool) Notice {
	if keep == nil || n.Op == OpOverflow {
		return n
	}
	if n.Path != "" && !keep(n.Path) {
		n.Path = ""
	}
	if n.OldPath != "" && !keep(n.OldPath) {
		n.OldPath = ""
	}
	if n.Path == "" && n.OldPath == "" {
		return Notice{}
	}
	if n.Op != OpRename && n.Path == "" {
		return Notice{}
	}
	return n
}
