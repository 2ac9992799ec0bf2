package plugin

import "golang.org/x/sys/unix"

// probeFanotify reports whether the kernel grants a fanotify group: older
// kernels have fanotify without the /proc/sys/fs/fanotify directory.
func probeFanotify() bool {
	fd, err := unix.FanotifyInit(unix.FAN_CLASS_NOTIF|unix.FAN_CLOEXEC, unix.O_RDONLY)
	if err != nil {
		return false
	}
	_ = unix.Close(fd)
	return true
}
