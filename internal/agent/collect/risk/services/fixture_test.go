package services_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/agent/collect/internal/collecttest"
	"github.com/vigilsec/vigil/internal/agent/collect/risk/services"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/event"
)

// noSecrets fails the test when any of the passwords appears anywhere
// in the items.
func noSecrets(t *testing.T, assets []event.Asset, secrets ...string) {
	t.Helper()
	b, err := json.Marshal(assets)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(string(b), s) {
			t.Errorf("password %q appears in the items", s)
		}
	}
}

// byKey indexes items by key.
func byKey(assets []event.Asset) map[string]event.Event {
	m := map[string]event.Event{}
	for _, a := range assets {
		m[a.Key] = event.Event(a.Fields)
	}
	return m
}

// TestFixtureRoot checks the files of a fixture tree: sshd_config with
// Include and Match, Debian's PostgreSQL clusters, and Tomcat's user
// databases in plain text and digests. No service runs there, so none is
// probed.
func TestFixtureRoot(t *testing.T) {
	c := services.New()
	c.Words = func() []string { return []string{"123456", "letmein", "dragon"} }
	assets := collecttest.Assets(t, c, plugin.Env{Root: "testdata/root"})
	collecttest.Golden(t, "testdata/golden/root.json", assets)
	noSecrets(t, assets, "letmein", "dragon", "Vq7#pL2!xZ9w", "s3cret!")

	got := byKey(assets)
	want := map[string][2]string{ // key: type, severity
		"ssh:/etc/ssh/sshd_config:permit_root_login":                                                         {services.TypePermitRootLogin, services.SeverityMedium},
		"ssh:/etc/ssh/sshd_config:permit_root_login:Match Address 10.0.0.0/8":                                {services.TypePermitRootLogin, services.SeverityHigh},
		"ssh:/etc/ssh/sshd_config:permit_empty_passwords:Match Address 10.0.0.0/8":                           {services.TypePermitEmptyPasswords, services.SeverityHigh},
		"ssh:/etc/ssh/sshd_config:password_authentication:Match Address 10.0.0.0/8":                          {services.TypePasswordAuthentication, services.SeverityLow},
		"postgresql:/etc/postgresql/15/main/pg_hba.conf:trust_local:local all all trust":                     {services.TypeTrustLocal, services.SeverityLow},
		"postgresql:/etc/postgresql/15/main/pg_hba.conf:trust_local:host all all 127.0.0.1/32 trust":         {services.TypeTrustLocal, services.SeverityLow},
		"postgresql:/etc/postgresql/15/main/pg_hba.conf:trust_remote:host all all 0.0.0.0/0 trust":           {services.TypeTrustRemote, services.SeverityCritical},
		"postgresql:/etc/postgresql/15/main/pg_hba.conf:cleartext_password:host all all 10.0.0.0/8 password": {services.TypeCleartextPassword, services.SeverityMedium},
		"postgresql:/etc/postgresql/16/main/pg_hba.conf:trust_remote:host all all samenet trust":             {services.TypeTrustRemote, services.SeverityMedium},
		"tomcat:/etc/tomcat10/tomcat-users.xml:admin:default":                                                {services.TypeDefaultPassword, services.SeverityHigh},
		"tomcat:/etc/tomcat10/tomcat-users.xml:robot:dictionary":                                             {services.TypeDictionaryPassword, services.SeverityHigh},
		"tomcat:/etc/tomcat10/tomcat-users.xml:deployer:empty":                                               {services.TypeEmptyPassword, services.SeverityHigh},
		"tomcat:/etc/tomcat9/tomcat-users.xml:tomcat:default":                                                {services.TypeDefaultPassword, services.SeverityHigh},
		"tomcat:/etc/tomcat9/tomcat-users.xml:script:dictionary":                                             {services.TypeDictionaryPassword, services.SeverityHigh},
	}
	for key, w := range want {
		f, ok := got[key]
		if !ok {
			t.Errorf("no item %s", key)
			continue
		}
		if f.String("vigil.weak_password.type") != w[0] || f.String("vigil.weak_password.severity") != w[1] {
			t.Errorf("%s: %s %s, want %s %s", key, f.String("vigil.weak_password.type"),
				f.String("vigil.weak_password.severity"), w[0], w[1])
		}
	}
	for key := range got {
		if _, ok := want[key]; !ok {
			t.Errorf("unexpected item %s", key)
		}
	}
	if f := got["tomcat:/etc/tomcat10/tomcat-users.xml:robot:dictionary"]; f.String("vigil.weak_password.hint") != "l*****n" {
		t.Errorf("hint %q", f.String("vigil.weak_password.hint"))
	}
	if f := got["tomcat:/etc/tomcat9/tomcat-users.xml:script:dictionary"]; !strings.Contains(f.String("vigil.weak_password.evidence"), "MessageDigestCredentialHandler SHA-256") {
		t.Errorf("evidence %q does not name the handler", f.String("vigil.weak_password.evidence"))
	}
	if n := c.Counters()["probes"]; n != 0 {
		t.Errorf("%d probes on a fixture tree", n)
	}

	// Checks turned off leave their items out.
	if err := c.ApplySettings(json.RawMessage(`{"checks": {"ssh": false, "postgresql": false}}`)); err != nil {
		t.Fatal(err)
	}
	for _, a := range collecttest.Assets(t, c, plugin.Env{Root: "testdata/root"}) {
		if a.Name != services.ProductTomcat {
			t.Errorf("item %s with ssh and postgresql off", a.Key)
		}
	}
}

// BenchmarkAssetsFixture runs the collector on the fixture tree: the
// file checks alone (sshd_config, pg_hba.conf, tomcat-users.xml with a
// 100-word dictionary), no service probed.
func BenchmarkAssetsFixture(b *testing.B) {
	c := services.New()
	words := make([]string, 100)
	for i := range words {
		words[i] = "word" + strings.Repeat("x", i%7) + string(rune('a'+i%26))
	}
	c.Words = func() []string { return words }
	collecttest.Benchmark(b, c, plugin.Env{Root: "testdata/root"})
}
