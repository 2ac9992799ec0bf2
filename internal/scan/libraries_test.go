package scan_test

import (
	"archive/zip"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/scan"
	"github.com/vigilsec/vigil/internal/scan/protocol"
)

// zipTime is the fixed time of every archive entry, so that archives and
// their hashes are the same on every run.
var zipTime = time.Date(2021, 12, 10, 0, 0, 0, 0, time.UTC)

// jar returns a zip archive (stored, not compressed) of the given
// entries, in the order given.
func jar(t testing.TB, entries ...string) []byte {
	t.Helper()
	if len(entries)%2 != 0 {
		t.Fatal("jar: entries are name, content pairs")
	}
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for i := 0; i < len(entries); i += 2 {
		f, err := w.CreateHeader(&zip.FileHeader{Name: entries[i], Method: zip.Store, Modified: zipTime})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte(entries[i+1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func pomProperties(group, artifact, version string) (string, string) {
	return "META-INF/maven/" + group + "/" + artifact + "/pom.properties",
		"groupId=" + group + "\nartifactId=" + artifact + "\nversion=" + version + "\n"
}

func log4jCore(t testing.TB) []byte {
	name, props := pomProperties("org.apache.logging.log4j", "log4j-core", "2.14.1")
	return jar(t, "META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n", name, props,
		"org/apache/logging/log4j/core/Logger.class", "\xca\xfe\xba\xbe")
}

func write(t testing.TB, root, name string, data []byte) {
	t.Helper()
	p := filepath.Join(root, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// libraryTree builds a host tree with the libraries of a Node.js shop, a
// Python API in a virtual environment, a WAR in Tomcat, a Spring Boot
// jar, a PHP site, installed gems, and a damaged archive.
func libraryTree(t testing.TB) string {
	t.Helper()
	root := t.TempDir()
	// Node.js: node_modules and the lock file.
	write(t, root, "srv/shop/package.json", []byte(`{"name":"shop","version":"1.0.0","dependencies":{"lodash":"^4.17.20"}}`))
	write(t, root, "srv/shop/node_modules/lodash/package.json", []byte(`{"name":"lodash","version":"4.17.20"}`))
	write(t, root, "srv/shop/node_modules/@babel/core/package.json", []byte(`{"name":"@babel/core","version":"7.22.0"}`))
	write(t, root, "srv/shop/package-lock.json", []byte(`{"name":"shop","version":"1.0.0","lockfileVersion":3,"packages":{
		"":{"name":"shop","version":"1.0.0","dependencies":{"lodash":"^4.17.20"}},
		"node_modules/lodash":{"version":"4.17.20","resolved":"https://registry.npmjs.org/lodash/-/lodash-4.17.20.tgz"}}}`))
	// Python: a virtual environment and a requirements file.
	write(t, root, "opt/api/venv/pyvenv.cfg", []byte("home = /usr/bin\n"))
	write(t, root, "opt/api/venv/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA",
		[]byte("Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\nSummary: Python HTTP for Humans.\n"))
	write(t, root, "opt/api/venv/lib/python3.11/site-packages/urllib3-1.26.5.dist-info/METADATA",
		[]byte("Metadata-Version: 2.1\nName: urllib3\nVersion: 1.26.5\n"))
	write(t, root, "opt/api/requirements.txt", []byte("flask==2.2.2\nrequests>=2.0\n"))
	// Java: a WAR with log4j-core and a jar known by its name only.
	write(t, root, "var/lib/tomcat10/webapps/shop.war", jar(t,
		"WEB-INF/web.xml", "<web-app/>",
		"WEB-INF/lib/log4j-core-2.14.1.jar", string(log4jCore(t)),
		"WEB-INF/lib/commons-text-1.9.jar", string(jar(t, "META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")),
	))
	// A Spring Boot jar: the application and its nested libraries.
	appPom, appProps := pomProperties("com.example", "boot-app", "1.2.0")
	write(t, root, "opt/boot/app.jar", jar(t,
		"META-INF/MANIFEST.MF", "Manifest-Version: 1.0\nMain-Class: org.springframework.boot.loader.JarLauncher\n",
		appPom, appProps,
		"BOOT-INF/lib/log4j-core-2.14.1.jar", string(log4jCore(t)),
	))
	// PHP: a Composer lock file.
	write(t, root, "var/www/site/composer.lock", []byte(`{"packages":[{"name":"monolog/monolog","version":"2.9.1",
		"dist":{"reference":"f259e2b15fb95494c83f52d3caad003bbf5ffaa1"}}],"packages-dev":[]}`))
	// A damaged archive: counted, not fatal.
	write(t, root, "var/www/site/broken.jar", bytes.Repeat([]byte("not a zip "), 10))
	// Ruby: an installed gem's specification.
	write(t, root, "usr/local/lib/ruby/gems/3.1.0/specifications/rack-2.2.4.gemspec", []byte(
		"# -*- encoding: utf-8 -*-\nGem::Specification.new do |s|\n  s.name = \"rack\".freeze\n  s.version = \"2.2.4\"\nend\n"))
	return root
}

var libraryPaths = []string{
	"/srv", "/srv/shop", // the second is below the first: walked once
	"/opt/api", "/opt/boot/app.jar",
	"/var/lib/tomcat10/webapps", "/var/www",
	"/usr/local/lib/ruby",
	"/gone", // an application that has exited
}

func TestLibraries(t *testing.T) {
	root := libraryTree(t)
	assets, sum, stream := run(t, scan.Libraries, scan.Options{Root: root, Paths: libraryPaths, MaxFiles: 10000, MaxFileSize: 1 << 20})
	if !sum.Complete {
		t.Fatalf("incomplete: %s", sum.Reason)
	}
	if sum.Roots != 6 || sum.Skipped["missing_root"] != 1 {
		t.Errorf("roots %d, missing %d; want 6 and 1", sum.Roots, sum.Skipped["missing_root"])
	}
	if sum.Errors != 1 || len(sum.ErrorSamples) != 1 || sum.ErrorSamples[0].Path != "/var/www/site/broken.jar" {
		t.Errorf("errors %d %+v, want the damaged archive", sum.Errors, sum.ErrorSamples)
	}
	want := map[string]string{ // key: package.path
		"maven:org.apache.logging.log4j:log4j-core@2.14.1:/var/lib/tomcat10/webapps/shop.war!/WEB-INF/lib/log4j-core-2.14.1.jar": "/var/lib/tomcat10/webapps/shop.war!/WEB-INF/lib/log4j-core-2.14.1.jar",
		"maven:org.apache.logging.log4j:log4j-core@2.14.1:/opt/boot/app.jar!/BOOT-INF/lib/log4j-core-2.14.1.jar":                 "/opt/boot/app.jar!/BOOT-INF/lib/log4j-core-2.14.1.jar",
		"maven:com.example:boot-app@1.2.0:/opt/boot/app.jar":                                                                     "/opt/boot/app.jar",
		"maven:commons-text:commons-text@1.9:/var/lib/tomcat10/webapps/shop.war!/WEB-INF/lib/commons-text-1.9.jar":               "/var/lib/tomcat10/webapps/shop.war!/WEB-INF/lib/commons-text-1.9.jar",
		"npm:lodash@4.17.20:/srv/shop/node_modules/lodash/package.json":                                                          "/srv/shop/node_modules/lodash/package.json",
		"npm:@babel/core@7.22.0:/srv/shop/node_modules/@babel/core/package.json":                                                 "/srv/shop/node_modules/@babel/core/package.json",
		"pypi:requests@2.31.0:/opt/api/venv/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA":                     "/opt/api/venv/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA",
		"composer:monolog/monolog@2.9.1:/var/www/site/composer.lock":                                                             "/var/www/site/composer.lock",
		"gem:rack@2.2.4:/usr/local/lib/ruby/gems/3.1.0/specifications/rack-2.2.4.gemspec":                                        "/usr/local/lib/ruby/gems/3.1.0/specifications/rack-2.2.4.gemspec",
	}
	got := map[string]event.Asset{}
	for _, a := range assets {
		got[a.Key] = a
		if a.Kind != event.AssetLibrary {
			t.Errorf("%s: kind %q", a.Key, a.Kind)
		}
	}
	for key, p := range want {
		a, ok := got[key]
		if !ok {
			t.Errorf("missing %s", key)
			continue
		}
		if pkg := a.Fields["package"].(map[string]any); pkg["path"] != p {
			t.Errorf("%s: package.path %v, want %s", key, pkg["path"], p)
		}
	}
	golden(t, "libraries", normalized(t, stream))
}

// TestLibrariesGoBinary scans a Go program built for the test: its build
// information names its modules.
func TestLibrariesGoBinary(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build a program with")
	}
	root := t.TempDir()
	bin := filepath.Join(root, "opt/tool/tool")
	out, err := exec.Command(goBin, "build", "-o", bin, "./testdata/gobin").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	assets, sum, _ := run(t, scan.Libraries, scan.Options{Root: root, Paths: []string{"/opt/tool"}})
	if !sum.Complete {
		t.Fatalf("incomplete: %s", sum.Reason)
	}
	got := map[string]string{}
	for _, a := range assets {
		pkg := a.Fields["package"].(map[string]any)
		if pkg["type"] != "golang" || pkg["path"] != "/opt/tool/tool" {
			t.Errorf("unexpected %s %v", a.Key, pkg)
		}
		got[a.Name] = a.Version
	}
	if got["github.com/google/uuid"] != "v1.6.0" && got["github.com/google/uuid"] != "1.6.0" {
		t.Errorf("github.com/google/uuid not found at 1.6.0: %v", got)
	}
	if !strings.HasPrefix(runtime.Version(), "go"+got["go"]) || got["go"] == "" {
		t.Errorf("the Go standard library's version %q, want %s", got["go"], runtime.Version())
	}
	if v, ok := got["github.com/vigilsec/vigil"]; ok {
		t.Errorf("the main module of a development build is listed, version %q", v)
	}
}

func TestLibrariesLimits(t *testing.T) {
	root := libraryTree(t)
	tests := []struct {
		name     string
		opts     scan.Options
		complete bool
		reason   string
		tooLarge int
		errors   int
	}{
		{"file limit", scan.Options{MaxFiles: 5}, false, "file limit", 0, 0},
		{"time limit", scan.Options{Timeout: time.Nanosecond}, false, "time limit", 0, 0},
		// The WAR and the Spring Boot jar are over the size limit: left
		// out and counted; the set of the rest is complete.
		{"size limit", scan.Options{MaxFileSize: 300}, true, "", 2, 1},
		// Both unpack to more than this: each is a file error (with the
		// damaged archive, three).
		{"archive bytes", scan.Options{MaxArchiveBytes: 400}, true, "", 0, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			opts.Root, opts.Paths = root, libraryPaths
			_, sum, _ := run(t, scan.Libraries, opts)
			if sum.Complete != tt.complete || !strings.Contains(sum.Reason, tt.reason) {
				t.Errorf("complete %v reason %q, want %v %q", sum.Complete, sum.Reason, tt.complete, tt.reason)
			}
			if got := sum.Skipped["too_large"]; got != tt.tooLarge {
				t.Errorf("too_large %d, want %d", got, tt.tooLarge)
			}
			if tt.complete && sum.Errors != tt.errors {
				t.Errorf("errors %d %+v, want %d", sum.Errors, sum.ErrorSamples, tt.errors)
			}
		})
	}
}

// TestLibrariesHostPaths walks folders of this host that hold Python and
// Java packages, and checks a few facts of what it finds against the
// files themselves.
func TestLibrariesHostPaths(t *testing.T) {
	dirs, _ := filepath.Glob("/usr/lib/python3/dist-packages/*.dist-info")
	eggs, _ := filepath.Glob("/usr/lib/python3/dist-packages/*.egg-info")
	if len(dirs)+len(eggs) == 0 {
		t.Skip("no Python packages on this host")
	}
	assets, sum, _ := run(t, scan.Libraries, scan.Options{Root: "/", Paths: []string{"/usr/lib/python3/dist-packages"}, MaxFiles: 200000})
	if !sum.Complete {
		t.Fatalf("incomplete: %s", sum.Reason)
	}
	paths := map[string]bool{}
	for _, a := range assets {
		p := a.Fields["package"].(map[string]any)["path"].(string)
		paths[filepath.Dir(p)] = true
		paths[p] = true
	}
	for _, d := range append(dirs, eggs...) {
		if !paths[d] {
			t.Errorf("%s not found", d)
		}
	}
}

func TestMultiArchiveKeysFitLimits(t *testing.T) {
	// A path longer than a key may be: the key names the path by hash.
	root := t.TempDir()
	long := "/srv/" + strings.Repeat("very-long-folder-name/", 60)
	write(t, root, long+"node_modules/lodash/package.json", []byte(`{"name":"lodash","version":"4.17.21"}`))
	assets, sum, _ := run(t, scan.Libraries, scan.Options{Root: root, Paths: []string{"/srv"}})
	if !sum.Complete || len(assets) != 1 {
		t.Fatalf("complete %v, %d assets", sum.Complete, len(assets))
	}
	a := assets[0]
	if len(a.Key) > event.MaxAssetKey || !strings.Contains(a.Key, ":sha256:") {
		t.Errorf("key %q", a.Key)
	}
	if err := a.Validate(); err != nil {
		t.Error(err)
	}
	if p := a.Fields["package"].(map[string]any)["path"]; !strings.HasPrefix(p.(string), long) {
		t.Errorf("path %v", p)
	}
}

func TestLibrariesEmpty(t *testing.T) {
	_, sum, stream := run(t, scan.Libraries, scan.Options{Root: t.TempDir()})
	if !sum.Complete || sum.Assets != 0 {
		t.Errorf("summary %+v", sum)
	}
	if d := cmp.Diff(1, bytes.Count(stream, []byte("\n"))); d != "" {
		t.Errorf("lines: %s", d)
	}
	_ = protocol.MaxLine
}

// FuzzLibraryArchive scans a WAR whose entry names and nested Maven
// metadata are arbitrary, as an attacker who uploads one can make them:
// every item that comes back is valid and located inside the WAR.
func FuzzLibraryArchive(f *testing.F) {
	name, props := pomProperties("org.apache.logging.log4j", "log4j-core", "2.14.1")
	f.Add("WEB-INF/lib/log4j-core-2.14.1.jar", name, props)
	f.Add("../../etc/x.jar", "META-INF/maven/a/b/pom.properties", "groupId=\x00\nartifactId=\xff\nversion=1\n")
	f.Add("a!/b.jar", "x/pom.properties", "groupId=g\nartifactId=a\nversion="+strings.Repeat("9", 600)+"\n")
	f.Add("", "", "")
	root := f.TempDir() // one tree for every input: a worker runs them one at a time
	f.Fuzz(func(t *testing.T, nested, entry, content string) {
		if strings.HasSuffix(nested, "/") || strings.HasSuffix(entry, "/") {
			t.Skip("a folder entry holds no data")
		}
		inner := jar(t, entry, content)
		write(t, root, "srv/app.war", jar(t, "WEB-INF/web.xml", "<web-app/>", nested, string(inner)))
		assets, sum, _ := run(t, scan.Libraries, scan.Options{Root: root, Paths: []string{"/srv"}, MaxFiles: 100})
		if !sum.Complete {
			t.Fatalf("incomplete: %s", sum.Reason)
		}
		for _, a := range assets {
			if err := a.Validate(); err != nil {
				t.Errorf("%q: %v", a.Key, err)
			}
			if p, _ := a.Fields["package"].(map[string]any)["path"].(string); !strings.HasPrefix(p, "/srv/app.war") {
				t.Errorf("%q: path %q outside the archive", a.Key, p)
			}
		}
	})
}
