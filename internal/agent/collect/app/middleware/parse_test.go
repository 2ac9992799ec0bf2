package middleware_test

import (
	"bytes"
	"net/netip"
	"os"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/agent/collect/app/middleware"
)

func TestUpstreamVersion(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"1.22.1-9+deb12u1", "1.22.1"},
		{"5:7.0.15-1~deb12u10", "7.0.15"},
		{"1:10.11.19-0+deb12u1", "10.11.19"},
		{"15.18-0+deb12u1", "15.18"},
		{"10.1.60-1~deb12u1", "10.1.60"},
		{"20.10.24+dfsg1-1+deb12u1+b6", "20.10.24"},
		{"1.6.20~ds1-1+deb12u3", "1.6.20"},
		{"8.11.1", "8.11.1"},
		{"2.4.57-2", "2.4.57"},
		{"1:2.0-rc1-3", "2.0-rc1"},
		{"", ""},
	} {
		if got := middleware.UpstreamVersion(tc.in); got != tc.want {
			t.Errorf("UpstreamVersion(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseDpkgStatus(t *testing.T) {
	data := []byte("Package: a\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0-1\nDescription: x\n long\n\n" +
		"Package: b\nStatus: deinstall ok config-files\nVersion: 2\n\n\n" +
		"no colon here\nPackage: c\n\n" +
		"Version: 3\n\n" +
		"Package: d\r\nStatus: hold ok installed\r\nVersion: 4\r\n")
	var got []middleware.DpkgPackage
	bad := middleware.ParseDpkgStatus(data, func(p middleware.DpkgPackage) { got = append(got, p) })
	want := []middleware.DpkgPackage{
		{Name: "a", Arch: "amd64", Version: "1.0-1", Status: "install ok installed"},
		{Name: "b", Version: "2", Status: "deinstall ok config-files"},
		{Name: "d", Version: "4", Status: "hold ok installed"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if bad != 2 {
		t.Errorf("malformed = %d, want 2 (a line without a colon, a stanza without Package)", bad)
	}
	if !got[0].Installed() || got[1].Installed() || !got[2].Installed() {
		t.Error("Installed wrong")
	}
}

func TestParseManifest(t *testing.T) {
	data := []byte("Manifest-Version: 1.0\r\nImplementation-Version: 12.2.1.4.0\r\nExport-Package: org.a;version=\"1\",org.b;ver\r\n sion=\"2\"\r\nEmpty:\r\nbad line\r\n continued bad\r\n\r\nName: second/section\r\nImplementation-Version: 9\r\n")
	attrs, bad := middleware.ParseManifest(data)
	want := map[string]string{
		"Manifest-Version":       "1.0",
		"Implementation-Version": "12.2.1.4.0",
		"Export-Package":         `org.a;version="1",org.b;version="2"`,
		"Empty":                  "",
	}
	if d := cmp.Diff(want, attrs); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if bad != 2 {
		t.Errorf("malformed = %d, want 2", bad)
	}
}

func TestParseProperties(t *testing.T) {
	data := []byte("# comment\n! also\nserver.info=Apache Tomcat/10.1.60 (Debian)\n  spaced : value  \nkey value\n" +
		"multi = a\\\n    b\\\n c\nesc\\=aped=x\\ty\\u0041\nbad=\\u00zz\nempty\nlast=\\\n")
	props, bad := middleware.ParseProperties(data)
	want := map[string]string{
		"server.info": "Apache Tomcat/10.1.60 (Debian)",
		"spaced":      "value  ",
		"key":         "value",
		"multi":       "abc",
		"esc=aped":    "x\tyA",
		"empty":       "",
		"last":        "",
	}
	if d := cmp.Diff(want, props); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if bad != 1 {
		t.Errorf("malformed = %d, want 1", bad)
	}
}

func TestVersionsIn(t *testing.T) {
	for _, tc := range []struct {
		name string
		data string
		m    middleware.Marker
		want []string
	}{
		{"nginx", "nginx version: nginx/1.22.1\n\x00OpenSSL", middleware.Marker{Prefix: "nginx/"}, []string{"1.22.1"}},
		{"apache variants", "\x00Apache/2.4.71\x00Apache/2.4\x00Apache/2\x00Apache/2.4.71 (Debian)", middleware.Marker{Prefix: "Apache/"}, []string{"2.4.71", "2.4", "2.4.71"}},
		{"postgres", "PostgreSQL 15.18 (Debian 15.18-0+deb12u1) on x86_64\x00PostgreSQL 15.18 ", middleware.Marker{Prefix: "PostgreSQL ", Suffix: " ("}, []string{"15.18"}},
		{"mariadb", "deb12u1\x0010.11.19-MariaDB\x00x86_64", middleware.Marker{Suffix: "-MariaDB"}, []string{"10.11.19"}},
		{"mariadb inside a word", "\x00x10.11.19-MariaDB", middleware.Marker{Suffix: "-MariaDB"}, nil},
		{"mariadb in a help text", "\x00for example 10.1.1-MariaDB-mariadb1pre", middleware.Marker{Suffix: "-MariaDB"}, nil},
		{"version continues into a word", "nginx/1.22.1rc", middleware.Marker{Prefix: "nginx/"}, nil},
		{"one component", "nginx/1\x00", middleware.Marker{Prefix: "nginx/"}, nil},
		{"cut at the end", "nginx/1.22", middleware.Marker{Prefix: "nginx/"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := middleware.VersionsIn([]byte(tc.data), tc.m)
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestELFVersion(t *testing.T) {
	for _, tc := range []struct {
		file string
		m    middleware.Marker
		want string
	}{
		{"testdata/root/usr/local/nginx/sbin/nginx", middleware.Marker{Prefix: "nginx/"}, "1.25.3"},
		{"testdata/root/usr/sbin/mariadbd", middleware.Marker{Suffix: "-MariaDB"}, "10.6.16"},
		{"testdata/root/usr/bin/memcached", middleware.Marker{Prefix: "memcached "}, "1.6.17"},
	} {
		f, err := os.Open(tc.file)
		if err != nil {
			t.Fatal(err)
		}
		got, err := middleware.ELFVersion(f, tc.m)
		f.Close()
		if err != nil || got != tc.want {
			t.Errorf("%s: %q, %v; want %q", tc.file, got, err, tc.want)
		}
	}
	f, err := os.Open("testdata/root/usr/local/nginx/sbin/nginx")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if v, err := middleware.ELFVersion(f, middleware.Marker{Prefix: "Apache/"}); err == nil {
		t.Errorf("found %q where there is none", v)
	}
	if _, err := middleware.ELFVersion(bytes.NewReader([]byte("#!/bin/sh\n")), middleware.Marker{Prefix: "x"}); err == nil {
		t.Error("a script is not an ELF file")
	}
}

func TestGoVersion(t *testing.T) {
	for _, tc := range []struct {
		flags string
		want  string
		ok    bool
	}{
		{"-s -w -X github.com/docker/docker/dockerversion.Version=20.10.24 -X github.com/docker/docker/dockerversion.GitCommit=abc", "20.10.24", true},
		{`-X "github.com/containerd/containerd/version.Version=v1.7.2"`, "1.7.2", true},
		{"-X=github.com/docker/docker/dockerversion.Version=24.0.7", "24.0.7", true},
		{"-X github.com/docker/docker/dockerversion.GitCommit=abc", "", false},
		{"-X github.com/docker/docker/dockerversion.Version=", "", false},
		{"-X", "", false},
	} {
		got, ok := middleware.LdflagsVar(tc.flags, []string{
			"github.com/docker/docker/dockerversion.Version", "github.com/containerd/containerd/version.Version",
		})
		if got != tc.want || ok != tc.ok {
			t.Errorf("LdflagsVar(%q) = %q, %v; want %q, %v", tc.flags, got, ok, tc.want, tc.ok)
		}
	}
	// The test binary is a Go executable without a stamped version.
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if v, err := middleware.GoVersion(f, []string{"main.version"}); err == nil {
		t.Logf("test binary version %q", v)
	}
	if _, err := middleware.GoVersion(bytes.NewReader([]byte("not an executable")), nil); err == nil {
		t.Error("GoVersion of garbage succeeded")
	}
}

func TestNormalizeArgs(t *testing.T) {
	for _, tc := range []struct {
		in, want []string
	}{
		{[]string{"nginx: master process /usr/sbin/nginx -c /etc/nginx/nginx.conf", "", ""}, []string{"nginx:", "master", "process", "/usr/sbin/nginx", "-c", "/etc/nginx/nginx.conf"}},
		{[]string{"/usr/bin/redis-server 127.0.0.1:6379", "", "", ""}, []string{"/usr/bin/redis-server", "127.0.0.1:6379"}},
		{[]string{"/usr/sbin/apache2", "-k", "start"}, []string{"/usr/sbin/apache2", "-k", "start"}},
		{[]string{"", ""}, []string{}},
		{nil, nil},
	} {
		if d := cmp.Diff(tc.want, middleware.NormalizeArgs(tc.in)); d != "" {
			t.Errorf("NormalizeArgs(%q) (-want +got):\n%s", tc.in, d)
		}
	}
}

func TestOptionValue(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		attached bool
		names    []string
		want     string
		ok       bool
	}{
		{[]string{"nginx", "-c", "/a.conf"}, true, []string{"-c"}, "/a.conf", true},
		{[]string{"nginx", "-c/a.conf"}, true, []string{"-c"}, "/a.conf", true},
		{[]string{"nginx", "-c/a.conf"}, false, []string{"-c"}, "", false},
		{[]string{"mariadbd", "--defaults-file=/my.cnf", "--defaults-file=/other.cnf"}, false, []string{"--defaults-file"}, "/other.cnf", true},
		{[]string{"mongod", "--config", "/etc/mongod.conf"}, false, []string{"--config", "-f"}, "/etc/mongod.conf", true},
		{[]string{"x", "--", "-c", "/a"}, true, []string{"-c"}, "", false},
		{[]string{"x", "-c"}, true, []string{"-c"}, "", false},
		{[]string{"x", "-config", "/s.xml"}, false, []string{"-c"}, "", false},
		{[]string{"catalina", "-config", "/s.xml"}, false, []string{"-config"}, "/s.xml", true},
	} {
		got, ok := middleware.OptionValue(tc.args, tc.attached, tc.names...)
		if got != tc.want || ok != tc.ok {
			t.Errorf("OptionValue(%q, %v, %q) = %q, %v; want %q, %v", tc.args, tc.attached, tc.names, got, ok, tc.want, tc.ok)
		}
	}
	got := middleware.OptionValues([]string{"postgres", "-c", "a=1", "-D", "/d", "-c=b=2", "--", "-c", "z"}, "-c")
	if d := cmp.Diff([]string{"a=1", "b=2"}, got); d != "" {
		t.Errorf("OptionValues (-want +got):\n%s", d)
	}
}

func TestParseJava(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want middleware.JavaCommand
	}{
		{
			name: "tomcat",
			args: []string{"/usr/bin/java", "-Dx=1", "--add-opens", "java.base/java.lang=ALL-UNNAMED", "-classpath", "/t/bin/bootstrap.jar:/t/bin/tomcat-juli.jar",
				"-Dcatalina.home=/t", "org.apache.catalina.startup.Bootstrap", "start"},
			want: middleware.JavaCommand{Props: map[string]string{"x": "1", "catalina.home": "/t"},
				ClassPath: []string{"/t/bin/bootstrap.jar", "/t/bin/tomcat-juli.jar"}, Main: "org.apache.catalina.startup.Bootstrap", Args: []string{"start"}},
		},
		{
			name: "jboss-modules: properties after the archive",
			args: []string{"java", "-D[Standalone]", "-jar", "/w/jboss-modules.jar", "-mp", "/w/modules", "org.jboss.as.standalone", "-Djboss.home.dir=/w"},
			want: middleware.JavaCommand{Props: map[string]string{"[Standalone]": "", "jboss.home.dir": "/w"}, Jar: "/w/jboss-modules.jar",
				Args: []string{"-mp", "/w/modules", "org.jboss.as.standalone", "-Djboss.home.dir=/w"}},
		},
		{
			name: "module",
			args: []string{"java", "-Des.path.home=/es", "-cp", "/es/lib/*", "-m", "org.elasticsearch.server/org.elasticsearch.bootstrap.Elasticsearch"},
			want: middleware.JavaCommand{Props: map[string]string{"es.path.home": "/es"}, ClassPath: []string{"/es/lib/*"},
				Main: "org.elasticsearch.server/org.elasticsearch.bootstrap.Elasticsearch", Args: []string{}},
		},
		{
			name: "no main class",
			args: []string{"java", "-version"},
			want: middleware.JavaCommand{Props: map[string]string{}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := middleware.ParseJava(tc.args)
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
	jc := middleware.ParseJava([]string{"java", "-m", "org.elasticsearch.server/org.elasticsearch.bootstrap.Elasticsearch"})
	if jc.MainClass() != "org.elasticsearch.bootstrap.Elasticsearch" {
		t.Errorf("MainClass = %q", jc.MainClass())
	}
}

func TestParseListenTable(t *testing.T) {
	data, err := os.ReadFile("testdata/root/proc/net/tcp")
	if err != nil {
		t.Fatal(err)
	}
	got := map[uint64]netip.AddrPort{}
	bad, err := middleware.ParseListenTable(bytes.NewReader(data), false, got)
	if err != nil {
		t.Fatal(err)
	}
	if bad != 1 {
		t.Errorf("malformed = %d, want 1", bad)
	}
	if a := got[2001]; a.String() != "127.0.0.1:6379" {
		t.Errorf("inode 2001 = %v", a)
	}
	if _, ok := got[2002]; ok {
		t.Error("an established connection is not a listener")
	}
	data6, err := os.ReadFile("testdata/root/proc/net/tcp6")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := middleware.ParseListenTable(bytes.NewReader(data6), true, got); err != nil {
		t.Fatal(err)
	}
	if a := got[3001]; a.String() != "[::ffff:127.0.0.1]:8080" {
		t.Errorf("inode 3001 = %v", a)
	}
	if a := got[4002]; a.String() != "[::1]:5432" {
		t.Errorf("inode 4002 = %v", a)
	}
}

func TestConfigPorts(t *testing.T) {
	for _, tc := range []struct {
		name  string
		parse func([]byte) ([]uint16, int)
		data  string
		want  []uint16
		bad   int
	}{
		{"redis", middleware.RedisConfigPorts, "# port 1\nbind 127.0.0.1\nport 6380\nPORT \"6381\"\n", []uint16{6381}, 0},
		{"redis default", middleware.RedisConfigPorts, "bind 127.0.0.1\n", []uint16{6379}, 0},
		{"redis tcp off", middleware.RedisConfigPorts, "port 0\nunixsocket /run/redis.sock\n", nil, 0},
		{"redis bad", middleware.RedisConfigPorts, "port x\nport 1 2\nport 70000\n", []uint16{6379}, 3},
		{"memcached", middleware.MemcachedConfigPorts, "# -p 1\n-m 64\n-p 11311\n", []uint16{11311}, 0},
		{"memcached attached", middleware.MemcachedConfigPorts, "-p11411\n", []uint16{11411}, 0},
		{"memcached default", middleware.MemcachedConfigPorts, "-m 64\n", []uint16{11211}, 0},
		{"memcached bad", middleware.MemcachedConfigPorts, "-p nope\n", []uint16{11211}, 1},
	} {
		got, bad := tc.parse([]byte(tc.data))
		if d := cmp.Diff(tc.want, got); d != "" || bad != tc.bad {
			t.Errorf("%s: bad %d (want %d) (-want +got):\n%s", tc.name, bad, tc.bad, d)
		}
	}
}

func TestVersionFromNames(t *testing.T) {
	re := regexp.MustCompile(`^kafka_[0-9.]+-([0-9]+(?:\.[0-9]+)+)\.jar$`)
	if v, err := middleware.VersionFromNames([]string{"kafka-clients-3.6.1.jar", "kafka_2.13-3.6.1.jar"}, re); err != nil || v != "3.6.1" {
		t.Errorf("= %q, %v", v, err)
	}
	if v, err := middleware.VersionFromNames([]string{"kafka_2.13-3.6.1.jar", "kafka_2.13-3.5.0.jar"}, re); err == nil {
		t.Errorf("two versions gave %q", v)
	}
	if _, err := middleware.VersionFromNames(nil, re); err == nil {
		t.Error("no archive gave a version")
	}
	txt := regexp.MustCompile(`(?i)version\s+([0-9]+(?:\.[0-9]+)+)`)
	if v, err := middleware.VersionInText([]byte("Red Hat JBoss Enterprise Application Platform - Version 7.4.0.GA\n"), txt); err != nil || v != "7.4.0" {
		t.Errorf("VersionInText = %q, %v", v, err)
	}
}
