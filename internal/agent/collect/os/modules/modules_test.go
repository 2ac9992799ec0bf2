package modules_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/agent/collect/internal/collecttest"
	"github.com/vigilsec/vigil/internal/agent/collect/os/modules"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/event"
)

func TestFixtureGolden(t *testing.T) {
	c := modules.New()
	env := plugin.Env{Root: "testdata/root"}
	if err := c.Configure(env); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	assets := collecttest.Assets(t, c, env)
	collecttest.Golden(t, "testdata/golden/root.json", assets)
	by := map[string]event.Asset{}
	for _, a := range assets {
		by[a.Key] = a
	}
	for name, want := range map[string]map[string]string{
		"snd_hda_intel": {"file.path": "/lib/modules/6.1.0-28-amd64/kernel/sound/pci/hda/snd-hda-intel.ko.xz", "package.name": "linux-image-6.1.0-28-amd64"},
		"vboxdrv":       {"file.path": "/lib/modules/6.1.0-28-amd64/updates/dkms/vboxdrv.ko", "package.name": "none", "vigil.module.taint": "OE"},
		"diamorphine":   {"file.path": "", "package.name": "none", "vigil.module.taint": "OE"},
		"crc32c_intel":  {"vigil.module.state": "Loading"},
	} {
		f := event.Event(by[name].Fields)
		for k, v := range want {
			if got := f.String(k); got != v {
				t.Errorf("%s %s = %q, want %q", name, k, got, v)
			}
		}
	}
	if v := by["vboxdrv"].Version; v != "7.0.20_Debian r163906" {
		t.Errorf("vboxdrv version %q", v)
	}
	if len(assets) != 6 {
		t.Errorf("%d modules, want 6", len(assets))
	}
	// Two bad lines in /proc/modules, one in modules.dep.
	if n := c.Counters()["malformed_lines"]; n != 3 {
		t.Errorf("malformed_lines %d, want 3", n)
	}
}

func TestUnsupported(t *testing.T) {
	err := modules.New().Configure(plugin.Env{Root: t.TempDir()})
	if !errors.Is(err, plugin.ErrUnsupported) {
		t.Errorf("Configure without /proc/modules = %v, want ErrUnsupported", err)
	}
}

func TestNoModulesDep(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(root+"/proc", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(root+"/proc/modules", []byte("veth 40960 0 - Live 0x0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := modules.New()
	assets, err := c.Assets(context.Background(), plugin.Env{Root: root})
	if err != nil || len(assets) != 1 {
		t.Fatalf("Assets: %v, %v", assets, err)
	}
	if f := event.Event(assets[0].Fields); f.String("file.path") != "" || f.String("package.name") != "" {
		t.Errorf("without modules.dep: %v", f)
	}
	if c.Counters()["missing_modules_dep"] != 1 {
		t.Errorf("counters %v", c.Counters())
	}
}

func TestParseProcModules(t *testing.T) {
	in := "nf_tables 352256 0 - Live 0x0000000000000000\nvboxdrv 696320 2 a,b, Live 0x0 (OE)\n\nx 1 0 - Bogus 0x0\ny 1 0 - Live 0x0 OE\nz 1\n"
	got, probs := modules.ParseProcModules([]byte(in))
	want := []modules.Module{{Name: "nf_tables", Size: 352256, State: "Live"}, {Name: "vboxdrv", Size: 696320, State: "Live", Taint: "OE"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if probs.Skipped != 3 {
		t.Errorf("skipped %d, want 3", probs.Skipped)
	}
}

func TestParseModulesDep(t *testing.T) {
	in := "kernel/fs/fat/vfat.ko.xz: kernel/fs/fat/fat.ko.xz\nkernel/a/snd-x.ko.zst:\n/extra/z.ko:\nkernel/dup/vfat.ko:\nnot a line\nx.txt:\n"
	got, probs := modules.ParseModulesDep([]byte(in))
	want := map[string]string{"vfat": "kernel/fs/fat/vfat.ko.xz", "snd_x": "kernel/a/snd-x.ko.zst", "z": "/extra/z.ko"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if probs.Skipped != 2 {
		t.Errorf("skipped %d, want 2", probs.Skipped)
	}
}

func TestTaintNames(t *testing.T) {
	if d := cmp.Diff([]string{"proprietary", "out-of-tree", "unsigned", "unknown-Q"}, modules.TaintNames("POEQ")); d != "" {
		t.Error(d)
	}
}

func FuzzParseProcModules(f *testing.F) {
	f.Add([]byte("nf_tables 352256 0 - Live 0x0000000000000000\nvboxdrv 696320 2 a,b, Live 0x0 (OE)\n"))
	f.Add([]byte("x 1 0 - Live 0x0 (\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		mods, _ := modules.ParseProcModules(data)
		for _, m := range mods {
			if m.Name == "" || m.State == "" || strings.ContainsAny(m.Taint, "()") {
				t.Fatalf("module %+v", m)
			}
			modules.TaintNames(m.Taint)
		}
	})
}

func FuzzParseModulesDep(f *testing.F) {
	f.Add([]byte("kernel/fs/fat/vfat.ko.xz: kernel/fs/fat/fat.ko.xz\n"))
	f.Add([]byte(".ko:\n:\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dep, _ := modules.ParseModulesDep(data)
		for name, p := range dep {
			if name == "" || !strings.Contains(p, ".ko") {
				t.Fatalf("%q -> %q", name, p)
			}
		}
	})
}

// TestHost compares the modules of this host with lsmod, or checks that
// the collector is unsupported where the kernel has no module support.
func TestHost(t *testing.T) {
	c := modules.New()
	env := plugin.Env{Root: "/"}
	if _, err := os.Stat("/proc/modules"); err != nil {
		if err := c.Configure(env); !errors.Is(err, plugin.ErrUnsupported) {
			t.Fatalf("no /proc/modules, Configure = %v; want ErrUnsupported", err)
		}
		t.Skip("this kernel has no loadable module support: the collector is unsupported here")
	}
	if err := c.Configure(env); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	if _, err := exec.LookPath("lsmod"); err != nil {
		t.Skip("lsmod (kmod) is not installed")
	}
	out, err := exec.Command("lsmod").Output()
	if err != nil {
		t.Fatalf("lsmod: %v", err)
	}
	assets := collecttest.Assets(t, c, env)
	got := map[string]uint64{}
	for _, a := range assets {
		size, _ := event.Event(a.Fields).Get("vigil.module.size")
		got[a.Key] = size.(uint64)
	}
	want := map[string]uint64{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Scan() // header
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		size, _ := strconv.ParseUint(f[1], 10, 64)
		want[f[0]] = size
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("modules (-lsmod +inventory):\n%s", d)
	}
}

// BenchmarkHost runs the collector on this host (see collecttest.Benchmark).
func BenchmarkHost(b *testing.B) {
	collecttest.Benchmark(b, modules.New(), plugin.Env{Root: "/"})
}
