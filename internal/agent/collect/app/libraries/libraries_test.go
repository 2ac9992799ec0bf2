package libraries_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/agent/collect/app/libraries"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/scan/scantest"
)

// scanner is the vigil-scan built for these tests.
var scanner string

func TestMain(m *testing.M) { os.Exit(scantest.Main(m, &scanner)) }

func newCollector(t *testing.T, settings string) *libraries.Collector {
	t.Helper()
	if scanner == "" {
		t.Skip("no go command to build vigil-scan with")
	}
	c := libraries.New()
	c.Scanner = scanner
	if err := c.Configure(plugin.Env{}); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	if err := c.ApplySettings(json.RawMessage(settings)); err != nil {
		t.Fatalf("ApplySettings: %v", err)
	}
	return c
}

func jar(t *testing.T, entries ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for i := 0; i < len(entries); i += 2 {
		f, err := w.Create(entries[i])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(f, entries[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func log4jCore(t *testing.T) string {
	return string(jar(t,
		"META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties",
		"groupId=org.apache.logging.log4j\nartifactId=log4j-core\nversion=2.14.1\n",
		"org/apache/logging/log4j/core/Logger.class", "\xca\xfe\xba\xbe"))
}

func write(t *testing.T, name string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func byKey(t *testing.T, assets []event.Asset) map[string]event.Asset {
	t.Helper()
	out := map[string]event.Asset{}
	for _, a := range assets {
		if err := a.Validate(); err != nil {
			t.Errorf("%s: %v", a.Key, err)
		}
		if a.Kind != event.AssetLibrary {
			t.Errorf("%s: kind %q", a.Key, a.Kind)
		}
		if _, dup := out[a.Key]; dup {
			t.Errorf("key %s twice", a.Key)
		}
		out[a.Key] = a
	}
	return out
}

// TestAssetsRoots scans the roots the settings name, in a fixture tree
// used as the host root: a WAR and a Spring Boot jar, each with
// log4j-core inside.
func TestAssetsRoots(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "var/lib/tomcat10/webapps/shop.war"), jar(t,
		"WEB-INF/web.xml", "<web-app/>",
		"WEB-INF/lib/log4j-core-2.14.1.jar", log4jCore(t)))
	write(t, filepath.Join(root, "opt/boot/app.jar"), jar(t,
		"META-INF/maven/com.example/boot-app/pom.properties", "groupId=com.example\nartifactId=boot-app\nversion=1.2.0\n",
		"BOOT-INF/lib/log4j-core-2.14.1.jar", log4jCore(t)))
	write(t, filepath.Join(root, "srv/shop/node_modules/lodash/package.json"), []byte(`{"name":"lodash","version":"4.17.20"}`))
	write(t, filepath.Join(root, "opt/api/venv/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA"),
		[]byte("Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\n"))
	c := newCollector(t, `{"processes":false,"roots":["/var/lib/tomcat10/webapps","/opt","/srv/shop","/gone"]}`)
	assets, err := c.Assets(context.Background(), plugin.Env{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	got := byKey(t, assets)
	want := map[string]string{ // key: type
		"maven:org.apache.logging.log4j:log4j-core@2.14.1:/var/lib/tomcat10/webapps/shop.war!/WEB-INF/lib/log4j-core-2.14.1.jar": "maven",
		"maven:org.apache.logging.log4j:log4j-core@2.14.1:/opt/boot/app.jar!/BOOT-INF/lib/log4j-core-2.14.1.jar":                 "maven",
		"maven:com.example:boot-app@1.2.0:/opt/boot/app.jar":                                                                     "maven",
		"npm:lodash@4.17.20:/srv/shop/node_modules/lodash/package.json":                                                          "npm",
		"pypi:requests@2.31.0:/opt/api/venv/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA":                     "pypi",
	}
	if len(got) != len(want) {
		t.Errorf("%d libraries, want %d: %v", len(got), len(want), keys(got))
	}
	for k, typ := range want {
		a, ok := got[k]
		if !ok {
			t.Errorf("missing %s; have %v", k, keys(got))
			continue
		}
		pkg := a.Fields["package"].(map[string]any)
		if pkg["type"] != typ || pkg["purl"] == nil || pkg["name"] != a.Name || pkg["version"] != a.Version {
			t.Errorf("%s: fields %v", k, pkg)
		}
		if !strings.HasSuffix(k, ":"+pkg["path"].(string)) {
			t.Errorf("%s: package.path %v is not the key's", k, pkg["path"])
		}
	}
	if n := c.Counters()["roots_missing"]; n != 1 {
		t.Errorf("roots_missing %d, want 1", n)
	}
}

func keys(m map[string]event.Asset) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestAssetsProcesses starts real processes on this host, a program in
// a Node.js application's folder and an interpreter of a Python virtual
// environment, and finds their libraries through /proc.
func TestAssetsProcesses(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep command")
	}
	base, err := os.MkdirTemp("", "libraries-app-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	app := filepath.Join(base, "shop")
	write(t, filepath.Join(app, "node_modules/left-pad/package.json"), []byte(`{"name":"left-pad","version":"1.3.0"}`))
	venv := filepath.Join(base, "api/venv")
	write(t, filepath.Join(venv, "pyvenv.cfg"), []byte("home = /usr/bin\n"))
	write(t, filepath.Join(venv, "lib/python3.11/site-packages/urllib3-1.26.5.dist-info/METADATA"),
		[]byte("Metadata-Version: 2.1\nName: urllib3\nVersion: 1.26.5\n"))
	// The environment's "interpreter" is a copy of sleep named python3.
	b, err := os.ReadFile(sleep)
	if err != nil {
		t.Fatal(err)
	}
	interp := filepath.Join(venv, "bin/python3")
	write(t, interp, b)
	if err := os.Chmod(interp, 0o755); err != nil {
		t.Fatal(err)
	}
	start := func(dir, bin string) {
		cmd := exec.Command(bin, "300")
		cmd.Dir = dir
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		// Wait until the child runs bin, not the copy of the test
		// binary that the fork made.
		want, err := filepath.EvalSymlinks(bin)
		if err != nil {
			t.Fatal(err)
		}
		exe := fmt.Sprintf("/proc/%d/exe", cmd.Process.Pid)
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			if got, _ := os.Readlink(exe); got == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s does not run %s", exe, want)
			}
		}
	}
	start(app, sleep)
	start(filepath.Join(base, "api"), interp)

	c := newCollector(t, `{"timeout":"3m"}`)
	roots := c.Roots("/")
	for _, want := range []string{app, venv} {
		found := false
		for _, r := range roots {
			if r == want || strings.HasPrefix(want, r+"/") {
				found = true
			}
		}
		if !found {
			t.Errorf("root %s not discovered in %v", want, roots)
		}
	}
	assets, err := c.Assets(context.Background(), plugin.Env{})
	if err != nil {
		t.Fatal(err)
	}
	got := byKey(t, assets)
	for _, k := range []string{
		"npm:left-pad@1.3.0:" + app + "/node_modules/left-pad/package.json",
		"pypi:urllib3@1.26.5:" + venv + "/lib/python3.11/site-packages/urllib3-1.26.5.dist-info/METADATA",
	} {
		if _, ok := got[k]; !ok {
			t.Errorf("missing %s", k)
		}
	}
}

func TestAssetsNothingToScan(t *testing.T) {
	c := newCollector(t, `{"processes":false}`)
	assets, err := c.Assets(context.Background(), plugin.Env{Root: t.TempDir()})
	if err != nil || len(assets) != 0 {
		t.Errorf("%d assets, err %v", len(assets), err)
	}
}

// TestAssetsUntrusted: a scan cut short by its limits is an error, not a
// short list.
func TestAssetsUntrusted(t *testing.T) {
	root := t.TempDir()
	for i := 0; i < 50; i++ {
		write(t, filepath.Join(root, fmt.Sprintf("srv/app/node_modules/p%d/package.json", i)), []byte(`{"name":"p","version":"1.0.0"}`))
	}
	c := newCollector(t, `{"processes":false,"roots":["/srv/app"],"max_files":20}`)
	_, err := c.Assets(context.Background(), plugin.Env{Root: root})
	if err == nil || !strings.Contains(err.Error(), "file limit") {
		t.Errorf("err %v, want the file limit", err)
	}
	if c.Counters()["failed_scans"] != 1 {
		t.Errorf("counters %v", c.Counters())
	}
}

func TestConfigureUnsupported(t *testing.T) {
	for _, s := range []string{"", filepath.Join(t.TempDir(), "vigil-scan")} {
		c := libraries.New()
		c.Scanner = s
		if err := c.Configure(plugin.Env{}); !errors.Is(err, plugin.ErrUnsupported) || !strings.Contains(err.Error(), "scanner not found") {
			t.Errorf("Configure with scanner %q: %v", s, err)
		}
	}
}

func TestSettings(t *testing.T) {
	tests := []struct {
		raw string
		ok  bool
	}{
		{"", true},
		{`{}`, true},
		{`{"roots":["/var/www","/srv/app"],"processes":false,"timeout":"1m","max_files":1000,"max_file_size":10485760}`, true},
		{`{"roots":["relative"]}`, false},
		{`{"roots":["/srv/../etc"]}`, false},
		{`{"roots":["/srv/"]}`, false},
		{`{"timeout":"10m"}`, false},
		{`{"max_files":0}`, false},
		{`{"max_file_size":1}`, false},
		{`{"scanner":"/nonexistent"}`, false},
		{`{"paths":["/x"]}`, false},
		{`{"timeout":"1m"} {}`, false},
		{`{} }`, false},
		{`{"roots":` + strings.Repeat(`["/a"],`, 0) + `[` + strings.TrimSuffix(strings.Repeat(`"/a",`, libraries.MaxSettingRoots+1), ",") + `]}`, false},
	}
	for _, tt := range tests {
		_, err := libraries.ParseSettings(json.RawMessage(tt.raw))
		if tt.ok != (err == nil) {
			t.Errorf("ParseSettings(%.60s): %v, want ok %v", tt.raw, err, tt.ok)
		}
	}
	s, _ := libraries.ParseSettings(nil)
	if !s.Processes || s.MaxFiles <= 0 || s.Timeout <= 0 {
		t.Errorf("defaults %+v", s)
	}
}

func FuzzParseSettings(f *testing.F) {
	for _, s := range []string{"", `{"roots":["/a"]}`, `{"processes":true,"max_files":5}`, `{"timeout":"1s"}`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := libraries.ParseSettings(b)
		if err != nil {
			return
		}
		if s.MaxFiles < 1 || s.Timeout <= 0 || len(s.Roots) > libraries.MaxSettingRoots {
			t.Errorf("accepted %q as %+v", b, s)
		}
		for _, r := range s.Roots {
			if !strings.HasPrefix(r, "/") || filepath.Clean(r) != r {
				t.Errorf("accepted root %q", r)
			}
		}
	})
}

func TestPlugin(t *testing.T) {
	c := libraries.New()
	if c.Name() != libraries.Name || c.DefaultInterval() <= 0 || !c.Requirements().Root ||
		len(c.Kinds()) != 1 || c.Kinds()[0] != event.AssetLibrary {
		t.Errorf("name %q, interval %v, requirements %+v, kinds %v", c.Name(), c.DefaultInterval(), c.Requirements(), c.Kinds())
	}
}

// TestNoScannerLinked: the collector runs the scanner; it must not link
// its extractors into the agent.
func TestNoScannerLinked(t *testing.T) { scantest.NoScannerLinked(t, ".") }

// TestAssetsWebRoots: the web roots found are scanned with the
// applications' folders; not when the processes setting is off.
func TestAssetsWebRoots(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "var/lib/tomcat10/webapps/shop.war"), jar(t,
		"WEB-INF/web.xml", "<web-app/>",
		"WEB-INF/lib/log4j-core-2.14.1.jar", log4jCore(t)))
	for _, tc := range []struct {
		settings string
		want     int
	}{{`{}`, 1}, {`{"processes":false}`, 0}} {
		c := newCollector(t, tc.settings)
		c.DiscoverWebRoots = func(ctx context.Context, env plugin.Env) ([]string, error) {
			if env.Root != root {
				t.Errorf("web roots looked for under %q", env.Root)
			}
			return []string{"/var/lib/tomcat10/webapps"}, nil
		}
		assets, err := c.Assets(context.Background(), plugin.Env{Root: root})
		if err != nil {
			t.Fatal(err)
		}
		if len(assets) != tc.want {
			t.Errorf("settings %s: %d libraries, want %d", tc.settings, len(assets), tc.want)
		}
	}
}
