package rootfs

import (
	"io/fs"
	"syscall"
	"time"
)

// Open flags: links were resolved already, and a FIFO put in place of a
// file must not block the reader.
const (
	oNoFollow = syscall.O_NOFOLLOW
	oNonBlock = syscall.O_NONBLOCK
)

// errNotDir is returned by lstat when a path component is a file.
var errNotDir = syscall.ENOTDIR

// fillOwner sets the owner and change time from the system's stat data.
func fillOwner(in *Info, fi fs.FileInfo) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return
	}
	in.UID, in.GID = st.Uid, st.Gid
	in.CTime = time.Unix(st.Ctim.Sec, st.Ctim.Nsec)
}
