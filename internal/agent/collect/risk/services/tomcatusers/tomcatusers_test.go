package tomcatusers

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// requireEnv, set to 1, makes the test fail rather than skip when
// Tomcat is not installed.
const requireEnv = "VIGIL_REQUIRE_MIDDLEWARE"

func TestParseUsers(t *testing.T) {
	data, err := os.ReadFile("testdata/tomcat-users.xml")
	if err != nil {
		t.Fatal(err)
	}
	users, err := ParseUsers(data)
	if err != nil {
		t.Fatal(err)
	}
	want := []User{
		{Name: "admin", Password: "admin", HasPassword: true, Roles: []string{"admin-gui", "manager-gui"}, Line: 11},
		{Name: "robot", Password: "s3cret", HasPassword: true, Roles: []string{"manager-jmx", "manager-script"}, Line: 12},
		{Name: "legacy", Password: "", HasPassword: true, Roles: []string{"manager"}, Line: 15},
		{Name: "viewer", Password: "tomcat", HasPassword: true, Roles: []string{"tomcat"}, Line: 16},
		{Name: "nopass", Roles: []string{"manager-gui"}, Line: 17},
	}
	if d := cmp.Diff(want, users); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if !users[1].HasRole("manager-script") || users[3].HasRole("manager-gui") {
		t.Error("HasRole")
	}
}

func TestParseUsersErrors(t *testing.T) {
	for name, doc := range map[string]string{
		"placeholder left in": `<tomcat-users><user username="admin" password="<must-be-changed>" roles="manager-gui"/></tomcat-users>`,
		"not closed":          `<tomcat-users><user username="a"/>`,
		"other root":          `<Server/>`,
		"encoding":            `<?xml version="1.0" encoding="EBCDIC"?><tomcat-users/>`,
	} {
		if _, err := ParseUsers([]byte(doc)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: error %v, want ErrMalformed", name, err)
		}
	}
	latin := append([]byte(`<?xml version="1.0" encoding="ISO-8859-1"?><tomcat-users><user username="j`), 0xfc)
	latin = append(latin, `rg" password="x" roles="admin"/></tomcat-users>`...)
	users, err := ParseUsers(latin)
	if err != nil || len(users) != 1 || users[0].Name != "jürg" {
		t.Errorf("ISO-8859-1: %+v, %v", users, err)
	}
}

func TestParseServer(t *testing.T) {
	data, err := os.ReadFile("testdata/server.xml")
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseServer(data)
	if err != nil {
		t.Fatal(err)
	}
	wantDB := map[string]string{"UserDatabase": "conf/tomcat-users.xml", "Other": "${catalina.base}/conf/other-users.xml"}
	if d := cmp.Diff(wantDB, s.Databases); d != "" {
		t.Errorf("databases (-want +got):\n%s", d)
	}
	if len(s.Realms) != 2 {
		t.Fatalf("realms %+v", s.Realms)
	}
	h := s.Realms[0].Handler
	if s.Realms[0].Resource != "UserDatabase" || h == nil || h.Class != ClassNested || len(h.Nested) != 2 ||
		h.Nested[0].Algorithm != "SHA-256" || h.Nested[1].Class != ClassSecretKey {
		t.Errorf("first realm %+v %+v", s.Realms[0], h)
	}
	if got := h.Describe(); got != "NestedCredentialHandler(MessageDigestCredentialHandler SHA-256, SecretKeyCredentialHandler PBKDF2WithHmacSHA512)" {
		t.Errorf("Describe %q", got)
	}
	// The handler after the second realm is the Host's child, not the
	// realm's: the realm keeps plain text.
	if s.Realms[1].Resource != "Other" || s.Realms[1].Handler != nil {
		t.Errorf("second realm %+v", s.Realms[1])
	}
}

// vector is one stored credential made by Tomcat's digest.sh.
type vector struct {
	class, algorithm, encoding, password, stored string
}

func readVectors(t *testing.T) []vector {
	data, err := os.ReadFile("testdata/digests.tsv")
	if err != nil {
		t.Fatal(err)
	}
	var out []vector
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 5 {
			t.Fatalf("line %q", sc.Text())
		}
		out = append(out, vector{"org.apache.catalina.realm." + f[0], f[1], f[2], f[3], f[4]})
	}
	return out
}

func check(t *testing.T, v vector) {
	t.Helper()
	h := &Handler{Class: v.class, Algorithm: v.algorithm, Encoding: v.encoding}
	ok, err := Matches(h, v.password, v.stored)
	if err != nil || !ok {
		t.Errorf("%s %s %q: %v, %v", v.class, v.algorithm, v.stored, ok, err)
	}
	for _, wrong := range []string{"", v.password + "x", strings.ToUpper(v.password)} {
		if ok, err := Matches(h, wrong, v.stored); ok || err != nil {
			t.Errorf("%s %s %q: wrong password %q matches: %v, %v", v.class, v.algorithm, v.stored, wrong, ok, err)
		}
	}
	nested := &Handler{Class: ClassNested, Nested: []*Handler{{Class: ClassMessageDigest, Algorithm: "SHA3-256"}, h}}
	if ok, err := Matches(nested, v.password, v.stored); !ok || err != nil {
		t.Errorf("nested: %v, %v", ok, err)
	}
}

// TestMatchesVectors checks the stored credentials of testdata/digests.tsv,
// made once with Tomcat 10's digest.sh (and openssl for the {SHA}
// forms).
func TestMatchesVectors(t *testing.T) {
	for _, v := range readVectors(t) {
		check(t, v)
	}
}

// TestMatchesDigestTool makes new credentials with this host's Tomcat
// (bin/digest.sh, random salts) and checks them.
func TestMatchesDigestTool(t *testing.T) {
	home := "/usr/share/tomcat10"
	tool := filepath.Join(home, "bin/digest.sh")
	if _, err := os.Stat(tool); err != nil {
		if os.Getenv(requireEnv) == "1" {
			t.Fatalf("%s=1 but Tomcat 10 is not installed: %v", requireEnv, err)
		}
		t.Skip("Tomcat 10 (tomcat10) is not installed")
	}
	for _, spec := range []struct {
		class, alg string
		args       []string
	}{
		{ClassMessageDigest, "SHA-256", []string{"-s", "0"}},
		{ClassMessageDigest, "SHA-384", []string{"-s", "12", "-i", "7"}},
		{ClassMessageDigest, "MD5", []string{"-s", "4"}},
		{ClassSecretKey, "PBKDF2WithHmacSHA256", []string{"-i", "100", "-k", "128"}},
		{ClassSecretKey, "PBKDF2WithHmacSHA1", []string{"-i", "50"}},
	} {
		for _, pw := range []string{"P@ssw0rd!"} {
			args := append([]string{"-a", spec.alg, "-h", spec.class}, spec.args...)
			cmd := exec.Command(tool, append(args, pw)...)
			cmd.Env = append(os.Environ(), "CATALINA_HOME="+home)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("digest.sh %v: %v", args, err)
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			stored, ok := strings.CutPrefix(lines[len(lines)-1], pw+":")
			if !ok {
				t.Fatalf("digest.sh printed %q", out)
			}
			check(t, vector{spec.class, spec.alg, "", pw, stored})
		}
	}
}

func TestMatchesPlainAndErrors(t *testing.T) {
	if ok, _ := Matches(nil, "tomcat", "tomcat"); !ok {
		t.Error("plain text")
	}
	if ok, _ := Matches(&Handler{Class: ClassMessageDigest}, "", ""); !ok {
		t.Error("empty plain text")
	}
	if ok, _ := Matches(nil, "tomcat", "tomcat "); ok {
		t.Error("plain text differs")
	}
	if _, err := Matches(&Handler{Class: "com.example.Custom"}, "a", "b"); !errors.Is(err, ErrUnsupported) {
		t.Errorf("custom handler: %v", err)
	}
	if _, err := Matches(&Handler{Class: ClassMessageDigest, Algorithm: "MD2"}, "a", "b"); !errors.Is(err, ErrUnsupported) {
		t.Errorf("MD2: %v", err)
	}
	if _, err := Matches(&Handler{Class: ClassSecretKey}, "a", "00$99999999$00"); !errors.Is(err, ErrTooCostly) {
		t.Errorf("iterations: %v", err)
	}
	for _, stored := range []string{"zz$1$00", "00$x$00", "00$0$00", "{SSHA}short", "{SSHA}!!!"} {
		if ok, err := Matches(&Handler{Class: ClassMessageDigest, Algorithm: "SHA"}, "a", stored); ok || err != nil {
			t.Errorf("%q: %v, %v", stored, ok, err)
		}
	}
}

// BenchmarkMatches measures one comparison of a candidate with a stored
// credential: what a dictionary of N words costs per Tomcat user.
func BenchmarkMatches(b *testing.B) {
	for _, v := range []vector{
		{ClassMessageDigest, "SHA-256", "", "x", "29e911498de7cc05279041cee1488e5a$1$6fac5086982f8962a82e1129f9758901860f97576420b20fbdcfba00817afa4f"},
		{ClassSecretKey, "PBKDF2WithHmacSHA1", "", "x", "e0a5b165013ed2b2cbc3202e765fb6d5c0a43c7bc657940d118dc8db45084489$20000$28262e189c8c04c494178a359ca30773735a59856876a8c36a8def6c581cb47d"},
	} {
		b.Run(v.class[strings.LastIndexByte(v.class, '.')+1:], func(b *testing.B) {
			h := &Handler{Class: v.class, Algorithm: v.algorithm}
			for b.Loop() {
				if ok, err := Matches(h, v.password, v.stored); ok || err != nil {
					b.Fatal(ok, err)
				}
			}
		})
	}
}
