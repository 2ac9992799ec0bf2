package libraries_test

import (
	"path"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/agent/collect/app/libraries"
)

func TestProcessPaths(t *testing.T) {
	existing := map[string]bool{
		"/opt/api/venv/pyvenv.cfg":        true,
		"/srv/shop/node_modules":          true,
		"/usr/local/lib/python3.11":       true,
		"/home/dev/tool/.venv/pyvenv.cfg": true,
	}
	exists := func(p string) bool { return existing[p] }
	glob := func(pattern string) []string {
		var out []string
		for p := range existing {
			if ok, _ := path.Match(pattern, p); ok {
				out = append(out, p)
			}
		}
		return out
	}
	tests := []struct {
		name string
		p    libraries.Process
		want []string
	}{
		{"java -jar", libraries.Process{Exe: "/usr/lib/jvm/java-17/bin/java", Cwd: "/opt/boot",
			Args: []string{"java", "-Xmx1g", "-jar", "app.jar", "--server.port=8080", "-cp", "ignored"}},
			[]string{"/usr/lib/jvm/java-17/bin/java", "/usr/lib/jvm/java-17/bin", "/opt/boot", "/opt/boot/app.jar"}},
		{"java class path and tomcat", libraries.Process{Exe: "/usr/lib/jvm/java-17/bin/java", Cwd: "/",
			Args: []string{"java", "-Dcatalina.base=/var/lib/tomcat10", "-Dcatalina.home=/usr/share/tomcat10",
				"-classpath", "/usr/share/tomcat10/bin/bootstrap.jar:lib/*:", "org.apache.catalina.startup.Bootstrap", "-cp", "x"}},
			[]string{"/usr/lib/jvm/java-17/bin/java", "/usr/lib/jvm/java-17/bin", "/",
				"/var/lib/tomcat10/webapps", "/var/lib/tomcat10/lib", "/usr/share/tomcat10/webapps", "/usr/share/tomcat10/lib",
				"/usr/share/tomcat10/bin/bootstrap.jar", "/lib"}},
		{"java --class-path=", libraries.Process{Exe: "/usr/bin/java", Cwd: "/srv/app",
			Args: []string{"java", "--class-path=libs/*", "com.example.Main"}},
			[]string{"/usr/bin/java", "/usr/bin", "/srv/app", "/srv/app/libs"}},
		{"python in a virtual environment", libraries.Process{Exe: "/usr/bin/python3.11", Cwd: "/opt/api",
			Args: []string{"/opt/api/venv/bin/python", "-W", "ignore", "serve.py", "--port", "80"}},
			[]string{"/usr/bin/python3.11", "/usr/bin", "/opt/api", "/opt/api/venv", "/opt/api", "/usr/local/lib/python3.11"}},
		{"python -m", libraries.Process{Exe: "/usr/bin/python3", Cwd: "/home/dev/tool",
			Args: []string{".venv/bin/python3", "-m", "http.server"}},
			[]string{"/usr/bin/python3", "/usr/bin", "/home/dev/tool", "/home/dev/tool/.venv", "/usr/local/lib/python3.11"}},
		{"node", libraries.Process{Exe: "/usr/bin/node", Cwd: "/",
			Args: []string{"node", "--require", "./trace.js", "/srv/shop/dist/server/index.js"}},
			[]string{"/usr/bin/node", "/usr/bin", "/", "/srv/shop/dist/server", "/srv/shop"}},
		{"node -e", libraries.Process{Exe: "/usr/bin/node", Cwd: "/srv",
			Args: []string{"node", "-e", "console.log(1)"}},
			[]string{"/usr/bin/node", "/usr/bin", "/srv"}},
		{"plain", libraries.Process{Exe: "/opt/tool/bin/tool", Cwd: "/var/lib/tool", Args: []string{"tool", "serve"}},
			[]string{"/opt/tool/bin/tool", "/opt/tool/bin", "/var/lib/tool"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d := cmp.Diff(tt.want, tt.p.Paths(exists, glob)); d != "" {
				t.Errorf("paths (-want +got):\n%s", d)
			}
		})
	}
}

func TestCandidate(t *testing.T) {
	tests := []struct {
		p    string
		want bool
	}{
		{"/", false}, {"/usr/bin", false}, {"/tmp", false}, {"/home", false}, {"/home/alice", false},
		{"/root", false}, {"/proc/1/cwd", false}, {"/run/user/0", false}, {"/dev", false},
		{"relative", false}, {"/srv/../etc", false}, {"", false},
		{"/home/alice/app", true}, {"/srv/shop", true}, {"/usr/bin/node", true},
		{"/var/lib/tomcat10/webapps", true}, {"/root/app", true}, {"/tmp/build", true},
	}
	for _, tt := range tests {
		if got := libraries.Candidate(tt.p); got != tt.want {
			t.Errorf("Candidate(%q) = %v, want %v", tt.p, got, tt.want)
		}
	}
}

func TestPrune(t *testing.T) {
	got := libraries.Prune([]string{"/srv/a/b", "/srv/a-b", "/srv/a", "/opt", "/opt", "/srv/a-b/c", "/var/x/"})
	want := []string{"/opt", "/srv/a", "/srv/a-b", "/var/x"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Prune (-want +got):\n%s", d)
	}
}

func TestParseCmdline(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"\x00", nil},
		{"java\x00-jar\x00app.jar\x00", []string{"java", "-jar", "app.jar"}},
		{"a\x00\x00b", []string{"a", "", "b"}},
		{"nginx: master process /usr/sbin/nginx", []string{"nginx: master process /usr/sbin/nginx"}},
	}
	for _, tt := range tests {
		if d := cmp.Diff(tt.want, libraries.ParseCmdline([]byte(tt.in))); d != "" {
			t.Errorf("ParseCmdline(%q) (-want +got):\n%s", tt.in, d)
		}
	}
}

// FuzzProcessPaths reads arbitrary command lines as /proc gives them:
// every path that comes back is absolute and clean.
func FuzzProcessPaths(f *testing.F) {
	for _, s := range []string{
		"java\x00-jar\x00app.jar", "java\x00-cp\x00a:b/*:\x00Main", "java\x00-Dcatalina.base=\x00-jar",
		"python3\x00-W\x00", "node\x00--require", "python3.11\x00../../x.py", "\x00\x00\x00",
	} {
		f.Add([]byte(s), "/usr/bin/java", "/srv")
	}
	f.Fuzz(func(t *testing.T, cmdline []byte, exe, cwd string) {
		p := libraries.Process{Exe: exe, Cwd: cwd, Args: libraries.ParseCmdline(cmdline)}
		if !strings.HasPrefix(cwd, "/") {
			p.Cwd = ""
		}
		for _, got := range p.Paths(func(string) bool { return true }, func(string) []string { return nil }) {
			if !strings.HasPrefix(got, "/") || path.Clean(got) != got {
				t.Errorf("path %q from %q", got, cmdline)
			}
		}
	})
}
