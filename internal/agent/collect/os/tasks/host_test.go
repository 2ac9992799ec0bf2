package tasks_test

import (
	"os"
	"os/exec"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/agent/collect/internal/collecttest"
	"github.com/vigilsec/vigil/internal/agent/collect/os/tasks"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/event"
)

func hostAssets(t *testing.T) []event.Asset {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to read the users' crontabs")
	}
	c := tasks.New()
	assets := collecttest.Assets(t, c, plugin.Env{Root: "/"})
	return assets
}

// runPartsName is the names Debian's run-parts runs (without
// --lsbsysinit).
var runPartsName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// TestHostMatchesRunParts compares the scripts of cron's run-parts
// directories with run-parts --test, which prints those it would run:
// the inventory lists them all, and besides them only executable files
// whose names Debian's run-parts skips (which another run-parts runs).
func TestHostMatchesRunParts(t *testing.T) {
	if _, err := exec.LookPath("run-parts"); err != nil {
		t.Skip("run-parts is not installed")
	}
	assets := hostAssets(t)
	for _, dir := range []string{"/etc/cron.hourly", "/etc/cron.daily", "/etc/cron.weekly", "/etc/cron.monthly"} {
		if _, err := os.Stat(dir); err != nil {
			continue
		}
		out, err := exec.Command("run-parts", "--test", dir).Output()
		if err != nil {
			t.Fatalf("run-parts --test %s: %v", dir, err)
		}
		want := strings.Fields(string(out))
		var got []string
		for _, a := range assets {
			if p, ok := strings.CutPrefix(a.Key, "cron:"+dir+"/"); ok && !strings.Contains(p, "#") {
				if runPartsName.MatchString(p) {
					got = append(got, dir+"/"+p)
				}
			}
		}
		slices.Sort(want)
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s (-run-parts +inventory):\n%s", dir, d)
		}
	}
}

// TestHostTimersMatchSystemctl compares the timers with systemctl
// list-unit-files.
func TestHostTimersMatchSystemctl(t *testing.T) {
	if _, err := exec.LookPath("systemctl"); err != nil {
		t.Skip("systemctl is not installed")
	}
	out, err := exec.Command("systemctl", "--root=/", "--no-pager", "--no-legend", "list-unit-files", "--type=timer").Output()
	if err != nil {
		t.Fatalf("systemctl: %v", err)
	}
	want := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[1] != "alias" {
			want[f[0]] = f[1]
		}
	}
	got := map[string]string{}
	for _, a := range hostAssets(t) {
		if name, ok := strings.CutPrefix(a.Key, "timer:"); ok {
			got[name] = event.Event(a.Fields).String("vigil.task.enablement")
		}
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("timers (-systemctl +inventory):\n%s", d)
	}
}

// TestHostCrontabsMatchCrontab compares each user's crontab with crontab
// -l, when cron is installed: every job line crontab prints is an item.
func TestHostCrontabsMatchCrontab(t *testing.T) {
	if _, err := exec.LookPath("crontab"); err != nil {
		t.Skip("cron is not installed (no crontab command)")
	}
	assets := hostAssets(t)
	ents, err := os.ReadDir("/var/spool/cron/crontabs")
	if err != nil {
		t.Skipf("no crontab spool: %v", err)
	}
	for _, e := range ents {
		user := e.Name()
		if strings.HasPrefix(user, ".") || strings.HasPrefix(user, "tmp.") {
			continue
		}
		out, err := exec.Command("crontab", "-l", "-u", user).Output()
		if err != nil {
			t.Fatalf("crontab -l -u %s: %v", user, err)
		}
		for _, line := range strings.Split(string(out), "\n") {
			line = strings.TrimSpace(line)
			if line == "" || line[0] == '#' || strings.Contains(strings.Fields(line)[0], "=") {
				continue
			}
			found := false
			for _, a := range assets {
				f := event.Event(a.Fields)
				if f.String("file.path") == path.Join("/var/spool/cron/crontabs", user) &&
					strings.HasSuffix(line, f.String("process.command_line")) {
					found = true
				}
			}
			if !found {
				t.Errorf("%s's job %q is not in the inventory", user, line)
			}
		}
	}
}

// BenchmarkHost runs the collector on this host (see collecttest.Benchmark).
func BenchmarkHost(b *testing.B) {
	collecttest.Benchmark(b, tasks.New(), plugin.Env{Root: "/"})
}
