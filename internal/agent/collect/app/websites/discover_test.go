package websites

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/rootfs"
)

func TestNginxTitle(t *testing.T) {
	for _, tc := range []struct {
		in, want []string
	}{
		{[]string{"nginx: master process /usr/sbin/nginx -g daemon on; master_process on;", "", ""},
			[]string{"/usr/sbin/nginx", "-g", "daemon", "on;", "master_process", "on;"}},
		{[]string{"nginx: master process /usr/local/openresty/nginx/sbin/nginx -p /usr/local/openresty/nginx/ -c conf/nginx.conf"},
			[]string{"/usr/local/openresty/nginx/sbin/nginx", "-p", "/usr/local/openresty/nginx/", "-c", "conf/nginx.conf"}},
		{[]string{"nginx: worker process"}, nil},
		{[]string{"nginx: cache manager process"}, nil},
		{[]string{"/usr/sbin/nginx", "-c", "/etc/nginx/x.conf"}, []string{"/usr/sbin/nginx", "-c", "/etc/nginx/x.conf"}},
	} {
		if got := nginxTitle(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("nginxTitle(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestNginxProcess(t *testing.T) {
	c := New()
	for _, tc := range []struct {
		args         []string
		config, pref string
	}{
		{[]string{"/usr/sbin/nginx", "-g", "daemon", "on;"}, "/etc/nginx/nginx.conf", "/usr/share/nginx/"},
		{[]string{"/usr/local/nginx/sbin/nginx"}, "/usr/local/nginx/conf/nginx.conf", "/usr/local/nginx/"},
		{[]string{"/opt/openresty/nginx/sbin/nginx", "-p", "/opt/openresty/nginx", "-c", "conf/site.conf"}, "/opt/openresty/nginx/conf/site.conf", "/opt/openresty/nginx/"},
		{[]string{"nginx", "-c", "/srv/n.conf"}, "/srv/n.conf", "/usr/share/nginx/"},
	} {
		in := c.nginxProcess(t.TempDir(), process{pid: 1, args: tc.args})
		if in.config != tc.config || in.prefix != tc.pref {
			t.Errorf("%q: config %s prefix %s, want %s %s", tc.args, in.config, in.prefix, tc.config, tc.pref)
		}
	}
}

// TestConfigureArgs reads the paths compiled into an executable, even
// across the boundary of the chunks it is read in.
func TestConfigureArgs(t *testing.T) {
	exe := filepath.Join(t.TempDir(), "nginx")
	data := make([]byte, 1<<20-10)
	data = append(data, []byte("\x00 --with-cc-opt=-O2 --prefix=/opt/ngx --conf-path=/opt/ngx/etc/nginx.conf --with-http_ssl_module\x00")...)
	if err := os.WriteFile(exe, data, 0o755); err != nil {
		t.Fatal(err)
	}
	if p, c := configureArgs(exe); p != "/opt/ngx" || c != "/opt/ngx/etc/nginx.conf" {
		t.Errorf("configureArgs = %q, %q", p, c)
	}
	if p, c := configureArgs(filepath.Join(t.TempDir(), "none")); p != "" || c != "" {
		t.Errorf("missing file gave %q, %q", p, c)
	}
}

func TestApacheProcess(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "proc/7/environ"), []byte("APACHE_CONFDIR=/etc/apache2-web\x00APACHE_LOG_DIR=/var/log/apache2-web\x00"))
	for _, tc := range []struct {
		args                 []string
		config, serverRoot   string
		defines              []string
		apacheConfdirApplies bool
	}{
		{[]string{"/usr/sbin/apache2", "-k", "start"}, "/etc/apache2-web/apache2.conf", "/etc/apache2-web", nil, true},
		{[]string{"/usr/sbin/apache2", "-d", "/srv/a", "-f", "conf/main.conf", "-D", "SSL", "-DFOREGROUND"}, "/srv/a/conf/main.conf", "/srv/a", []string{"SSL", "FOREGROUND"}, false},
		{[]string{"/usr/sbin/httpd", "-DFOREGROUND"}, "/etc/httpd/conf/httpd.conf", "/etc/httpd", []string{"FOREGROUND"}, false},
		{[]string{"/usr/local/apache2/bin/httpd"}, "/usr/local/apache2/conf/httpd.conf", "/usr/local/apache2", nil, false},
	} {
		in := apacheProcess(root, process{pid: 7, args: tc.args})
		if in.config != tc.config || in.prefix != tc.serverRoot || !slices.Equal(in.defines, tc.defines) || !in.definesKnown {
			t.Errorf("%q: %+v", tc.args, in)
		}
	}
}

func TestJavaProcess(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "proc/9"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/srv/app", filepath.Join(root, "proc/9/cwd")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(root, "proc/9/environ"), []byte("SERVER_PORT=7070\x00"))
	for _, tc := range []struct {
		args []string
		want instance
		ok   bool
	}{
		{[]string{"java", "-Dcatalina.base=/var/lib/tomcat10", "-Dcatalina.home=/usr/share/tomcat10", "org.apache.catalina.startup.Bootstrap", "start"},
			instance{server: ServerTomcat, config: "/var/lib/tomcat10/conf/server.xml", prefix: "/var/lib/tomcat10", home: "/usr/share/tomcat10", pid: 9}, true},
		{[]string{"java", "-Dcatalina.home=/opt/tomcat", "org.apache.catalina.startup.Bootstrap", "-config", "conf/alt.xml", "start"},
			instance{server: ServerTomcat, config: "/opt/tomcat/conf/alt.xml", prefix: "/opt/tomcat", home: "/opt/tomcat", pid: 9}, true},
		{[]string{"java", "-Xmx1g", "-jar", "app.jar", "--spring.profiles.active=prod"},
			instance{server: ServerSpringBoot, config: "/srv/app/app.jar", args: []string{"-Xmx1g", "--spring.profiles.active=prod", "--server.port=7070"}, pid: 9}, true},
		{[]string{"java", "-cp", "x.jar", "com.example.Main"}, instance{}, false},
	} {
		got, ok := javaProcess(root, process{pid: 9, args: tc.args})
		if ok != tc.ok || !cmp.Equal(got, tc.want, cmp.AllowUnexported(instance{})) {
			t.Errorf("%q: %+v %v, want %+v", tc.args, got, ok, tc.want)
		}
	}
}

func TestParseEnvvars(t *testing.T) {
	data, err := os.ReadFile("testdata/root/etc/apache2/envvars")
	if err != nil {
		t.Fatal(err)
	}
	got := parseEnvvars(data, map[string]string{"APACHE_CONFDIR": "/etc/apache2"})
	want := map[string]string{
		"APACHE_CONFDIR": "/etc/apache2", "APACHE_RUN_USER": "www-data", "APACHE_RUN_GROUP": "www-data",
		"APACHE_PID_FILE": "/var/run/apache2/apache2.pid", "APACHE_RUN_DIR": "/var/run/apache2",
		"APACHE_LOCK_DIR": "/var/lock/apache2", "APACHE_LOG_DIR": "/var/log/apache2", "LANG": "C",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if got := shellExpand("${A}x$B/$C_D${", map[string]string{"A": "1", "B": "2", "C_D": "3"}); got != "1x2/3${" {
		t.Errorf("shellExpand = %q", got)
	}
}

func TestGlob(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{"etc/a/x.conf", "etc/a/.h.conf", "etc/a/y.conf", "etc/b/x.conf", "etc/.c/x.conf", "etc/a/z.txt"} {
		writeFile(t, filepath.Join(root, f), nil)
	}
	if err := os.Symlink("a", filepath.Join(root, "etc/l")); err != nil {
		t.Fatal(err)
	}
	fsys, err := rootfs.New(root)
	if err != nil {
		t.Fatal(err)
	}
	src := hostSource{fs: fsys}
	for pattern, want := range map[string][]string{
		"/etc/a/*.conf":   {"/etc/a/x.conf", "/etc/a/y.conf"},
		"/etc/*/x.conf":   {"/etc/a/x.conf", "/etc/b/x.conf", "/etc/l/x.conf"},
		"/etc/.*/x.conf":  {"/etc/.c/x.conf"},
		"/etc/a/.*":       {"/etc/a/.h.conf"},
		"/etc/a/[xz]*":    {"/etc/a/x.conf", "/etc/a/z.txt"},
		"/etc/none/*":     nil,
		"/etc/a/?.conf":   {"/etc/a/x.conf", "/etc/a/y.conf"},
		"/etc/b/x.conf":   {"/etc/b/x.conf"},
		"/etc/b/missing*": nil,
	} {
		got, err := src.Glob(pattern)
		if err != nil {
			t.Fatalf("%s: %v", pattern, err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("Glob(%s) = %q, want %q", pattern, got, want)
		}
	}
	if _, err := src.Glob("/etc/[/x"); err == nil {
		t.Errorf("a bad pattern gave no error")
	}
}

func TestParseCertificate(t *testing.T) {
	notAfter := time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)
	c, err := ParseCertificate(append(keyPEM(t, "a"), certPEM(t, "a.example.com", []string{"a.example.com", "b.example.com"}, notAfter)...))
	if err != nil {
		t.Fatal(err)
	}
	if c.SubjectCN != "a.example.com" || !c.NotAfter.Equal(notAfter) || !slices.Equal(c.AltNames, []string{"a.example.com", "b.example.com"}) || len(c.SHA256) != 64 {
		t.Errorf("%+v", c)
	}
	if _, err := ParseCertificate(keyPEM(t, "a")); !errors.Is(err, ErrNoCertificate) {
		t.Errorf("key only: %v", err)
	}
	if _, err := ParseCertificate([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")); err == nil {
		t.Errorf("garbage certificate accepted")
	}
}

func FuzzParseEnvvars(f *testing.F) {
	f.Add([]byte("export A=b\nif x; then\n B=c\nfi\nexport C=$A/${A}\n"))
	f.Add([]byte("export X=\"${\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if m := parseEnvvars(data, nil); len(m) > 257 {
			t.Fatalf("%d variables", len(m))
		}
	})
}

func FuzzParseCertificate(f *testing.F) {
	f.Add(certPEM(f, "f.example.com", []string{"f.example.com"}, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)))
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCertificate(data)
		if err == nil && (c.Status != CertOK || len(c.AltNames) > maxAltNames) {
			t.Fatalf("%+v", c)
		}
	})
}

func FuzzNginxTitle(f *testing.F) {
	f.Add("nginx: master process /usr/sbin/nginx -c /etc/nginx/nginx.conf", "-p")
	f.Fuzz(func(t *testing.T, title, opt string) {
		args := nginxTitle([]string{title, ""})
		_ = option(args, opt)
		_ = options(args, opt)
	})
}
