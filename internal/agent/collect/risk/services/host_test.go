//go:build linux

package services_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/agent/collect/internal/collecttest"
	"github.com/vigilsec/vigil/internal/agent/collect/risk/services"
	"github.com/vigilsec/vigil/internal/agent/collect/risk/services/mongoprobe"
	"github.com/vigilsec/vigil/internal/agent/collect/risk/services/redisprobe"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/event"
)

// requireEnv, set to 1, makes the host tests fail rather than skip when
// they are not root or a package they start is not installed.
const requireEnv = "VIGIL_REQUIRE_MIDDLEWARE"

// childEnv makes the test binary something else (see TestMain):
// "collect" runs the collector once and prints its items and counters
// as JSON (for a network namespace); "mongod" and "elasticsearch" serve
// a small imitation of those servers (not Debian packages).
const childEnv = "VIGIL_RISK_CHILD"

// Settings and options of the children.
const (
	settingsEnv = "VIGIL_RISK_SETTINGS"
	authEnv     = "VIGIL_RISK_AUTH"
	portsEnv    = "VIGIL_RISK_PORTS"
	tlsEnv      = "VIGIL_RISK_TLS"
)

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "collect":
		os.Exit(collectChild())
	case "mongod":
		os.Exit(fakeMongo())
	case "elasticsearch":
		os.Exit(fakeElasticsearch())
	}
	os.Exit(m.Run())
}

// childOutput is what the collect child prints.
type childOutput struct {
	Assets   []event.Asset     `json:"assets"`
	Counters map[string]uint64 `json:"counters"`
}

func collectChild() int {
	c := services.New()
	if err := c.ApplySettings(json.RawMessage(os.Getenv(settingsEnv))); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	assets, err := c.Assets(context.Background(), plugin.Env{Root: "/"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := json.NewEncoder(os.Stdout).Encode(childOutput{assets, c.Counters()}); err != nil {
		return 1
	}
	return 0
}

// need skips the test (or fails it when requireEnv is 1) unless it runs
// as root and the files are there.
func need(t *testing.T, pkg string, files ...string) {
	t.Helper()
	require := os.Getenv(requireEnv) == "1"
	if os.Geteuid() != 0 {
		if require {
			t.Fatalf("%s=1 but not root", requireEnv)
		}
		t.Skip("needs root: starts services as their users and reads every process's sockets")
	}
	for _, f := range files {
		if _, err := exec.LookPath(f); err != nil {
			if require {
				t.Fatalf("%s=1 but %s (package %s) is not installed", requireEnv, f, pkg)
			}
			t.Skipf("%s (package %s) is not installed", f, pkg)
		}
	}
}

// only returns settings that run one check, fast: other services of
// this host are left alone.
func only(check string, extra string) json.RawMessage {
	checks := []string{}
	for _, c := range []string{"redis", "mysql", "postgresql", "ssh", "tomcat", "memcached", "mongodb", "elasticsearch"} {
		checks = append(checks, fmt.Sprintf("%q: %v", c, c == check))
	}
	s := `{"checks": {` + strings.Join(checks, ", ") + `}`
	if extra != "" {
		s += ", " + extra
	}
	return json.RawMessage(s + "}")
}

// collect runs the collector once on this host with settings.
func collect(t *testing.T, c *services.Collector, settings json.RawMessage) []event.Asset {
	t.Helper()
	if err := c.ApplySettings(settings); err != nil {
		t.Fatal(err)
	}
	return collecttest.Assets(t, c, plugin.Env{Root: "/"})
}

// withPort returns the items whose key names port.
func withPort(assets []event.Asset, port int) map[string]event.Event {
	out := map[string]event.Event{}
	for _, a := range assets {
		if strings.Contains(a.Key, ":"+strconv.Itoa(port)+":") {
			out[a.Key] = event.Event(a.Fields)
		}
	}
	return out
}

// service is a process a test started.
type service struct {
	cmd  *exec.Cmd
	log  *bytes.Buffer
	done chan struct{}
}

// start runs cmd in its own process group and waits until ready
// reports true; the process is stopped when the test ends.
func start(t *testing.T, cmd *exec.Cmd, ready func() bool) *service {
	t.Helper()
	s := &service{cmd: cmd, log: &bytes.Buffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = s.log, s.log
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %v: %v", cmd.Args, err)
	}
	go func() {
		_ = cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(s.stop)
	deadline := time.Now().Add(60 * time.Second)
	for !ready() {
		select {
		case <-s.done:
			t.Fatalf("%v exited before it was ready:\n%s", cmd.Args, s.log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v not ready after 60s:\n%s", cmd.Args, s.log)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return s
}

func (s *service) stop() {
	pgid := s.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-s.done
	}
}

// listening reports whether something accepts connections at addr.
func listening(addr string) func() bool {
	return func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	}
}

// freePort returns a TCP port of 127.0.0.1 nothing listens on.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func randomPassword(t *testing.T) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "Zq!" + hex.EncodeToString(b)
}

// asUser runs cmd as the named user.
func asUser(t *testing.T, cmd *exec.Cmd, name string) {
	t.Helper()
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
}

// chownTree gives dir and what it holds to the named user.
func chownTree(t *testing.T, dir, name string) {
	t.Helper()
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	err = filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// tempDir returns a folder the services' users can enter (t.TempDir's
// parent is 0700), removed when the test ends.
func tempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "vigil-risk-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func field(f event.Event, name string) string { return f.String("vigil.weak_password." + name) }

// wantFinding checks one item's type and severity, and that its evidence
// holds each of parts.
func wantFinding(t *testing.T, items map[string]event.Event, key, typ, severity string, parts ...string) event.Event {
	t.Helper()
	f, ok := items[key]
	if !ok {
		keys := make([]string, 0, len(items))
		for k := range items {
			keys = append(keys, k)
		}
		t.Fatalf("no item %s; items: %q", key, keys)
	}
	if field(f, "type") != typ || field(f, "severity") != severity {
		t.Errorf("%s: %s %s, want %s %s", key, field(f, "type"), field(f, "severity"), typ, severity)
	}
	for _, p := range parts {
		if !strings.Contains(field(f, "evidence"), p) {
			t.Errorf("%s: evidence %q lacks %q", key, field(f, "evidence"), p)
		}
	}
	return f
}

// redisACLAuthFailures returns the failed AUTH attempts Redis's ACL LOG
// counts.
func redisACLAuthFailures(t *testing.T, addr, password string) int {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c := redisprobe.NewConn(nc, 5*time.Second)
	defer c.Close()
	if r, err := c.Do(context.Background(), "AUTH", password); err != nil || redisprobe.ClassifyAuth(r) != redisprobe.AuthAccepted {
		t.Fatalf("AUTH: %v %v", r, err)
	}
	r, err := c.Do(context.Background(), "ACL", "LOG")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range r.Elems {
		m := map[string]redisprobe.Reply{}
		for i := 0; i+1 < len(e.Elems); i += 2 {
			m[e.Elems[i].Str] = e.Elems[i+1]
		}
		if m["reason"].Str == "auth" {
			n += int(m["count"].Int)
		}
	}
	return n
}

// TestRedis probes real Redis servers: open, with a dictionary, default
// or ACL password, and with a strong one, where it must give up after
// max_attempts, paced by rate.
func TestRedis(t *testing.T) {
	need(t, "redis-server", "redis-server")
	strong := randomPassword(t)
	tests := []struct {
		name, conf, password string
		settings             string
		words                []string
		key, typ, severity   string
		hint, source         string
		evidence             []string
	}{
		{name: "no auth", conf: "", key: "no_auth", typ: services.TypeNoAuth, severity: services.SeverityMedium,
			evidence: []string{"PING", "+PONG", "without AUTH"}},
		{name: "dictionary word", conf: "requirepass letmein", password: "letmein", words: []string{"123456", "letmein"},
			key: "dictionary", typ: services.TypeDictionaryPassword, severity: services.SeverityMedium, hint: "l*****n", source: services.SourceBuiltin,
			evidence: []string{"AUTH", "+OK", `"default"`}},
		{name: "settings word", conf: "requirepass Corp2024!", password: "Corp2024!", settings: `"words": ["Corp2024!"]`,
			key: "dictionary", typ: services.TypeDictionaryPassword, severity: services.SeverityMedium, hint: "C*******!", source: services.SourcePolicy},
		{name: "default", conf: "requirepass foobared", password: "foobared",
			key: "default", typ: services.TypeDefaultPassword, severity: services.SeverityMedium, hint: "f******d", source: services.SourceDefault},
		{name: "ACL default user", conf: "user default on >dragon ~* &* +@all", password: "dragon", words: []string{"dragon"},
			key: "dictionary", typ: services.TypeDictionaryPassword, severity: services.SeverityMedium, hint: "d****n", source: services.SourceBuiltin},
		{name: "strong", conf: "requirepass " + strong, password: strong, words: []string{"letmein", "dragon", "monkey"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := tempDir(t)
			port := freePort(t)
			conf := filepath.Join(dir, "redis.conf")
			content := fmt.Sprintf("port %d\nbind 127.0.0.1\ndaemonize no\ndir %s\nsave \"\"\nappendonly no\n%s\n", port, dir, tc.conf)
			if err := os.WriteFile(conf, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			addr := "127.0.0.1:" + strconv.Itoa(port)
			start(t, exec.Command("redis-server", conf), listening(addr))
			c := services.New()
			if tc.words != nil {
				c.Words = func() []string { return tc.words }
			}
			assets := collect(t, c, only("redis", tc.settings))
			noSecrets(t, assets, tc.password)
			items := withPort(assets, port)
			if tc.key == "" {
				if len(items) != 0 {
					t.Fatalf("items for a strong password: %v", items)
				}
				if n := redisACLAuthFailures(t, addr, tc.password); n != len(tc.words)+len(redisDefaultsForTest) {
					t.Errorf("%d failed AUTH, want one per candidate: %d", n, len(tc.words)+len(redisDefaultsForTest))
				}
				return
			}
			f := wantFinding(t, items, fmt.Sprintf("redis:%s:%s", addr, tc.key), tc.typ, tc.severity, tc.evidence...)
			if tc.hint != "" {
				if field(f, "hint") != tc.hint {
					t.Errorf("hint %q, want %q", field(f, "hint"), tc.hint)
				}
				if n, _ := f.Get("vigil.weak_password.length"); n != len([]rune(tc.password)) {
					t.Errorf("length %v", n)
				}
				if field(f, "source") != tc.source {
					t.Errorf("source %q, want %q", field(f, "source"), tc.source)
				}
			}
			if f.String("server.address") != "127.0.0.1" || f.String("process.executable") == "" {
				t.Errorf("fields %v", f)
			}
			if pid, _ := f.Get("process.pid"); pid == nil {
				t.Error("no process.pid")
			}
		})
	}
}

// redisDefaultsForTest are the well-known Redis passwords the collector
// tries before the words (foobared, redis, password, 123456, admin).
var redisDefaultsForTest = []string{"foobared", "redis", "password", "123456", "admin"}

// TestRedisRateLimit counts, on Redis's side, the AUTH attempts against
// a strong password: exactly max_attempts less the PING, no faster than
// the rate allows.
func TestRedisRateLimit(t *testing.T) {
	need(t, "redis-server", "redis-server")
	strong := randomPassword(t)
	dir := tempDir(t)
	port := freePort(t)
	conf := filepath.Join(dir, "redis.conf")
	content := fmt.Sprintf("port %d\nbind 127.0.0.1\ndaemonize no\ndir %s\nsave \"\"\nrequirepass %s\n", port, dir, strong)
	if err := os.WriteFile(conf, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	start(t, exec.Command("redis-server", conf), listening(addr))
	for _, tc := range []struct {
		rate        float64
		maxAttempts int
	}{{2, 5}, {8, 17}} {
		before := redisACLAuthFailures(t, addr, strong)
		c := services.New()
		c.Words = func() []string {
			w := make([]string, 100)
			for i := range w {
				w[i] = fmt.Sprintf("word%03d", i)
			}
			return w
		}
		begin := time.Now()
		assets := collect(t, c, only("redis", fmt.Sprintf(`"rate": %v, "max_attempts": %d`, tc.rate, tc.maxAttempts)))
		took := time.Since(begin)
		if items := withPort(assets, port); len(items) != 0 {
			t.Fatalf("items %v", items)
		}
		got := redisACLAuthFailures(t, addr, strong) - before
		if got != tc.maxAttempts-1 {
			t.Errorf("rate %v max_attempts %d: Redis counted %d failed AUTH, want %d (PING is the first attempt)",
				tc.rate, tc.maxAttempts, got, tc.maxAttempts-1)
		}
		// The pacing is a lower bound on the duration, not a speed target.
		if min := time.Duration(float64(tc.maxAttempts-1) / tc.rate * float64(time.Second)); took < min {
			t.Errorf("rate %v max_attempts %d: done in %s, less than %s", tc.rate, tc.maxAttempts, took, min)
		}
		if p := c.Counters()["probes"]; p < uint64(tc.maxAttempts) {
			t.Errorf("probes counter %d, want at least %d", p, tc.maxAttempts)
		}
		t.Logf("rate %v/s, max_attempts %d: %d AUTH on Redis's side in %s", tc.rate, tc.maxAttempts, got, took.Round(time.Millisecond))
	}
}

// mariadb is a MariaDB server started on a loopback port with its own
// data directory.
type mariadb struct {
	conf string
	port int
}

func startMariaDB(t *testing.T, rootAuth string) *mariadb {
	dir := tempDir(t)
	m := &mariadb{conf: filepath.Join(dir, "my.cnf"), port: freePort(t)}
	conf := fmt.Sprintf(`[client]
socket=%[1]s/mysqld.sock
user=root
[mysqld]
datadir=%[1]s/data
socket=%[1]s/mysqld.sock
pid-file=%[1]s/mysqld.pid
port=%[2]d
bind-address=127.0.0.1
user=mysql
skip-log-bin
innodb_buffer_pool_size=16M
`, dir, m.port)
	if err := os.WriteFile(m.conf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	chownTree(t, dir, "mysql")
	install := exec.Command("mariadb-install-db", "--defaults-file="+m.conf,
		"--auth-root-authentication-method="+rootAuth, "--skip-test-db")
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, out)
	}
	start(t, exec.Command("/usr/sbin/mariadbd", "--defaults-file="+m.conf), listening("127.0.0.1:"+strconv.Itoa(m.port)))
	return m
}

// sql runs statements as root over the Unix socket (unix_socket
// authentication: the test runs as root).
func (m *mariadb) sql(t *testing.T, stmts string) string {
	t.Helper()
	out, err := exec.Command("mariadb", "--defaults-file="+m.conf, "-N", "-B", "-e", stmts).CombinedOutput()
	if err != nil {
		t.Fatalf("mariadb -e %q: %v\n%s", stmts, err, out)
	}
	return strings.TrimSpace(string(out))
}

// connections returns the server's count of connection attempts.
func (m *mariadb) connections(t *testing.T) int {
	out := m.sql(t, "SHOW GLOBAL STATUS LIKE 'Connections'")
	n, err := strconv.Atoi(strings.Fields(out)[1])
	if err != nil {
		t.Fatalf("%q", out)
	}
	return n
}

// TestMariaDB logs in to a real MariaDB: root with an empty password,
// the anonymous user, root through unix_socket only and with a strong
// password (not weak: max_attempts spent), and a dictionary one. The
// server counts the connections.
func TestMariaDB(t *testing.T) {
	need(t, "mariadb-server", "/usr/sbin/mariadbd", "mariadb-install-db", "mariadb")
	m := startMariaDB(t, "normal")
	addr := "127.0.0.1:" + strconv.Itoa(m.port)
	words := []string{"letmein", "dragon", "monkey"}
	const maxAttempts = 12
	dropOthers := "DROP USER IF EXISTS root@'127.0.0.1', root@'::1'; "
	// root@<host name> is left: connections from 127.0.0.1 are
	// 'localhost' to the server.
	tests := []struct {
		name, setup        string
		password           string
		key, typ, severity string
		connections        int // the collector's, counted by the server
	}{
		{name: "root empty password", setup: "SELECT 1",
			key: "root:empty", typ: services.TypeEmptyPassword, severity: services.SeverityMedium, connections: 1},
		{name: "anonymous user", setup: dropOthers + "ALTER USER root@localhost IDENTIFIED VIA unix_socket; CREATE USER ''@'localhost'",
			key: "anonymous:anonymous_access", typ: services.TypeAnonymous, severity: services.SeverityMedium, connections: 2},
		{name: "root unix_socket only", setup: "DROP USER ''@'localhost'", connections: maxAttempts},
		{name: "root strong password", setup: "ALTER USER root@localhost IDENTIFIED VIA mysql_native_password USING PASSWORD('" + randomPassword(t) + "') OR unix_socket",
			connections: maxAttempts},
		{name: "root dictionary password", setup: "ALTER USER root@localhost IDENTIFIED VIA mysql_native_password USING PASSWORD('dragon') OR unix_socket",
			password: "dragon", key: "root:dictionary", typ: services.TypeDictionaryPassword, severity: services.SeverityMedium,
			connections: 2 + 7 + 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m.sql(t, tc.setup)
			before := m.connections(t)
			c := services.New()
			c.Words = func() []string { return words }
			assets := collect(t, c, only("mysql", fmt.Sprintf(`"rate": 20, "max_attempts": %d`, maxAttempts)))
			// The two status queries are connections too.
			got := m.connections(t) - before - 1
			if got != tc.connections {
				t.Errorf("the server counted %d connections of the collector, want %d", got, tc.connections)
			}
			if tc.password != "" {
				noSecrets(t, assets, tc.password)
			}
			items := withPort(assets, m.port)
			if tc.key == "" {
				if len(items) != 0 {
					t.Fatalf("items %v", items)
				}
				return
			}
			f := wantFinding(t, items, fmt.Sprintf("mariadb:%s:%s", addr, tc.key), tc.typ, tc.severity, "MariaDB", "mysql_native_password")
			if tc.password != "" && field(f, "hint") != services.Mask(tc.password) {
				t.Errorf("hint %q", field(f, "hint"))
			}
			if f.String("process.executable") != "/usr/sbin/mariadbd" {
				t.Errorf("process.executable %q", f.String("process.executable"))
			}
		})
	}
}

// TestMariaDBSocketRoot installs MariaDB as Debian does (root through
// unix_socket): nothing is weak.
func TestMariaDBSocketRoot(t *testing.T) {
	need(t, "mariadb-server", "/usr/sbin/mariadbd", "mariadb-install-db", "mariadb")
	m := startMariaDB(t, "socket")
	assets := collect(t, services.New(), only("mysql", `"rate": 20, "max_attempts": 10`))
	if items := withPort(assets, m.port); len(items) != 0 {
		t.Fatalf("items %v", items)
	}
}

func postgresBin() string {
	vers, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	slices.SortFunc(vers, func(a, b string) int {
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(a))))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(b))))
		return va - vb
	})
	if len(vers) == 0 {
		return "/usr/lib/postgresql/15/bin"
	}
	return filepath.Dir(vers[len(vers)-1])
}

// TestPostgreSQL starts a real cluster (initdb in a temporary folder)
// whose pg_hba.conf trusts other hosts, and reads it from the running
// server's command line.
func TestPostgreSQL(t *testing.T) {
	bin := postgresBin()
	need(t, "postgresql", filepath.Join(bin, "initdb"), filepath.Join(bin, "postgres"))
	dir := tempDir(t)
	data := filepath.Join(dir, "data")
	chownTree(t, dir, "postgres")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-A", "trust", "-U", "postgres")
	asUser(t, initdb, "postgres")
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	hba := filepath.Join(data, "pg_hba.conf")
	f, err := os.OpenFile(hba, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(f, "host all all 0.0.0.0/0 trust\nhost all all 192.168.0.0/16 password\nhostssl all all 0.0.0.0/0 password")
	f.Close()
	port := freePort(t)
	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-p", strconv.Itoa(port), "-k", dir,
		"-c", "listen_addresses=127.0.0.1")
	asUser(t, cmd, "postgres")
	pg := start(t, cmd, listening("127.0.0.1:"+strconv.Itoa(port)))

	assets := collect(t, services.New(), only("postgresql", ""))
	items := map[string]event.Event{}
	for _, a := range assets {
		if event.Event(a.Fields).String("file.path") == hba {
			items[a.Key] = event.Event(a.Fields)
		}
	}
	prefix := "postgresql:" + hba + ":"
	remote := wantFinding(t, items, prefix+"trust_remote:host all all 0.0.0.0/0 trust", services.TypeTrustRemote,
		services.SeverityMedium, hba+":")
	wantFinding(t, items, prefix+"trust_local:local all all trust", services.TypeTrustLocal, services.SeverityLow)
	wantFinding(t, items, prefix+"trust_local:host all all 127.0.0.1/32 trust", services.TypeTrustLocal, services.SeverityLow)
	wantFinding(t, items, prefix+"cleartext_password:host all all 192.168.0.0/16 password", services.TypeCleartextPassword, services.SeverityLow)
	if n, _ := remote.Get("server.port"); n != port {
		t.Errorf("server.port %v, want %d", n, port)
	}
	if pid, _ := remote.Get("process.pid"); pid != pg.cmd.Process.Pid {
		t.Errorf("process.pid %v, want the postmaster %d", pid, pg.cmd.Process.Pid)
	}
	for k := range items {
		if strings.Contains(k, "hostssl") {
			t.Errorf("hostssl password reported: %s", k)
		}
	}
}

// TestMemcachedLoopbackAlias: memcached bound to 127.0.0.2 is still on
// loopback, not exposed.
func TestMemcachedLoopbackAlias(t *testing.T) {
	need(t, "memcached", "memcached")
	port := freePort(t)
	addr := "127.0.0.2:" + strconv.Itoa(port)
	start(t, exec.Command("memcached", "-l", "127.0.0.2", "-p", strconv.Itoa(port), "-U", "0", "-u", "memcache", "-m", "8"), listening(addr))
	assets := collect(t, services.New(), only("memcached", ""))
	if items := withPort(assets, port); len(items) != 0 {
		t.Fatalf("items %v", items)
	}
}

// netns is a network namespace the test creates, with its loopback up
// and 10.200.0.1 on it (an address other than loopback, reachable from
// nowhere).
type netns struct{ name string }

func newNetns(t *testing.T) *netns {
	t.Helper()
	n := &netns{name: fmt.Sprintf("vigil-risk-%d", os.Getpid())}
	run := func(args ...string) {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v\n%s", args, err, out)
		}
	}
	run("netns", "add", n.name)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", n.name).Run() })
	run("-n", n.name, "link", "set", "lo", "up")
	run("-n", n.name, "addr", "add", "10.200.0.1/32", "dev", "lo")
	return n
}

// cmd returns a command that runs in the namespace.
func (n *netns) cmd(name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", n.name, name}, args...)...)
}

// listensIn reports whether the network namespace of cmd's process has
// a TCP listener on port.
func listensIn(cmd *exec.Cmd, port int) func() bool {
	return func() bool {
		if cmd.Process == nil {
			return false
		}
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/tcp", cmd.Process.Pid))
		if err != nil {
			return false
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) > 3 && f[3] == "0A" && strings.HasSuffix(f[1], fmt.Sprintf(":%04X", port)) {
				return true
			}
		}
		return false
	}
}

// startIn starts cmd (in the namespace) and waits for its port.
func startIn(t *testing.T, cmd *exec.Cmd, port int) {
	t.Helper()
	start(t, cmd, listensIn(cmd, port))
}

// TestNetworkNamespace runs services bound beyond loopback in a network
// namespace the test creates, and the collector in it (the test binary
// as a child): memcached on 0.0.0.0 without SASL (found), with SASL (not
// found), Redis open on 0.0.0.0 with protected mode off (critical) and
// Redis bound only to 10.200.0.1 (skipped: not reachable on loopback).
func TestNetworkNamespace(t *testing.T) {
	need(t, "memcached, redis-server, iproute2", "memcached", "redis-server", "ip")
	ns := newNetns(t)
	dir := tempDir(t)
	sasl := filepath.Join(dir, "sasl")
	if err := os.MkdirAll(sasl, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sasl, "memcached.conf"), []byte("mech_list: plain\nsasldb_path: "+filepath.Join(sasl, "sasldb2")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	startIn(t, ns.cmd("memcached", "-l", "0.0.0.0", "-p", "11211", "-U", "0", "-u", "memcache", "-m", "8"), 11211)
	withSASL := ns.cmd("memcached", "-S", "-l", "0.0.0.0", "-p", "11212", "-U", "0", "-u", "memcache", "-m", "8")
	withSASL.Env = append(os.Environ(), "SASL_CONF_PATH="+sasl)
	startIn(t, withSASL, 11212)
	startIn(t, ns.cmd("redis-server", "--port", "6391", "--bind", "0.0.0.0", "--protected-mode", "no", "--save", "", "--dir", dir), 6391)
	startIn(t, ns.cmd("redis-server", "--port", "6390", "--bind", "10.200.0.1", "--protected-mode", "no", "--save", "", "--dir", dir), 6390)

	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	child := ns.cmd(exe, "-test.run=^$")
	child.Env = append(os.Environ(), childEnv+"=collect",
		settingsEnv+"="+string(only("memcached", `"rate": 10, "max_attempts": 3, "checks": {"redis": true, "memcached": true, "mysql": false, "postgresql": false, "ssh": false, "tomcat": false, "mongodb": false, "elasticsearch": false}`)))
	out, err := child.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("collector in the namespace: %v\n%s", err, stderr)
	}
	var res childOutput
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	items := map[string]event.Event{}
	for _, a := range res.Assets {
		items[a.Key] = event.Event(a.Fields)
		t.Logf("%s: %s", a.Key, field(event.Event(a.Fields), "evidence"))
	}
	wantFinding(t, items, "memcached:0.0.0.0:11211:no_auth", services.TypeNoAuth, services.SeverityHigh,
		"tcp/0.0.0.0:11211", "no -S", `answered "VERSION `)
	wantFinding(t, items, "redis:127.0.0.1:6391:no_auth", services.TypeNoAuth, services.SeverityCritical,
		"protected-mode: no", "0.0.0.0:6391")
	for k := range items {
		if strings.Contains(k, ":11212:") || strings.Contains(k, ":6390:") {
			t.Errorf("unexpected item %s", k)
		}
	}
	if res.Counters["services_skipped"] != 1 {
		t.Errorf("services_skipped %d, want 1 (the Redis on 10.200.0.1 only): %v", res.Counters["services_skipped"], res.Counters)
	}
}

// selfAs links (or copies) the test binary as name in a new folder, so
// that a child started from it runs an executable of that name.
func selfAs(t *testing.T, name string) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(tempDir(t), name)
	if err := os.Link(exe, dst); err == nil {
		return dst
	}
	in, err := os.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestMongoDB probes a server that speaks MongoDB's OP_MSG, written in
// this test: MongoDB is not a Debian package. The child runs as an
// executable named mongod, so the collector recognises it as the
// app/middleware collector does.
func TestMongoDB(t *testing.T) {
	bin := selfAs(t, "mongod")
	for _, auth := range []bool{false, true} {
		t.Run(fmt.Sprintf("auth=%v", auth), func(t *testing.T) {
			port := freePort(t)
			cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind_ip", "127.0.0.1")
			cmd.Env = append(os.Environ(), childEnv+"=mongod", authEnv+"="+strconv.FormatBool(auth))
			start(t, cmd, listening("127.0.0.1:"+strconv.Itoa(port)))
			assets := collect(t, services.New(), only("mongodb", ""))
			items := withPort(assets, port)
			if auth {
				if len(items) != 0 {
					t.Fatalf("items %v", items)
				}
				return
			}
			f := wantFinding(t, items, fmt.Sprintf("mongodb:127.0.0.1:%d:no_auth", port), services.TypeNoAuth,
				services.SeverityMedium, "listDatabases", "ok: 1 with 2 databases")
			if f.String("process.executable") != bin {
				t.Errorf("process.executable %q", f.String("process.executable"))
			}
		})
	}
}

// fakeMongo answers OP_MSG hello and listDatabases on 127.0.0.1 (the
// port of --port); listDatabases needs authentication when authEnv is
// true, as a mongod with security.authorization enabled.
func fakeMongo() int {
	auth := os.Getenv(authEnv) == "true"
	port := ""
	for i, a := range os.Args {
		if a == "--port" && i+1 < len(os.Args) {
			port = os.Args[i+1]
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for {
		nc, err := l.Accept()
		if err != nil {
			return 1
		}
		go func() {
			defer nc.Close()
			r := bufio.NewReader(nc)
			for {
				req, err := mongoprobe.ReadMsg(r)
				if err != nil {
					return
				}
				var reply mongoprobe.Doc
				switch req.Body[0].Key {
				case "hello":
					reply = mongoprobe.Doc{{Key: "isWritablePrimary", Value: true}, {Key: "maxWireVersion", Value: int32(21)}, {Key: "ok", Value: 1.0}}
				case "listDatabases":
					if auth {
						reply = mongoprobe.Doc{{Key: "ok", Value: 0.0}, {Key: "errmsg", Value: "command listDatabases requires authentication"},
							{Key: "code", Value: int32(13)}, {Key: "codeName", Value: "Unauthorized"}}
					} else {
						reply = mongoprobe.Doc{{Key: "databases", Value: []mongoprobe.Doc{{{Key: "name", Value: "admin"}}, {{Key: "name", Value: "app"}}}},
							{Key: "ok", Value: 1.0}}
					}
				default:
					reply = mongoprobe.Doc{{Key: "ok", Value: 0.0}, {Key: "code", Value: int32(59)}}
				}
				msg, err := mongoprobe.AppendMsg(nil, req.RequestID+1000, reply)
				if err != nil {
					return
				}
				msg[8], msg[9], msg[10], msg[11] = byte(req.RequestID), byte(req.RequestID>>8), byte(req.RequestID>>16), byte(req.RequestID>>24)
				if _, err := nc.Write(msg); err != nil {
					return
				}
			}
		}()
	}
}

// TestElasticsearch probes a server that answers as Elasticsearch's
// HTTP interface does, written in this test: Elasticsearch is not a
// Debian package. The child runs as an executable named java with
// Elasticsearch's main class; it listens on a transport port that is not
// HTTP (lower, tried first) and on an HTTP port.
func TestElasticsearch(t *testing.T) {
	bin := selfAs(t, "java")
	for _, tc := range []struct {
		auth, tls bool
	}{{false, false}, {true, false}, {false, true}, {true, true}} {
		t.Run(fmt.Sprintf("auth=%v,tls=%v", tc.auth, tc.tls), func(t *testing.T) {
			a, b := freePort(t), freePort(t)
			transport, httpPort := min(a, b), max(a, b)
			if transport == httpPort {
				t.Skip("the same free port twice")
			}
			cmd := exec.Command(bin, "-Xms32m", "-Des.path.home=/usr/share/elasticsearch", "-cp", "/usr/share/elasticsearch/lib/*",
				"org.elasticsearch.bootstrap.Elasticsearch")
			cmd.Env = append(os.Environ(), childEnv+"=elasticsearch", authEnv+"="+strconv.FormatBool(tc.auth),
				fmt.Sprintf("%s=%d,%d", portsEnv, httpPort, transport), fmt.Sprintf("%s=%v", tlsEnv, tc.tls))
			start(t, cmd, listening("127.0.0.1:"+strconv.Itoa(httpPort)))
			c := services.New()
			assets := collect(t, c, only("elasticsearch", ""))
			items := withPort(assets, httpPort)
			if tc.auth {
				if len(items) != 0 {
					t.Fatalf("items %v", items)
				}
				return
			}
			scheme := "http"
			if tc.tls {
				scheme = "https"
			}
			wantFinding(t, items, fmt.Sprintf("elasticsearch:127.0.0.1:%d:no_auth", httpPort), services.TypeNoAuth,
				services.SeverityMedium, fmt.Sprintf("GET %s://127.0.0.1:%d/ answered 200 without credentials", scheme, httpPort),
				`cluster "vigil-test"`, "with 2 indices")
		})
	}
	t.Run("inconclusive keeps the finding", func(t *testing.T) {
		a, b := freePort(t), freePort(t)
		transport, httpPort := min(a, b), max(a, b)
		run := func(mode string) *service {
			cmd := exec.Command(bin, "-Des.path.home=/usr/share/elasticsearch", "org.elasticsearch.bootstrap.Elasticsearch")
			cmd.Env = append(os.Environ(), childEnv+"=elasticsearch", authEnv+"="+mode,
				fmt.Sprintf("%s=%d,%d", portsEnv, httpPort, transport))
			return start(t, cmd, listening("127.0.0.1:"+strconv.Itoa(httpPort)))
		}
		key := fmt.Sprintf("elasticsearch:127.0.0.1:%d:no_auth", httpPort)
		c := services.New()
		s := run("false")
		if _, ok := withPort(collect(t, c, only("elasticsearch", "")), httpPort)[key]; !ok {
			t.Fatal("no finding on the first run")
		}
		s.stop()
		// The node now answers 503 everywhere: the check cannot
		// conclude, and the finding of the last run stays.
		run("busy")
		errs := c.Counters()["errors"]
		if _, ok := withPort(collect(t, c, only("elasticsearch", "")), httpPort)[key]; !ok {
			t.Error("the finding was dropped when the check could not conclude")
		}
		if c.Counters()["errors"] <= errs {
			t.Error("the inconclusive check was not counted in errors")
		}
	})
}

// fakeElasticsearch serves GET / and /_cat/indices on the first port of
// portsEnv (401 without credentials when authEnv is "true", 503 when it
// is "busy") and answers the second as Elasticsearch's transport port
// does plain HTTP.
func fakeElasticsearch() int {
	auth := os.Getenv(authEnv) == "true"
	ports := strings.Split(os.Getenv(portsEnv), ",")
	transport, err := net.Listen("tcp", "127.0.0.1:"+ports[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	go func() {
		for {
			nc, err := transport.Accept()
			if err != nil {
				return
			}
			nc.Write([]byte("This is not an HTTP port"))
			nc.Close()
		}
	}()
	busy := os.Getenv(authEnv) == "busy"
	mux := http.NewServeMux()
	guard := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if busy {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			if auth {
				w.Header().Set("WWW-Authenticate", `Basic realm="security"`)
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			h(w, r)
		}
	}
	mux.HandleFunc("/{$}", guard(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"name":"node-1","cluster_name":"vigil-test","version":{"number":"8.13.0"},"tagline":"You Know, for Search"}`)
	}))
	mux.HandleFunc("/_cat/indices", guard(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "orders\ncustomers\n")
	}))
	srv := &http.Server{Addr: "127.0.0.1:" + ports[0], Handler: mux}
	if os.Getenv(tlsEnv) == "true" {
		cert, cerr := selfSigned()
		if cerr != nil {
			fmt.Fprintln(os.Stderr, cerr)
			return 1
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		err = srv.ListenAndServeTLS("", "")
	} else {
		err = srv.ListenAndServe()
	}
	fmt.Fprintln(os.Stderr, err)
	return 1
}

// selfSigned makes a certificate for 127.0.0.1, as Elasticsearch 8
// makes its own on first start.
func selfSigned() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "node-1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// TestTomcat starts a real Tomcat 10 whose catalina.base is a temporary
// folder, with a manager account whose password is the default: the
// collector finds the user database from the running JVM's
// catalina.base and server.xml.
func TestTomcat(t *testing.T) {
	need(t, "tomcat10", "/usr/share/tomcat10/bin/catalina.sh", "java")
	base := tempDir(t)
	for _, d := range []string{"conf", "logs", "temp", "webapps", "work"} {
		if err := os.MkdirAll(filepath.Join(base, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	etc := "/usr/share/tomcat10/etc"
	ents, err := os.ReadDir(etc)
	if err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(etc, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		switch e.Name() {
		case "server.xml":
			b = bytes.ReplaceAll(b, []byte(`port="8080"`), fmt.Appendf(nil, `port="%d" address="127.0.0.1"`, port))
			b = bytes.ReplaceAll(b, []byte(`<Server port="8005"`), []byte(`<Server port="-1"`))
		case "tomcat-users.xml":
			b = []byte(`<?xml version="1.0" encoding="UTF-8"?>
<tomcat-users xmlns="http://tomcat.apache.org/xml" version="1.0">
  <user username="tomcat" password="tomcat" roles="manager-gui,manager-script"/>
  <user username="ops" password="` + randomPassword(t) + `" roles="manager-gui"/>
</tomcat-users>
`)
		}
		if err := os.WriteFile(filepath.Join(base, "conf", e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	chownTree(t, base, "tomcat")
	cmd := exec.Command("/usr/share/tomcat10/bin/catalina.sh", "run")
	cmd.Dir = base
	cmd.Env = append(os.Environ(), "CATALINA_HOME=/usr/share/tomcat10", "CATALINA_BASE="+base,
		"CATALINA_TMPDIR="+filepath.Join(base, "temp"), "JAVA_OPTS=-Xmx128m -XX:+UseSerialGC")
	asUser(t, cmd, "tomcat")
	start(t, cmd, listening("127.0.0.1:"+strconv.Itoa(port)))

	assets := collect(t, services.New(), only("tomcat", ""))
	users := filepath.Join(base, "conf", "tomcat-users.xml")
	items := map[string]event.Event{}
	for _, a := range assets {
		items[a.Key] = event.Event(a.Fields)
	}
	f := wantFinding(t, items, "tomcat:"+users+":tomcat:default", services.TypeDefaultPassword,
		services.SeverityHigh, users+":3", "manager-gui", "plain text")
	if f.String("process.executable") == "" {
		t.Error("no process.executable: the running Tomcat was not tied to the file")
	}
	if _, ok := items["tomcat:"+users+":ops:dictionary"]; ok {
		t.Error("the strong password was reported")
	}
}

// TestSSHD starts a real sshd on a loopback port with its own
// configuration (-f) and a -o option: both are read from its command
// line, the option first, as sshd does.
func TestSSHD(t *testing.T) {
	need(t, "openssh-server", "/usr/sbin/sshd")
	dir := tempDir(t)
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "sshd_config")
	port := freePort(t)
	content := fmt.Sprintf("Port %d\nListenAddress 127.0.0.1\nPidFile %s/sshd.pid\nPermitRootLogin no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nInclude %s/conf.d/*.conf\n", port, dir, dir)
	if err := os.WriteFile(conf, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "conf.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "conf.d", "match.conf"), []byte("Match User deploy\n\tPasswordAuthentication yes\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := start(t, exec.Command("/usr/sbin/sshd", "-D", "-f", conf, "-o", "PermitRootLogin=yes"), listening("127.0.0.1:"+strconv.Itoa(port)))
	assets := collect(t, services.New(), only("ssh", ""))
	items := map[string]event.Event{}
	for _, a := range assets {
		items[a.Key] = event.Event(a.Fields)
	}
	root := wantFinding(t, items, "ssh:"+conf+":permit_root_login", services.TypePermitRootLogin, services.SeverityMedium,
		"PermitRootLogin yes (command line -o)", "PasswordAuthentication no ("+conf+":5)")
	if pid, _ := root.Get("process.pid"); pid != s.cmd.Process.Pid {
		t.Errorf("process.pid %v, want %d", pid, s.cmd.Process.Pid)
	}
	if p, _ := root.Get("server.port"); p != port {
		t.Errorf("server.port %v, want %d", p, port)
	}
	wantFinding(t, items, "ssh:"+conf+":permit_root_login:Match User deploy", services.TypePermitRootLogin, services.SeverityHigh,
		"PasswordAuthentication yes ("+filepath.Join(dir, "conf.d", "match.conf")+":2)")
	wantFinding(t, items, "ssh:"+conf+":password_authentication:Match User deploy", services.TypePasswordAuthentication, services.SeverityLow)
}
