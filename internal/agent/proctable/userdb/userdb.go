// Package userdb names users and groups from the host's /etc/passwd and
// /etc/group. The files are parsed once and parsed again when they change
// (their inode, size or modification time differs); a change is noticed
// within CheckInterval of the next lookup.
package userdb

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// CheckInterval is the shortest time between two checks of a file for
// changes.
const CheckInterval = time.Second

// maxFileSize bounds the files read.
const maxFileSize = 16 << 20

// ErrMalformed is wrapped by the parse errors of ParsePasswd and
// ParseGroup.
var ErrMalformed = errors.New("malformed account file")

// DB names users and groups. It is safe for concurrent use.
type DB struct {
	users, groups file
}

// New returns a DB over root/etc/passwd and root/etc/group.
func New(root string) *DB {
	if root == "" {
		root = "/"
	}
	return &DB{
		users:  file{path: filepath.Join(root, "etc", "passwd"), parse: ParsePasswd},
		groups: file{path: filepath.Join(root, "etc", "group"), parse: ParseGroup},
	}
}

// UserName returns the name of user uid, "" when unknown.
func (d *DB) UserName(uid uint32) string { return d.users.name(uid) }

// GroupName returns the name of group gid, "" when unknown.
func (d *DB) GroupName(gid uint32) string { return d.groups.name(gid) }

// Errors returns the number of times a file could not be read or held
// malformed lines since the DB was made.
func (d *DB) Errors() uint64 {
	d.users.mu.Lock()
	n := d.users.errors
	d.users.mu.Unlock()
	d.groups.mu.Lock()
	n += d.groups.errors
	d.groups.mu.Unlock()
	return n
}

// file is one account file and its parsed names.
type file struct {
	path  string
	parse func([]byte) (map[uint32]string, error)

	mu      sync.Mutex
	names   map[uint32]string
	stamp   stamp
	checked time.Time
	errors  uint64
}

// stamp identifies one version of a file.
type stamp struct {
	ino, size uint64
	mtime     int64
}

func (f *file) name(id uint32) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if now := time.Now(); now.Sub(f.checked) >= CheckInterval || f.checked.IsZero() {
		f.checked = now
		f.refresh()
	}
	return f.names[id]
}

// refresh parses the file again when it changed.
func (f *file) refresh() {
	fi, err := os.Stat(f.path)
	if err != nil {
		if f.names != nil || f.stamp != (stamp{}) {
			f.names, f.stamp = nil, stamp{}
		}
		if !errors.Is(err, os.ErrNotExist) {
			f.errors++
		}
		return
	}
	st := stamp{size: uint64(fi.Size()), mtime: fi.ModTime().UnixNano(), ino: inode(fi)}
	if st == f.stamp && f.names != nil {
		return
	}
	if fi.Size() > maxFileSize {
		f.errors++
		return
	}
	b, err := os.ReadFile(f.path)
	if err != nil {
		f.errors++
		return
	}
	names, err := f.parse(b)
	if err != nil {
		f.errors++ // the good lines are kept
	}
	f.names, f.stamp = names, st
}

// ParsePasswd parses an /etc/passwd file into names by uid. Malformed
// lines are skipped; the error names the first one. The first name of a
// uid wins, as getpwuid returns it.
func ParsePasswd(b []byte) (map[uint32]string, error) { return parse(b, "passwd", 7) }

// ParseGroup parses an /etc/group file into names by gid, like
// ParsePasswd.
func ParseGroup(b []byte) (map[uint32]string, error) { return parse(b, "group", 4) }

// parse reads lines of at least fields colon-separated fields, the name
// first and the id third.
func parse(b []byte, what string, fields int) (map[uint32]string, error) {
	names := map[uint32]string{}
	var firstErr error
	for n := 1; len(b) > 0; n++ {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 || line[0] == '#' || line[0] == '+' || line[0] == '-' {
			continue // NIS compat entries name no local account
		}
		parts := bytes.SplitN(line, []byte(":"), fields+1)
		if len(parts) < fields || len(parts[0]) == 0 {
			if firstErr == nil {
				firstErr = fmt.Errorf("%w: %s line %d: %d fields, want %d", ErrMalformed, what, n, len(parts), fields)
			}
			continue
		}
		id, err := strconv.ParseUint(string(parts[2]), 10, 32)
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("%w: %s line %d: id %q", ErrMalformed, what, n, parts[2])
			}
			continue
		}
		if _, dup := names[uint32(id)]; !dup {
			names[uint32(id)] = string(parts[0])
		}
	}
	return names, firstErr
}
