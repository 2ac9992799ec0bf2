package middleware_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/agent/collect/app/middleware"
	"github.com/vigilsec/vigil/internal/agent/collect/internal/collecttest"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/event"
)

// fileReadlink reads a link of the fixture tree's /proc: a real link, or
// a regular file that holds the target.
func fileReadlink(name string) (string, error) {
	fi, err := os.Lstat(name)
	if err != nil {
		return "", err
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		return os.Readlink(name)
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(string(b), "\n"), nil
}

// fixtureCollector returns a collector whose process source reads the
// fixture tree.
func fixtureCollector() *middleware.Collector {
	c := middleware.New()
	c.NewSource = func(root string) middleware.Source {
		p := middleware.NewProcFS(root)
		p.Readlink = fileReadlink
		return p
	}
	return c
}

func TestFixtureGolden(t *testing.T) {
	c := fixtureCollector()
	assets := collecttest.Assets(t, c, plugin.Env{Root: "testdata/root"})
	collecttest.Golden(t, "testdata/golden/root.json", assets)

	byKey := map[string]event.Event{}
	for _, a := range assets {
		byKey[a.Key] = event.Event(a.Fields)
	}
	type want struct {
		key, version, source, config, user, pkg string
		running                                 bool
		ports                                   []any
		count                                   int
	}
	const container = "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2"
	for _, w := range []want{
		{key: "nginx:/usr/local/nginx/sbin/nginx", version: "1.25.3", source: middleware.VersionBinary,
			config: "/usr/local/nginx/conf/nginx.conf", user: "root", pkg: "none", running: true, ports: []any{80}, count: 2},
		{key: "redis:/usr/bin/redis-check-rdb#6379", version: "7.0.15", source: middleware.VersionDpkg,
			config: "/etc/redis/redis.conf", user: "redis", pkg: "redis-server", running: true, ports: []any{6379}, count: 1},
		{key: "redis:/usr/bin/redis-check-rdb#6380", version: "7.0.15", source: middleware.VersionDpkg,
			config: "/etc/redis/redis-6380.conf", user: "redis", pkg: "redis-server", running: true, ports: []any{6380}, count: 1},
		{key: "tomcat:/opt/tomcat", version: "9.0.85", source: middleware.VersionArchive,
			config: "/srv/tomcat-a/conf/server.xml", user: "tomcat", pkg: "none", running: true, ports: []any{8080}, count: 1},
		{key: "postgresql:/usr/lib/postgresql/15/bin/postgres", version: "15.5", source: middleware.VersionDpkg,
			config: "/etc/postgresql/15/main/postgresql.conf", user: "postgres", pkg: "postgresql-15", running: true, ports: []any{5432}, count: 3},
		{key: "kafka:/opt/kafka", version: "3.6.1", source: middleware.VersionFileName,
			config: "/opt/kafka/config/server.properties", user: "kafka", pkg: "none", running: true, ports: []any{9092}, count: 1},
		{key: "mysql:/usr/sbin/mariadbd@" + container, version: "10.6.16", source: middleware.VersionBinary,
			running: true, ports: []any{3306}, count: 1},
		{key: "php-fpm:/usr/sbin/php-fpm8.2", version: "8.2.7", source: middleware.VersionDpkg,
			config: "/etc/php/8.2/fpm/php-fpm.conf", user: "root", pkg: "php8.2-fpm", running: true, count: 3},
		{key: "wildfly:/opt/wildfly", version: "30.0.1.Final", source: middleware.VersionArchive,
			config: "/opt/wildfly/standalone/configuration/standalone-full.xml", user: "wildfly", pkg: "none", running: true, ports: []any{8080, 9990}, count: 1},
		{key: "hbase:/opt/hbase:master", version: "2.5.7", source: middleware.VersionFileName,
			config: "/opt/hbase/conf/hbase-site.xml", user: "hbase", pkg: "none", running: true, count: 1},
		{key: "elasticsearch:/usr/share/elasticsearch", version: "8.11.1", source: middleware.VersionDpkg,
			config: "/etc/elasticsearch/elasticsearch.yml", user: "elasticsearch", pkg: "elasticsearch", running: true, ports: []any{9200}, count: 1},
		{key: "memcached:/usr/bin/memcached", version: "1.6.17", source: middleware.VersionBinary,
			config: "/etc/memcached.conf", user: "memcache", pkg: "memcached", running: true, ports: []any{11211}, count: 1},
		{key: "apache:/usr/sbin/apache2", version: "2.4.57", source: middleware.VersionDpkg,
			config: "/etc/apache2/apache2.conf", pkg: "apache2-bin", running: false},
	} {
		t.Run(w.key, func(t *testing.T) {
			f, ok := byKey[w.key]
			if !ok {
				t.Fatalf("no item %q", w.key)
			}
			for field, v := range map[string]string{
				"service.version": w.version, "vigil.middleware.version_source": w.source,
				"file.path": w.config, "user.name": w.user, "package.name": w.pkg,
			} {
				if got := f.String(field); got != v {
					t.Errorf("%s = %q, want %q", field, got, v)
				}
			}
			if got, _ := f.Get("vigil.middleware.running"); got != w.running {
				t.Errorf("running = %v, want %v", got, w.running)
			}
			ports, _ := f.Get("destination.port")
			var got []any
			if ports != nil {
				got = ports.([]any)
			}
			if d := cmp.Diff(w.ports, got); d != "" {
				t.Errorf("destination.port (-want +got):\n%s", d)
			}
			if w.running {
				if m, _ := f.Get("vigil.middleware.multi_process"); m != (w.count > 1) {
					t.Errorf("multi_process = %v, want %v (%d processes)", m, w.count > 1, w.count)
				}
			}
		})
	}
	if len(assets) != 13 {
		t.Errorf("%d items, want 13 (no bash, no removed nginx package)", len(assets))
	}
	if n := c.Counters()["malformed_lines"]; n < 2 {
		t.Errorf("malformed_lines = %d, want the bad socket line and the stanza without Package", n)
	}

	// A second run gives the same set (stable keys, cached versions).
	again, err := c.Assets(context.Background(), plugin.Env{Root: "testdata/root"})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(assets, again); d != "" {
		t.Errorf("second run differs (-first +second):\n%s", d)
	}
}

// staticSource feeds a fixed process list.
type staticSource struct {
	procs  []middleware.Process
	listen map[int][]netip.AddrPort
}

func (s *staticSource) Processes(context.Context) ([]middleware.Process, error) { return s.procs, nil }
func (s *staticSource) Listening(_ context.Context, pid int) ([]netip.AddrPort, error) {
	return s.listen[pid], nil
}
func (s *staticSource) View(int) (string, bool) { return "/nonexistent", true }
func (s *staticSource) OpenExecutable(int, string) (*os.File, error) {
	return nil, os.ErrNotExist
}

func TestKeys(t *testing.T) {
	redis := func(pid int, args ...string) middleware.Process {
		return middleware.Process{PID: pid, PPID: 1, StartTicks: uint64(pid), Name: "redis-server",
			Executable: "/usr/bin/redis-server", Args: append([]string{"/usr/bin/redis-server"}, args...)}
	}
	ap := netip.MustParseAddrPort
	tests := []struct {
		name   string
		procs  []middleware.Process
		listen map[int][]netip.AddrPort
		want   []string
	}{
		{
			name:  "one instance: product and install path",
			procs: []middleware.Process{redis(10)},
			want:  []string{"redis:/usr/bin/redis-server"},
		},
		{
			name:   "several: by lowest port",
			procs:  []middleware.Process{redis(10), redis(11)},
			listen: map[int][]netip.AddrPort{10: {ap("127.0.0.1:6380"), ap("[::1]:6380")}, 11: {ap("127.0.0.1:7000"), ap("127.0.0.1:6379")}},
			want:   []string{"redis:/usr/bin/redis-server#6379", "redis:/usr/bin/redis-server#6380"},
		},
		{
			name:   "same port (network namespaces): by configuration",
			procs:  []middleware.Process{redis(10, "/etc/redis/a.conf"), redis(11, "/etc/redis/b.conf")},
			listen: map[int][]netip.AddrPort{10: {ap("127.0.0.1:6379")}, 11: {ap("127.0.0.1:6379")}},
			want:   []string{"redis:/usr/bin/redis-server#/etc/redis/a.conf", "redis:/usr/bin/redis-server#/etc/redis/b.conf"},
		},
		{
			name:  "nothing else tells: by command line",
			procs: []middleware.Process{redis(10, "--port", "0", "--unixsocket", "/run/a"), redis(11, "--port", "0", "--unixsocket", "/run/b")},
			want: []string{
				"redis:/usr/bin/redis-server#" + argsDigest("/usr/bin/redis-server", "--port", "0", "--unixsocket", "/run/a"),
				"redis:/usr/bin/redis-server#" + argsDigest("/usr/bin/redis-server", "--port", "0", "--unixsocket", "/run/b"),
			},
		},
		{
			name:  "identical: by command line and start order",
			procs: []middleware.Process{redis(10), redis(11)},
			want: []string{
				"redis:/usr/bin/redis-server#" + argsDigest("/usr/bin/redis-server") + "-1",
				"redis:/usr/bin/redis-server#" + argsDigest("/usr/bin/redis-server") + "-2",
			},
		},
		{
			name: "a child of the same product is the same instance",
			procs: []middleware.Process{redis(10), {PID: 11, PPID: 10, Name: "redis-server", Executable: "/usr/bin/redis-server",
				Args: []string{"redis-rdb-bgsave 127.0.0.1:6379"}}},
			want: []string{"redis:/usr/bin/redis-server"},
		},
		{
			name:  "not middleware",
			procs: []middleware.Process{{PID: 5, Name: "bash", Executable: "/usr/bin/bash", Args: []string{"bash"}}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := middleware.New()
			c.NewSource = func(string) middleware.Source { return &staticSource{procs: tc.procs, listen: tc.listen} }
			assets := collecttest.Assets(t, c, plugin.Env{Root: t.TempDir()})
			var keys []string
			for _, a := range assets {
				keys = append(keys, a.Key)
			}
			if d := cmp.Diff(tc.want, keys); d != "" {
				t.Errorf("keys (-want +got):\n%s", d)
			}
		})
	}
}

// argsDigest is the key's digest of a command line: the first 6 bytes of
// the SHA-256 of the arguments joined by NULs, in hex.
func argsDigest(args ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(args, "\x00")))
	return hex.EncodeToString(sum[:6])
}

// failingSource cannot list processes.
type failingSource struct{ staticSource }

func (failingSource) Processes(context.Context) ([]middleware.Process, error) {
	return nil, errors.New("no /proc")
}

func TestProcessListFailureFailsTheRun(t *testing.T) {
	c := middleware.New()
	c.NewSource = func(string) middleware.Source { return &failingSource{} }
	if _, err := c.Assets(context.Background(), plugin.Env{Root: t.TempDir()}); err == nil {
		t.Fatal("Assets succeeded without a process list: the set would look as if everything stopped")
	}
}

func TestPlugin(t *testing.T) {
	c := middleware.New()
	if c.Name() != "app/middleware" {
		t.Errorf("Name = %q", c.Name())
	}
	if !c.Requirements().Root {
		t.Error("needs root to read other users' descriptors")
	}
	if c.DefaultInterval() <= 0 {
		t.Error("no interval")
	}
}

func BenchmarkAssetsFixture(b *testing.B) {
	c := fixtureCollector()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Assets(ctx, plugin.Env{Root: "testdata/root"}); err != nil {
			b.Fatal(err)
		}
	}
}
