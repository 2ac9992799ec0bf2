package hardware

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/agent/collect/internal/collecttest"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/event"
)

// hostAssets collects this host's inventory.
func hostAssets(t *testing.T) []event.Asset {
	t.Helper()
	return collecttest.Assets(t, New(), plugin.Env{Root: "/"})
}

// settled collects this host's items of kind and runs the tool between
// two collections, until both agree: other programs may attach loop
// devices or mount namespaces meanwhile.
func settled(t *testing.T, kind string, run func() []byte) (map[string]event.Event, []byte) {
	t.Helper()
	for range 5 {
		before := fieldsOfKind(hostAssets(t), kind)
		out := run()
		after := fieldsOfKind(hostAssets(t), kind)
		if cmp.Equal(before, after) {
			return after, out
		}
	}
	t.Skipf("the host's %s items kept changing", kind)
	return nil, nil
}

func fieldsOfKind(assets []event.Asset, kind string) map[string]event.Event {
	out := map[string]event.Event{}
	for _, a := range assets {
		if a.Kind == kind {
			out[a.Key] = event.Event(a.Fields)
		}
	}
	return out
}

// TestRealDisks compares the disks with lsblk.
func TestRealDisks(t *testing.T) {
	var ls struct {
		Devices []struct {
			Name string `json:"name"`
			Size int64  `json:"size"`
		} `json:"blockdevices"`
	}
	disks, out := settled(t, event.AssetDisk, func() []byte { return collecttest.Tool(t, nil, "lsblk", "-b", "-d", "-J", "-o", "NAME,SIZE") })
	if err := json.Unmarshal(out, &ls); err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, d := range ls.Devices {
		listed[d.Name] = true
		got, ok := disks[d.Name]
		if skipDisk(d.Name, d.Size) {
			if ok {
				t.Errorf("%s (size %d) listed, want it left out", d.Name, d.Size)
			}
			continue
		}
		if !ok {
			t.Errorf("%s: listed by lsblk, missing", d.Name)
			continue
		}
		if size, _ := got.Get("vigil.disk.size"); size != d.Size {
			t.Errorf("%s: size %v, lsblk says %d", d.Name, size, d.Size)
		}
	}
	for name := range disks {
		if !listed[name] {
			t.Errorf("%s: not listed by lsblk", name)
		}
	}
	if len(ls.Devices) == 0 {
		t.Skip("no block devices on this host")
	}
}

// TestRealMounts compares the mounts with findmnt.
func TestRealMounts(t *testing.T) {
	var fm struct {
		Filesystems []struct {
			Target     string `json:"target"`
			Source     string `json:"source"`
			FSType     string `json:"fstype"`
			VFSOptions string `json:"vfs-options"`
			FSOptions  string `json:"fs-options"`
			Size       *int64 `json:"size"`
		} `json:"filesystems"`
	}
	mounts, out := settled(t, event.AssetMount, func() []byte {
		return collecttest.Tool(t, nil, "findmnt", "-J", "-l", "-b", "-o", "TARGET,SOURCE,FSTYPE,VFS-OPTIONS,FS-OPTIONS,SIZE")
	})
	if err := json.Unmarshal(out, &fm); err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	want := 0
	for _, f := range fm.Filesystems {
		if pseudoFS[f.FSType] || sessionMount(f.Target) {
			continue
		}
		want++
		count[f.Target]++
		key := f.Target
		if n := count[f.Target]; n > 1 {
			key += "#" + strconv.Itoa(n)
		}
		got, ok := mounts[key]
		if !ok {
			t.Errorf("%s: listed by findmnt, missing", key)
			continue
		}
		source, _, _ := strings.Cut(f.Source, "[") // findmnt adds the bind root
		for path, w := range map[string]string{
			"vigil.mount.fstype":        f.FSType,
			"vigil.mount.device":        source,
			"vigil.mount.options":       f.VFSOptions,
			"vigil.mount.super_options": f.FSOptions,
		} {
			v, _ := got.Get(path)
			if list, ok := v.([]string); ok {
				v = strings.Join(list, ",")
			}
			if v == nil {
				v = ""
			}
			if v != w {
				t.Errorf("%s: %s = %q, findmnt says %q", key, path, v, w)
			}
		}
		// findmnt asks statfs of the path, which answers for the top
		// mount: compare where the collector kept a size.
		if size, ok := got.Get("vigil.mount.size"); ok && (f.Size == nil || size != *f.Size) {
			t.Errorf("%s: size %v, findmnt says %v", key, size, f.Size)
		}
	}
	if len(mounts) != want {
		t.Errorf("%d mounts, findmnt lists %d", len(mounts), want)
	}
}

// TestRealHost compares the host item with lscpu, free, uname,
// hostname and systemd-detect-virt.
func TestRealHost(t *testing.T) {
	host := fieldsOfKind(hostAssets(t), event.AssetHost)[HostKey]
	if host == nil {
		t.Fatal("no host item")
	}
	t.Run("lscpu", func(t *testing.T) {
		var ls struct {
			Lines []struct {
				Field string `json:"field"`
				Data  string `json:"data"`
			} `json:"lscpu"`
		}
		if err := json.Unmarshal(collecttest.Tool(t, nil, "lscpu", "-J"), &ls); err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, l := range ls.Lines {
			m[strings.TrimSuffix(l.Field, ":")] = l.Data
		}
		atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
		threads := atoi(m["CPU(s)"])
		sockets := atoi(m["Socket(s)"])
		cores := atoi(m["Core(s) per socket"]) * sockets
		for path, w := range map[string]any{
			"vigil.cpu.threads": threads, "vigil.cpu.sockets": sockets, "vigil.cpu.cores": cores,
			"vigil.cpu.model": m["Model name"], "vigil.cpu.vendor": m["Vendor ID"],
		} {
			if got, _ := host.Get(path); got != w {
				t.Errorf("%s = %v, lscpu says %v", path, got, w)
			}
		}
	})
	t.Run("free", func(t *testing.T) {
		for line := range strings.SplitSeq(string(collecttest.Tool(t, nil, "free", "-b")), "\n") {
			if f := strings.Fields(line); len(f) > 1 && f[0] == "Mem:" {
				total, _ := strconv.ParseInt(f[1], 10, 64)
				if got, _ := host.Get("vigil.memory.total"); got != total {
					t.Errorf("memory %v, free says %d", got, total)
				}
				return
			}
		}
		t.Fatal("no Mem: line in free's output")
	})
	t.Run("uname", func(t *testing.T) {
		kernel := string(bytes.TrimSpace(collecttest.Tool(t, nil, "uname", "-r")))
		if got := host.String("host.os.kernel"); got != kernel {
			t.Errorf("kernel %q, uname says %q", got, kernel)
		}
		name, _ := os.Hostname()
		if got := host.String("host.hostname"); got != name {
			t.Errorf("hostname %q, the kernel says %q", got, name)
		}
	})
	t.Run("systemd-detect-virt", func(t *testing.T) {
		if _, err := exec.LookPath("systemd-detect-virt"); err != nil {
			t.Skip("systemd-detect-virt is not installed")
		}
		detect := func(flag string) string {
			// It exits 1 when it finds nothing, printing "none".
			out, _ := exec.Command("systemd-detect-virt", flag).Output()
			return string(bytes.TrimSpace(out))
		}
		// systemd also asks CPUID, which tells a VM the files cannot
		// name apart; a VM is a VM either way.
		vm, wantVM := host.String("vigil.virtualization.vm"), detect("--vm")
		if vm != wantVM && !(vm == "other" && wantVM != "none") {
			t.Errorf("vm %q, systemd-detect-virt says %q", vm, wantVM)
		}
		if got, want := host.String("vigil.virtualization.container"), detect("--container"); got != want {
			t.Errorf("container %q, systemd-detect-virt says %q", got, want)
		}
	})
}

// TestRealStable: two runs on this host give the same digest (a few
// tries: other programs may change the host between two runs).
func TestRealStable(t *testing.T) {
	c := New()
	digest := func() string { return collecttest.Digest(t, collecttest.Assets(t, c, plugin.Env{Root: "/"})) }
	for range 3 {
		if digest() == digest() {
			return
		}
	}
	t.Error("the digest changed between two runs, three times")
}
