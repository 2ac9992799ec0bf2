package services

import (
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/agent/collect/app/middleware"
)

func TestMask(t *testing.T) {
	for pw, want := range map[string]string{
		"": "", "a": "*", "abc": "***", "pass123": "p*****3", "tomcat": "t****t", "pässwörd": "p******d",
	} {
		if got := Mask(pw); got != want {
			t.Errorf("Mask(%q) = %q, want %q", pw, got, want)
		}
	}
}

func TestCandidates(t *testing.T) {
	s := DefaultSettings()
	s.MaxAttempts = 6
	s.Words = []string{"Corp2024", "redis"}
	r := &run{c: New(), s: s}
	r.c.Words = func() []string { return []string{"123456", "", "foobared", "letmein", "dragon"} }
	got := r.candidates(6, []candidate{{"", ""}}, fromWords(SourceDefault, "foobared", "redis"))
	want := []candidate{{"", ""}, {"foobared", SourceDefault}, {"redis", SourceDefault}, {"Corp2024", SourcePolicy},
		{"123456", SourceBuiltin}, {"letmein", SourceBuiltin}}
	if d := cmp.Diff(want, got, cmp.AllowUnexported(candidate{})); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	r.c.Words, r.s.Words = nil, nil
	if got := r.candidates(3); len(got) != 0 {
		t.Errorf("no source: %v", got)
	}
	for c, want := range map[candidate]string{
		{"", ""}: TypeEmptyPassword, {"redis", SourceDefault}: TypeDefaultPassword,
		{"x", SourceBuiltin}: TypeDictionaryPassword, {"bob", SourceAccount}: TypeDictionaryPassword,
		{"y", SourcePolicy}: TypeDictionaryPassword,
	} {
		if got := c.typeOf(); got != want {
			t.Errorf("%v: %s, want %s", c, got, want)
		}
	}
}

func TestLoopbackTarget(t *testing.T) {
	ap := netip.MustParseAddrPort
	tests := []struct {
		name   string
		listen []string
		port   uint16
		want   string
	}{
		{"loopback", []string{"127.0.0.1:6379"}, 6379, "127.0.0.1:6379"},
		{"alias", []string{"127.0.0.2:11211"}, 11211, "127.0.0.2:11211"},
		{"wildcard v4", []string{"0.0.0.0:3306"}, 3306, "127.0.0.1:3306"},
		{"wildcard v6", []string{"[::]:9200"}, 9200, "[::1]:9200"},
		{"v6 loopback", []string{"[::1]:5432"}, 5432, "[::1]:5432"},
		{"mapped", []string{"[::ffff:127.0.0.1]:80"}, 80, "127.0.0.1:80"},
		{"prefers 127.0.0.1", []string{"[::]:6379", "10.0.0.5:6379", "127.0.0.1:6379"}, 6379, "127.0.0.1:6379"},
		{"other address only", []string{"10.0.0.5:6379", "[2001:db8::1]:6379"}, 6379, ""},
		{"other port", []string{"127.0.0.1:6380"}, 6379, ""},
	}
	for _, tc := range tests {
		var addrs []netip.AddrPort
		for _, s := range tc.listen {
			addrs = append(addrs, ap(s))
		}
		got, ok := loopbackTarget(addrs, tc.port)
		if tc.want == "" {
			if ok {
				t.Errorf("%s: %s, want none", tc.name, got)
			}
			continue
		}
		if !ok || got.String() != tc.want {
			t.Errorf("%s: %s %v, want %s", tc.name, got, ok, tc.want)
		}
		if !isLoopback(got.Addr()) {
			t.Errorf("%s: %s is no loopback address", tc.name, got)
		}
	}
	addrs := []netip.AddrPort{ap("0.0.0.0:9300"), ap("0.0.0.0:9200"), ap("127.0.0.1:9201")}
	if got := ports(sortAddrs(addrs), []uint16{9200}, 9300); !cmp.Equal(got, []uint16{9200, 9201}) {
		t.Errorf("ports %v", got)
	}
	if got := exposed(addrs); len(got) != 2 {
		t.Errorf("exposed %v", got)
	}
}

func TestLoopbackOnlyDial(t *testing.T) {
	for _, addr := range []string{"192.0.2.1:80", "[2001:db8::1]:80", "0.0.0.0:80", "localhost:80"} {
		if err := loopbackOnly("tcp", addr, nil); err == nil {
			t.Errorf("%s allowed", addr)
		}
	}
	for _, addr := range []string{"127.0.0.1:80", "127.3.4.5:80", "[::1]:80"} {
		if err := loopbackOnly("tcp", addr, nil); err != nil {
			t.Errorf("%s refused: %v", addr, err)
		}
	}
	c := New()
	p := c.newProber(DefaultSettings())
	if _, err := p.dial(t.Context(), netip.MustParseAddrPort("192.0.2.1:80")); !errors.Is(err, errNotLoopback) {
		t.Errorf("dial to another address: %v", err)
	}
}

func TestPacing(t *testing.T) {
	s := DefaultSettings()
	s.Rate, s.MaxAttempts = 20, 5
	p := New().newProber(s)
	start := time.Now()
	n := 0
	for p.attempt(t.Context()) == nil {
		n++
	}
	if n != 5 {
		t.Errorf("%d attempts, want max_attempts 5", n)
	}
	// Four waits of 1/20 s at least: pacing is a lower bound.
	if el := time.Since(start); el < 4*50*time.Millisecond {
		t.Errorf("5 attempts at 20/s took %s", el)
	}
}

func TestSettings(t *testing.T) {
	s, err := ParseSettings(nil)
	if err != nil || !cmp.Equal(s, DefaultSettings()) {
		t.Fatalf("defaults: %+v %v", s, err)
	}
	s, err = ParseSettings(json.RawMessage(`{"rate": 0.5, "max_attempts": 20, "timeout": "2s", "words": ["Corp2024"], "checks": {"ssh": false}}`))
	if err != nil {
		t.Fatal(err)
	}
	if s.Rate != 0.5 || s.MaxAttempts != 20 || time.Duration(s.Timeout) != 2*time.Second || s.Checks.SSH || !s.Checks.Redis {
		t.Errorf("%+v", s)
	}
	for _, bad := range []string{
		`{"rate": 0}`, `{"rate": -1}`, `{"rate": 1000}`, `{"max_attempts": 0}`, `{"max_attempts": 1000}`,
		`{"timeout": "1ms"}`, `{"timeout": 5}`, `{"words": [""]}`, `{"checks": {"telnet": false}}`,
		`{"unknown": 1}`, `{"rate": "2"}`, `{} {}`, `{"words": ["a\u0000b"]}`,
	} {
		if _, err := ParseSettings(json.RawMessage(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		} else if !strings.HasPrefix(err.Error(), Name+": ") {
			t.Errorf("%s: error %q does not name the collector", bad, err)
		}
	}
	c := New()
	if err := c.ApplySettings(json.RawMessage(`{"rate": 3}`)); err != nil {
		t.Fatal(err)
	}
	if err := c.ApplySettings(json.RawMessage(`{"rate": "x"}`)); err == nil {
		t.Fatal("bad settings applied")
	}
	if c.settings.Rate != 3 {
		t.Errorf("a refused change replaced the settings: %+v", c.settings)
	}
}

func TestParseMemcachedArgs(t *testing.T) {
	tests := []struct {
		args []string
		want MemcachedOptions
	}{
		{[]string{"/usr/bin/memcached", "-m", "64", "-p", "11211", "-u", "memcache", "-l", "127.0.0.1", "-P", "/run/m.pid"},
			MemcachedOptions{Listen: []string{"127.0.0.1"}, TCPPort: "11211"}},
		{[]string{"memcached", "-S", "-l0.0.0.0,::", "-U0"}, MemcachedOptions{SASL: true, Listen: []string{"0.0.0.0,::"}, UDPPort: "0"}},
		{[]string{"memcached", "--enable-sasl", "--listen=10.0.0.1", "--port", "1"}, MemcachedOptions{SASL: true, Listen: []string{"10.0.0.1"}, TCPPort: "1"}},
		{[]string{"memcached", "-vS"}, MemcachedOptions{SASL: true}},
		{[]string{"memcached", "-vv", "-l"}, MemcachedOptions{}},
		{[]string{"memcached", "--", "-S"}, MemcachedOptions{}},
	}
	for _, tc := range tests {
		if got := ParseMemcachedArgs(tc.args); !cmp.Equal(got, tc.want) {
			t.Errorf("%q: %+v, want %+v", tc.args, got, tc.want)
		}
	}
}

func FuzzParseMemcachedArgs(f *testing.F) {
	f.Add("memcached\x00-S\x00-l\x000.0.0.0")
	f.Add("memcached\x00--listen=\x00-vS\x00--")
	f.Fuzz(func(t *testing.T, cmdline string) {
		args := strings.Split(cmdline, "\x00")
		o := ParseMemcachedArgs(args)
		if len(o.Listen) > len(args) {
			t.Fatalf("%d listen values of %d arguments", len(o.Listen), len(args))
		}
	})
}

func TestClassify(t *testing.T) {
	tests := []struct {
		exe, comm string
		args      []string
		product   string
		name      string
	}{
		{"/usr/bin/redis-check-rdb", "redis-server", []string{"/usr/bin/redis-server", "127.0.0.1:6379"}, ProductRedis, ProductRedis},
		{"/usr/sbin/mariadbd", "mariadbd", []string{"/usr/sbin/mariadbd"}, ProductMySQL, ProductMariaDB},
		{"/usr/sbin/mysqld", "mysqld", nil, ProductMySQL, ProductMySQL},
		{"/usr/lib/postgresql/15/bin/postgres", "postgres", nil, ProductPostgreSQL, ProductPostgreSQL},
		{"/usr/sbin/sshd", "sshd", []string{"sshd:", "/usr/sbin/sshd", "-D", "[listener]"}, ProductSSH, ProductSSH},
		{"/usr/lib/jvm/bin/java", "java", []string{"java", "-Dcatalina.base=/var/lib/tomcat10", "org.apache.catalina.startup.Bootstrap", "start"}, ProductTomcat, ProductTomcat},
		{"/usr/lib/jvm/bin/java", "java", []string{"java", "-cp", "x", "org.opensearch.bootstrap.OpenSearch"}, ProductElasticsearch, ProductOpenSearch},
		{"/opt/mongo/bin/mongod", "mongod", nil, ProductMongoDB, ProductMongoDB},
		{"/usr/bin/memcached", "memcached", nil, ProductMemcached, ProductMemcached},
		{"/usr/bin/python3", "python3", []string{"python3", "redis-server"}, "", ""},
		{"/usr/lib/jvm/bin/java", "java", []string{"java", "-jar", "app.jar"}, "", ""},
	}
	for _, tc := range tests {
		p := &middleware.Process{Executable: tc.exe, Name: tc.comm, Args: tc.args}
		prod, name, _ := classify(p, middleware.NormalizeArgs(tc.args))
		if prod != tc.product || name != tc.name {
			t.Errorf("%s %q: %q %q, want %q %q", tc.exe, tc.args, prod, name, tc.product, tc.name)
		}
	}
}

func TestFindingAsset(t *testing.T) {
	f := finding{key: "redis:127.0.0.1:6379:dictionary", target: ProductRedis, typ: TypeDictionaryPassword,
		severity: SeverityMedium, reason: "r", evidence: strings.Repeat("é", 2000), account: "default",
		addr: netip.MustParseAddrPort("127.0.0.1:6379"), pid: 42, exe: "/usr/bin/redis-check-rdb", listen: []string{"tcp/127.0.0.1:6379"}}
	f.setPassword(candidate{"letmein", SourceBuiltin})
	a := f.asset()
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(a)
	if strings.Contains(string(b), "letmein") {
		t.Fatalf("the password is in the item: %s", b)
	}
	for _, want := range []string{`"hint":"l*****n"`, `"length":7`, `"source":"builtin"`, `"pid":42`, `"port":6379`, `"account":"default"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("no %s in %s", want, b)
		}
	}
}

func TestMongoAuthorization(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("open.conf", "net:\n  bindIp: 0.0.0.0\n")
	write("off.conf", "security:\n  authorization: disabled\n")
	write("on.conf", "security:\n  authorization: enabled\n")
	tests := []struct {
		args    []string
		enabled bool
		why     string
	}{
		{[]string{"mongod"}, false, "no --auth and no configuration file"},
		{[]string{"mongod", "--auth"}, true, ""},
		{[]string{"mongod", "--noauth", "--config", "/on.conf"}, false, "--noauth"},
		{[]string{"mongod", "--keyFile", "/k"}, true, ""},
		{[]string{"mongod", "--config", "/open.conf"}, false, "/open.conf does not set security.authorization"},
		{[]string{"mongod", "-f", "/off.conf"}, false, "/off.conf:2: security.authorization: disabled"},
		{[]string{"mongod", "--config=/on.conf"}, true, ""},
	}
	for _, tc := range tests {
		in := &instance{args: tc.args, cwd: "/", files: view{top: dir}}
		enabled, why, err := mongoAuthorization(in)
		if err != nil || enabled != tc.enabled || !strings.Contains(why, tc.why) {
			t.Errorf("%q: %v %q %v", tc.args, enabled, why, err)
		}
	}
	if _, _, err := mongoAuthorization(&instance{args: []string{"mongod", "-f", "/none.conf"}, files: view{top: dir}}); err == nil {
		t.Error("a missing configuration file is no error")
	}
}
