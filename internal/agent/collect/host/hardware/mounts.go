package hardware

import (
	"strconv"
	"strings"
)

// pseudoFS are the filesystem types left out of the mount inventory:
// kernel interfaces mounted on every host (proc, sysfs, cgroup*, devpts,
// mqueue, debugfs, tracefs, securityfs, pstore, bpf, configfs, fusectl,
// hugetlbfs, binfmt_misc, efivarfs, selinuxfs, smackfs, rpc_pipefs,
// nfsd) and autofs trigger points (the filesystem mounted on them is
// listed when mounted). tmpfs, devtmpfs, overlay, nsfs (named network
// namespaces), squashfs and every disk or network filesystem are kept.
var pseudoFS = map[string]bool{
	"proc": true, "sysfs": true, "cgroup": true, "cgroup2": true, "devpts": true, "mqueue": true,
	"debugfs": true, "tracefs": true, "securityfs": true, "pstore": true, "bpf": true,
	"configfs": true, "fusectl": true, "hugetlbfs": true, "autofs": true, "binfmt_misc": true,
	"efivarfs": true, "selinuxfs": true, "smackfs": true, "rpc_pipefs": true, "nfsd": true,
}

// sizedFS are the filesystems whose total size is kept: local ones whose
// size only changes when they are resized. Network filesystems (a
// statfs may hang on a dead server), FUSE ones and ZFS (whose total
// moves with the pool's use) have none.
var sizedFS = map[string]bool{
	"ext2": true, "ext3": true, "ext4": true, "xfs": true, "btrfs": true, "vfat": true,
	"exfat": true, "ntfs": true, "ntfs3": true, "f2fs": true, "jfs": true, "reiserfs": true,
	"tmpfs": true, "iso9660": true, "squashfs": true, "erofs": true, "udf": true,
	"hfsplus": true, "overlay": true, "devtmpfs": true,
}

// sessionMount reports mounts made for one login session, which come and
// go with each login: the per-user runtime directory /run/user/UID and
// what is mounted below it (gvfs, doc portals).
func sessionMount(point string) bool {
	rest, ok := strings.CutPrefix(point, "/run/user/")
	if !ok {
		return false
	}
	uid, _, _ := strings.Cut(rest, "/")
	_, err := strconv.ParseUint(uid, 10, 32)
	return err == nil
}

// keptMounts returns the mounts of the inventory with their keys: the
// mount point, followed by "#2", "#3" ... for the second and later
// mounts stacked on the same point (in mount order, the top one last).
func keptMounts(t MountTable) (mounts []Mount, keys []string, top []bool) {
	seen := map[string]int{}
	last := map[string]int{}
	for _, m := range t.Mounts {
		if pseudoFS[m.FSType] || sessionMount(m.Point) {
			continue
		}
		seen[m.Point]++
		key := m.Point
		if n := seen[m.Point]; n > 1 {
			key += "#" + strconv.Itoa(n)
		}
		last[m.Point] = len(mounts)
		mounts = append(mounts, m)
		keys = append(keys, key)
	}
	top = make([]bool, len(mounts))
	for _, i := range last {
		top[i] = true
	}
	return mounts, keys, top
}

// propagation reduces the optional fields to the propagation type
// ("shared", "slave", "shared,slave", "unbindable", "private"): the peer
// group numbers change from one boot to the next.
func propagation(fields []string) string {
	var shared, slave, unbindable bool
	for _, f := range fields {
		name, _, _ := strings.Cut(f, ":")
		switch name {
		case "shared":
			shared = true
		case "master":
			slave = true
		case "unbindable":
			unbindable = true
		}
	}
	switch {
	case unbindable:
		return "unbindable"
	case shared && slave:
		return "shared,slave"
	case shared:
		return "shared"
	case slave:
		return "slave"
	}
	return "private"
}
