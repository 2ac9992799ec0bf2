package websites

import (
	"archive/zip"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/agent/collect/internal/collecttest"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/tracker/trackertest"
	"github.com/vigilsec/vigil/internal/event"
)

// certPEM returns a self-signed certificate, the same bytes every time:
// an Ed25519 key from a seed made of the name, fixed dates and serial.
func certPEM(t testing.TB, cn string, dns []string, notAfter time.Time) []byte {
	t.Helper()
	seed := sha256.Sum256([]byte(cn))
	key := ed25519.NewKeyFromSeed(seed[:])
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(0x1234abcd),
		Subject:      pkix.Name{CommonName: cn, Organization: []string{"Example Org"}},
		Issuer:       pkix.Name{CommonName: cn},
		NotBefore:    time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     notAfter,
		DNSNames:     dns,
	}
	der, err := x509.CreateCertificate(nil, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// keyPEM is a private key block, as combined certificate files hold.
func keyPEM(t testing.TB, cn string) []byte {
	t.Helper()
	seed := sha256.Sum256([]byte(cn))
	der, err := x509.MarshalPKCS8PrivateKey(ed25519.NewKeyFromSeed(seed[:]))
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// zipEntry is one member of an archive built by buildZip.
type zipEntry struct{ name, body string }

// buildZip writes a JAR or WAR with fixed dates.
func buildZip(t testing.TB, file string, entries []zipEntry) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	writeFile(t, file, buf.Bytes())
}

func writeFile(t testing.TB, file string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// springBootJar is a Spring Boot fat JAR of that version.
func springBootJar(t testing.TB, file, version string, manifest bool, extra ...zipEntry) {
	t.Helper()
	mf := "Manifest-Version: 1.0\r\nMain-Class: org.springframework.boot.loader.JarLauncher\r\nStart-Class: com.example.demo.DemoApplication\r\n"
	if manifest {
		mf += "Spring-Boot-Version: " + version + "\r\n"
	}
	entries := []zipEntry{
		{"META-INF/MANIFEST.MF", mf + "\r\n"},
		{"org/springframework/boot/loader/JarLauncher.class", "\xca\xfe\xba\xbe"},
		{"BOOT-INF/classes/com/example/demo/DemoApplication.class", "\xca\xfe\xba\xbe"},
		{"BOOT-INF/lib/spring-boot-autoconfigure-" + version + ".jar", "PK"},
		{"BOOT-INF/lib/spring-boot-" + version + ".jar", "PK"},
		{"BOOT-INF/lib/spring-webmvc-6.0.13.jar", "PK"},
	}
	buildZip(t, file, append(entries, extra...))
}

// fixture copies testdata/root and adds what is binary or generated:
// certificates, JARs and WARs.
func fixture(t testing.TB) string {
	t.Helper()
	root := t.TempDir()
	trackertest.CopyTree(t, "testdata/root", root)
	at := func(p string) string { return filepath.Join(root, p) }
	writeFile(t, at("etc/ssl/certs/default.pem"), certPEM(t, "default.example.com", nil, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	writeFile(t, at("etc/ssl/certs/blog.pem"), append(certPEM(t, "blog.example.com", []string{"blog.example.com", "www.blog.example.com"},
		time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)), keyPEM(t, "blog.example.com")...))
	writeFile(t, at("etc/ssl/certs/shop.pem"), certPEM(t, "shop.example.com", []string{"shop.example.com"}, time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC)))
	writeFile(t, at("var/lib/tomcat9/conf/localhost.crt"), certPEM(t, "localhost", []string{"localhost"}, time.Date(2034, 1, 1, 0, 0, 0, 0, time.UTC)))
	springBootJar(t, at("opt/demo/demo.jar"), "3.1.5", true)
	springBootJar(t, at("opt/orders/orders.jar"), "2.7.18", false,
		zipEntry{"BOOT-INF/classes/application.yml", "spring:\n  application:\n    name: orders\nserver:\n  port: 8081 # public\n"})
	buildZip(t, at("var/lib/tomcat9/webapps/shop.war"), []zipEntry{
		{"META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\n\r\n"},
		{"index.jsp", "<html/>"},
		{"WEB-INF/views/cart.jsp", "<html/>"},
		{"WEB-INF/lib/spring-webmvc-5.3.30.jar", "PK"},
		{"WEB-INF/lib/spring-boot-2.7.18.jar", "PK"},
	})
	return root
}

// collect runs the collector on root and checks the set as the runtime
// does.
func collect(t *testing.T, root string) ([]event.Asset, *Collector) {
	t.Helper()
	c := New()
	assets := collecttest.Assets(t, c, plugin.Env{Root: root})
	return assets, c
}

// byKey finds an item.
func byKey(t *testing.T, assets []event.Asset, key string) event.Asset {
	t.Helper()
	for _, a := range assets {
		if a.Key == key {
			return a
		}
	}
	var keys []string
	for _, a := range assets {
		keys = append(keys, a.Key)
	}
	t.Fatalf("no item %q among:\n%s", key, strings.Join(keys, "\n"))
	return event.Asset{}
}

// frameworks returns the name@version@path of an item's frameworks.
func frameworks(a event.Asset) []string {
	v, _ := event.Event(a.Fields).Get("vigil.website.frameworks")
	var out []string
	for _, f := range v.([]any) {
		m := f.(map[string]any)
		out = append(out, m["name"].(string)+"@"+m["version"].(string)+"@"+m["path"].(string))
	}
	return out
}

func TestFixtureGolden(t *testing.T) {
	assets, c := collect(t, fixture(t))
	collecttest.Golden(t, "testdata/golden/root.json", assets)
	counters := c.Counters()
	// The second shop server and its twin are fine; the stream server
	// and the container's nginx are not sites; the Internal service's
	// unresolved port is no problem either. What is counted: the nginx
	// in a container.
	if counters["container_servers"] != 1 {
		t.Errorf("container_servers = %d, want 1", counters["container_servers"])
	}
}

// TestFrameworks checks the frameworks of the fixture's sites, among
// them the WordPress tree and the Spring Boot JAR.
func TestFrameworks(t *testing.T) {
	assets, _ := collect(t, fixture(t))
	for _, tc := range []struct {
		key  string
		want []string
	}{
		{"nginx:/etc/nginx/nginx.conf#blog.example.com@443", []string{"WordPress@6.4.2@/var/www/blog"}},
		{"nginx:/etc/nginx/nginx.conf#api.example.com@8443", []string{"Laravel@10.48.4@/var/www/laravel"}},
		{"nginx:/etc/nginx/nginx.conf#pyapp.example.com@8443", []string{"Django@4.2.7@/srv/pyapp", "Flask@3.0.0@/srv/pyapp/venv"}},
		{"nginx:/etc/nginx/nginx.conf#shop.example.com@8080", []string{"ThinkPHP@3.2.3@/var/www/shop"}},
		{"apache:/etc/apache2/apache2.conf#shop.example.com@80", []string{"ThinkPHP@3.2.3@/var/www/shop", "phpMyAdmin@5.2.1@/usr/share/phpmyadmin"}},
		{"apache:/etc/apache2/apache2.conf#cms.example.com@80", []string{"Drupal@10.1.6@/var/www/cms", "phpMyAdmin@5.2.1@/usr/share/phpmyadmin"}},
		{"apache:/etc/apache2/apache2.conf#joomla.example.com@80", []string{"Joomla@4.4.0@/var/www/joomla", "phpMyAdmin@5.2.1@/usr/share/phpmyadmin"}},
		{"spring-boot:/opt/demo/demo.jar#*@9090", []string{"Spring Boot@3.1.5@/opt/demo/demo.jar", "Spring MVC@6.0.13@/opt/demo/demo.jar"}},
		{"spring-boot:/opt/orders/orders.jar#*@8081", []string{"Spring Boot@2.7.18@/opt/orders/orders.jar", "Spring MVC@6.0.13@/opt/orders/orders.jar"}},
		{"tomcat:/var/lib/tomcat9/conf/server.xml#localhost@8009,8080,8443", []string{
			"Spring Boot@2.7.18@/var/lib/tomcat9/webapps/shop.war", "Spring MVC@5.3.30@/var/lib/tomcat9/webapps/shop.war",
			"Struts2@2.5.30@/var/lib/tomcat9/webapps/struts-app"}},
	} {
		t.Run(tc.key, func(t *testing.T) {
			got := frameworks(byKey(t, assets, tc.key))
			slices.Sort(got)
			slices.Sort(tc.want)
			if !slices.Equal(got, tc.want) {
				t.Errorf("frameworks %q, want %q", got, tc.want)
			}
		})
	}
}

// TestKeysSurviveEdits: lines added above a site change its line, not
// its key.
func TestKeysSurviveEdits(t *testing.T) {
	root := fixture(t)
	before, _ := collect(t, root)
	for _, f := range []string{"etc/nginx/sites-available/blog", "etc/apache2/sites-available/shop.conf", "var/lib/tomcat9/conf/server.xml"} {
		p := filepath.Join(root, f)
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		head := "# edited\n# again\n\n"
		if strings.HasSuffix(f, ".xml") {
			head = ""
			data = bytes.Replace(data, []byte("<Server "), []byte("<!-- edited -->\n\n\n<Server "), 1)
		}
		if err := os.WriteFile(p, append([]byte(head), data...), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	after, _ := collect(t, root)
	keys := func(as []event.Asset) []string {
		var out []string
		for _, a := range as {
			out = append(out, a.Key)
		}
		return out
	}
	if !slices.Equal(keys(before), keys(after)) {
		t.Fatalf("keys changed:\n%v\n%v", keys(before), keys(after))
	}
	line := func(as []event.Asset, key string) any {
		v, _ := event.Event(byKey(t, as, key).Fields).Get("vigil.website.line")
		return v
	}
	for _, key := range []string{"nginx:/etc/nginx/nginx.conf#blog.example.com@443", "apache:/etc/apache2/apache2.conf#shop.example.com@80",
		"tomcat:/var/lib/tomcat9/conf/server.xml#localhost@8009,8080,8443"} {
		if b, a := line(before, key), line(after, key); b == a {
			t.Errorf("%s: line %v did not move", key, b)
		}
	}
}

// TestDuplicateSites: two server blocks with the same name and port
// are told apart by their order.
func TestDuplicateSites(t *testing.T) {
	assets, _ := collect(t, fixture(t))
	first := byKey(t, assets, "nginx:/etc/nginx/nginx.conf#shop.example.com@8080")
	second := byKey(t, assets, "nginx:/etc/nginx/nginx.conf#shop.example.com@8080~2")
	if f := event.Event(first.Fields).String("file.path"); f != "/etc/nginx/sites-enabled/shop" {
		t.Errorf("first shop site in %s", f)
	}
	if f := event.Event(second.Fields).String("file.path"); f != "/etc/nginx/sites-enabled/shop-copy" {
		t.Errorf("second shop site in %s", f)
	}
}

// TestCertificate checks the TLS fields of the blog (a combined
// certificate and key file) and the site whose certificate is missing.
func TestCertificate(t *testing.T) {
	assets, _ := collect(t, fixture(t))
	blog := event.Event(byKey(t, assets, "nginx:/etc/nginx/nginx.conf#blog.example.com@443").Fields)
	for path, want := range map[string]string{
		"tls.server.x509.subject.common_name":       "blog.example.com",
		"tls.server.x509.issuer.distinguished_name": "CN=blog.example.com,O=Example Org",
		"tls.server.x509.not_after":                 "2025-03-01T12:00:00Z",
	} {
		if got := blog.String(path); got != want {
			t.Errorf("%s = %q, want %q", path, got, want)
		}
	}
	py := event.Event(byKey(t, assets, "nginx:/etc/nginx/nginx.conf#pyapp.example.com@8443").Fields)
	if _, ok := py.Get("tls.server.x509"); ok {
		t.Errorf("a missing certificate gave x509 fields")
	}
	certs, _ := py.Get("vigil.website.tls.certificates")
	if cs, ok := certs.([]any); !ok || len(cs) != 1 || cs[0].(map[string]any)["status"] != CertMissing {
		t.Errorf("certificates %v, want one missing", certs)
	}
}

// TestNoServers: a root without any web server gives an empty set, not
// an error.
func TestNoServers(t *testing.T) {
	assets, _ := collect(t, t.TempDir())
	if len(assets) != 0 {
		t.Errorf("got %d items from an empty root", len(assets))
	}
}

// TestBrokenConfigs: configurations that do not parse give what was
// read before the error, counted, never a failure of the run.
func TestBrokenConfigs(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "etc/nginx/nginx.conf"), []byte("http {\n server { listen 81; server_name ok.example.com; }\n include broken.conf;\n server { listen 82; server_name \"unterminated; }\n"))
	writeFile(t, filepath.Join(root, "etc/nginx/broken.conf"), []byte("server { listen 83; server_name \"x\"y; }\n"))
	writeFile(t, filepath.Join(root, "etc/apache2/apache2.conf"), []byte("Listen 80\n<VirtualHost *:80>\nServerName a.example.com\n</Directory>\nInclude missing.conf\n"))
	assets, c := collect(t, root)
	byKey(t, assets, "nginx:/etc/nginx/nginx.conf#ok.example.com@81")
	byKey(t, assets, "apache:/etc/apache2/apache2.conf#a.example.com@80")
	if n := c.Counters()["malformed_configs"]; n < 3 {
		t.Errorf("malformed_configs = %d, want at least 3", n)
	}
}
