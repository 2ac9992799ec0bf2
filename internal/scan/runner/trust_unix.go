//go:build unix

package runner

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// trusted checks that the file at path, and its folder, are owned by root
// or by this process's effective user and writable by no one else.
func trusted(path string, fi fs.FileInfo) error {
	dir, err := os.Stat(filepath.Dir(path))
	if err != nil {
		return err
	}
	for _, c := range []struct {
		what string
		fi   fs.FileInfo
	}{{"file", fi}, {"folder", dir}} {
		st, ok := c.fi.Sys().(*syscall.Stat_t)
		if !ok {
			return fmt.Errorf("the %s's owner is unknown", c.what)
		}
		if st.Uid != 0 && int(st.Uid) != os.Geteuid() {
			return fmt.Errorf("the %s is owned by uid %d", c.what, st.Uid)
		}
		// A sticky folder (/tmp) still lets its files' owners alone
		// replace them; the file's own checks cover it.
		perm := c.fi.Mode()
		if perm.Perm()&0o022 != 0 && !(c.what == "folder" && perm&fs.ModeSticky != 0) {
			return fmt.Errorf("the %s is writable by group or others (mode %v)", c.what, perm.Perm())
		}
	}
	return nil
}
