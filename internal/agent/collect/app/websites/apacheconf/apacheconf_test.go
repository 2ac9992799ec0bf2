package apacheconf

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// mapSource is a Source of files in memory; folders are implied by the
// files below them, and Glob matches the last component only.
type mapSource map[string]string

func (m mapSource) ReadFile(name string) ([]byte, error) {
	if s, ok := m[name]; ok {
		return []byte(s), nil
	}
	return nil, fs.ErrNotExist
}

func (m mapSource) Glob(pattern string) ([]string, error) {
	var out []string
	for name := range m {
		if path.Dir(name) != path.Dir(pattern) || strings.HasPrefix(path.Base(name), ".") {
			continue
		}
		if ok, _ := path.Match(path.Base(pattern), path.Base(name)); ok {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out, nil
}

func (m mapSource) ReadDir(name string) ([]string, error) {
	var out []string
	for f := range m {
		if rest, ok := strings.CutPrefix(f, name+"/"); ok {
			n, _, _ := strings.Cut(rest, "/")
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	if out == nil {
		return nil, fs.ErrNotExist
	}
	slices.Sort(out)
	return out, nil
}

func (m mapSource) Stat(name string) (bool, error) {
	if _, ok := m[name]; ok {
		return false, nil
	}
	for f := range m {
		if strings.HasPrefix(f, name+"/") {
			return true, nil
		}
	}
	return false, fs.ErrNotExist
}

// flat writes the tree as "name args @file:line" lines.
func flat(ds []*Directive, indent string) []string {
	var out []string
	for _, d := range ds {
		s := fmt.Sprintf("%s%s %s @%s:%d", indent, d.Name, strings.Join(d.Args, "|"), path.Base(d.File), d.Line)
		if d.Cond != nil {
			s += " [" + string(d.Cond.State) + "]"
		}
		out = append(out, s)
		out = append(out, flat(d.Children, indent+"  ")...)
	}
	return out
}

func TestWords(t *testing.T) {
	for in, want := range map[string][]string{
		`ServerName www.example.com`:                 {"ServerName", "www.example.com"},
		`  LogFormat "%h \"%r\" %>s" combined  `:     {"LogFormat", `%h "%r" %>s`, "combined"},
		`Header set X 'a "b" c'`:                     {"Header", "set", "X", `a "b" c`},
		`Alias /a "/srv/with space"`:                 {"Alias", "/a", "/srv/with space"},
		`SetEnvIf A "unterminated`:                   {"SetEnvIf", "A", "unterminated"},
		`RewriteRule ^(.*)$ http://x/$1 [P,L]`:       {"RewriteRule", "^(.*)$", "http://x/$1", "[P,L]"},
		"Options\t+FollowSymLinks\t-Indexes":         {"Options", "+FollowSymLinks", "-Indexes"},
		`Define X ""`:                                {"Define", "X", ""},
		`SSLCipherSuite "a\b"`:                       {"SSLCipherSuite", `a\b`},
		``:                                           nil,
		`Require expr "%{REMOTE_ADDR} -ipmatch '1'"`: {"Require", "expr", "%{REMOTE_ADDR} -ipmatch '1'"},
	} {
		if got := Words(in); !slices.Equal(got, want) {
			t.Errorf("Words(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLoad(t *testing.T) {
	src := mapSource{
		"/etc/apache2/apache2.conf": `# main
Define ROOTDIR /srv/www
Timeout 300
IncludeOptional mods-enabled/*.load
Include ports.conf
LogFormat "%h %l %u %t \"%r\" %>s %O \
\"%{User-Agent}i\"" combined
<IfModule mod_ssl.c>
	Include ssl-only.conf
	Define SSL_ON
</IfModule>
<IfModule !mod_ssl.c>
	Define NO_SSL
</IfModule>
<IfDefine NO_SSL>
	ServerAdmin nossl@example.com
</IfDefine>
<IfDefine FROM_CMDLINE>
	ServerAdmin cmdline@example.com
</IfDefine>
<IfFile /etc/apache2/ports.conf>
	KeepAlive On
</IfFile>
<IfVersion >= 2.4>
	KeepAlive Off
</IfVersion>
IncludeOptional conf.d/
IncludeOptional nothing/*.conf
Include missing.conf
<VirtualHost *:80>
	DocumentRoot ${ROOTDIR}/site
	ErrorLog ${APACHE_LOG_DIR}/error.log
	CustomLog ${UNDEFINED}/access.log combined
</VirtualHost>
`,
		"/etc/apache2/mods-enabled/alias.load":  "LoadModule alias_module /usr/lib/apache2/modules/mod_alias.so\n",
		"/etc/apache2/mods-enabled/.hide.load":  "LoadModule hidden_module x.so\n",
		"/etc/apache2/ports.conf":               "Listen 80\n",
		"/etc/apache2/ssl-only.conf":            "Listen 443\n",
		"/etc/apache2/conf.d/a.conf":            "ServerTokens Prod\n",
		"/etc/apache2/conf.d/sub/b.conf":        "ServerSignature Off\n",
		"/etc/apache2/conf.d/sub/.dotfile.conf": "TraceEnable Off\n",
	}
	cfg, err := Load(src, "/etc/apache2/apache2.conf", Options{Env: map[string]string{"APACHE_LOG_DIR": "/var/log/apache2"},
		Defines: []string{"FROM_CMDLINE"}, DefinesKnown: true, StaticModules: []string{"core.c", "mod_so.c"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"Define ROOTDIR|/srv/www @apache2.conf:2",
		"Timeout 300 @apache2.conf:3",
		"LoadModule alias_module|/usr/lib/apache2/modules/mod_alias.so @alias.load:1",
		"Listen 80 @ports.conf:1",
		`LogFormat %h %l %u %t "%r" %>s %O "%{User-Agent}i"|combined @apache2.conf:6`,
		"IfModule mod_ssl.c @apache2.conf:8 [unmet]",
		"  Listen 443 @ssl-only.conf:1",
		"  Define SSL_ON @apache2.conf:10",
		"IfModule !mod_ssl.c @apache2.conf:12 [met]",
		"  Define NO_SSL @apache2.conf:13",
		"IfDefine NO_SSL @apache2.conf:15 [met]",
		"  ServerAdmin nossl@example.com @apache2.conf:16",
		"IfDefine FROM_CMDLINE @apache2.conf:18 [met]",
		"  ServerAdmin cmdline@example.com @apache2.conf:19",
		"IfFile /etc/apache2/ports.conf @apache2.conf:21 [met]",
		"  KeepAlive On @apache2.conf:22",
		"IfVersion >=|2.4 @apache2.conf:24 [unknown]",
		"  KeepAlive Off @apache2.conf:25",
		"ServerTokens Prod @a.conf:1",
		"TraceEnable Off @.dotfile.conf:1",
		"ServerSignature Off @b.conf:1",
		"VirtualHost *:80 @apache2.conf:30",
		"  DocumentRoot /srv/www/site @apache2.conf:31",
		"  ErrorLog /var/log/apache2/error.log @apache2.conf:32",
		"  CustomLog ${UNDEFINED}/access.log|combined @apache2.conf:33",
	}
	if d := cmp.Diff(want, flat(cfg.Directives, "")); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if slices.Contains(cfg.Defines, "SSL_ON") {
		t.Errorf("a Define inside an unmet section took effect: %v", cfg.Defines)
	}
	if len(cfg.Problems) != 1 || !errors.Is(cfg.Problems[0].Err, fs.ErrNotExist) {
		t.Errorf("problems %v, want the missing include", cfg.Problems)
	}
}

func TestSyntaxErrors(t *testing.T) {
	for name, in := range map[string]string{
		"mismatched":   "<VirtualHost *:80>\n</Directory>\n",
		"unclosed":     "<VirtualHost *:80>\nServerName a\n",
		"stray close":  "</VirtualHost>\n",
		"no bracket":   "<VirtualHost *:80\n",
		"empty":        "<>\n",
		"macro":        "<Macro M $a>\nServerName $a\n",
		"use unknown":  "Use Nothing 1\n",
		"use argcount": "<Macro M $a>\nServerName $a\n</Macro>\nUse M\n",
	} {
		t.Run(name, func(t *testing.T) {
			cfg, err := Parse("/t.conf", []byte(in))
			if err != nil {
				t.Fatal(err)
			}
			if len(cfg.Problems) == 0 || !errors.Is(cfg.Problems[0], ErrSyntax) {
				t.Errorf("problems %v, want a syntax error", cfg.Problems)
			}
		})
	}
}

func TestMacro(t *testing.T) {
	cfg, err := Parse("/t.conf", []byte(`<Macro VHost $name $dir $nameX>
  <VirtualHost *:80>
    ServerName $name
    ServerAlias $nameX
    DocumentRoot "$dir"
  </VirtualHost>
</Macro>
Use VHost a.example.com /srv/a alias.example.com
Use vhost b.example.com "/srv/b c" other
Use Loop
<Macro Loop>
Use Loop
Use Loop
</Macro>
Use Loop
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"VirtualHost *:80 @t.conf:2",
		"  ServerName a.example.com @t.conf:3",
		"  ServerAlias alias.example.com @t.conf:4",
		"  DocumentRoot /srv/a @t.conf:5",
		"VirtualHost *:80 @t.conf:2",
		"  ServerName b.example.com @t.conf:3",
		"  ServerAlias other @t.conf:4",
		"  DocumentRoot /srv/b c @t.conf:5",
	}
	if d := cmp.Diff(want, flat(cfg.Directives, "")); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	limit := false
	for _, p := range cfg.Problems {
		limit = limit || errors.Is(p, ErrLimit)
	}
	if !limit {
		t.Errorf("the recursive macro did not hit a limit: %v", cfg.Problems)
	}
}

func TestAnalyze(t *testing.T) {
	src := mapSource{"/etc/httpd/conf/httpd.conf": `ServerRoot "/etc/httpd"
Listen 80
Listen [::1]:8080 http
Listen 192.0.2.1:8443 https
LoadModule ssl_module modules/mod_ssl.so
ServerName main.example.com:80
DocumentRoot "/var/www/html"
Alias /static/ /srv/static/
ProxyPass /global/ http://10.0.0.9/
SSLCertificateFile /etc/pki/tls/certs/main.crt
<Proxy balancer://pool>
	BalancerMember http://10.0.0.1:8080
	BalancerMember http://10.0.0.2:8080
</Proxy>
<IfModule missing_module>
	Alias /never/ /srv/never/
	<VirtualHost *:9999>
		ServerName never.example.com
	</VirtualHost>
</IfModule>
<VirtualHost *:80 [::]:80>
	ServerName https://a.example.com:443
	ServerAlias www.a.example.com
	ServerAlias *.a.example.com
	ProxyPass /app/ balancer://pool/app/
	ProxyPass /no/ !
	<Location /loc>
		ProxyPass http://10.0.0.3/
	</Location>
	<FilesMatch \.php$>
		SetHandler "proxy:fcgi://127.0.0.1:9000"
	</FilesMatch>
</VirtualHost>
<VirtualHost 192.0.2.1:8443>
	SSLEngine on
	SSLCertificateFile certs/b.crt
	DocumentRoot htdocs/b
</VirtualHost>
<VirtualHost _default_>
</VirtualHost>
`}
	cfg, err := Load(src, "/etc/httpd/conf/httpd.conf", Options{StaticModules: []string{"core.c"}})
	if err != nil {
		t.Fatal(err)
	}
	srv := Analyze(cfg, "/etc/httpd/htdocs")
	wantListens := []Listen{{Address: "*", Port: 80}, {Address: "[::1]", Port: 8080, Protocol: "http"}, {Address: "192.0.2.1", Port: 8443, Protocol: "https"}}
	if d := cmp.Diff(wantListens, srv.Listens); d != "" {
		t.Errorf("listens (-want +got):\n%s", d)
	}
	global := []Proxy{{Path: "/global/", Directive: "ProxyPass", Target: "http://10.0.0.9/"}}
	aliases := []Alias{{URL: "/static/", Path: "/srv/static"}}
	want := []Site{{
		File: "/etc/httpd/conf/httpd.conf", Line: 17,
		Addrs: []Addr{{Host: "*", Port: 9999}}, ServerName: "never.example.com", DocumentRoot: "/var/www/html",
		URLAliases: aliases, Certificates: []string{"/etc/pki/tls/certs/main.crt"}, Proxies: global,
		Conditions: []Condition{{Section: "IfModule", Test: "missing_module", State: Unmet}},
	}, {
		File: "/etc/httpd/conf/httpd.conf", Line: 21,
		Addrs:      []Addr{{Host: "*", Port: 80}, {Host: "[::]", Port: 80}},
		ServerName: "a.example.com", Aliases: []string{"www.a.example.com", "*.a.example.com"},
		DocumentRoot: "/var/www/html", URLAliases: aliases, Certificates: []string{"/etc/pki/tls/certs/main.crt"},
		Proxies: append([]Proxy{
			{Path: "/app/", Directive: "ProxyPass", Target: "balancer://pool/app/", Members: []string{"http://10.0.0.1:8080", "http://10.0.0.2:8080"}},
			{Path: "/loc", Directive: "ProxyPass", Target: "http://10.0.0.3/"},
			{Directive: "SetHandler", Target: "proxy:fcgi://127.0.0.1:9000"},
		}, global...),
	}, {
		File: "/etc/httpd/conf/httpd.conf", Line: 34,
		Addrs: []Addr{{Host: "192.0.2.1", Port: 8443}}, ServerName: "main.example.com",
		DocumentRoot: "/etc/httpd/htdocs/b", URLAliases: aliases, SSL: true, Certificates: []string{"/etc/httpd/certs/b.crt"}, Proxies: global,
	}, {
		File: "/etc/httpd/conf/httpd.conf", Line: 39,
		Addrs: []Addr{{Host: "_default_"}}, ServerName: "main.example.com",
		DocumentRoot: "/var/www/html", URLAliases: aliases, Certificates: []string{"/etc/pki/tls/certs/main.crt"}, Proxies: global,
	}}
	if d := cmp.Diff(want, srv.VirtualHosts); d != "" {
		t.Errorf("virtual hosts (-want +got):\n%s", d)
	}
	if srv.Main.ServerName != "main.example.com" || srv.Main.DocumentRoot != "/var/www/html" {
		t.Errorf("main server %+v", srv.Main)
	}
}

func FuzzLoad(f *testing.F) {
	for _, s := range []string{
		"Listen 80\n<VirtualHost *:80>\nServerName a\nDocumentRoot /srv\n</VirtualHost>\n",
		"<IfModule !mod_ssl.c>\nDefine X\n</IfModule>\n<IfDefine X>\nServerName ${X}\n</IfDefine>\n",
		"<Macro M $a>\n<VirtualHost $a>\n</VirtualHost>\n</Macro>\nUse M *:80\n",
		"LogFormat \"a \\\" b\" \\\ncombined\n",
		"<Proxy balancer://x>\nBalancerMember http://a\n</Proxy>\nProxyPass / balancer://x/\n",
		"Include /f.conf\n",
		"</x>", "<x", "<>", "${", "Use",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("/f.conf", data)
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		for _, p := range cfg.Problems {
			if !errors.Is(p, ErrSyntax) && !errors.Is(p, ErrLimit) && !errors.Is(p, fs.ErrNotExist) {
				t.Fatalf("problem %v of no known kind", p)
			}
		}
		srv := Analyze(cfg, "/var/www/html")
		for _, v := range srv.VirtualHosts {
			if v.DocumentRoot == "" {
				t.Fatalf("virtual host without a document root")
			}
		}
	})
}
