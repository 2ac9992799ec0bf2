package processes_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/agent/collect/internal/collecttest"
	"github.com/vigilsec/vigil/internal/agent/collect/proc/processes"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/event"
)

func newCollector(t testing.TB, settings string) *processes.Collector {
	t.Helper()
	c := processes.New()
	if err := c.ApplySettings(json.RawMessage(settings)); err != nil {
		t.Fatalf("ApplySettings(%s): %v", settings, err)
	}
	return c
}

func fixtureAssets(t *testing.T, settings string) []event.Asset {
	t.Helper()
	c := newCollector(t, settings)
	assets := collecttest.Assets(t, c, plugin.Env{Root: "testdata/root"})
	return assets
}

// byCommandLine indexes assets by process.command_line.
func byCommandLine(assets []event.Asset) map[string][]event.Asset {
	out := map[string][]event.Asset{}
	for _, a := range assets {
		cl := event.Event(a.Fields).String("process.command_line")
		out[cl] = append(out[cl], a)
	}
	return out
}

func TestFixtureGolden(t *testing.T) {
	// The fixture's exe links point at this host's files: no hashes.
	assets := fixtureAssets(t, `{"hash":false}`)
	collecttest.Golden(t, "testdata/golden/root.json", assets)
	cl := byCommandLine(assets)
	// The two workers are one item, with the port of the one that holds it.
	workers := cl["nginx: worker process"]
	if len(workers) != 1 {
		t.Fatalf("nginx workers: %d items, want 1", len(workers))
	}
	w := event.Event(workers[0].Fields)
	if l, _ := w.Get("vigil.process.listening"); !cmp.Equal(l, []any{"tcp/0.0.0.0:80"}) {
		t.Errorf("workers listen on %v", l)
	}
	if w.String("user.name") != "www-data" || w.String("process.parent.executable") != "/usr/sbin/nginx" {
		t.Errorf("workers: %v", w)
	}
	for _, tc := range []struct {
		cmdline string
		items   int
	}{
		{"python3 -m app --worker 1", 1}, {"python3 -m app --worker 2", 1},
		{"sleep 30", 0}, // younger than min_age
		{"", 0},         // the zombie and the kernel threads
		{"-bash", 1},
		{"/opt/agent/bin/agent --config /etc/agent.yml", 1},
		{"postgres: 15/main: checkpointer ", 1}, // without the empty arguments of its padding
	} {
		if got := len(cl[tc.cmdline]); got != tc.items {
			t.Errorf("%q: %d items, want %d", tc.cmdline, got, tc.items)
		}
	}
	noExe := cl["/opt/agent/bin/agent --config /etc/agent.yml"][0]
	if !strings.HasPrefix(noExe.Key, "root@[agent]#") {
		t.Errorf("key without executable %q", noExe.Key)
	}
	miner := event.Event(cl["/tmp/.x/miner -o pool.example:3333"][0].Fields)
	if miner.String("package.name") != "none" || miner.String("process.executable") != "/tmp/.x/miner" {
		t.Errorf("miner: %v", miner)
	}
	if v, _ := miner.Get("vigil.process.executable_deleted"); v != true {
		t.Errorf("miner not marked deleted: %v", miner)
	}
	ctr := event.Event(cl["nginx: master process nginx -g daemon off;"][0].Fields)
	if ctr.String("container.id") == "" || ctr.String("package.name") != "" {
		t.Errorf("container process: %v", ctr)
	}
	backup := cl["/opt/backup/backup --daemon"][0]
	if !strings.HasPrefix(backup.Key, "4242@/opt/backup/backup#") {
		t.Errorf("key of a user without a name: %q", backup.Key)
	}
}

func TestFixtureStable(t *testing.T) {
	a := fixtureAssets(t, `{"hash":false}`)
	b := fixtureAssets(t, `{"hash":false}`)
	if d := cmp.Diff(a, b); d != "" {
		t.Errorf("two runs differ (-first +second):\n%s", d)
	}
}

func TestMinAge(t *testing.T) {
	cl := byCommandLine(fixtureAssets(t, `{"hash":false,"min_age":"0s"}`))
	if len(cl["sleep 30"]) != 1 {
		t.Errorf("min_age 0s: sleep 30 has %d items, want 1", len(cl["sleep 30"]))
	}
	cl = byCommandLine(fixtureAssets(t, `{"hash":false,"min_age":"960s"}`))
	if len(cl["/sbin/init splash"]) != 1 || len(cl["-bash"]) != 0 {
		t.Errorf("min_age 960s: %d init, %d bash; want 1, 0", len(cl["/sbin/init splash"]), len(cl["-bash"]))
	}
}

func TestSettings(t *testing.T) {
	for _, tc := range []struct {
		raw string
		ok  bool
	}{
		{``, true}, {`{}`, true}, {`{"min_age":"5m","hash":false,"hash_max_mib":128}`, true},
		{`{"min_age":"-1s"}`, false}, {`{"min_age":"25h"}`, false}, {`{"min_age":60}`, false},
		{`{"hash_max_mib":5000}`, false}, {`{"bogus":1}`, false}, {`{"hash":"yes"}`, false},
	} {
		err := processes.New().ApplySettings(json.RawMessage(tc.raw))
		if (err == nil) != tc.ok {
			t.Errorf("ApplySettings(%s) = %v, want ok %v", tc.raw, err, tc.ok)
		}
	}
}

func TestMissingUptime(t *testing.T) {
	c := newCollector(t, `{"hash":false}`)
	if _, err := c.Assets(context.Background(), plugin.Env{Root: t.TempDir()}); err == nil {
		t.Error("a root without /proc: no error")
	}
}

func TestParseUptime(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"350735.47 234388.90\n", 35073547, true},
		{"12.5 1.0", 1250, true},
		{"7 0", 700, true},
		{"", 0, false}, {"x.10 1", 0, false}, {"1.x 2", 0, false}, {"1. 2", 0, false},
		{"-5.00 1", 0, false}, {"99999999999999999999.00 1", 0, false},
	} {
		got, err := processes.ParseUptime([]byte(tc.in))
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseUptime(%q) = %d, %v; want %d, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func FuzzParseUptime(f *testing.F) {
	f.Add([]byte("350735.47 234388.90\n"))
	f.Add([]byte("1.999999999 0"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ticks, err := processes.ParseUptime(b)
		if err != nil && ticks != 0 {
			t.Fatalf("error %v with %d ticks", err, ticks)
		}
	})
}
