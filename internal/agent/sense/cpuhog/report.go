package cpuhog

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/proctable"
	"github.com/vigilsec/vigil/internal/agent/proctable/exehash"
	"github.com/vigilsec/vigil/internal/agent/proctable/procparse"
	"github.com/vigilsec/vigil/internal/event"
)

// ActionSustained is the action of the sensor's events.
const ActionSustained = "cpu-sustained"

// Unowned is vigil.process.package for an executable that no OS package
// owns, as the inventory's package.name says it.
const Unowned = "none"

// PackageOwner names the OS package that owns the file at host path p
// on the host whose root is root: its name, Unowned when no package owns
// it, or "" when the host has no package database the lookup reads (so
// that no file is called unowned for want of one).
type PackageOwner func(root, p string) string

// tempDirs are the directories anyone may write to, from which intruders
// run what they drop.
var tempDirs = []string{"/tmp/", "/var/tmp/", "/dev/shm/", "/run/shm/"}

// inTemp reports whether p lies in one of tempDirs.
func inTemp(p string) bool {
	for _, d := range tempDirs {
		if strings.HasPrefix(p, d) {
			return true
		}
	}
	return false
}

// exeInfo is what /proc/PID/exe tells of the file a process runs.
type exeInfo struct {
	// path is the file's path, " (deleted)" removed.
	path    string
	deleted bool
	// key identifies the file's version; zero when it could not be
	// read.
	key exehash.Key
}

// deletedSuffix is what the kernel appends to the link of a file that
// was deleted or replaced since it was opened.
const deletedSuffix = " (deleted)"

// readExe reads the executable of process pid below the proc directory
// at procPath; false when the link cannot be read (the process is gone,
// or is another user's and the agent is not root).
func readExe(procPath string, pid int) (exeInfo, bool) {
	link := filepath.Join(procPath, strconv.Itoa(pid), "exe")
	target, err := os.Readlink(link)
	if err != nil || target == "" {
		return exeInfo{}, false
	}
	var info exeInfo
	info.path, info.deleted = strings.CutSuffix(target, deletedSuffix)
	if fi, err := os.Stat(link); err == nil {
		info.key, _ = exehash.KeyOf(fi)
	}
	return info, true
}

// ownerKey names one version of an executable.
type ownerKey struct {
	path string
	file exehash.Key
}

// maxOwners bounds the owner cache.
const maxOwners = 1024

// ownerCache remembers the package of each version of an executable, so
// that the many processes of one program cost one lookup.
type ownerCache struct {
	m map[ownerKey]string
}

// lookup returns the package of exe through owner, cached by the file's
// version when it is known.
func (c *ownerCache) lookup(exe exeInfo, owner func() string, cnt *counters) string {
	if !exe.key.Valid() {
		cnt.packageLookups.Add(1)
		return owner()
	}
	k := ownerKey{exe.path, exe.key}
	if pkg, ok := c.m[k]; ok {
		cnt.packageCacheHits.Add(1)
		return pkg
	}
	cnt.packageLookups.Add(1)
	pkg := owner()
	if c.m == nil || len(c.m) >= maxOwners {
		c.m = make(map[ownerKey]string)
	}
	c.m[k] = pkg
	return pkg
}

// reporter turns the processes that are due into events.
type reporter struct {
	root     string
	procPath string
	set      Settings
	table    *proctable.Table
	owner    PackageOwner
	owners   ownerCache
	cpus     int
	emit     plugin.Emitter
	counters *counters
}

// report emits the event of d, unless the ignore list names its
// executable.
func (r *reporter) report(d due) {
	exe, exeKnown := readExe(r.procPath, d.pid)
	if exeKnown && r.set.ignored(exe.path) {
		r.counters.ignored.Add(1)
		return
	}
	e := event.New("", d.at, "process", ActionSustained)
	e.Set(event.FieldKind, "event")
	e.Set("event.type", []string{"info"})
	e.Set(event.FieldDataset, Name)
	e.Set("event.start", d.since.UTC().Format(time.RFC3339Nano))
	e.Set("event.duration", d.window.Nanoseconds())

	p := r.process(e, d)
	proc, _ := e["process"].(map[string]any)
	if exeKnown {
		proc["executable"] = exe.path
		if exe.deleted {
			e.Set("vigil.process.executable_deleted", true)
		}
		if inTemp(exe.path) {
			e.Set("vigil.process.executable_in_temp", true)
		}
		inContainer := p != nil && p.Container.ID != ""
		if r.owner != nil && !inContainer {
			if pkg := r.owners.lookup(exe, func() string { return r.owner(r.root, exe.path) }, r.counters); pkg != "" {
				e.Set("vigil.process.package", pkg)
			}
		}
	}
	pct := d.corePct()
	proc["cpu"] = map[string]any{"pct": round(pct/100/float64(r.cpus), 4)}
	window := d.window
	e.Set("vigil.cpuhog", map[string]any{
		"core_pct":          round(pct, 1),
		"sustained_seconds": int64(window / time.Second),
		"threshold_pct":     r.set.Threshold,
		"cpus":              r.cpus,
		"rearmed":           d.rearmed,
	})
	name, _ := proc["name"].(string)
	if name == "" {
		name = "a process"
	}
	e.Set(event.FieldMessage, name+" (pid "+strconv.Itoa(d.pid)+") kept "+
		strconv.FormatFloat(round(pct, 0), 'f', -1, 64)+"% of a CPU core busy for "+window.Round(time.Second).String())
	r.emit.Emit(e)
}

// process sets the process, user and container fields of d's process, as
// the process events have them, and returns the process as the table
// knows it (nil when it does not: then the fields come from the stat
// line alone).
func (r *reporter) process(e event.Event, d due) *proctable.Process {
	id := r.table.EntityID(d.pid, d.start)
	if p, ok := r.table.AnnotateEntity(e, id); ok {
		return p
	}
	if p, err := r.table.ReadProc(d.pid); err == nil && p.StartTicks == d.start {
		r.table.Put(p)
		if p, ok := r.table.AnnotateEntity(e, id); ok {
			return p
		}
	}
	proc := map[string]any{"pid": d.pid, "entity_id": id}
	if st, err := procparse.ParseStat(d.statLine); err == nil {
		proc["name"] = st.Comm
		if st.PPID > 0 {
			proc["parent"] = map[string]any{"pid": st.PPID}
		}
	}
	e["process"] = proc
	return nil
}

// round rounds v to n decimals.
func round(v float64, n int) float64 {
	p := math.Pow10(n)
	return math.Round(v*p) / p
}
