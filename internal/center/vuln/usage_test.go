package vuln

import (
	"encoding/json"
	"testing"

	"github.com/vigilsec/vigil/internal/store"
)

// proc makes a process item as proc/processes reports it.
func proc(t *testing.T, pkg, exe string, args []string, listening ...string) store.AssetRecord {
	t.Helper()
	f := map[string]any{
		"process": map[string]any{"executable": exe, "args": args},
		"package": map[string]any{"name": pkg},
	}
	if len(listening) > 0 {
		f["vigil"] = map[string]any{"process": map[string]any{"listening": listening}}
	}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	return store.AssetRecord{Kind: "process", Fields: b}
}

func TestUsage(t *testing.T) {
	ctr := proc(t, "redis-server", "/usr/bin/redis-server", []string{"redis-server"}, "tcp/0.0.0.0:6379")
	ctr.Fields = json.RawMessage(`{"process":{"executable":"/usr/bin/redis-server"},"package":{"name":"redis-server"},"container":{"id":"abc"}}`)
	u := newUsage([]store.AssetRecord{
		proc(t, "nginx-core", "/usr/sbin/nginx", []string{"nginx: master process /usr/sbin/nginx"}, "tcp/0.0.0.0:80"),
		proc(t, "openssh-server", "/usr/sbin/sshd", []string{"sshd: /usr/sbin/sshd -D"}),
		proc(t, "openjdk-17-jre-headless", "/usr/lib/jvm/java-17-openjdk-amd64/bin/java",
			[]string{"java", "-Dcatalina.base=/var/lib/tomcat10", "-Djava.io.tmpdir=/tmp", "-classpath", "/usr/share/tomcat10/bin/bootstrap.jar:/usr/share/tomcat10/bin/tomcat-juli.jar", "org.apache.catalina.startup.Bootstrap", "start"},
			"tcp/0.0.0.0:8080"),
		proc(t, "none", "/opt/tool/agentd", []string{"/opt/tool/agentd"}),
		proc(t, "python3.11-minimal", "/usr/bin/python3.11", []string{"python3", "/srv/shop/manage.py", "runserver"}),
		proc(t, "", "/usr/bin/cat", []string{"cat", "/var/lib/data.db"}),
		ctr,
		{Kind: "process", Fields: json.RawMessage(`not json`)},
	})
	pkgs := []struct {
		name               string
		running, listening bool
	}{
		{"nginx-core", true, true},
		{"openssh-server", true, false},
		{"redis-server", false, false}, // only in a container
		{"none", false, false},
		{"libssl3", false, false},
	}
	for _, tt := range pkgs {
		r, l := u.pkg(tt.name)
		if r != tt.running || l != tt.listening {
			t.Errorf("pkg(%s) = %v, %v; want %v, %v", tt.name, r, l, tt.running, tt.listening)
		}
	}
	libs := []struct {
		path               string
		running, listening bool
	}{
		{"/var/lib/tomcat10/webapps/shop.war!/WEB-INF/lib/log4j-core-2.14.1.jar", true, true},
		{"/usr/share/tomcat10/bin/tomcat-juli.jar", true, true},
		{"/opt/tool/agentd", true, false},                                   // a Go program's modules
		{"/srv/shop/venv/lib/python3.11/site-packages/django", true, false}, // below the script's folder
		{"/srv/other/requirements.txt", false, false},
		{"/var/lib/other/app.jar", false, false}, // /var/lib is shared, cat's file places nothing
		{"/tmp/x/lib.jar", false, false},
		{"relative/lib.jar", false, false},
	}
	for _, tt := range libs {
		r, l := u.library(tt.path)
		if r != tt.running || l != tt.listening {
			t.Errorf("library(%s) = %v, %v; want %v, %v", tt.path, r, l, tt.running, tt.listening)
		}
	}
}
