//go:build unix

package userdb

import (
	"os"
	"syscall"
)

// inode returns the inode number of a file, 0 when unknown.
func inode(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino)
	}
	return 0
}
