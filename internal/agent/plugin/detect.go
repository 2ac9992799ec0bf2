package plugin

import (
	"os"
	"path/filepath"
	"runtime"
)

// Detect returns the capabilities of the host whose filesystem is at root
// ("/" for the real host): the OS and user of this process, and the
// features whose kernel interfaces are present under root.
func Detect(root string) Capabilities {
	if root == "" {
		root = "/"
	}
	c := Capabilities{OS: runtime.GOOS, Root: os.Geteuid() == 0, Features: map[string]bool{}}
	if runtime.GOOS != "linux" {
		return c
	}
	at := func(p string) string { return filepath.Join(root, p) }
	c.Features[FeatureBTF] = isFile(at("sys/kernel/btf/vmlinux"))
	c.Features[FeatureInotify] = isDir(at("proc/sys/fs/inotify"))
	c.Features[FeatureFanotify] = isDir(at("proc/sys/fs/fanotify")) || (root == "/" && probeFanotify())
	c.Features[FeatureCgroup2] = isFile(at("sys/fs/cgroup/cgroup.controllers")) ||
		isFile(at("sys/fs/cgroup/unified/cgroup.controllers"))
	return c
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
