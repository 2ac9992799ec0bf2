package services

import (
	"io"
	"os"
	"path/filepath"
)

// Running states (service.state).
const (
	Running = "running"
	Stopped = "stopped"
)

// cgroupRoots are the mounts of the cgroup hierarchy systemd keeps its
// units in, tried in order: the unified hierarchy (cgroup v2), the
// unified hierarchy of a hybrid setup, systemd's named v1 hierarchy.
var cgroupRoots = []string{"sys/fs/cgroup", "sys/fs/cgroup/unified", "sys/fs/cgroup/systemd"}

// RunningUnits tells which services of the host whose root is root have
// processes: systemd puts every process of a unit into the unit's cgroup
// (system.slice/NAME.service, or below another slice), so a service whose
// cgroup or a cgroup below it lists a process runs. A template is running
// when one of its instances is. ok is false when systemd is not the
// host's service manager (no /run/systemd/system) or no cgroup hierarchy
// of it is mounted: then nothing is known. Reading the state from systemd
// itself would need D-Bus, which the agent does not speak; the cgroups
// cannot tell a oneshot service that ran and exited (active, no process)
// from one that never ran: both are stopped here.
func RunningUnits(root string) (running map[string]bool, ok bool) {
	if fi, err := os.Stat(filepath.Join(root, "run/systemd/system")); err != nil || !fi.IsDir() {
		return nil, false
	}
	for _, r := range cgroupRoots {
		dir := filepath.Join(root, r)
		if !isCgroupDir(dir) {
			continue
		}
		running = map[string]bool{}
		walkCgroup(dir, true, running)
		return running, true
	}
	return nil, false
}

// isCgroupDir reports whether dir is the root of a cgroup hierarchy
// managed by systemd (it has the init.scope or system.slice cgroups).
func isCgroupDir(dir string) bool {
	for _, c := range []string{"system.slice", "init.scope"} {
		if _, err := os.Stat(filepath.Join(dir, c, "cgroup.procs")); err == nil {
			return true
		}
	}
	return false
}

// walkCgroup records in running whether each service cgroup below dir
// holds a process, and returns whether dir or a cgroup below it does.
// Below a user manager (user@UID.service) the cgroups are that user's
// units, not the system's: they count for the user manager only.
func walkCgroup(dir string, record bool, running map[string]bool) bool {
	busy := hasProcs(filepath.Join(dir, "cgroup.procs"))
	ents, err := os.ReadDir(dir)
	if err != nil {
		return busy
	}
	name := filepath.Base(dir)
	n, isUnit := ParseUnitName(name)
	childRecord := record && !(isUnit && n.Type == "service" && n.Prefix == "user" && n.IsInstance())
	for _, e := range ents {
		if e.IsDir() && walkCgroup(filepath.Join(dir, e.Name()), childRecord, running) {
			busy = true
		}
	}
	if record && isUnit && n.Type == "service" {
		running[name] = running[name] || busy
		if t := n.Template(); t != "" {
			running[t] = running[t] || busy
		}
	}
	return busy
}

// hasProcs reports whether a cgroup.procs file lists a process.
func hasProcs(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	var b [1]byte
	n, err := f.Read(b[:])
	return n > 0 && (err == nil || err == io.EOF)
}
