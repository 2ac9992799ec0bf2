package tomcatconf

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const serverXML = `<?xml version="1.0" encoding="UTF-8"?>
<!-- <Connector port="1" /> in a comment -->
<Server port="8005" shutdown="SHUTDOWN">
  <Service name="Catalina">
    <Connector port="8080" protocol="HTTP/1.1" connectionTimeout="20000" redirectPort="8443" />
    <Connector port="8443" protocol="org.apache.coyote.http11.Http11NioProtocol"
               maxThreads="150" SSLEnabled="true" scheme="https" secure="true">
        <SSLHostConfig>
            <Certificate certificateKeystoreFile="conf/localhost-rsa.jks" type="RSA" />
            <Certificate certificateFile="${catalina.base}/conf/ec.pem" type="EC" />
        </SSLHostConfig>
    </Connector>
    <Connector port="8444" SSLEnabled="TRUE" keystoreFile="/etc/tomcat.jks"/>
    <Connector protocol="AJP/1.3" address="::1" port="${ajp.port}" />
    <Engine name="Catalina" defaultHost="localhost">
      <Host name="localhost" appBase="webapps">
        <Alias> www.example.com </Alias>
        <Context path="/app" docBase="/srv/app.war"/>
        <Context path="" docBase="ROOT"/>
      </Host>
      <Host name="b" ><Valve className="x" pattern="&quot;%r&quot;"/></Host>
    </Engine>
  </Service>
</Server>
`

func TestParse(t *testing.T) {
	srv, err := Parse([]byte(serverXML), map[string]string{"catalina.base": "/var/lib/tomcat10"})
	if err != nil {
		t.Fatal(err)
	}
	want := &Server{Services: []Service{{
		Name: "Catalina",
		Connectors: []Connector{
			{Port: 8080, Protocol: "HTTP/1.1", Line: 5},
			{Port: 8443, Protocol: "org.apache.coyote.http11.Http11NioProtocol", SSLEnabled: true, Secure: true, Scheme: "https", Line: 6,
				Certificates: []Certificate{{Keystore: "conf/localhost-rsa.jks"}, {File: "/var/lib/tomcat10/conf/ec.pem"}}},
			{Port: 8444, Protocol: "HTTP/1.1", SSLEnabled: true, Line: 13, Certificates: []Certificate{{Keystore: "/etc/tomcat.jks"}}},
			{PortRaw: "${ajp.port}", Address: "::1", Protocol: "AJP/1.3", Line: 14},
		},
		Engine: Engine{Name: "Catalina", DefaultHost: "localhost", Hosts: []Host{
			{Name: "localhost", AppBase: "webapps", Aliases: []string{"www.example.com"}, Line: 16,
				Contexts: []Context{{Path: "/app", DocBase: "/srv/app.war", Line: 18}, {Path: "", DocBase: "ROOT", Line: 19}}},
			{Name: "b", AppBase: "webapps", Line: 21},
		}},
	}}}
	if d := cmp.Diff(want, srv); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if !srv.Services[0].Connectors[3].IsAJP() || srv.Services[0].Connectors[0].IsAJP() {
		t.Errorf("IsAJP wrong")
	}
}

func TestParseErrors(t *testing.T) {
	for name, in := range map[string]string{
		"not xml":      "port=8080",
		"no server":    "<Foo/>",
		"unclosed":     "<Server><Service>",
		"bad close":    "<Server></Service>",
		"deep nesting": "<Server>" + repeat("<a>", 100),
	} {
		if _, err := Parse([]byte(in), nil); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: error %v, want ErrFormat", name, err)
		}
	}
}

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}

func TestParseContext(t *testing.T) {
	c, err := ParseContext([]byte(`<?xml version="1.0"?>
<Context docBase="${catalina.home}/webapps/manager" privileged="true"><Valve/></Context>`), map[string]string{"catalina.home": "/usr/share/tomcat10"})
	if err != nil {
		t.Fatal(err)
	}
	if c.DocBase != "/usr/share/tomcat10/webapps/manager" || c.Line != 2 {
		t.Errorf("%+v", c)
	}
	if _, err := ParseContext([]byte("<Host/>"), nil); !errors.Is(err, ErrFormat) {
		t.Errorf("a Host was taken for a Context: %v", err)
	}
}

func TestContextPath(t *testing.T) {
	for in, want := range map[string]string{"ROOT": "/", "app": "/app", "a#b": "/a/b", "app##001": "/app", "ROOT##2": "/", "": "/"} {
		if got := ContextPath(in); got != want {
			t.Errorf("ContextPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(serverXML))
	f.Add([]byte(`<Server><Service><Connector port="1"><Certificate certificateFile="${x}"/></Connector><Engine><Host><Alias>a</Alias><Context/></Host></Engine></Service></Server>`))
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY a "b">]><Server>&a;</Server>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		srv, err := Parse(data, map[string]string{"catalina.base": "/b"})
		if err != nil && !errors.Is(err, ErrFormat) {
			t.Fatalf("error %v is not ErrFormat", err)
		}
		if srv == nil {
			t.Fatal("nil server")
		}
		if _, err := ParseContext(data, nil); err != nil && !errors.Is(err, ErrFormat) {
			t.Fatalf("context error %v is not ErrFormat", err)
		}
	})
}
