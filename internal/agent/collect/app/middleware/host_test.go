//go:build linux

package middleware_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/agent/collect/app/middleware"
	"github.com/vigilsec/vigil/internal/agent/collect/internal/collecttest"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/event"
)

// requireEnv, set to 1, makes the host test fail rather than skip when
// it is not root or a package it starts is not installed.
const requireEnv = "VIGIL_REQUIRE_MIDDLEWARE"

// childEnv makes the test binary run the collector once and print its
// figures (see TestMain).
const childEnv = "VIGIL_MIDDLEWARE_FIGURES_CHILD"

// startWait bounds the wait for one service to listen.
const startWait = 60 * time.Second

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(figuresChild())
	}
	os.Exit(m.Run())
}

// figuresChild runs the collector twice on the host and prints the CPU
// time of each run and the peak resident size.
func figuresChild() int {
	c := middleware.New()
	var before, mid, after syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	assets, err := c.Assets(context.Background(), plugin.Env{Root: "/"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &mid)
	if _, err := c.Assets(context.Background(), plugin.Env{Root: "/"}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	cpu := func(a, b *syscall.Rusage) time.Duration {
		return time.Duration(syscall.TimevalToNsec(b.Utime) + syscall.TimevalToNsec(b.Stime) -
			syscall.TimevalToNsec(a.Utime) - syscall.TimevalToNsec(a.Stime))
	}
	fmt.Printf("figures: items=%d first_run_cpu=%s second_run_cpu=%s maxrss_kib=%d\n",
		len(assets), cpu(&before, &mid), cpu(&mid, &after), after.Maxrss)
	return 0
}

// service is one real service the host test starts.
type service struct {
	// name is the subtest's; pkg the Debian package that must be
	// installed.
	name, pkg string
	// typ is the service.type expected; exe the executable whose owning
	// package names the version (args[0] as started).
	typ, exe string
	// install, config and user are the expected install path, file.path
	// ("" when the item must have none) and user.name.
	install, config, user string
	port                  int
	setup                 func(t *testing.T, s *service, dir string) (*exec.Cmd, error)

	cmd    *exec.Cmd
	log    *bytes.Buffer
	done   chan struct{}
	err    error
	absent bool
}

func TestHost(t *testing.T) {
	require := os.Getenv(requireEnv) == "1"
	if os.Geteuid() != 0 {
		if require {
			t.Fatalf("%s=1 but not root: the test starts services as their users", requireEnv)
		}
		t.Skip("needs root: starts services as their users and reads other users' processes")
	}
	dir, err := os.MkdirTemp("", "vigil-middleware-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })

	pgBin := postgresBin()
	svcs := []*service{
		{name: "nginx", pkg: "nginx", typ: middleware.TypeNginx, exe: "/usr/sbin/nginx", user: "root", setup: startNginx},
		{name: "apache2", pkg: "apache2", typ: middleware.TypeApache, exe: "/usr/sbin/apache2", user: "root", setup: startApache},
		{name: "redis-title-config", pkg: "redis-server", typ: middleware.TypeRedis, exe: "/usr/bin/redis-server", user: "redis", setup: startRedis(true)},
		{name: "redis-default-title", pkg: "redis-server", typ: middleware.TypeRedis, exe: "/usr/bin/redis-server", user: "redis", setup: startRedis(false)},
		{name: "memcached", pkg: "memcached", typ: middleware.TypeMemcached, exe: "/usr/bin/memcached", user: "memcache", setup: startMemcached},
		{name: "mariadb", pkg: "mariadb-server", typ: middleware.TypeMySQL, exe: "/usr/sbin/mariadbd", user: "mysql", setup: startMariaDB},
		{name: "postgresql", pkg: "postgresql", typ: middleware.TypePostgreSQL, exe: filepath.Join(pgBin, "postgres"), user: "postgres", setup: startPostgres},
		{name: "tomcat10", pkg: "tomcat10", typ: middleware.TypeTomcat, exe: "/usr/share/tomcat10/lib/catalina.jar", install: "/usr/share/tomcat10", user: "tomcat", setup: startTomcat},
	}
	var missing []string
	for _, s := range svcs {
		if !installed(s.pkg) {
			s.absent = true
			missing = append(missing, s.pkg)
		}
	}
	if len(missing) > 0 {
		if require {
			t.Fatalf("%s=1 but these packages are not installed: %v", requireEnv, missing)
		}
		t.Logf("not installed, their subtests skip: %v", missing)
	}

	// Before the services start: the installed ones that do not run are
	// items too.
	c := middleware.New()
	before := collecttest.Assets(t, c, plugin.Env{Root: "/"})
	for _, a := range before {
		t.Logf("before: %s %s %v", a.Key, a.Version, a.Fields)
	}
	t.Run("installed", func(t *testing.T) {
		checked := 0
		for _, s := range svcs {
			if s.absent {
				continue
			}
			owner, ver := ownerVersion(t, s.exe)
			for _, a := range before {
				if event.Event(a.Fields).String("service.type") != s.typ || event.Event(a.Fields).String("package.name") != owner {
					continue
				}
				if run, _ := event.Event(a.Fields).Get("vigil.middleware.running"); run == true {
					continue // started by someone else
				}
				checked++
				if want := middleware.UpstreamVersion(ver); a.Version != want {
					t.Errorf("%s: installed item %s: version %q, dpkg says %q", s.name, a.Key, a.Version, want)
				}
			}
		}
		if checked == 0 {
			t.Skip("every installed service already runs")
		}
	})

	var wg sync.WaitGroup
	for _, s := range svcs {
		if s.absent {
			continue
		}
		s.port = freePort(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.err = s.start(t, dir)
		}()
	}
	wg.Wait()
	t.Cleanup(func() {
		for _, s := range svcs {
			s.stop()
		}
	})

	after := collecttest.Assets(t, c, plugin.Env{Root: "/"})
	for _, a := range after {
		t.Logf("%s %s %v", a.Key, a.Version, a.Fields)
	}
	for _, s := range svcs {
		t.Run(s.name, func(t *testing.T) {
			if s.absent {
				t.Skipf("package %s is not installed", s.pkg)
			}
			if s.err != nil {
				t.Fatalf("start: %v\n%s", s.err, s.logTail())
			}
			checkService(t, s, after)
		})
	}
	t.Run("two-redis-instances", func(t *testing.T) {
		var keys []string
		for _, a := range after {
			if event.Event(a.Fields).String("service.type") == middleware.TypeRedis {
				keys = append(keys, a.Key)
			}
		}
		if len(keys) < 2 {
			t.Fatalf("redis items %v, want one per instance", keys)
		}
	})
	t.Run("figures", func(t *testing.T) {
		figures(t)
	})
}

// checkService checks the item of the instance s started.
func checkService(t *testing.T, s *service, assets []event.Asset) {
	var a *event.Asset
	for i := range assets {
		f := event.Event(assets[i].Fields)
		if f.String("service.type") != s.typ {
			continue
		}
		if ports, ok := f.Get("destination.port"); ok && slices.Contains(ports.([]any), any(s.port)) {
			a = &assets[i]
			break
		}
	}
	if a == nil {
		t.Fatalf("no %s item listening on %d", s.typ, s.port)
	}
	f := event.Event(a.Fields)
	owner, ver := ownerVersion(t, s.exe)
	if want := middleware.UpstreamVersion(ver); a.Version != want || f.String("service.version") != want {
		t.Errorf("version %q, dpkg-query says %s %q (upstream %q)", a.Version, owner, ver, want)
	}
	if got := f.String("package.name"); got != owner {
		t.Errorf("package.name %q, dpkg -S says %q", got, owner)
	}
	if got := f.String("package.version"); got != ver {
		t.Errorf("package.version %q, want %q", got, ver)
	}
	if got, _ := f.Get("vigil.middleware.running"); got != true {
		t.Errorf("running = %v", got)
	}
	if got := f.String("file.path"); got != s.config {
		t.Errorf("file.path %q, want %q", got, s.config)
	}
	wantInstall := s.install
	if wantInstall == "" {
		r, err := filepath.EvalSymlinks(s.exe)
		if err != nil {
			t.Fatal(err)
		}
		wantInstall = r
	}
	if got := f.String("vigil.middleware.install_path"); got != wantInstall {
		t.Errorf("install_path %q, want %q", got, wantInstall)
	}
	if got := f.String("user.name"); got != s.user {
		t.Errorf("user.name %q, want %q", got, s.user)
	}
	if _, ok := f.Get("vigil.middleware.multi_process"); !ok {
		t.Error("no vigil.middleware.multi_process")
	}
	ss := listeningPIDs(t, s.port)
	if len(ss) == 0 {
		t.Errorf("ss shows no process on port %d", s.port)
	}
	if !strings.Contains(a.Key, s.typ+":"+wantInstall) {
		t.Errorf("key %q does not name %s:%s", a.Key, s.typ, wantInstall)
	}
}

// figures runs the collector in a child process and logs its CPU time
// and peak resident size.
func figures(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if ru == nil {
		t.Fatal("no resource usage of the child")
	}
	total := time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime))
	t.Logf("%s (whole child process: cpu=%s maxrss_kib=%d)", strings.TrimSpace(string(out)), total, ru.Maxrss)
}

// start runs the service's setup and waits for its port.
func (s *service) start(t *testing.T, dir string) error {
	d := filepath.Join(dir, s.name)
	if err := os.MkdirAll(d, 0o755); err != nil {
		return err
	}
	cmd, err := s.setup(t, s, d)
	if err != nil {
		return err
	}
	s.log = &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = s.log, s.log
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %v: %w", cmd.Args, err)
	}
	s.cmd = cmd
	s.done = make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(s.done)
	}()
	deadline := time.Now().Add(startWait)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return fmt.Errorf("%s exited before listening on %d", s.name, s.port)
		default:
		}
		conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(s.port), time.Second)
		if err == nil {
			conn.Close()
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("%s not listening on %d after %s", s.name, s.port, startWait)
}

// stop ends the service's process group, politely first.
func (s *service) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	pgid := s.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-s.done
	}
	// Daemons that left the group (none should) are not chased.
}

func (s *service) logTail() string {
	if s.log == nil {
		return ""
	}
	b := s.log.Bytes()
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// asUser sets cmd to run as the named user.
func asUser(cmd *exec.Cmd, name string) error {
	u, err := user.Lookup(name)
	if err != nil {
		return err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	return nil
}

// chownTree gives dir and everything in it to the named user.
func chownTree(dir, name string) error {
	u, err := user.Lookup(name)
	if err != nil {
		return err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
}

func writeFile(p, content string) error {
	return os.WriteFile(p, []byte(content), 0o644)
}

func startNginx(t *testing.T, s *service, dir string) (*exec.Cmd, error) {
	s.config = filepath.Join(dir, "nginx.conf")
	conf := fmt.Sprintf(`pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
worker_processes 2;
events {}
http {
	access_log off;
	client_body_temp_path %[1]s/body;
	proxy_temp_path %[1]s/proxy;
	fastcgi_temp_path %[1]s/fastcgi;
	uwsgi_temp_path %[1]s/uwsgi;
	scgi_temp_path %[1]s/scgi;
	server { listen 127.0.0.1:%[2]d; }
}
`, dir, s.port)
	if err := writeFile(s.config, conf); err != nil {
		return nil, err
	}
	return exec.Command("/usr/sbin/nginx", "-c", s.config, "-g", "daemon off;"), nil
}

func startApache(t *testing.T, s *service, dir string) (*exec.Cmd, error) {
	s.config = filepath.Join(dir, "httpd.conf")
	conf := fmt.Sprintf(`ServerRoot "%[1]s"
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
Listen 127.0.0.1:%[2]d
ServerName localhost
PidFile %[1]s/httpd.pid
ErrorLog %[1]s/error.log
DefaultRuntimeDir %[1]s
Mutex file:%[1]s default
User www-data
Group www-data
DocumentRoot %[1]s
`, dir, s.port)
	if err := writeFile(s.config, conf); err != nil {
		return nil, err
	}
	return exec.Command("/usr/sbin/apache2", "-d", dir, "-f", s.config, "-DFOREGROUND"), nil
}

// startRedis starts a Redis whose title names its configuration
// (titleConfig) or one with Debian's default title, which does not: its
// item then has no file.path.
func startRedis(titleConfig bool) func(t *testing.T, s *service, dir string) (*exec.Cmd, error) {
	return func(t *testing.T, s *service, dir string) (*exec.Cmd, error) {
		conf := filepath.Join(dir, "redis.conf")
		title := `proc-title-template "{title} {listen-addr} {server-mode}"`
		if titleConfig {
			title = `proc-title-template "{title} {config-file} {listen-addr}"`
			s.config = conf
		}
		content := fmt.Sprintf("port %d\nbind 127.0.0.1\ndaemonize no\ndir %s\nsave \"\"\nappendonly no\nset-proc-title yes\n%s\n", s.port, dir, title)
		if err := writeFile(conf, content); err != nil {
			return nil, err
		}
		if err := chownTree(dir, "redis"); err != nil {
			return nil, err
		}
		cmd := exec.Command("/usr/bin/redis-server", conf)
		return cmd, asUser(cmd, "redis")
	}
}

func startMemcached(t *testing.T, s *service, dir string) (*exec.Cmd, error) {
	// memcached reads no configuration file: the item has no file.path.
	return exec.Command("/usr/bin/memcached", "-p", strconv.Itoa(s.port), "-l", "127.0.0.1", "-U", "0", "-u", "memcache", "-m", "16"), nil
}

func startMariaDB(t *testing.T, s *service, dir string) (*exec.Cmd, error) {
	s.config = filepath.Join(dir, "my.cnf")
	conf := fmt.Sprintf(`[mysqld]
datadir=%[1]s/data
socket=%[1]s/mysqld.sock
pid-file=%[1]s/mysqld.pid
port=%[2]d
bind-address=127.0.0.1
user=mysql
skip-log-bin
innodb_buffer_pool_size=16M
`, dir, s.port)
	if err := writeFile(s.config, conf); err != nil {
		return nil, err
	}
	if err := chownTree(dir, "mysql"); err != nil {
		return nil, err
	}
	install := exec.Command("mariadb-install-db", "--defaults-file="+s.config,
		"--auth-root-authentication-method=socket", "--skip-test-db")
	if out, err := install.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("mariadb-install-db: %w\n%s", err, out)
	}
	return exec.Command("/usr/sbin/mariadbd", "--defaults-file="+s.config), nil
}

func startPostgres(t *testing.T, s *service, dir string) (*exec.Cmd, error) {
	bin := postgresBin()
	data := filepath.Join(dir, "data")
	s.config = filepath.Join(data, "postgresql.conf")
	if err := chownTree(dir, "postgres"); err != nil {
		return nil, err
	}
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-A", "trust", "-U", "postgres")
	if err := asUser(initdb, "postgres"); err != nil {
		return nil, err
	}
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-p", strconv.Itoa(s.port),
		"-k", dir, "-c", "listen_addresses=127.0.0.1")
	return cmd, asUser(cmd, "postgres")
}

func startTomcat(t *testing.T, s *service, dir string) (*exec.Cmd, error) {
	for _, d := range []string{"conf", "logs", "temp", "webapps", "work"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	etc := "/usr/share/tomcat10/etc"
	ents, err := os.ReadDir(etc)
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(etc, e.Name()))
		if err != nil {
			return nil, err
		}
		if e.Name() == "server.xml" {
			b = bytes.ReplaceAll(b, []byte(`port="8080"`), fmt.Appendf(nil, `port="%d" address="127.0.0.1"`, s.port))
			b = bytes.ReplaceAll(b, []byte(`<Server port="8005"`), []byte(`<Server port="-1"`))
		}
		if err := os.WriteFile(filepath.Join(dir, "conf", e.Name()), b, 0o644); err != nil {
			return nil, err
		}
	}
	s.config = filepath.Join(dir, "conf", "server.xml")
	if err := chownTree(dir, "tomcat"); err != nil {
		return nil, err
	}
	cmd := exec.Command("/usr/share/tomcat10/bin/catalina.sh", "run")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CATALINA_HOME=/usr/share/tomcat10", "CATALINA_BASE="+dir,
		"CATALINA_TMPDIR="+filepath.Join(dir, "temp"), "JAVA_OPTS=-Xmx256m -XX:+UseSerialGC")
	return cmd, asUser(cmd, "tomcat")
}

// postgresBin returns the newest PostgreSQL's binary folder.
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

// installed reports whether dpkg says package pkg is installed.
func installed(pkg string) bool {
	out, err := exec.Command("dpkg-query", "-W", "-f", "${Status}", pkg).Output()
	return err == nil && strings.HasSuffix(strings.TrimSpace(string(out)), " installed")
}

// ownerVersion returns the package dpkg -S names for file p and the
// version dpkg-query -W reports for it.
func ownerVersion(t *testing.T, p string) (string, string) {
	t.Helper()
	ownersMu.Lock()
	defer ownersMu.Unlock()
	if o, ok := owners[p]; ok {
		return o[0], o[1]
	}
	out, err := exec.Command("dpkg", "-S", p).Output()
	if err != nil {
		t.Fatalf("dpkg -S %s: %v", p, err)
	}
	line, _, _ := strings.Cut(string(out), "\n")
	pkg, _, ok := strings.Cut(line, ": ")
	if !ok {
		t.Fatalf("dpkg -S %s: %q", p, out)
	}
	pkg = strings.TrimSpace(strings.Split(pkg, ",")[0])
	ver, err := exec.Command("dpkg-query", "-W", "-f", "${Version}", pkg).Output()
	if err != nil {
		t.Fatalf("dpkg-query -W %s: %v", pkg, err)
	}
	name, _, _ := strings.Cut(pkg, ":")
	owners[p] = [2]string{name, strings.TrimSpace(string(ver))}
	return owners[p][0], owners[p][1]
}

// owners caches ownerVersion: dpkg -S reads every file list.
var (
	ownersMu sync.Mutex
	owners   = map[string][2]string{}
)

// listeningPIDs returns the pids ss -ltnp shows on port.
func listeningPIDs(t *testing.T, port int) []int {
	out, err := exec.Command("ss", "-Hltnp", "sport = :"+strconv.Itoa(port)).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) || errors.Is(err, exec.ErrNotFound) {
			t.Logf("ss: %v", err)
			return []int{-1}
		}
		t.Fatal(err)
	}
	var pids []int
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		for _, f := range strings.Split(sc.Text(), "pid=")[1:] {
			n, _ := strconv.Atoi(strings.FieldsFunc(f, func(r rune) bool { return r == ',' || r == ')' })[0])
			pids = append(pids, n)
		}
	}
	return pids
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

// BenchmarkAssetsHost runs the collector on this host as it is (start
// services first for meaningful figures).
func BenchmarkAssetsHost(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root")
	}
	c := middleware.New()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Assets(ctx, plugin.Env{Root: "/"}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestHostBinaryVersions checks the versions read from this host's real
// executables against the versions dpkg reports for their packages.
func TestHostBinaryVersions(t *testing.T) {
	require := os.Getenv(requireEnv) == "1"
	for _, tc := range []struct {
		exe string
		m   middleware.Marker
	}{
		{"/usr/sbin/nginx", middleware.Marker{Prefix: "nginx/"}},
		{"/usr/sbin/apache2", middleware.Marker{Prefix: "Apache/"}},
		{"/usr/sbin/mariadbd", middleware.Marker{Suffix: "-MariaDB"}},
		{filepath.Join(postgresBin(), "postgres"), middleware.Marker{Prefix: "PostgreSQL ", Suffix: " ("}},
		{"/usr/bin/memcached", middleware.Marker{Prefix: "memcached "}},
		{"/usr/sbin/dockerd", middleware.Marker{}},
	} {
		t.Run(filepath.Base(tc.exe), func(t *testing.T) {
			f, err := os.Open(tc.exe)
			if err != nil {
				if require && tc.m != (middleware.Marker{}) {
					t.Fatalf("%s=1: %v", requireEnv, err)
				}
				t.Skipf("not installed: %v", err)
			}
			defer f.Close()
			_, ver := ownerVersion(t, tc.exe)
			want := middleware.UpstreamVersion(ver)
			if tc.m == (middleware.Marker{}) {
				got, err := middleware.GoVersion(f, []string{"github.com/docker/docker/dockerversion.Version"})
				if err != nil || !strings.HasPrefix(got, want) {
					t.Errorf("GoVersion = %q, %v; dpkg says %q", got, err, want)
				}
				return
			}
			got, err := middleware.ELFVersion(f, tc.m)
			if err != nil || got != want {
				t.Errorf("ELFVersion = %q, %v; dpkg says %q", got, err, want)
			}
		})
	}
}
