//go:build linux

package cpuhog

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/agent/procid"
	"github.com/vigilsec/vigil/internal/agent/proctable"
	"github.com/vigilsec/vigil/internal/agent/proctable/exehash"
	"github.com/vigilsec/vigil/internal/agent/sense/internal/sensetest"
	"github.com/vigilsec/vigil/internal/event"
)

// reportTree is a proc directory of fixture processes, each with a
// stat file, an exe link and optionally a cgroup file, and a reporter of
// its processes.
type reportTree struct {
	*procTree
	rep    *reporter
	em     *sensetest.Emitter
	owners map[string]int // lookups by path
}

func newReportTree(t *testing.T, set Settings) *reportTree {
	f := newProcTree(t)
	rt := &reportTree{procTree: f, em: &sensetest.Emitter{}, owners: map[string]int{}}
	rt.rep = &reporter{
		root: f.root, procPath: filepath.Join(f.root, "proc"), set: set,
		table: proctable.New(proctable.Config{Root: f.root, HostID: "h"}),
		owner: func(root, p string) string {
			if root != f.root {
				t.Errorf("package lookup on root %q", root)
			}
			rt.owners[p]++
			if p == "/usr/bin/gzip" {
				return "gzip"
			}
			return Unowned
		},
		cpus: 4, emit: rt.em, counters: &counters{},
	}
	return rt
}

// process puts process pid with an exe link to target and, when not
// empty, a cgroup file.
func (rt *reportTree) process(pid int, target, cgroup string) {
	rt.t.Helper()
	rt.put(pid, 0, 0, 7)
	dir := filepath.Join(rt.root, "proc", strconv.Itoa(pid))
	if target != "" {
		if err := os.Symlink(target, filepath.Join(dir, "exe")); err != nil {
			rt.t.Fatal(err)
		}
	}
	if cgroup != "" {
		if err := os.WriteFile(filepath.Join(dir, "cgroup"), []byte(cgroup), 0o644); err != nil {
			rt.t.Fatal(err)
		}
	}
}

// report reports process pid as hot for ten minutes at 95 %.
func (rt *reportTree) report(pid int) event.Event {
	rt.t.Helper()
	at := time.Date(2026, 3, 2, 9, 10, 0, 0, time.UTC)
	line, err := os.ReadFile(filepath.Join(rt.root, "proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		line = []byte(strconv.Itoa(pid) + " (gone) R 77 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 7")
	}
	n := len(rt.em.All())
	rt.rep.report(due{pid: pid, start: 7, statLine: line, since: at.Add(-10 * time.Minute), at: at,
		window: 10 * time.Minute, cpuTicks: 57000})
	all := rt.em.All()
	if len(all) != n+1 {
		return nil
	}
	return all[n]
}

func TestReportFields(t *testing.T) {
	set := testSettings()
	set.Ignore = []string{"/opt/render/*/blender"}
	rt := newReportTree(t, set)
	// A real file, so that its version is known and cached.
	shared := filepath.Join(rt.root, "miner")
	if err := os.WriteFile(shared, []byte("\x7fELF"), 0o755); err != nil {
		t.Fatal(err)
	}
	rt.process(10, "/dev/shm/.x/miner (deleted)", "")
	rt.process(11, "/memfd:payload (deleted)", "")
	rt.process(12, "/usr/bin/gzip", "")
	rt.process(13, "/usr/local/bin/app", "0::/system.slice/docker-4f1d7bd9aa3e4e1bcdbfb4ea7ae0b2b43b2a3b9f8e37a3f1c0c5d88c2c6b1e01.scope\n")
	rt.process(14, "/opt/render/bin/blender", "")
	rt.process(15, shared, "")
	rt.process(16, shared, "")
	rt.process(17, "", "") // no exe link: another user's process, seen without root

	for _, tc := range []struct {
		pid    int
		fields map[string]string
		absent []string
	}{
		{10, map[string]string{"process.executable": "/dev/shm/.x/miner", "vigil.process.executable_deleted": "true",
			"vigil.process.executable_in_temp": "true", "vigil.process.package": "none"}, nil},
		{11, map[string]string{"process.executable": "/memfd:payload", "vigil.process.executable_deleted": "true",
			"vigil.process.package": "none"}, []string{"vigil.process.executable_in_temp"}},
		{12, map[string]string{"process.executable": "/usr/bin/gzip", "vigil.process.package": "gzip"},
			[]string{"vigil.process.executable_deleted", "vigil.process.executable_in_temp"}},
		{13, map[string]string{"process.executable": "/usr/local/bin/app", "container.runtime": "docker"},
			[]string{"vigil.process.package"}},
		{15, map[string]string{"process.executable": shared, "vigil.process.package": "none"}, nil},
		{16, map[string]string{"process.executable": shared, "vigil.process.package": "none"}, nil},
		{17, map[string]string{"process.name": "proc 17"},
			[]string{"process.executable", "vigil.process.package", "vigil.process.executable_in_temp"}},
	} {
		e := rt.report(tc.pid)
		if e == nil {
			t.Errorf("pid %d: no event", tc.pid)
			continue
		}
		want := map[string]string{
			"event.action": "cpu-sustained", "event.category": "process", "event.dataset": "cpuhog",
			"process.pid": strconv.Itoa(tc.pid), "process.entity_id": procid.EntityID("h", tc.pid, 7),
			"event.start": "2026-03-02T09:00:00Z", "@timestamp": "2026-03-02T09:10:00Z",
			"event.duration": "600000000000", "vigil.cpuhog.sustained_seconds": "600",
			"vigil.cpuhog.core_pct": "95", "process.cpu.pct": "0.2375", "vigil.cpuhog.cpus": "4",
			"message": "proc " + strconv.Itoa(tc.pid) + " (pid " + strconv.Itoa(tc.pid) + ") kept 95% of a CPU core busy for 10m0s",
		}
		for k, v := range tc.fields {
			want[k] = v
		}
		for k, v := range want {
			if got := e.String(k); got != v {
				t.Errorf("pid %d: %s = %q, want %q", tc.pid, k, got, v)
			}
		}
		for _, k := range tc.absent {
			if v, ok := e.Get(k); ok {
				t.Errorf("pid %d: %s = %v, want none", tc.pid, k, v)
			}
		}
	}
	if e := rt.report(14); e != nil {
		t.Errorf("an ignored program was reported: %v", e)
	}
	if rt.rep.counters.ignored.Load() != 1 {
		t.Errorf("ignored = %d", rt.rep.counters.ignored.Load())
	}
	// The two processes of one file cost one lookup; files whose version
	// is unknown (the deleted ones, gone from this tree) are looked up
	// each time.
	if rt.owners[shared] != 1 || rt.rep.counters.packageCacheHits.Load() != 1 {
		t.Errorf("lookups of a shared file: %d, cache hits %d", rt.owners[shared], rt.rep.counters.packageCacheHits.Load())
	}
	if rt.owners["/usr/local/bin/app"] != 0 {
		t.Error("the package of a container's file was looked up in the host's database")
	}
	// A new version of the file is looked up again.
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(shared, later, later); err != nil {
		t.Fatal(err)
	}
	rt.report(15)
	if rt.owners[shared] != 2 {
		t.Errorf("lookups after the file changed: %d, want 2", rt.owners[shared])
	}
}

// TestReportGone: a process gone before its report is described by its
// last stat line.
func TestReportGone(t *testing.T) {
	rt := newReportTree(t, testSettings())
	e := rt.report(4242)
	if e == nil {
		t.Fatal("no event")
	}
	for k, v := range map[string]string{"process.pid": "4242", "process.name": "gone", "process.parent.pid": "77",
		"process.entity_id": procid.EntityID("h", 4242, 7)} {
		if got := e.String(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

func TestOwnerCacheBound(t *testing.T) {
	var c ownerCache
	cnt := &counters{}
	calls := 0
	owner := func() string { calls++; return Unowned }
	for i := range maxOwners + 10 {
		c.lookup(exeInfo{path: "/x", key: keyOf(i)}, owner, cnt)
	}
	if len(c.m) > maxOwners {
		t.Errorf("%d entries in a cache bounded at %d", len(c.m), maxOwners)
	}
	if calls != maxOwners+10 || cnt.packageLookups.Load() != uint64(calls) {
		t.Errorf("%d calls, %d lookups counted", calls, cnt.packageLookups.Load())
	}
}

// keyOf returns the version of a file numbered i.
func keyOf(i int) exehash.Key { return exehash.Key{Dev: 1, Ino: uint64(i) + 1, Size: 10, MtimeNS: 5} }
