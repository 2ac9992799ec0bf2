//go:build !linux

package rootfs

import (
	"errors"
	"io/fs"
)

// Open flags: only Linux has the ones the package wants.
const (
	oNoFollow = 0
	oNonBlock = 0
)

// errNotDir never matches outside Linux.
var errNotDir = errors.New("not a directory")

// fillOwner leaves the owner unknown and the change time at MTime.
func fillOwner(*Info, fs.FileInfo) {}
