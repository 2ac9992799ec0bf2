package nginxconf

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

// mapSource is a Source of files in memory; Glob matches the last
// component only, which is all the tests need.
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
		if ok, err := path.Match(path.Base(pattern), path.Base(name)); err != nil {
			return nil, err
		} else if ok {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out, nil
}

// flat writes directives as "name arg|arg @line" lines, blocks
// indented, for comparisons.
func flat(ds []*Directive, indent string) []string {
	var out []string
	for _, d := range ds {
		s := fmt.Sprintf("%s%s %s @%d", indent, d.Name, strings.Join(d.Args, "|"), d.Line)
		if d.Raw {
			s += " raw"
		}
		out = append(out, s)
		if d.HasBlock {
			out = append(out, flat(d.Block, indent+"  ")...)
		}
	}
	return out
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
		err      string
	}{
		{name: "simple", in: "user www-data;\nworker_processes auto;\n",
			want: []string{"user www-data @1", "worker_processes auto @2"}},
		{name: "block", in: "events {\n\tworker_connections 768;\n}\n",
			want: []string{"events  @1", "  worker_connections 768 @2"}},
		{name: "comments", in: "# comment {\nroot /a#b; # trailing ;\n",
			want: []string{"root /a#b @2"}},
		{name: "quotes", in: `server_name "a b" 'c;d' e\ f;`,
			want: []string{`server_name a b|c;d|e\ f @1`}},
		{name: "escapes", in: `add_header X "a\"b\\c\n\t\x";`,
			want: []string{"add_header X|a\"b\\c\n\t\\x @1"}},
		{name: "variable brace", in: "set $a ${host}x;\nif ($http_x ~* \"{\") { return 403; }\n",
			want: []string{"set $a|${host}x @1", "if ($http_x|~*|{|) @2", "  return 403 @2"}},
		{name: "map", in: "map $http_upgrade $c {\n default upgrade;\n '' close;\n \"~*{x}\" \"a;b\";\n}\n",
			want: []string{"map $http_upgrade|$c @1", "  default upgrade @2", "   close @3", "  ~*{x} a;b @4"}},
		{name: "multi-line", in: "log_format main '$a'\n    '$b';\n",
			want: []string{"log_format main|$a|$b @1"}},
		{name: "brace in word", in: "return 200 a}b;",
			want: []string{"return 200|a}b @1"}},
		{name: "lua", in: "location / {\n content_by_lua_block {\n  -- } comment\n  ngx.say(\"}\") local s = [==[ } ]==]\n }\n root /x;\n}\n",
			want: []string{"location / @1", "  content_by_lua_block  @2 raw", "  root /x @6"}},
		{name: "empty block", in: "http {}", want: []string{"http  @1"}},
		{name: "unterminated", in: "http {\n root /x;\n", want: []string{"http  @1", "  root /x @2"}, err: "unexpected end of file"},
		{name: "missing semicolon", in: "root /x", err: "unexpected end of file"},
		{name: "stray brace", in: "root /x;\n}\n", want: []string{"root /x @1"}, err: `unexpected "}"`},
		{name: "quote then word", in: `root "x"y;`, err: `unexpected 'y'`},
		{name: "empty statement", in: ";", err: `unexpected ';'`},
		{name: "words before brace close", in: "http { root }", want: []string{"http  @1"}, err: `unexpected "}"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ds, err := Parse("t.conf", []byte(tc.in))
			if tc.err == "" && err != nil {
				t.Fatalf("error %v", err)
			}
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, ErrSyntax) {
					t.Fatalf("error %v, want one with %q", err, tc.err)
				}
			}
			if d := cmp.Diff(tc.want, flat(ds, "")); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestLoadIncludes(t *testing.T) {
	src := mapSource{
		"/etc/nginx/nginx.conf":            "include modules/*.conf;\nhttp {\n include conf.d/*.conf;\n include /etc/nginx/sites/*;\n include missing.conf;\n include conf.d/*.none;\n}\n",
		"/etc/nginx/modules/a.conf":        "load_module x.so;\n",
		"/etc/nginx/modules/.hidden.conf":  "load_module hidden.so;\n",
		"/etc/nginx/conf.d/b.conf":         "upstream b { server 127.0.0.1:1; }\n",
		"/etc/nginx/conf.d/a.conf":         "root /a;\n",
		"/etc/nginx/sites/one":             "server { listen 80; }\n",
		"/etc/nginx/sites/two":             "server { listen 81; include /etc/nginx/sites/loop; }\n",
		"/etc/nginx/sites/loop":            "include /etc/nginx/sites/loop;\n",
		"/etc/nginx/sites/zz-broken":       "server { listen \"8\"2; }\n",
		"/etc/nginx/conf.d/unused.txt.bak": "",
	}
	cfg, err := Load(src, "/etc/nginx/nginx.conf", "", Limits{Files: 100, Bytes: 1 << 20, Depth: 8})
	if err != nil {
		t.Fatal(err)
	}
	wantFiles := []string{"/etc/nginx/nginx.conf", "/etc/nginx/modules/a.conf", "/etc/nginx/conf.d/a.conf", "/etc/nginx/conf.d/b.conf",
		"/etc/nginx/sites/loop", "/etc/nginx/sites/one", "/etc/nginx/sites/two"}
	if got := slices.Compact(slices.Clone(cfg.Files)); !slices.Equal(got[:len(wantFiles)], wantFiles) {
		t.Errorf("files %v, want %v first", got, wantFiles)
	}
	got := flat(cfg.Directives, "")
	for _, want := range []string{"load_module x.so @1", "  root /a @1", "  upstream b @1", "  server  @1"} {
		if !slices.Contains(got, want) {
			t.Errorf("no %q in\n%s", want, strings.Join(got, "\n"))
		}
	}
	if slices.Contains(got, "load_module hidden.so @1") {
		t.Errorf("a hidden file matched *")
	}
	var kinds []string
	for _, p := range cfg.Problems {
		switch {
		case errors.Is(p.Err, fs.ErrNotExist):
			kinds = append(kinds, "missing")
		case errors.Is(p.Err, ErrLimit):
			kinds = append(kinds, "limit")
		case errors.Is(p.Err, ErrSyntax):
			kinds = append(kinds, "syntax")
		}
	}
	slices.Sort(kinds)
	kinds = slices.Compact(kinds)
	if !slices.Equal(kinds, []string{"limit", "missing", "syntax"}) {
		t.Errorf("problems %v (%v), want a missing include, the include loop and the syntax error", kinds, cfg.Problems)
	}
}

func TestServers(t *testing.T) {
	src := mapSource{"/etc/nginx/nginx.conf": `
http {
	root /srv/default;
	ssl_certificate certs/http.pem;
	upstream app { server 10.0.0.1:8080; server unix:/run/app.sock backup; }
	server {
		listen 80;
		listen [::]:443 ssl http2 default_server;
		listen 127.0.0.1;
		listen localhost:8080 default;
		listen unix:/run/x.sock;
		listen *:8443 quic reuseport;
		server_name a.example.com "" *.a.example.com a.example.com;
		location /api/ { proxy_pass http://app/v1/; }
		location /php { fastcgi_pass 127.0.0.1:9000; }
		location /alias { alias /srv/files/; }
		location /nested {
			root html2;
			location /nested/deep { uwsgi_pass app; }
		}
		if ($x) { proxy_pass http://skipped; }
	}
	server {
		ssl_certificate /etc/ssl/own.pem;
		ssl_certificate /etc/ssl/own-ecdsa.pem;
		ssl on;
		http2 on;
		root $document_root;
	}
}
stream { server { listen 53; } }
`}
	cfg, err := Load(src, "/etc/nginx/nginx.conf", "", DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	got := Servers(cfg, "/usr/share/nginx")
	want := []Server{{
		File: "/etc/nginx/nginx.conf", Line: 6,
		Names: []string{"a.example.com", "*.a.example.com"},
		Listens: []Listen{
			{Address: "*", Port: 80},
			{Address: "[::]", Port: 443, SSL: true, HTTP2: true, DefaultServer: true},
			{Address: "127.0.0.1", Port: 80},
			{Address: "localhost", Port: 8080, DefaultServer: true},
			{Unix: "/run/x.sock"},
			{Address: "*", Port: 8443, QUIC: true},
		},
		Root:         "/srv/default",
		Roots:        []string{"/srv/default", "/srv/files", "/usr/share/nginx/html2"},
		Certificates: []string{"/etc/nginx/certs/http.pem"},
		Passes: []Pass{
			{Location: "/api/", Kind: "proxy", Target: "http://app/v1/", Upstream: "app", Servers: []string{"10.0.0.1:8080", "unix:/run/app.sock"}},
			{Location: "/php", Kind: "fastcgi", Target: "127.0.0.1:9000"},
			{Location: "/nested/deep", Kind: "uwsgi", Target: "app", Upstream: "app", Servers: []string{"10.0.0.1:8080", "unix:/run/app.sock"}},
		},
		SkippedIfs: 1,
	}, {
		File: "/etc/nginx/nginx.conf", Line: 23,
		Listens:      []Listen{{Address: "*", Port: 80, Implicit: true}},
		Root:         "$document_root",
		Roots:        []string{"$document_root"},
		Certificates: []string{"/etc/ssl/own.pem", "/etc/ssl/own-ecdsa.pem"},
		SSL:          true, HTTP2: true,
	}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestParseListenAddress(t *testing.T) {
	for in, want := range map[string]Listen{
		"80":              {Address: "*", Port: 80},
		"8080":            {Address: "*", Port: 8080},
		"127.0.0.1":       {Address: "127.0.0.1", Port: 80},
		"127.0.0.1:8000":  {Address: "127.0.0.1", Port: 8000},
		"*:443":           {Address: "*", Port: 443},
		"[::]:443":        {Address: "[::]", Port: 443},
		"[::1]":           {Address: "[::1]", Port: 80},
		"example.com":     {Address: "example.com", Port: 80},
		"example.com:81":  {Address: "example.com", Port: 81},
		"unix:/run/a.sck": {Unix: "/run/a.sck"},
		"1.2.3.4:99999":   {Address: "1.2.3.4", Port: 0},
	} {
		if got := parseListenAddress(in); got != want {
			t.Errorf("%q: %+v, want %+v", in, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"http { server { listen 80; server_name a; location / { proxy_pass http://b; } } }",
		"map $a $b { default 0; '' 1; }",
		"if ($a ~ \"{\") { return 403; }",
		"content_by_lua_block { ngx.say('}') --[[ } ]] }",
		"set $a ${b}c;",
		"a \"b\\\"\" 'c' d\\ e;",
		"}", "{", ";", "\"", "x {",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ds, err := Parse("f.conf", data)
		if err != nil && !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrLimit) {
			t.Fatalf("error %v is neither a syntax error nor a limit", err)
		}
		cfg := &Config{Main: "f.conf", ConfPrefix: "/etc/nginx/", Directives: ds}
		for _, s := range Servers(cfg, "/usr/share/nginx/") {
			if len(s.Listens) == 0 {
				t.Fatalf("server without listens")
			}
		}
	})
}
