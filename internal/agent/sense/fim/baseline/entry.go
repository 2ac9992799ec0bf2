// Package baseline records the state of a file tree (one Entry per path:
// type, size, mode, owner, times, inode, SHA-256 and file capabilities of
// regular files, symlink target), scans trees without starving the host (a storage read rate
// limit, few hashing threads at the lowest CPU and I/O priority), keeps the
// result in memory in a compact Index and on disk in a compact crash-safe
// file, and compares two states.
//
// Paths in entries are host paths: absolute, as seen from the host's root
// ("/etc/passwd" even when the host's root is mounted elsewhere).
package baseline

import (
	"fmt"
	"io/fs"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/agent/sense/fim/filecap"
)

// Type is the kind of a file.
type Type uint8

// Types of files.
const (
	TypeFile Type = iota + 1
	TypeDir
	TypeSymlink
	TypeOther // device, fifo or socket
)

// String returns the ECS file.type name.
func (t Type) String() string {
	switch t {
	case TypeFile:
		return "file"
	case TypeDir:
		return "dir"
	case TypeSymlink:
		return "symlink"
	case TypeOther:
		return "other"
	}
	return "unknown"
}

// Flags say what is known about an entry's content.
type Flags uint8

// Flags of an entry.
const (
	// FlagHashed: SHA256 holds the content's hash.
	FlagHashed Flags = 1 << iota
	// FlagTooLarge: a regular file larger than the hashing limit.
	FlagTooLarge
	// FlagUnreadable: the file could not be read (its error was counted).
	FlagUnreadable
	// FlagCapsUnknown: the file's capabilities are not known (Caps says
	// nothing): they could not be read, or the entry comes from a stored
	// baseline that did not record them.
	FlagCapsUnknown
	// flagsKnown is every defined flag.
	flagsKnown = FlagHashed | FlagTooLarge | FlagUnreadable | FlagCapsUnknown
)

// Entry is the recorded state of one path.
type Entry struct {
	// Path is the host path.
	Path string
	Type Type
	// Flags say whether SHA256 is set and why not.
	Flags Flags
	// Mode holds the permission, setuid, setgid and sticky bits (st_mode &
	// 07777).
	Mode uint32
	UID  uint32
	GID  uint32
	Size int64
	// MTime and CTime are in nanoseconds since the Unix epoch.
	MTime int64
	CTime int64
	Inode uint64
	Dev   uint64
	// SHA256 is the content's hash when FlagHashed is set.
	SHA256 [32]byte
	// Target is a symlink's target.
	Target string
	// Caps are a regular file's capabilities (its security.capability
	// attribute); the zero Set when it has none or when FlagCapsUnknown
	// is set.
	Caps filecap.Set
}

// Hashed reports whether the entry carries a content hash.
func (e *Entry) Hashed() bool { return e.Flags&FlagHashed != 0 }

// CapsKnown reports whether Caps tells the file's capabilities.
func (e *Entry) CapsKnown() bool { return e.Flags&FlagCapsUnknown == 0 }

// HashHex returns the content hash in hex, "" when there is none.
func (e *Entry) HashHex() string {
	if !e.Hashed() {
		return ""
	}
	return fmt.Sprintf("%x", e.SHA256[:])
}

// ModeString returns the permission bits in octal ("0644", "4755").
func (e *Entry) ModeString() string { return fmt.Sprintf("%04o", e.Mode) }

// MTimeTime returns MTime as a time.
func (e *Entry) MTimeTime() time.Time { return time.Unix(0, e.MTime).UTC() }

// FromStat fills the metadata of an entry from an lstat result.
func FromStat(path string, st *unix.Stat_t) Entry {
	e := Entry{
		Path:  path,
		Mode:  st.Mode & 0o7777,
		UID:   st.Uid,
		GID:   st.Gid,
		Size:  st.Size,
		MTime: st.Mtim.Nano(),
		CTime: st.Ctim.Nano(),
		Inode: st.Ino,
		Dev:   st.Dev,
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		e.Type = TypeFile
	case unix.S_IFDIR:
		e.Type = TypeDir
		e.Size = 0 // a directory's size says nothing useful and changes with its entries
	case unix.S_IFLNK:
		e.Type = TypeSymlink
	default:
		e.Type = TypeOther
	}
	return e
}

// FileMode returns the entry's type and permissions as an fs.FileMode.
func (e *Entry) FileMode() fs.FileMode {
	m := fs.FileMode(e.Mode & 0o777)
	if e.Mode&unix.S_ISUID != 0 {
		m |= fs.ModeSetuid
	}
	if e.Mode&unix.S_ISGID != 0 {
		m |= fs.ModeSetgid
	}
	if e.Mode&unix.S_ISVTX != 0 {
		m |= fs.ModeSticky
	}
	switch e.Type {
	case TypeDir:
		m |= fs.ModeDir
	case TypeSymlink:
		m |= fs.ModeSymlink
	case TypeOther:
		m |= fs.ModeIrregular
	}
	return m
}

// Change says how two entries of one path differ.
type Change uint8

// Kinds of differences between two entries.
const (
	ChangeContent Change = 1 << iota // hash, size, symlink target or type
	ChangeMode
	ChangeOwner // uid
	ChangeGroup // gid
	ChangeMTime // modification time alone
	ChangeInode // replaced by another file (new inode)
	ChangeCaps  // file capabilities set, changed or removed
)

// Names returns the changes as a list of words ("content", "mode" ...).
func (c Change) Names() []string {
	var out []string
	for _, n := range []struct {
		c    Change
		name string
	}{{ChangeContent, "content"}, {ChangeMode, "mode"}, {ChangeOwner, "owner"}, {ChangeGroup, "group"}, {ChangeMTime, "mtime"}, {ChangeInode, "inode"},
		{ChangeCaps, "capabilities"}} {
		if c&n.c != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

// Attributes reports whether c holds an ownership, permission or
// capability change.
func (c Change) Attributes() bool { return c&(ChangeMode|ChangeOwner|ChangeGroup|ChangeCaps) != 0 }

// Compare returns how now differs from before (two states of one path).
// Content is compared by hash when both have one, else by size, mtime and
// ctime; directories' contents are their entries, compared one by one.
// Capabilities are compared when both sides know them.
func Compare(before, now *Entry) Change {
	var c Change
	switch {
	case before.Type != now.Type:
		c |= ChangeContent
	case now.Type == TypeSymlink:
		if before.Target != now.Target {
			c |= ChangeContent
		}
	case now.Type == TypeFile:
		switch {
		case before.Size != now.Size:
			c |= ChangeContent
		case before.Hashed() && now.Hashed():
			if before.SHA256 != now.SHA256 {
				c |= ChangeContent
			}
		case before.MTime != now.MTime || before.CTime != now.CTime:
			c |= ChangeContent // no hash on one side: the times are all we have
		}
	}
	if before.Mode != now.Mode {
		c |= ChangeMode
	}
	if before.UID != now.UID {
		c |= ChangeOwner
	}
	if before.GID != now.GID {
		c |= ChangeGroup
	}
	if before.Type != TypeDir && before.MTime != now.MTime && c&ChangeContent == 0 {
		c |= ChangeMTime
	}
	if before.Inode != now.Inode || before.Dev != now.Dev {
		c |= ChangeInode
	}
	if before.CapsKnown() && now.CapsKnown() && before.Caps != now.Caps {
		c |= ChangeCaps
	}
	return c
}

// Unchanged reports whether a file's content can be taken as unchanged
// from what before recorded without reading it again: same inode, size,
// modification and status-change time. The status-change time cannot be
// set by a user, so a content change with a forged mtime still shows.
func Unchanged(before, now *Entry) bool {
	return before.Type == now.Type && before.Inode == now.Inode && before.Dev == now.Dev &&
		before.Size == now.Size && before.MTime == now.MTime && before.CTime == now.CTime
}

// ComparePaths orders paths component by component, which is the order in
// which a walk visits them: a directory, then its entries by name, each
// followed by its own entries ("/a/b", "/a/b/c", "/a/b-x").
func ComparePaths(a, b string) int {
	for {
		if a == b {
			return 0
		}
		ia, ib := strings.IndexByte(a, '/'), strings.IndexByte(b, '/')
		ca, cb := a, b
		if ia >= 0 {
			ca = a[:ia]
		}
		if ib >= 0 {
			cb = b[:ib]
		}
		if r := strings.Compare(ca, cb); r != 0 {
			return r
		}
		switch {
		case ia < 0 && ib < 0:
			return 0
		case ia < 0:
			return -1 // a is b's ancestor
		case ib < 0:
			return 1
		}
		a, b = a[ia+1:], b[ib+1:]
	}
}

// Within reports whether path is dir or below it.
func Within(path, dir string) bool {
	if dir == "/" {
		return strings.HasPrefix(path, "/")
	}
	return path == dir || len(path) > len(dir) && path[len(dir)] == '/' && strings.HasPrefix(path, dir)
}
