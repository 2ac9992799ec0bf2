//go:build !unix

package userdb

import "os"

// inode returns 0: files have no inode number here.
func inode(os.FileInfo) uint64 { return 0 }
