package framework

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/rootfs"
)

func TestVersions(t *testing.T) {
	for _, tc := range []struct {
		name string
		fn   func([]byte) string
		in   string
		want string
	}{
		{"wordpress", WordPressVersion, "<?php\n/** @global string $wp_version */\n$wp_version = '6.4.2';\n$wp_db_version = 56657;\n", "6.4.2"},
		{"wordpress double quotes", WordPressVersion, `$wp_version="5.0-beta1";`, "5.0-beta1"},
		{"wordpress none", WordPressVersion, "<?php echo 1;", Unknown},
		{"wordpress not a version", WordPressVersion, "$wp_version = 'x; rm -rf';", Unknown},
		{"thinkphp 3", func(b []byte) string { return PHPDefine(b, "THINK_VERSION") }, "const THINK_VERSION = '3.2.3';\ndefine('THINK_VERSION', '3.2.5');", "3.2.5"},
		{"thinkphp 5.0", func(b []byte) string { return PHPDefine(b, "THINK_VERSION") }, "define(\"THINK_VERSION\",   \"5.0.24\");", "5.0.24"},
		{"thinkphp 5.1", func(b []byte) string { return PHPConst(b, "VERSION") }, "class App extends Container\n{\n    const VERSION = '5.1.41 LTS';", "5.1.41 LTS"},
		{"laravel", func(b []byte) string { return PHPConst(b, "VERSION") }, "    /**\n     * @var string\n     */\n    const VERSION = '10.48.4';", "10.48.4"},
		{"public const", func(b []byte) string { return PHPConst(b, "VERSION") }, "public const VERSION = '6.1.4';", "6.1.4"},
		{"const other name", func(b []byte) string { return PHPConst(b, "VERSION") }, "const MAJOR_VERSION = '1';", Unknown},
		{"joomla 4", JoomlaVersion, "public const MAJOR_VERSION = 4;\npublic const MINOR_VERSION = 4;\npublic const PATCH_VERSION = 0;\npublic const RELEASE = '4.4';", "4.4.0"},
		{"joomla 3.6", JoomlaVersion, "const RELEASE = '3.6';\nconst DEV_LEVEL = '5';", "3.6.5"},
		{"joomla 2.5", JoomlaVersion, "public $RELEASE = '2.5';\npublic $DEV_LEVEL = '28';", "2.5.28"},
		{"joomla none", JoomlaVersion, "<?php", Unknown},
		{"phpmyadmin 5", PMAVersion, "public const VERSION = '5.2.1' . VERSION_SUFFIX;", "5.2.1"},
		{"phpmyadmin 4", PMAVersion, "$this->set('PMA_VERSION', '4.9.11');", "4.9.11"},
		{"django final", DjangoVersion, "VERSION = (4, 2, 7, \"final\", 0)\n", "4.2.7"},
		{"django x.y.0", DjangoVersion, "VERSION = (5, 0, 0, 'final', 0)\n", "5.0"},
		{"django rc", DjangoVersion, "VERSION = (5, 1, 0, \"rc\", 1)\n", "5.1rc1"},
		{"django dev", DjangoVersion, "VERSION = (5, 2, 0, \"alpha\", 0)\n", "5.2.dev"},
		{"django odd", DjangoVersion, "VERSION = (5, 2, 0, \"gamma\", 0)\n", Unknown},
		{"metadata", func(b []byte) string { return MetadataField(b, "Version") }, "Metadata-Version: 2.1\nName: Flask\nVersion: 3.0.0\n\nVersion: 9\n", "3.0.0"},
		{"metadata in body", func(b []byte) string { return MetadataField(b, "Version") }, "Name: x\n\nVersion: 9\n", ""},
	} {
		if got := tc.fn([]byte(tc.in)); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestManifest(t *testing.T) {
	m := Manifest([]byte("Manifest-Version: 1.0\r\nSpring-Boot-Version: 3.1.5\r\nClass-Path: a.jar b\r\n .jar\r\n\r\nName: x\r\nSpring-Boot-Version: 9\r\n"))
	want := map[string]string{"Manifest-Version": "1.0", "Spring-Boot-Version": "3.1.5", "Class-Path": "a.jar b.jar"}
	if d := cmp.Diff(want, m); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestJarVersion(t *testing.T) {
	for _, tc := range []struct {
		name, artifact, want string
		ok                   bool
	}{
		{"spring-boot-3.1.5.jar", "spring-boot", "3.1.5", true},
		{"spring-boot-autoconfigure-3.1.5.jar", "spring-boot", "", false},
		{"spring-boot-starter-web-3.1.5.jar", "spring-boot", "", false},
		{"struts2-core-2.5.30.jar", "struts2-core", "2.5.30", true},
		{"struts2-core-6.3.0.1.jar", "struts2-core", "6.3.0.1", true},
		{"struts2-core.jar", "struts2-core", "", false},
		{"spring-webmvc-5.3.30.jar", "spring-webmvc", "5.3.30", true},
	} {
		got, ok := JarVersion(tc.name, tc.artifact)
		if got != tc.want || ok != tc.ok {
			t.Errorf("JarVersion(%q, %q) = %q, %v", tc.name, tc.artifact, got, ok)
		}
	}
}

func TestSpringBootPort(t *testing.T) {
	for _, tc := range []struct {
		in   string
		yaml bool
		want int
	}{
		{"server.port=8081\n", false, 8081},
		{"# server.port=1\nserver.port : 8082 \n", false, 8082},
		{"spring.application.name=x\n", false, 0},
		{"server:\n  port: 8083 # comment\n", true, 8083},
		{"server:\n  servlet:\n    context-path: /x\n  port: \"8084\"\n", true, 8084},
		{"management:\n  port: 9000\nserver:\n  address: 0.0.0.0\n", true, 0},
		{"server.port: 8085\n", true, 8085},
		{"server.port=${PORT:8080}\n", false, 0},
	} {
		if got := SpringBootPort([]byte(tc.in), tc.yaml); got != tc.want {
			t.Errorf("%q: %d, want %d", tc.in, got, tc.want)
		}
	}
}

// zipBytes builds an archive.
func zipBytes(t testing.TB, entries map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	names := make([]string, 0, len(entries))
	for n := range entries {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(entries[n])); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestSpringBootJar: a fat JAR built here is recognised, by its
// manifest or by its BOOT-INF/lib alone.
func TestSpringBootJar(t *testing.T) {
	for _, tc := range []struct {
		name    string
		entries map[string]string
		want    Archive
	}{
		{"manifest and lib", map[string]string{
			"META-INF/MANIFEST.MF":                       "Manifest-Version: 1.0\r\nMain-Class: org.springframework.boot.loader.launch.JarLauncher\r\nSpring-Boot-Version: 3.1.5\r\n\r\n",
			"BOOT-INF/lib/spring-boot-3.1.5.jar":         "",
			"BOOT-INF/lib/spring-boot-starter-3.1.5.jar": "",
			"BOOT-INF/classes/application.properties":    "server.port=8443\n",
		}, Archive{SpringBoot: "3.1.5", Properties: []byte("server.port=8443\n")}},
		{"lib only", map[string]string{"META-INF/MANIFEST.MF": "Manifest-Version: 1.0\n", "BOOT-INF/lib/spring-boot-2.7.18.jar": ""},
			Archive{SpringBoot: "2.7.18"}},
		{"war", map[string]string{"WEB-INF/lib/struts2-core-2.5.30.jar": "", "WEB-INF/lib/spring-webmvc-5.3.30.jar": "", "index.jsp": "", "a/b.JSPX": "", "c.html": ""},
			Archive{Struts2: "2.5.30", SpringMVC: "5.3.30", JSP: 2}},
		{"plain library", map[string]string{"META-INF/MANIFEST.MF": "Manifest-Version: 1.0\n", "org/x/A.class": ""}, Archive{}},
		{"manifest garbage", map[string]string{"META-INF/MANIFEST.MF": "Spring-Boot-Version: $(id)\n", "BOOT-INF/lib/spring-boot-3.0.0.jar": ""},
			Archive{SpringBoot: Unknown}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := zipBytes(t, tc.entries)
			got, err := InspectArchive(bytes.NewReader(b), int64(len(b)))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestArchiveLimits(t *testing.T) {
	if _, err := InspectArchive(bytes.NewReader([]byte("not a zip at all, not at all")), 28); !errors.Is(err, ErrArchive) {
		t.Errorf("not a zip: %v", err)
	}
	// An end of central directory record claiming a million entries.
	b := zipBytes(t, map[string]string{"a": "b"})
	i := bytes.LastIndex(b, []byte("PK\x05\x06"))
	binary.LittleEndian.PutUint32(b[i+12:], 64<<20)
	if _, err := InspectArchive(bytes.NewReader(b), int64(len(b))); !errors.Is(err, ErrArchiveTooLarge) {
		t.Errorf("huge directory: %v", err)
	}
}

// tree writes files below dir (a trailing '/' makes a folder).
func tree(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func scanner(t testing.TB, root string, lim Limits) *Scanner {
	t.Helper()
	fsys, err := rootfs.New(root)
	if err != nil {
		t.Fatal(err)
	}
	return &Scanner{FS: fsys, Limits: lim}
}

// TestScanWordPress: a WordPress-like tree is recognised with its
// version, and its scripts are counted.
func TestScanWordPress(t *testing.T) {
	root := t.TempDir()
	tree(t, root, map[string]string{
		"var/www/wp/wp-includes/version.php":           "<?php\n$wp_version = '6.4.2';\n$wp_db_version = 56657;\n",
		"var/www/wp/wp-includes/load.php":              "<?php",
		"var/www/wp/wp-login.php":                      "<?php",
		"var/www/wp/index.php":                         "<?php",
		"var/www/wp/wp-content/uploads/2024/a.php5":    "<?php",
		"var/www/wp/wp-content/uploads/2024/b.aspx":    "<%",
		"var/www/wp/wp-content/uploads/2024/c.jsp":     "<%",
		"var/www/wp/wp-content/uploads/2024/image.png": "",
		"var/www/wp/.git/hooks/x.php":                  "<?php",
		"var/www/wp/node_modules/x/y.php":              "<?php",
	})
	res, err := scanner(t, root, DefaultLimits).Scan(context.Background(), "/var/www/wp")
	if err != nil {
		t.Fatal(err)
	}
	want := Result{
		Frameworks: []Found{{Name: WordPress, Version: "6.4.2", Path: "/var/www/wp"}},
		Scripts:    Scripts{PHP: 5, JSP: 1, ASP: 1},
	}
	res.Entries = 0
	if d := cmp.Diff(want, res); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestScanFrameworks(t *testing.T) {
	root := t.TempDir()
	tree(t, root, map[string]string{
		"srv/a/ThinkPHP/ThinkPHP.php":                                              "define('THINK_VERSION', '3.2.3');",
		"srv/b/thinkphp/base.php":                                                  "define('THINK_VERSION', '5.0.24');",
		"srv/c/thinkphp/library/think/App.php":                                     "const VERSION = '5.1.41 LTS';",
		"srv/d/vendor/topthink/framework/src/think/App.php":                        "const VERSION = '6.1.4';",
		"srv/d/public/index.php":                                                   "<?php",
		"srv/e/vendor/laravel/framework/src/Illuminate/Foundation/Application.php": "const VERSION = '10.48.4';",
		"srv/f/core/lib/Drupal.php":                                                "const VERSION = '10.1.6';",
		"srv/f/index.php":                                                          "<?php",
		"srv/g/includes/bootstrap.inc":                                             "define('VERSION', '7.98');\ndefine('DRUPAL_CORE_COMPATIBILITY', '7.x');",
		"srv/g/modules/":                                                           "",
		"srv/h/administrator/":                                                     "",
		"srv/h/libraries/cms/version/version.php":                                  "const RELEASE = '3.6';\nconst DEV_LEVEL = '5';",
		"srv/i/libraries/classes/Config.php":                                       "$this->set('PMA_VERSION', '4.9.11');",
		"srv/j/libraries/":                                                         "",
		"srv/j/RELEASE-DATE-4.0.10":                                                "",
		"srv/k/wp-includes/":                                                       "",
		"srv/k/wp-login.php":                                                       "",
		"srv/l/manage.py":                                                          "import os  # no framework here",
		"srv/m/manage.py":                                                          "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'x')",
		"srv/m/.venv/lib/python3.11/site-packages/django/__init__.py":              "VERSION = (5, 0, 1, 'final', 0)\n",
		"srv/n/env/lib64/python3.9/site-packages/Flask-2.2.5.dist-info/METADATA": "Name: Flask\nVersion: 2.2.5\n",
		"srv/o/webapps/app/WEB-INF/lib/struts2-core-6.3.0.1.jar":                 "",
		"srv/o/webapps/app/WEB-INF/lib/spring-webmvc-6.1.0.jar":                  "",
		"srv/o/webapps/boot/BOOT-INF/lib/spring-boot-3.2.0.jar":                  "",
	})
	sc := scanner(t, root, DefaultLimits)
	var got []Found
	for _, d := range []string{"a", "b", "c", "d/public", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o"} {
		res, err := sc.Scan(context.Background(), "/srv/"+d)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, res.Frameworks...)
	}
	want := []Found{
		{ThinkPHP, "3.2.3", "/srv/a"}, {ThinkPHP, "5.0.24", "/srv/b"}, {ThinkPHP, "5.1.41 LTS", "/srv/c"},
		{ThinkPHP, "6.1.4", "/srv/d"}, {Laravel, "10.48.4", "/srv/e"}, {Drupal, "10.1.6", "/srv/f"}, {Drupal, "7.98", "/srv/g"},
		{Joomla, "3.6.5", "/srv/h"}, {PhpMyAdmin, "4.9.11", "/srv/i"}, {PhpMyAdmin, "4.0.10", "/srv/j"}, {WordPress, Unknown, "/srv/k"},
		{Django, "5.0.1", "/srv/m"}, {Flask, "2.2.5", "/srv/n/env"},
		{SpringMVC, "6.1.0", "/srv/o/webapps/app"}, {Struts2, "6.3.0.1", "/srv/o/webapps/app"}, {SpringBoot, "3.2.0", "/srv/o/webapps/boot"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

// TestScanBounds: links are not followed, marker files outside the
// root are not read, limits mark the result truncated, a missing root is
// said so.
func TestScanBounds(t *testing.T) {
	root := t.TempDir()
	tree(t, root, map[string]string{
		"outside/wp-includes/version.php": "$wp_version = '1.0';",
		"outside/secret.php":              "<?php",
		"www/site/index.php":              "<?php",
		"www/site/wp-login.php":           "<?php",
		"www/site/a/b/c/d/deep.php":       "<?php",
	})
	if err := os.Symlink("/outside/wp-includes", filepath.Join(root, "www/site/wp-includes")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/outside", filepath.Join(root, "www/site/linked")); err != nil {
		t.Fatal(err)
	}
	res, err := scanner(t, root, Limits{Depth: 2, Entries: 100, Archives: 1, ArchiveBytes: 1 << 20}).Scan(context.Background(), "/www/site")
	if err != nil {
		t.Fatal(err)
	}
	// wp-includes is a link: not a folder entry, so no WordPress marker
	// is looked at through it; deep.php is below the depth limit.
	if len(res.Frameworks) != 0 || res.Scripts.PHP != 2 || !res.Truncated {
		t.Errorf("got %+v", res)
	}
	res, err = scanner(t, root, Limits{Depth: 8, Entries: 3, Archives: 1, ArchiveBytes: 1 << 20}).Scan(context.Background(), "/www/site")
	if err != nil || !res.Truncated || res.Entries != 3 {
		t.Errorf("entry limit: %+v %v", res, err)
	}
	res, err = scanner(t, root, DefaultLimits).Scan(context.Background(), "/www/none")
	if err != nil || !res.Missing {
		t.Errorf("missing root: %+v %v", res, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := scanner(t, root, DefaultLimits).Scan(ctx, "/www/site"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled scan: %v", err)
	}
}

func FuzzVersionPHP(f *testing.F) {
	for _, s := range []string{
		"<?php\n$wp_version = '6.4.2';\n",
		"define('THINK_VERSION', '3.2.3');",
		"const VERSION = '10.48.4';",
		"public const MAJOR_VERSION = 4; public const MINOR_VERSION = 4; public const PATCH_VERSION = 0;",
		"$this->set('PMA_VERSION', '4.9.7');",
		"VERSION = (4, 2, 7, 'final', 0)",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, v := range []string{
			WordPressVersion(data), PHPDefine(data, "THINK_VERSION"), PHPConst(data, "VERSION"),
			JoomlaVersion(data), PMAVersion(data), DjangoVersion(data),
		} {
			if v != Unknown && CleanVersion(v) != v {
				t.Fatalf("version %q is not clean", v)
			}
		}
		_ = MetadataField(data, "Version")
		_ = SpringBootPort(data, false)
		_ = SpringBootPort(data, true)
	})
}

func FuzzManifest(f *testing.F) {
	f.Add([]byte("Manifest-Version: 1.0\r\nSpring-Boot-Version: 3.1.5\r\n\r\n"))
	f.Add([]byte("A: b\n c\n d\n\nName: x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m := Manifest(data)
		if len(m) > 256 {
			t.Fatalf("%d attributes", len(m))
		}
	})
}

func FuzzInspectArchive(f *testing.F) {
	f.Add(zipBytes(f, map[string]string{"META-INF/MANIFEST.MF": "Spring-Boot-Version: 3.1.5\n", "BOOT-INF/lib/spring-boot-3.1.5.jar": ""}))
	f.Add(zipBytes(f, map[string]string{"WEB-INF/lib/struts2-core-2.5.30.jar": "", "x.jsp": ""}))
	f.Add([]byte("PK\x05\x06" + strings.Repeat("\xff", 18)))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := InspectArchive(bytes.NewReader(data), int64(len(data)))
		if err != nil && !errors.Is(err, ErrArchive) && !errors.Is(err, ErrArchiveTooLarge) {
			t.Fatalf("error %v of no known kind", err)
		}
		if len(a.Properties) > maxMemberBytes || len(a.YAML) > maxMemberBytes {
			t.Fatalf("member read beyond the limit")
		}
	})
}

// BenchmarkScanLarge scans a root of 20,000 files in 400 folders (a
// WordPress with plugins and uploads), for the cost per entry.
func BenchmarkScanLarge(b *testing.B) {
	root := b.TempDir()
	files := map[string]string{"www/wp-includes/version.php": "<?php\n$wp_version = '6.4.2';\n", "www/wp-login.php": ""}
	for d := range 400 {
		for f := range 50 {
			ext := ".php"
			if f%3 == 0 {
				ext = ".png"
			}
			files[fmt.Sprintf("www/wp-content/plugins/p%d/f%d%s", d, f, ext)] = ""
		}
	}
	tree(b, root, files)
	sc := scanner(b, root, DefaultLimits)
	var res Result
	for b.Loop() {
		var err error
		if res, err = sc.Scan(context.Background(), "/www"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(res.Entries), "entries")
}
