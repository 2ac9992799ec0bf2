package websites

// Tests against the web servers installed on this machine: their own
// tools (nginx -T, apache2ctl -S) say what they read, and the collector
// must read the same.

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"encoding/xml"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/agent/collect/app/websites/nginxconf"
	"github.com/vigilsec/vigil/internal/agent/collect/internal/collecttest"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/rootfs"
	"github.com/vigilsec/vigil/internal/event"
)

// need skips the test when a command is missing or the test does not
// run as root.
func need(t *testing.T, cmds ...string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to read the web servers' files")
	}
	for _, c := range cmds {
		if _, err := exec.LookPath(c); err != nil {
			t.Skipf("%s is not installed", c)
		}
	}
}

// dumpedServer is a server block as a plain reading of nginx -T's dump
// finds it.
type dumpedServer struct {
	names []string
	ports []int
}

// nginxDump runs nginx -T with args and returns the files it read and
// the server blocks in them, keyed by file:line, found line by line
// (every "server {" line, its server_name and listen lines).
func nginxDump(t *testing.T, args ...string) ([]string, map[string]*dumpedServer) {
	t.Helper()
	out, err := exec.Command("nginx", append([]string{"-T", "-q"}, args...)...).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("nginx -T: %v\n%s", err, stderr)
	}
	fileRE := regexp.MustCompile(`^# configuration file (.+):$`)
	serverRE := regexp.MustCompile(`^\s*server\s*\{`)
	nameRE := regexp.MustCompile(`^\s*server_name\s+([^;]*);`)
	listenRE := regexp.MustCompile(`^\s*listen\s+([^;\s]+)`)
	var files []string
	servers := map[string]*dumpedServer{}
	var cur *dumpedServer
	file, line := "", 0
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		text := sc.Text()
		if m := fileRE.FindStringSubmatch(text); m != nil {
			file, line, cur = m[1], 0, nil
			files = append(files, file)
			continue
		}
		line++
		switch {
		case serverRE.MatchString(text):
			cur = &dumpedServer{}
			servers[fmt.Sprintf("%s:%d", file, line)] = cur
		case cur != nil && nameRE.MatchString(text):
			cur.names = append(cur.names, strings.Fields(nameRE.FindStringSubmatch(text)[1])...)
		case cur != nil && listenRE.MatchString(text):
			a := listenRE.FindStringSubmatch(text)[1]
			if i := strings.LastIndexByte(a, ':'); i >= 0 && !strings.HasSuffix(a, "]") {
				a = a[i+1:]
			}
			p, err := strconv.Atoi(a)
			if err != nil {
				p = 80
			}
			if !slices.Contains(cur.ports, p) {
				cur.ports = append(cur.ports, p)
			}
		}
	}
	for _, s := range servers {
		if len(s.ports) == 0 {
			s.ports = []int{80}
		}
		slices.Sort(s.ports)
	}
	return files, servers
}

// sitesOf returns the items of one configuration, keyed by file:line.
func sitesOf(assets []event.Asset, config string) map[string]event.Asset {
	out := map[string]event.Asset{}
	for _, a := range assets {
		e := event.Event(a.Fields)
		if e.String("vigil.website.config") != config {
			continue
		}
		line, _ := e.Get("vigil.website.line")
		out[fmt.Sprintf("%s:%v", e.String("file.path"), line)] = a
	}
	return out
}

func portsOf(a event.Asset) []int {
	v, _ := event.Event(a.Fields).Get("server.port")
	var out []int
	for _, p := range v.([]any) {
		out = append(out, p.(int))
	}
	return out
}

func namesOf(a event.Asset) []string {
	v, ok := event.Event(a.Fields).Get("url.domain")
	if !ok {
		return nil
	}
	var out []string
	for _, n := range v.([]any) {
		out = append(out, n.(string))
	}
	return out
}

// compareNginx checks the collector's items of config against what
// nginx -T read.
func compareNginx(t *testing.T, assets []event.Asset, config string, args ...string) {
	t.Helper()
	files, dumped := nginxDump(t, args...)
	fsys, err := rootfs.New("/")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := nginxconf.Load(hostSource{fs: fsys}, config, "", nginxconf.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if d := slices.Compact(slices.Sorted(slices.Values(cfg.Files))); !slices.Equal(d, slices.Compact(slices.Sorted(slices.Values(files)))) {
		t.Errorf("files read: ours %v, nginx's %v", cfg.Files, files)
	}
	sites := sitesOf(assets, config)
	t.Logf("%s: nginx -T read %d files with %d server blocks", config, len(files), len(dumped))
	if len(sites) != len(dumped) {
		t.Errorf("%d server blocks, nginx -T shows %d", len(sites), len(dumped))
	}
	for where, want := range dumped {
		got, ok := sites[where]
		if !ok {
			t.Errorf("no item for the server block at %s", where)
			continue
		}
		if !slices.Equal(portsOf(got), want.ports) {
			t.Errorf("%s: ports %v, nginx -T shows %v", where, portsOf(got), want.ports)
		}
		wantNames := slices.Compact(slices.Clone(want.names))
		if names := namesOf(got); !slices.Equal(names, wantNames) && !strings.Contains(strings.Join(want.names, " "), `"`) {
			t.Errorf("%s: names %q, nginx -T shows %q", where, names, wantNames)
		}
	}
}

// TestHostNginx compares the items of this machine's nginx
// configuration with nginx -T; Debian's default site listens on port 80
// with root /var/www/html.
func TestHostNginx(t *testing.T) {
	need(t, "nginx")
	if _, err := os.Stat("/etc/nginx/nginx.conf"); err != nil {
		t.Skip("no /etc/nginx/nginx.conf")
	}
	assets, _ := collect(t, "/")
	compareNginx(t, assets, "/etc/nginx/nginx.conf")
	if _, err := os.Stat("/etc/nginx/sites-enabled/default"); err == nil {
		var found bool
		for _, a := range sitesOf(assets, "/etc/nginx/nginx.conf") {
			roots, _ := event.Event(a.Fields).Get("vigil.website.roots")
			if slices.Contains(portsOf(a), 80) && slices.Contains(roots.([]any), any("/var/www/html")) {
				found = true
			}
		}
		if !found {
			t.Errorf("no site on port 80 with root /var/www/html")
		}
	}
}

// freePort returns a loopback TCP port nothing listens on.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// selfSigned writes a certificate and key for cn.
func selfSigned(t *testing.T, certFile, keyFile, cn string) time.Time {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	notAfter := time.Now().Add(90 * 24 * time.Hour).UTC().Truncate(time.Second)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(42), Subject: pkix.Name{CommonName: cn}, DNSNames: []string{cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	writeFile(t, keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}))
	return notAfter
}

// TestHostNginxRunning starts a real nginx with a configuration written
// here (includes, upstreams, map and if blocks, TLS, a WordPress root),
// checks it with nginx -T, and finds it through the running master's
// command line.
func TestHostNginxRunning(t *testing.T) {
	need(t, "nginx")
	dir, err := os.MkdirTemp("", "nginx-site-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if dir, err = filepath.EvalSymlinks(dir); err != nil {
		t.Fatal(err)
	}
	at := func(p string) string { return filepath.Join(dir, p) }
	notAfter := selfSigned(t, at("tls/site.crt"), at("tls/site.key"), "wp.test")
	tree := map[string]string{
		"www/wp/wp-includes/version.php": "<?php\n$wp_version = '6.4.2';\n",
		"www/wp/wp-login.php":            "<?php",
		"www/wp/index.php":               "<?php",
		"www/static/a.css":               "",
	}
	for name, body := range tree {
		writeFile(t, at(name), []byte(body))
	}
	plain, tlsPort := freePort(t), freePort(t)
	writeFile(t, at("conf/nginx.conf"), fmt.Appendf(nil, `# written by the test
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path %[1]s/tmp;
	proxy_temp_path %[1]s/tmp;
	fastcgi_temp_path %[1]s/tmp;
	uwsgi_temp_path %[1]s/tmp;
	scgi_temp_path %[1]s/tmp;
	map $http_upgrade $conn { default upgrade; '' close; }
	include upstreams/*.conf;
	include %[1]s/conf/sites/*.conf;
}
`, dir))
	writeFile(t, at("conf/upstreams/app.conf"), []byte("upstream app {\n\tserver 127.0.0.1:9;\n\tserver 127.0.0.1:10 backup;\n}\n"))
	writeFile(t, at("conf/sites/a.conf"), fmt.Appendf(nil, `server {
	listen 127.0.0.1:%[2]d;
	server_name "plain.test" www.plain.test;
	root %[1]s/www/static;
	if ($http_x_test) { return 403; }
	location /app/ { proxy_pass http://app/; proxy_set_header Connection $conn; }
}
server {
	listen 127.0.0.1:%[3]d ssl;
	server_name wp.test;
	ssl_certificate %[1]s/tls/site.crt;
	ssl_certificate_key %[1]s/tls/site.key;
	root %[1]s/www/wp;
	location ~ \.php$ { fastcgi_pass unix:%[1]s/php.sock; }
}
`, dir, plain, tlsPort))
	if err := os.MkdirAll(at("tmp"), 0o755); err != nil {
		t.Fatal(err)
	}
	conf := at("conf/nginx.conf")
	args := []string{"-c", conf, "-p", dir + "/", "-e", at("error.log")}
	cmd := exec.Command("nginx", append(args, "-g", "daemon off;")...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if out, err := exec.Command("nginx", append([]string{"-t"}, args...)...).CombinedOutput(); err != nil {
		t.Fatalf("nginx -t: %v\n%s", err, out)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGQUIT)
		_ = cmd.Wait()
	})
	// Wait for the master to take its title and listen.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", plain))
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx does not listen: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	assets, _ := collect(t, "/")
	compareNginx(t, assets, conf, args...)
	wp := byKey(t, assets, fmt.Sprintf("nginx:%s#wp.test@%d", conf, tlsPort))
	if got := frameworks(wp); !slices.Equal(got, []string{"WordPress@6.4.2@" + at("www/wp")}) {
		t.Errorf("frameworks %v", got)
	}
	e := event.Event(wp.Fields)
	if got := e.String("tls.server.x509.subject.common_name"); got != "wp.test" {
		t.Errorf("certificate subject %q", got)
	}
	if got := e.String("tls.server.x509.not_after"); got != notAfter.Format(time.RFC3339) {
		t.Errorf("certificate not_after %q, want %s", got, notAfter.Format(time.RFC3339))
	}
	plainSite := event.Event(byKey(t, assets, fmt.Sprintf("nginx:%s#plain.test@%d", conf, plain)).Fields)
	ups, _ := plainSite.Get("vigil.website.upstreams")
	if fmt.Sprint(ups) != "[map[kind:proxy location:/app/ name:app servers:[127.0.0.1:9 127.0.0.1:10] target:http://app/]]" {
		t.Errorf("upstreams %v", ups)
	}
}

// apacheVhost is a virtual host as apache2ctl -S shows it.
type apacheVhost struct {
	port int
	name string
}

// apacheDump parses the VirtualHost part of httpd -S: the single
// "addr:port name (file:line)" lines and the "port N namevhost name
// (file:line)" lines, keyed by file:line (macro expansions by name,
// since they carry no plain file:line).
func apacheDump(out string) map[string]apacheVhost {
	single := regexp.MustCompile(`^\S+:(\d+)\s+(\S+) \((.+):(\d+)\)$`)
	named := regexp.MustCompile(`^\s+port (\d+) namevhost (\S+) \((.+)\)$`)
	fileLine := regexp.MustCompile(`^(/[^:]+):(\d+)$`)
	got := map[string]apacheVhost{}
	for _, l := range strings.Split(out, "\n") {
		if m := single.FindStringSubmatch(l); m != nil {
			p, _ := strconv.Atoi(m[1])
			got[m[3]+":"+m[4]] = apacheVhost{port: p, name: m[2]}
		} else if m := named.FindStringSubmatch(l); m != nil {
			p, _ := strconv.Atoi(m[1])
			where := "macro:" + m[2]
			if fl := fileLine.FindStringSubmatch(m[3]); fl != nil {
				where = fl[1] + ":" + fl[2]
			}
			got[where] = apacheVhost{port: p, name: m[2]}
		}
	}
	return got
}

// compareApache checks the collector's apache items against httpd -S
// output; prefix is removed from the files httpd names (a fixture read
// in place). Virtual hosts from macros are matched by name.
func compareApache(t *testing.T, assets []event.Asset, config, out, prefix string) {
	t.Helper()
	want := apacheDump(out)
	if len(want) == 0 {
		t.Fatalf("no virtual host in\n%s", out)
	}
	byPlace, byName := map[string]apacheVhost{}, map[string]apacheVhost{}
	n := 0
	for _, a := range assets {
		e := event.Event(a.Fields)
		if e.String("vigil.website.config") != config {
			continue
		}
		if conds, ok := e.Get("vigil.website.conditions"); ok && strings.Contains(fmt.Sprint(conds), "unmet") {
			continue // httpd skips it
		}
		n++
		line, _ := e.Get("vigil.website.line")
		v := apacheVhost{port: portsOf(a)[0]}
		if names := namesOf(a); len(names) > 0 {
			v.name = names[0]
			byName[v.name] = v
		}
		byPlace[fmt.Sprintf("%s:%v", e.String("file.path"), line)] = v
	}
	for where, w := range want {
		g, ok := byName[w.name]
		if !strings.HasPrefix(where, "macro:") {
			g, ok = byPlace[strings.TrimPrefix(where, prefix)]
		}
		if !ok {
			t.Errorf("no item for the virtual host at %s (%+v); items at %v", where, w, byPlace)
			continue
		}
		if g.port != w.port {
			t.Errorf("%s: port %d, httpd shows %d", where, g.port, w.port)
		}
		// Without a ServerName httpd shows the host's own name.
		if g.name != "" && g.name != w.name {
			t.Errorf("%s: name %q, httpd shows %q", where, g.name, w.name)
		}
	}
	t.Logf("%s: httpd -S shows %d virtual hosts", config, len(want))
	if n != len(want) {
		t.Errorf("%d virtual hosts, httpd shows %d:\n%s", n, len(want), out)
	}
}

// TestHostApache compares the items of this machine's httpd
// configuration with apache2ctl -S; Debian's 000-default listens on
// *:80.
func TestHostApache(t *testing.T) {
	need(t, "apache2ctl")
	if _, err := os.Stat("/etc/apache2/apache2.conf"); err != nil {
		t.Skip("no /etc/apache2/apache2.conf")
	}
	out, err := exec.Command("apache2ctl", "-S").CombinedOutput()
	if err != nil {
		t.Fatalf("apache2ctl -S: %v\n%s", err, out)
	}
	assets, _ := collect(t, "/")
	compareApache(t, assets, "/etc/apache2/apache2.conf", string(out), "")
	if _, err := os.Stat("/etc/apache2/sites-enabled/000-default.conf"); err == nil {
		sites := sitesOf(assets, "/etc/apache2/apache2.conf")
		a, ok := sites["/etc/apache2/sites-enabled/000-default.conf:1"]
		if !ok || !slices.Equal(portsOf(a), []int{80}) {
			t.Errorf("000-default: %+v", a)
		}
	}
}

// TestHostApacheFixture runs the real httpd on the fixture's Debian
// layout and compares its -S with the items of the fixture.
func TestHostApacheFixture(t *testing.T) {
	need(t, "apache2")
	if _, err := os.Stat("/usr/lib/apache2/modules/mod_macro.so"); err != nil {
		t.Skip("apache2 modules are not installed")
	}
	root := fixture(t)
	run := t.TempDir()
	cmd := exec.Command("apache2", "-d", filepath.Join(root, "etc/apache2"), "-f", "apache2.conf", "-S")
	cmd.Env = []string{"APACHE_RUN_USER=www-data", "APACHE_RUN_GROUP=www-data", "APACHE_PID_FILE=" + run + "/apache2.pid",
		"APACHE_RUN_DIR=" + run, "APACHE_LOCK_DIR=" + run, "APACHE_LOG_DIR=" + run, "PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("apache2 -S: %v\n%s", err, out)
	}
	assets, _ := collect(t, root)
	compareApache(t, assets, "/etc/apache2/apache2.conf", string(out), root)
}

// TestHostTomcat compares the items of this machine's Tomcat with its
// server.xml read as plain XML and its webapps folder.
func TestHostTomcat(t *testing.T) {
	need(t)
	bases, _ := filepath.Glob("/var/lib/tomcat*/conf/server.xml")
	if len(bases) == 0 {
		t.Skip("no Tomcat instance under /var/lib")
	}
	assets, _ := collect(t, "/")
	for _, conf := range bases {
		data, err := os.ReadFile(conf)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Services []struct {
				Connectors []struct {
					Port string `xml:"port,attr"`
				} `xml:"Connector"`
				Engine struct {
					Hosts []struct {
						Name    string `xml:"name,attr"`
						AppBase string `xml:"appBase,attr"`
					} `xml:"Host"`
				} `xml:"Engine"`
			} `xml:"Service"`
		}
		if err := xml.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		resolved, err := filepath.EvalSymlinks(conf)
		if err != nil {
			t.Fatal(err)
		}
		base := filepath.Dir(filepath.Dir(conf))
		for _, svc := range doc.Services {
			var ports []string
			for _, c := range svc.Connectors {
				ports = append(ports, c.Port)
			}
			slices.SortFunc(ports, func(a, b string) int { x, _ := strconv.Atoi(a); y, _ := strconv.Atoi(b); return x - y })
			for _, h := range svc.Engine.Hosts {
				a := byKey(t, assets, fmt.Sprintf("tomcat:%s#%s@%s", resolved, h.Name, strings.Join(ports, ",")))
				apps, _ := event.Event(a.Fields).Get("vigil.website.webapps")
				appBase := h.AppBase
				if !filepath.IsAbs(appBase) {
					appBase = filepath.Join(base, appBase)
				}
				ents, _ := os.ReadDir(appBase)
				var want []string
				for _, e := range ents {
					if e.IsDir() || strings.HasSuffix(e.Name(), ".war") {
						want = append(want, filepath.Join(appBase, strings.TrimSuffix(e.Name(), ".war")))
					}
				}
				var got []string
				for _, w := range apps.([]any) {
					p := w.(map[string]any)["path"].(string)
					if strings.HasPrefix(p, appBase+"/") {
						got = append(got, strings.TrimSuffix(p, ".war"))
					}
				}
				slices.Sort(got)
				if !slices.Equal(slices.Compact(got), slices.Compact(want)) {
					t.Errorf("%s: webapps %v, %s holds %v", h.Name, got, appBase, want)
				}
			}
		}
	}
}

// BenchmarkHost is one run on this machine: its CPU time is the
// collector's cost.
func BenchmarkHost(b *testing.B) {
	collecttest.Benchmark(b, New(), plugin.Env{Root: "/"})
}

// BenchmarkFixture is one run on the fixture (nginx, httpd, Tomcat and
// two Spring Boot applications with their roots).
func BenchmarkFixture(b *testing.B) {
	collecttest.Benchmark(b, New(), plugin.Env{Root: fixture(b)})
}
