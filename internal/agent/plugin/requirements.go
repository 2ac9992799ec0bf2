package plugin

import (
	"fmt"
	"slices"
	"strings"
)

// Kernel and host features a plugin may require. Detect finds which of
// them the host offers.
const (
	// FeatureBTF: the kernel exposes its BTF (/sys/kernel/btf/vmlinux),
	// which CO-RE eBPF programs need.
	FeatureBTF = "btf"
	// FeatureFanotify: fanotify is available.
	FeatureFanotify = "fanotify"
	// FeatureInotify: inotify is available.
	FeatureInotify = "inotify"
	// FeatureCgroup2: the unified cgroup hierarchy is mounted.
	FeatureCgroup2 = "cgroup2"
)

// Requirements says what a plugin needs from the host. The zero value
// needs nothing.
type Requirements struct {
	// OS lists the operating systems (runtime.GOOS values) the plugin
	// runs on; empty means any.
	OS []string
	// Root means the plugin needs to run as root (or with all
	// capabilities).
	Root bool
	// Features lists kernel and host features, all of which must be
	// present (Feature* constants).
	Features []string
}

// Capabilities is what the host offers.
type Capabilities struct {
	// OS is runtime.GOOS.
	OS string
	// Root is true when the agent runs as root.
	Root bool
	// Features holds the features found on the host.
	Features map[string]bool
}

// Has reports whether the host offers feature f.
func (c Capabilities) Has(f string) bool { return c.Features[f] }

// List returns the features found, sorted.
func (c Capabilities) List() []string {
	var out []string
	for f, ok := range c.Features {
		if ok {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return out
}

// Check returns nil when c satisfies r, else an error that states every
// missing requirement; its text is the reason reported for a skipped
// plugin.
func (r Requirements) Check(c Capabilities) error {
	var missing []string
	if len(r.OS) > 0 && !slices.Contains(r.OS, c.OS) {
		missing = append(missing, fmt.Sprintf("runs on %s only (host is %s)", strings.Join(r.OS, ", "), c.OS))
	}
	if r.Root && !c.Root {
		missing = append(missing, "needs root")
	}
	for _, f := range r.Features {
		if !c.Has(f) {
			missing = append(missing, fmt.Sprintf("needs kernel feature %q, which this host lacks", f))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("%s", strings.Join(missing, "; "))
}
