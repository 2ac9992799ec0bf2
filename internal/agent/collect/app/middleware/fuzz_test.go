package middleware

import (
	"archive/zip"
	"bytes"
	"net/netip"
	"os"
	"regexp"
	"strings"
	"testing"
)

// dotted is what every version the scans return looks like.
var dotted = regexp.MustCompile(`^[0-9]+(\.[0-9]+)+$`)

func FuzzParseDpkgStatus(f *testing.F) {
	f.Add([]byte("Package: a\nStatus: install ok installed\nVersion: 1\n\nPackage: b\n"))
	f.Add([]byte("Version: 3\n\n x\n:\n"))
	if b, err := os.ReadFile("testdata/root/var/lib/dpkg/status"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ParseDpkgStatus(data, func(p DpkgPackage) {
			if p.Name == "" {
				t.Fatal("a package without a name")
			}
		})
	})
}

func FuzzParseManifest(f *testing.F) {
	f.Add([]byte("Manifest-Version: 1.0\r\nImplementation-Version: 1.2\r\n 3\r\n\r\nName: x\r\n"))
	f.Add([]byte(" lead\nk:\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		attrs, bad := ParseManifest(data)
		if bad < 0 {
			t.Fatal("negative count")
		}
		for k := range attrs {
			if !validManifestName([]byte(k)) {
				t.Fatalf("attribute name %q", k)
			}
		}
	})
}

func FuzzParseProperties(f *testing.F) {
	f.Add([]byte("server.info=Apache Tomcat/10.1.60\nk\\\n v\n\\u0041=\\u00"))
	f.Add([]byte("a\\\\\nb:c\r\n!x\r#y\\"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, bad := ParseProperties(data); bad < 0 {
			t.Fatal("negative count")
		}
	})
}

func FuzzVersionsIn(f *testing.F) {
	f.Add([]byte("nginx version: nginx/1.22.1\n\x00Apache/2.4.71\x0010.11.19-MariaDB"), "nginx/", "")
	f.Add([]byte("\x0010.11.19-MariaDB"), "", "-MariaDB")
	f.Add([]byte("PostgreSQL 15.18 (Debian)"), "PostgreSQL ", " (")
	f.Fuzz(func(t *testing.T, data []byte, prefix, suffix string) {
		m := Marker{Prefix: prefix, Suffix: suffix}
		for _, v := range VersionsIn(data, m) {
			if !dotted.MatchString(v) {
				t.Fatalf("version %q", v)
			}
		}
		if m.Prefix == "" && m.Suffix == "" {
			return
		}
		if v, err := scanVersions(bytes.NewReader(data), m); err == nil && !dotted.MatchString(v) {
			t.Fatalf("scan gave %q", v)
		}
	})
}

func FuzzELFVersion(f *testing.F) {
	for _, p := range []string{"testdata/root/usr/local/nginx/sbin/nginx", "testdata/root/usr/sbin/mariadbd"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("\x7fELF\x02\x01\x01"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, m := range []Marker{{Prefix: "nginx/"}, {Suffix: "-MariaDB"}} {
			if v, err := ELFVersion(bytes.NewReader(data), m); err == nil && !dotted.MatchString(v) {
				t.Fatalf("version %q", v)
			}
		}
		_, _ = GoVersion(bytes.NewReader(data), []string{"main.version"})
	})
}

func FuzzLdflagsVar(f *testing.F) {
	f.Add("-s -w -X github.com/docker/docker/dockerversion.Version=20.10.24")
	f.Add(`-X "a.V=v1" -X=a.V=`)
	f.Fuzz(func(t *testing.T, flags string) {
		if v, ok := LdflagsVar(flags, []string{"a.V", "github.com/docker/docker/dockerversion.Version"}); ok && v == "" {
			t.Fatal("found an empty version")
		}
	})
}

func FuzzUpstreamVersion(f *testing.F) {
	f.Add("5:7.0.15-1~deb12u10")
	f.Add("1:")
	f.Add("20.10.24+dfsg1-1+b6")
	f.Fuzz(func(t *testing.T, v string) {
		if u := UpstreamVersion(v); !strings.Contains(v, u) {
			t.Fatalf("%q is not part of %q", u, v)
		}
	})
}

// FuzzCommandLine classifies and describes a process with any command
// line: option extraction, JVM parsing, rewritten titles.
func FuzzCommandLine(f *testing.F) {
	for _, args := range [][]string{
		{"nginx: master process /usr/sbin/nginx -c /etc/nginx/nginx.conf", ""},
		{"/usr/bin/redis-server 127.0.0.1:6379", "", ""},
		{"php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)"},
		{"/usr/bin/java", "-Dcatalina.home=/t", "-cp", "/a.jar", "org.apache.catalina.startup.Bootstrap", "start"},
		{"java", "-jar", "/w/jboss-modules.jar", "org.jboss.as.server", "-D[Server:one]", "-Djboss.home.dir=/w"},
		{"java", "-classpath", "/h/conf:/h/lib/x.jar", "-Dhbase.home.dir=/h", "org.apache.hadoop.hbase.master.HMaster"},
		{"java", "-cp", "/opt/zk/lib/zookeeper-3.8.0.jar", "org.apache.zookeeper.server.quorum.QuorumPeerMain", "zoo.cfg"},
		{"/usr/lib/postgresql/15/bin/postgres", "-D", "/d", "-c", "config_file=/c"},
	} {
		f.Add([]byte(strings.Join(args, "\x00")), "")
	}
	f.Add([]byte("java\x00-m"), "java")
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, cmdline []byte, exe string) {
		args := strings.Split(string(cmdline), "\x00")
		_ = OptionValues(NormalizeArgs(args), "-c")
		pi := newProcInfo(Process{PID: 10, Name: "x", Executable: exe, Args: args})
		for _, prod := range products {
			if !prod.claims(pi) {
				continue
			}
			in := &instance{c: New(), prod: prod, root: pi, procs: []*procInfo{pi}, view: fsView{top: dir}}
			prod.describe(in)
		}
	})
}

func FuzzParseListenTable(f *testing.F) {
	for _, p := range []string{"testdata/root/proc/net/tcp", "testdata/root/proc/net/tcp6"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b, strings.HasSuffix(p, "6"))
		}
	}
	f.Add([]byte("h\n 0: 0100007F:1F90 00000000:0000 0A 0 0 0 0 0 7\n"), false)
	f.Fuzz(func(t *testing.T, data []byte, v6 bool) {
		got := map[uint64]netip.AddrPort{}
		if _, err := ParseListenTable(bytes.NewReader(data), v6, got); err != nil {
			return
		}
		for ino, a := range got {
			if ino == 0 || !a.IsValid() {
				t.Fatalf("%d: %v", ino, a)
			}
		}
	})
}

func FuzzConfigPorts(f *testing.F) {
	f.Add([]byte("port 6380\n# port 1\n"))
	f.Add([]byte("-p 11311\n-p11411\n--port=1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, parse := range []func([]byte) ([]uint16, int){RedisConfigPorts, MemcachedConfigPorts} {
			ports, bad := parse(data)
			if bad < 0 {
				t.Fatal("negative count")
			}
			for _, p := range ports {
				if p == 0 {
					t.Fatal("port 0 is TCP off, not a port")
				}
			}
		}
	})
}

func FuzzZipEntry(f *testing.F) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("org/apache/catalina/util/ServerInfo.properties")
	_, _ = w.Write([]byte("server.info=Apache Tomcat/9.0.85\n"))
	_ = zw.Close()
	f.Add(buf.Bytes())
	if b, err := os.ReadFile("testdata/root/opt/tomcat/lib/catalina.jar"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := zipEntry(bytes.NewReader(data), int64(len(data)), "org/apache/catalina/util/ServerInfo.properties")
		if err == nil && len(b) > maxEntryBytes {
			t.Fatalf("%d bytes", len(b))
		}
	})
}
