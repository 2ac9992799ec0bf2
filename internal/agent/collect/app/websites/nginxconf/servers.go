package nginxconf

import (
	"path"
	"slices"
	"strconv"
	"strings"
)

// Listen is one listen directive of a server block.
type Listen struct {
	// Address is the address listened on: "*" for all IPv4 addresses,
	// "[::]" for all IPv6 ones, a host name or address as written; ""
	// for a UNIX socket.
	Address string `json:"address,omitempty"`
	// Port is the TCP port; 0 for a UNIX socket.
	Port int `json:"port,omitempty"`
	// Unix is the socket path of "unix:" listens.
	Unix string `json:"unix,omitempty"`
	// SSL, HTTP2, QUIC, ProxyProtocol and DefaultServer are the listen
	// parameters of those names ("default" counts as default_server).
	SSL           bool `json:"ssl,omitempty"`
	HTTP2         bool `json:"http2,omitempty"`
	QUIC          bool `json:"quic,omitempty"`
	ProxyProtocol bool `json:"proxy_protocol,omitempty"`
	DefaultServer bool `json:"default_server,omitempty"`
	// Implicit marks the listen nginx assumes for a server block
	// without any (*:80).
	Implicit bool `json:"implicit,omitempty"`
}

// Pass is a location handing requests to another server: proxy_pass,
// fastcgi_pass, uwsgi_pass, scgi_pass, grpc_pass or memcached_pass.
type Pass struct {
	// Location is the location's path as written ("/api/", "~ \.php$"),
	// "" at server level.
	Location string `json:"location,omitempty"`
	// Kind is the directive without "_pass" ("proxy", "fastcgi" ...).
	Kind string `json:"kind"`
	// Target is the directive's argument as written.
	Target string `json:"target"`
	// Upstream is the upstream block the target names, if any, and
	// Servers its server addresses.
	Upstream string   `json:"upstream,omitempty"`
	Servers  []string `json:"servers,omitempty"`
}

// Server is one server block of the http context.
type Server struct {
	// File and Line say where the block starts.
	File string
	Line int
	// Names are the server names, in order.
	Names []string
	// Listens are the listen directives; one implicit *:80 when there
	// is none.
	Listens []Listen
	// Root is the server's document root after inheritance (nginx's
	// default "html" under the prefix when none is set); Roots adds the
	// roots and aliases of its locations, each once.
	Root  string
	Roots []string
	// Passes lists where locations hand requests to.
	Passes []Pass
	// Certificates are the ssl_certificate files in effect.
	Certificates []string
	// SSL says "ssl on" is in effect (old syntax); HTTP2 "http2 on".
	SSL, HTTP2 bool
	// SkippedIfs counts the if blocks whose content was not looked at.
	SkippedIfs int
}

// Resolve makes a path of the configuration absolute: relative to
// prefix (with a trailing slash) unless it starts with '/' or holds a
// variable, which is kept as written.
func Resolve(prefix, p string) string {
	if p == "" || strings.HasPrefix(p, "/") {
		return path.Clean(p)
	}
	if strings.Contains(p, "$") {
		return p
	}
	return path.Clean(prefix + p)
}

// passKinds are the directives that hand a request elsewhere.
var passKinds = []string{"proxy_pass", "fastcgi_pass", "uwsgi_pass", "scgi_pass", "grpc_pass", "memcached_pass"}

// Servers lists the server blocks of the configuration's http context.
// prefix is nginx's prefix (-p, with a trailing slash): relative roots
// start there, while certificate paths start at the configuration
// prefix.
func Servers(cfg *Config, prefix string) []Server {
	if !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	var out []Server
	for _, http := range cfg.Directives {
		if http.Name != "http" || !http.HasBlock {
			continue
		}
		ups := upstreams(http.Block)
		inh := inherited{root: "html"}
		inh.apply(http.Block)
		for _, d := range http.Block {
			if d.Name == "server" && d.HasBlock {
				out = append(out, server(d, inh, ups, prefix, cfg.ConfPrefix))
			}
		}
	}
	return out
}

// inherited holds the settings a server block inherits from http.
type inherited struct {
	root  string
	certs []string
	ssl   bool
	http2 bool
}

// apply takes the settings of one level's directives.
func (in *inherited) apply(block []*Directive) {
	var certs []string
	for _, d := range block {
		switch d.Name {
		case "root":
			in.root = d.Arg(0)
		case "ssl_certificate":
			certs = append(certs, d.Arg(0))
		case "ssl":
			in.ssl = d.Arg(0) == "on"
		case "http2":
			in.http2 = d.Arg(0) == "on"
		}
	}
	if certs != nil {
		// Array directives are inherited only when the level sets none.
		in.certs = certs
	}
}

// upstreams maps the upstream blocks' names to their servers.
func upstreams(http []*Directive) map[string][]string {
	out := map[string][]string{}
	for _, d := range http {
		if d.Name != "upstream" || !d.HasBlock {
			continue
		}
		servers := []string{}
		for _, s := range d.Block {
			if s.Name == "server" && len(s.Args) > 0 {
				servers = append(servers, s.Args[0])
			}
		}
		out[d.Arg(0)] = servers
	}
	return out
}

func server(d *Directive, inh inherited, ups map[string][]string, prefix, confPrefix string) Server {
	s := Server{File: d.File, Line: d.Line}
	inh.apply(d.Block)
	s.SSL, s.HTTP2 = inh.ssl, inh.http2
	for _, c := range d.Block {
		switch c.Name {
		case "server_name":
			for _, n := range c.Args {
				if n != "" && !slices.Contains(s.Names, n) {
					s.Names = append(s.Names, n)
				}
			}
		case "listen":
			if len(c.Args) > 0 {
				s.Listens = append(s.Listens, parseListen(c.Args))
			}
		}
	}
	if len(s.Listens) == 0 {
		s.Listens = []Listen{{Address: "*", Port: 80, Implicit: true}}
	}
	s.Root = Resolve(prefix, inh.root)
	s.Roots = []string{s.Root}
	for _, c := range inh.certs {
		if c != "" {
			s.Certificates = append(s.Certificates, certPath(confPrefix, c))
		}
	}
	s.locations(d.Block, "", ups, prefix)
	return s
}

// certPath resolves a certificate path: "data:" values and paths with
// variables are kept as written.
func certPath(confPrefix, c string) string {
	if strings.HasPrefix(c, "data:") || strings.HasPrefix(c, "engine:") || strings.Contains(c, "$") {
		return c
	}
	return Resolve(confPrefix, c)
}

// locations walks the location blocks of block (the server's or a
// location's, at location loc) for roots and passes.
func (s *Server) locations(block []*Directive, loc string, ups map[string][]string, prefix string) {
	for _, c := range block {
		switch {
		case c.Name == "if" && c.HasBlock:
			s.SkippedIfs++
		case c.Name == "location" && c.HasBlock:
			p := strings.Join(c.Args, " ")
			for _, l := range c.Block {
				if (l.Name == "root" || l.Name == "alias") && len(l.Args) > 0 {
					r := Resolve(prefix, l.Args[0])
					if !slices.Contains(s.Roots, r) {
						s.Roots = append(s.Roots, r)
					}
				}
			}
			s.locations(c.Block, p, ups, prefix)
		case slices.Contains(passKinds, c.Name) && len(c.Args) > 0 && loc != "":
			p := Pass{Location: loc, Kind: strings.TrimSuffix(c.Name, "_pass"), Target: c.Args[0]}
			if name := upstreamName(p.Target); name != "" {
				if servers, ok := ups[name]; ok {
					p.Upstream, p.Servers = name, servers
				}
			}
			s.Passes = append(s.Passes, p)
		}
	}
}

// upstreamName returns the host part of a pass target that could name
// an upstream block: no port, no variable, not a UNIX socket.
func upstreamName(target string) string {
	if strings.HasPrefix(target, "unix:") || strings.Contains(target, "$") {
		return ""
	}
	if i := strings.Index(target, "://"); i >= 0 {
		target = target[i+3:]
	}
	if i := strings.IndexByte(target, '/'); i >= 0 {
		target = target[:i]
	}
	if strings.Contains(target, ":") {
		return ""
	}
	return target
}

// parseListen reads a listen directive's arguments.
func parseListen(args []string) Listen {
	l := parseListenAddress(args[0])
	for _, a := range args[1:] {
		switch a {
		case "ssl":
			l.SSL = true
		case "http2":
			l.HTTP2 = true
		case "quic":
			l.QUIC = true
		case "proxy_protocol":
			l.ProxyProtocol = true
		case "default_server", "default":
			l.DefaultServer = true
		}
	}
	return l
}

// parseListenAddress reads a listen address as ngx_parse_url does:
// "unix:PATH", "[v6]:port", "addr:port", "port" or "addr" (port 80).
func parseListenAddress(a string) Listen {
	if p, ok := strings.CutPrefix(a, "unix:"); ok {
		return Listen{Unix: p}
	}
	host, port := a, ""
	if strings.HasPrefix(a, "[") {
		if i := strings.IndexByte(a, ']'); i >= 0 {
			host = a[:i+1]
			port, _ = strings.CutPrefix(a[i+1:], ":")
		}
	} else if n, err := strconv.Atoi(a); err == nil && n >= 0 {
		host, port = "*", a
	} else if i := strings.LastIndexByte(a, ':'); i >= 0 {
		host, port = a[:i], a[i+1:]
	}
	if host == "" {
		host = "*"
	}
	l := Listen{Address: host, Port: 80}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			n = 0
		}
		l.Port = n
	}
	return l
}
