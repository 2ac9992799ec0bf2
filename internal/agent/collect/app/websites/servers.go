package websites

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/vigilsec/vigil/internal/agent/collect/app/websites/apacheconf"
	"github.com/vigilsec/vigil/internal/agent/collect/app/websites/framework"
	"github.com/vigilsec/vigil/internal/agent/collect/app/websites/nginxconf"
	"github.com/vigilsec/vigil/internal/agent/collect/app/websites/tomcatconf"
)

// nginxSites reads an nginx configuration's server blocks.
func (c *Collector) nginxSites(src hostSource, in instance) ([]site, error) {
	cfg, err := nginxconf.Load(src, in.config, "", nginxconf.DefaultLimits)
	if err != nil {
		return nil, err
	}
	report(c, in.config, cfg.Problems)
	var out []site
	for _, s := range nginxconf.Servers(cfg, in.prefix) {
		st := site{server: ServerNginx, config: in.resolved, file: s.File, line: s.Line, names: s.Names,
			roots: s.Roots, certFiles: s.Certificates, skippedIfs: s.SkippedIfs}
		st.tls = s.SSL
		for _, l := range s.Listens {
			st.listen = append(st.listen, listen{Address: l.Address, Port: l.Port, Unix: l.Unix, SSL: l.SSL || s.SSL,
				HTTP2: l.HTTP2 || s.HTTP2, QUIC: l.QUIC, DefaultServer: l.DefaultServer, Implicit: l.Implicit})
			st.tls = st.tls || l.SSL || l.QUIC
		}
		if !st.tls {
			// Inherited from http, but used by no listen of this server.
			st.certFiles = nil
		}
		for _, p := range s.Passes {
			st.upstreams = append(st.upstreams, upstream{Location: p.Location, Kind: p.Kind, Target: p.Target, Name: p.Upstream, Servers: p.Servers})
		}
		out = append(out, st)
	}
	return out, nil
}

// apacheStatic are the modules Debian's and the upstream httpd build
// compile in (apache2 -l).
var apacheStatic = []string{"core.c", "mod_so.c", "mod_watchdog.c", "http_core.c", "mod_log_config.c", "mod_logio.c", "mod_version.c", "mod_unixd.c"}

// apacheSites reads an httpd configuration's virtual hosts, and its main
// server when some Listen port has no virtual host.
func (c *Collector) apacheSites(src hostSource, in instance) ([]site, error) {
	cfg, err := apacheconf.Load(src, in.config, apacheconf.Options{ServerRoot: in.prefix, Defines: in.defines,
		DefinesKnown: in.definesKnown, Env: in.env, StaticModules: apacheStatic})
	if err != nil {
		return nil, err
	}
	report(c, in.config, cfg.Problems)
	docRoot := path.Join(cfg.ServerRoot, "htdocs")
	if path.Base(in.config) == "apache2.conf" {
		docRoot = "/var/www/html" // Debian's compiled-in DocumentRoot
	}
	srv := apacheconf.Analyze(cfg, docRoot)
	// The ports httpd listens on: those of Listen directives not under
	// a condition known to be unmet.
	var ports []int
	for _, l := range srv.Listens {
		if !unmet(l.Conditions) && !slices.Contains(ports, l.Port) {
			ports = append(ports, l.Port)
		}
	}
	slices.Sort(ports)
	covered := map[int]bool{}
	var out []site
	for _, v := range srv.VirtualHosts {
		st := apacheSite(v, in.resolved)
		var ls []listen
		for _, a := range v.Addrs {
			if a.Port > 0 {
				ls = append(ls, listen{Address: a.Host, Port: a.Port, SSL: v.SSL})
				covered[a.Port] = covered[a.Port] || !unmet(v.Conditions)
				continue
			}
			// Any port: every port httpd listens on.
			for _, p := range ports {
				ls = append(ls, listen{Address: a.Host, Port: p, SSL: v.SSL})
				covered[p] = covered[p] || !unmet(v.Conditions)
			}
		}
		st.listen = ls
		out = append(out, st)
	}
	var free []listen
	for _, l := range srv.Listens {
		if !unmet(l.Conditions) && !covered[l.Port] {
			free = append(free, listen{Address: l.Address, Port: l.Port, Protocol: l.Protocol, SSL: srv.Main.SSL})
		}
	}
	if len(free) > 0 {
		st := apacheSite(srv.Main, in.resolved)
		st.file, st.line = in.config, 0
		st.listen = free
		out = append(out, st)
	}
	return out, nil
}

// unmet reports whether a condition is known to be false.
func unmet(cs []apacheconf.Condition) bool {
	for _, c := range cs {
		if c.State == apacheconf.Unmet {
			return true
		}
	}
	return false
}

func apacheSite(v apacheconf.Site, config string) site {
	st := site{server: ServerApache, config: config, file: v.File, line: v.Line, tls: v.SSL,
		certFiles: v.Certificates, conditions: v.Conditions, aliases: v.URLAliases}
	if !v.SSL {
		st.certFiles = nil // set, maybe inherited, but not used
	}
	if v.ServerName != "" {
		st.names = append(st.names, v.ServerName)
	}
	for _, a := range v.Aliases {
		if !slices.Contains(st.names, a) {
			st.names = append(st.names, a)
		}
	}
	if v.DocumentRoot != "" {
		st.roots = []string{v.DocumentRoot}
	}
	for _, p := range v.Proxies {
		kind := "proxy"
		if strings.EqualFold(p.Directive, "SetHandler") {
			kind = "handler"
		}
		st.upstreams = append(st.upstreams, upstream{Location: p.Path, Kind: kind, Target: p.Target, Servers: p.Members})
	}
	return st
}

// tomcatSites reads a Tomcat server.xml: one site per Host, with the
// connectors of its service and the web applications it deploys.
func (c *Collector) tomcatSites(src hostSource, in instance) ([]site, error) {
	data, err := src.ReadFile(in.config)
	if err != nil {
		return nil, fmt.Errorf("tomcat configuration %s: %w", in.config, err)
	}
	props := map[string]string{"catalina.base": in.prefix, "catalina.home": in.home}
	srv, err := tomcatconf.Parse(data, props)
	if err != nil {
		report(c, in.config, []error{err})
		if srv == nil {
			return nil, nil
		}
	}
	var out []site
	for _, svc := range srv.Services {
		var ls []listen
		var certs []string
		tls := false
		for _, k := range svc.Connectors {
			l := listen{Address: k.Address, Port: k.Port, PortRaw: k.PortRaw, Protocol: k.Protocol, SSL: k.SSLEnabled}
			if l.Address == "" {
				l.Address = "*"
			}
			ls = append(ls, l)
			if k.SSLEnabled {
				tls = true
				for _, ct := range k.Certificates {
					switch {
					case ct.File != "":
						certs = append(certs, absolute(in.prefix, ct.File))
					case ct.Keystore != "":
						// A Java keystore: its path is shown, not read.
						certs = append(certs, "keystore:"+absolute(in.prefix, ct.Keystore))
					}
				}
			}
		}
		for _, h := range svc.Engine.Hosts {
			st := site{server: ServerTomcat, config: in.resolved, file: in.config, line: h.Line, listen: ls, tls: tls, certFiles: certs}
			st.names = append([]string{h.Name}, h.Aliases...)
			appBase := absolute(in.prefix, h.AppBase)
			st.roots = []string{appBase}
			st.webapps = c.webapps(src, in, svc.Engine.Name, h, appBase)
			for _, w := range st.webapps {
				if !strings.HasPrefix(w.Path, appBase+"/") && !slices.Contains(st.roots, w.Path) {
					st.roots = append(st.roots, w.Path)
				}
			}
			out = append(out, st)
		}
	}
	return out, nil
}

// webapps lists a Tomcat host's web applications: the folders and WARs
// of its appBase, its Context elements and the context descriptors of
// conf/<engine>/<host>/.
func (c *Collector) webapps(src hostSource, in instance, engine string, h tomcatconf.Host, appBase string) []webapp {
	var out []webapp
	byContext := map[string]int{}
	add := func(w webapp) {
		if i, ok := byContext[w.Context]; ok {
			out[i].WAR = out[i].WAR || w.WAR
			return
		}
		if len(out) >= 4*maxWebapps {
			return
		}
		byContext[w.Context] = len(out)
		out = append(out, w)
	}
	if names, err := src.ReadDir(appBase); err == nil {
		for _, n := range names {
			if strings.HasPrefix(n, ".") {
				continue
			}
			p := path.Join(appBase, n)
			isDir, err := src.Stat(p)
			switch {
			case err != nil:
			case isDir:
				add(webapp{Context: tomcatconf.ContextPath(n), Path: p})
			case strings.HasSuffix(n, ".war"):
				base := strings.TrimSuffix(n, ".war")
				if d, err := src.Stat(path.Join(appBase, base)); err == nil && d {
					add(webapp{Context: tomcatconf.ContextPath(base), Path: path.Join(appBase, base), WAR: true})
				} else {
					add(webapp{Context: tomcatconf.ContextPath(base), Path: p, WAR: true})
				}
			}
		}
	}
	for _, ctx := range h.Contexts {
		if ctx.DocBase != "" {
			add(webapp{Context: normContext(ctx.Path), Path: absolute(appBase, ctx.DocBase), WAR: strings.HasSuffix(ctx.DocBase, ".war")})
		}
	}
	if engine != "" {
		dir := path.Join(in.prefix, "conf", engine, h.Name)
		if names, err := src.ReadDir(dir); err == nil {
			for _, n := range names {
				base, ok := strings.CutSuffix(n, ".xml")
				if !ok {
					continue
				}
				data, err := src.ReadFile(path.Join(dir, n))
				if err != nil {
					c.unreadable.Add(1)
					continue
				}
				ctx, err := tomcatconf.ParseContext(data, map[string]string{"catalina.base": in.prefix, "catalina.home": in.home})
				if err != nil {
					report(c, path.Join(dir, n), []error{err})
					continue
				}
				if ctx.DocBase != "" {
					add(webapp{Context: tomcatconf.ContextPath(base), Path: absolute(appBase, ctx.DocBase), WAR: strings.HasSuffix(ctx.DocBase, ".war")})
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b webapp) int { return strings.Compare(a.Context, b.Context) })
	return out
}

// normContext writes a Context path attribute as a context path.
func normContext(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// springBootSite describes an application run with java -jar: its port
// from the command line (--server.port, -Dserver.port, SERVER_PORT) or
// its application.properties / application.yml, 8080 otherwise.
func (c *Collector) springBootSite(scan *framework.Scanner, in instance) ([]site, error) {
	a, err := scan.OpenArchive(in.config)
	if err != nil {
		c.badArchives.Add(1)
		return nil, nil
	}
	if a.SpringBoot == "" {
		return nil, nil
	}
	port, implicit := 0, false
	for _, arg := range in.args {
		for _, pre := range []string{"--server.port=", "-Dserver.port="} {
			if v, ok := strings.CutPrefix(arg, pre); ok {
				port = springPort(v)
			}
		}
	}
	if port == 0 && a.Properties != nil {
		port = framework.SpringBootPort(a.Properties, false)
	}
	if port == 0 && a.YAML != nil {
		port = framework.SpringBootPort(a.YAML, true)
	}
	if port == 0 {
		port, implicit = 8080, true
	}
	st := site{server: ServerSpringBoot, config: in.resolved, file: in.config, roots: []string{in.config},
		listen: []listen{{Address: "*", Port: port, Implicit: implicit}}}
	return []site{st}, nil
}

func springPort(v string) int {
	return framework.SpringBootPort([]byte("server.port="+v), false)
}
