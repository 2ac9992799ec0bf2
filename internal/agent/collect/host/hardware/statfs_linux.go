package hardware

import (
	"golang.org/x/sys/unix"
)

// statfsSize returns the total size of the filesystem mounted at point,
// when the file there is on device major:minor: a mount point hidden by
// another mount resolves to the other filesystem, whose size is not
// this one's.
func statfsSize(point string, major, minor uint32) (int64, bool) {
	var st unix.Stat_t
	if err := unix.Stat(point, &st); err != nil {
		return 0, false
	}
	if unix.Major(st.Dev) != major || unix.Minor(st.Dev) != minor {
		return 0, false
	}
	var sf unix.Statfs_t
	if err := unix.Statfs(point, &sf); err != nil {
		return 0, false
	}
	unit := sf.Frsize
	if unit <= 0 {
		unit = sf.Bsize
	}
	total := int64(sf.Blocks) * unit
	if total <= 0 {
		return 0, false
	}
	return total, true
}
