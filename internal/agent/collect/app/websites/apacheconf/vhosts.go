package apacheconf

import (
	"path"
	"slices"
	"strconv"
	"strings"
)

// Listen is a Listen directive.
type Listen struct {
	// Address is the address ("*" when only a port is given), Port the
	// port, Protocol the optional protocol argument ("https").
	Address  string `json:"address"`
	Port     int    `json:"port"`
	Protocol string `json:"protocol,omitempty"`
	// Conditions are those of the sections around it.
	Conditions []Condition `json:"conditions,omitempty"`
}

// Addr is one address of a VirtualHost.
type Addr struct {
	// Host is the address as written ("*", "_default_", "192.0.2.1",
	// "[::]"); Port the port, 0 for "any port" ("*" or none).
	Host string `json:"host"`
	Port int    `json:"port,omitempty"`
}

// Alias maps a URL path to a folder (Alias, ScriptAlias).
type Alias struct {
	URL    string `json:"url"`
	Path   string `json:"path"`
	Script bool   `json:"script,omitempty"`
}

// Proxy is a place a server hands requests to: ProxyPass,
// ProxyPassMatch, or a SetHandler "proxy:..." (PHP-FPM).
type Proxy struct {
	// Path is the URL path or pattern ("" for a handler).
	Path string `json:"path,omitempty"`
	// Directive is the directive's name.
	Directive string `json:"directive"`
	// Target is where to, as written; Members the BalancerMember URLs of
	// a balancer:// target.
	Target  string   `json:"target"`
	Members []string `json:"members,omitempty"`
}

// Site is the main server or a virtual host, with what it inherits
// from the main server merged in.
type Site struct {
	// File and Line say where the VirtualHost section starts; for the
	// main server, the main file and line 0.
	File string
	Line int
	// Main marks the main server (the configuration outside virtual
	// hosts).
	Main bool
	// Addrs are the VirtualHost's addresses.
	Addrs []Addr
	// ServerName is the name (without scheme or port), the main
	// server's when the virtual host sets none; Aliases the ServerAlias
	// names.
	ServerName string
	Aliases    []string
	// DocumentRoot is in effect for the site (compiled-in default when
	// no level sets one).
	DocumentRoot string
	// URLAliases are the Alias and ScriptAlias mappings in effect.
	URLAliases []Alias
	// SSL says SSLEngine is on; Certificates are the SSLCertificateFile
	// paths in effect.
	SSL          bool
	Certificates []string
	// Proxies are the ProxyPass and proxy handlers in effect.
	Proxies []Proxy
	// Conditions are those of the sections around the VirtualHost.
	Conditions []Condition
}

// Server is what a configuration serves.
type Server struct {
	// ServerRoot is the last one in effect.
	ServerRoot string
	// Listens are the Listen directives.
	Listens []Listen
	// Main is the main server.
	Main Site
	// VirtualHosts are the VirtualHost sections, in order.
	VirtualHosts []Site
}

// settings collects what one level (main server or virtual host) sets.
type settings struct {
	names      []string // ServerName
	aliases    []string
	docRoot    string
	urlAliases []Alias
	ssl        *bool
	certs      []string
	proxies    []Proxy
	balancers  map[string][]string
	serverRoot string
}

// Analyze finds the sites of a configuration. defaultDocRoot is the
// DocumentRoot httpd uses when none is set (Debian: /var/www/html).
func Analyze(cfg *Config, defaultDocRoot string) *Server {
	srv := &Server{ServerRoot: cfg.ServerRoot}
	main := &settings{balancers: map[string][]string{}, serverRoot: cfg.ServerRoot}
	var vhosts []*Directive
	var vconds [][]Condition
	var walk func(ds []*Directive, conds []Condition, set *settings, inVhost bool)
	walk = func(ds []*Directive, conds []Condition, set *settings, inVhost bool) {
		off := unmet(conds)
		for _, d := range ds {
			if d.Section {
				c := conds
				if d.Cond != nil {
					c = append(slices.Clone(conds), *d.Cond)
				}
				switch {
				case d.Is("VirtualHost") && !inVhost:
					vhosts = append(vhosts, d)
					vconds = append(vconds, c)
				case unmet(c):
					// Not in effect (httpd skips the section), but the
					// virtual hosts and Listen lines inside are noted.
					if d.Cond != nil {
						walk(d.Children, c, set, inVhost)
					}
				case d.Is("Proxy") && strings.HasPrefix(strings.ToLower(d.Arg(0)), "balancer://"):
					set.balancer(d)
				case d.Is("Location") || d.Is("LocationMatch"):
					set.location(d)
				case d.Is("Directory") || d.Is("DirectoryMatch") || d.Is("Files") || d.Is("FilesMatch"):
					set.handlers(d.Children)
				default:
					walk(d.Children, c, set, inVhost)
				}
				continue
			}
			if !inVhost && d.Is("Listen") {
				if l, ok := parseListen(d.Args); ok {
					l.Conditions = conds
					srv.Listens = append(srv.Listens, l)
				}
				continue
			}
			if !off {
				set.directive(d)
			}
		}
	}
	walk(cfg.Directives, nil, main, false)
	docRoot := main.docRoot
	if docRoot == "" {
		docRoot = defaultDocRoot
	}
	srv.Main = Site{File: cfg.Main, Main: true, DocumentRoot: docRoot, URLAliases: main.urlAliases,
		Certificates: main.certs, Proxies: main.resolved(main.proxies)}
	if len(main.names) > 0 {
		srv.Main.ServerName = main.names[0]
	}
	srv.Main.SSL = main.ssl != nil && *main.ssl
	for i, v := range vhosts {
		set := &settings{balancers: main.balancers, serverRoot: cfg.ServerRoot}
		walk(v.Children, nil, set, true)
		s := Site{File: v.File, Line: v.Line, Conditions: vconds[i], ServerName: srv.Main.ServerName,
			Aliases: set.aliases, DocumentRoot: docRoot, SSL: srv.Main.SSL}
		for _, a := range v.Args {
			s.Addrs = append(s.Addrs, parseAddr(a))
		}
		if len(set.names) > 0 {
			s.ServerName = set.names[0]
		}
		if set.docRoot != "" {
			s.DocumentRoot = set.docRoot
		}
		if set.ssl != nil {
			s.SSL = *set.ssl
		}
		s.Certificates = main.certs
		if len(set.certs) > 0 {
			s.Certificates = set.certs
		}
		s.URLAliases = append(slices.Clone(set.urlAliases), main.urlAliases...)
		s.Proxies = append(set.resolved(set.proxies), main.resolved(main.proxies)...)
		srv.VirtualHosts = append(srv.VirtualHosts, s)
	}
	return srv
}

// unmet reports whether one of cs is known to be false.
func unmet(cs []Condition) bool {
	for _, c := range cs {
		if c.State == Unmet {
			return true
		}
	}
	return false
}

// full makes p absolute relative to the ServerRoot.
func (s *settings) full(p string) string {
	if p == "" || strings.HasPrefix(p, "/") || strings.Contains(p, "${") {
		return cleanKeep(p)
	}
	return path.Join(s.serverRoot, p)
}

// cleanKeep cleans an absolute path; anything else is kept.
func cleanKeep(p string) string {
	if strings.HasPrefix(p, "/") {
		return path.Clean(p)
	}
	return p
}

// directive takes one directive of a level.
func (s *settings) directive(d *Directive) {
	switch strings.ToLower(d.Name) {
	case "servername":
		if n := hostOf(d.Arg(0)); n != "" {
			s.names = append(s.names, n)
		}
	case "serveralias":
		for _, a := range d.Args {
			if !slices.Contains(s.aliases, a) {
				s.aliases = append(s.aliases, a)
			}
		}
	case "documentroot":
		if len(d.Args) > 0 {
			s.docRoot = s.full(d.Args[0])
		}
	case "alias", "scriptalias":
		if len(d.Args) == 2 {
			s.urlAliases = append(s.urlAliases, Alias{URL: d.Args[0], Path: s.full(d.Args[1]), Script: d.Is("ScriptAlias")})
		}
	case "sslengine":
		on := strings.EqualFold(d.Arg(0), "on")
		s.ssl = &on
	case "sslcertificatefile":
		if len(d.Args) > 0 {
			s.certs = append(s.certs, s.full(d.Args[0]))
		}
	case "proxypass", "proxypassmatch":
		if len(d.Args) >= 2 && d.Args[1] != "!" {
			s.proxies = append(s.proxies, Proxy{Path: d.Args[0], Directive: d.Name, Target: d.Args[1]})
		}
	case "sethandler":
		s.handler(d)
	case "balancermember":
		// outside a <Proxy balancer://> section it names nothing
	}
}

// handler takes a SetHandler "proxy:..." (PHP-FPM and the like).
func (s *settings) handler(d *Directive) {
	if t := d.Arg(0); strings.HasPrefix(strings.ToLower(t), "proxy:") {
		s.proxies = append(s.proxies, Proxy{Directive: d.Name, Target: t})
	}
}

// handlers takes the proxy handlers inside Directory and Files
// sections (and the conditional sections within them).
func (s *settings) handlers(ds []*Directive) {
	for _, d := range ds {
		switch {
		case d.Section:
			s.handlers(d.Children)
		case d.Is("SetHandler"):
			s.handler(d)
		}
	}
}

// location takes the ProxyPass of a Location section (one argument:
// the path is the section's).
func (s *settings) location(d *Directive) {
	for _, c := range d.Children {
		switch {
		case c.Section:
			s.location(&Directive{Name: d.Name, Args: d.Args, Children: c.Children})
		case c.Is("ProxyPass") || c.Is("ProxyPassMatch"):
			if len(c.Args) >= 1 && c.Args[0] != "!" {
				s.proxies = append(s.proxies, Proxy{Path: d.Arg(0), Directive: c.Name, Target: c.Args[0]})
			}
		case c.Is("SetHandler"):
			s.handler(c)
		}
	}
}

// balancer takes a <Proxy balancer://name> section's members.
func (s *settings) balancer(d *Directive) {
	name := strings.TrimSuffix(strings.ToLower(d.Arg(0)), "/")
	var members []string
	var walk func(ds []*Directive)
	walk = func(ds []*Directive) {
		for _, c := range ds {
			if c.Section {
				walk(c.Children)
			} else if c.Is("BalancerMember") && len(c.Args) > 0 {
				members = append(members, c.Args[0])
			}
		}
	}
	walk(d.Children)
	s.balancers[name] = append(s.balancers[name], members...)
}

// resolved returns proxies with the members of the balancers they name.
func (s *settings) resolved(ps []Proxy) []Proxy {
	out := make([]Proxy, 0, len(ps))
	for _, p := range ps {
		if t := strings.ToLower(p.Target); strings.HasPrefix(t, "balancer://") {
			name := t
			if i := strings.IndexByte(t[len("balancer://"):], '/'); i >= 0 {
				name = t[:len("balancer://")+i]
			}
			p.Members = s.balancers[name]
		}
		out = append(out, p)
	}
	return out
}

// hostOf strips the scheme and port of a ServerName.
func hostOf(n string) string {
	if i := strings.Index(n, "://"); i >= 0 {
		n = n[i+3:]
	}
	if strings.HasPrefix(n, "[") {
		if i := strings.IndexByte(n, ']'); i >= 0 {
			return n[:i+1]
		}
		return n
	}
	if i := strings.LastIndexByte(n, ':'); i >= 0 {
		n = n[:i]
	}
	return n
}

// parseAddr reads a VirtualHost address: "*:80", "[::]:443",
// "_default_", "192.0.2.1:*".
func parseAddr(a string) Addr {
	host, port := a, ""
	if strings.HasPrefix(a, "[") {
		if i := strings.IndexByte(a, ']'); i >= 0 {
			host = a[:i+1]
			port, _ = strings.CutPrefix(a[i+1:], ":")
		}
	} else if i := strings.LastIndexByte(a, ':'); i >= 0 {
		host, port = a[:i], a[i+1:]
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		n = 0
	}
	return Addr{Host: host, Port: n}
}

// parseListen reads a Listen directive: [addr:]port [protocol].
func parseListen(args []string) (Listen, bool) {
	if len(args) == 0 {
		return Listen{}, false
	}
	a := args[0]
	host, port := "*", a
	if strings.HasPrefix(a, "[") {
		i := strings.IndexByte(a, ']')
		if i < 0 {
			return Listen{}, false
		}
		host = a[:i+1]
		port, _ = strings.CutPrefix(a[i+1:], ":")
	} else if i := strings.LastIndexByte(a, ':'); i >= 0 {
		host, port = a[:i], a[i+1:]
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return Listen{}, false
	}
	l := Listen{Address: host, Port: n}
	if len(args) > 1 {
		l.Protocol = args[1]
	}
	return l, true
}
