package plugin_test

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/agent/plugin"
)

func TestRequirementsCheck(t *testing.T) {
	host := plugin.Capabilities{OS: "linux", Root: false, Features: map[string]bool{plugin.FeatureInotify: true}}
	tests := []struct {
		name string
		req  plugin.Requirements
		want []string // parts of the reason; nil means it runs
	}{
		{"nothing", plugin.Requirements{}, nil},
		{"os matches", plugin.Requirements{OS: []string{"linux", "windows"}}, nil},
		{"feature present", plugin.Requirements{Features: []string{plugin.FeatureInotify}}, nil},
		{"other os", plugin.Requirements{OS: []string{"windows"}}, []string{"runs on windows only (host is linux)"}},
		{"root", plugin.Requirements{Root: true}, []string{"needs root"}},
		{"missing features", plugin.Requirements{Features: []string{plugin.FeatureBTF, plugin.FeatureInotify, plugin.FeatureFanotify}},
			[]string{`needs kernel feature "btf"`, `needs kernel feature "fanotify"`}},
		{"everything missing", plugin.Requirements{OS: []string{"windows"}, Root: true, Features: []string{plugin.FeatureBTF}},
			[]string{"windows only", "needs root", `"btf"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.req.Check(host)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Check = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Check = nil, want a reason")
			}
			for _, part := range tt.want {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("reason %q lacks %q", err, part)
				}
			}
		})
	}
}

func TestDetect(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("feature detection reads Linux interfaces")
	}
	root := t.TempDir()
	mk := func(p string, dir bool) {
		p = filepath.Join(root, p)
		if dir {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			return
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got := plugin.Detect(root)
	if len(got.List()) != 0 {
		t.Errorf("empty root: features %v", got.List())
	}
	mk("sys/kernel/btf/vmlinux", false)
	mk("proc/sys/fs/inotify", true)
	mk("proc/sys/fs/fanotify", true)
	mk("sys/fs/cgroup/unified/cgroup.controllers", false)
	got = plugin.Detect(root)
	want := []string{plugin.FeatureBTF, plugin.FeatureCgroup2, plugin.FeatureFanotify, plugin.FeatureInotify}
	if d := cmp.Diff(want, got.List()); d != "" {
		t.Errorf("features (-want +got):\n%s", d)
	}
	if got.OS != runtime.GOOS || got.Root != (os.Geteuid() == 0) {
		t.Errorf("OS %q root %v", got.OS, got.Root)
	}
}
