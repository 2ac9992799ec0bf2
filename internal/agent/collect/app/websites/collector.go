// Package websites is the app/websites collector: the web sites the
// host serves (nginx server blocks, Apache httpd virtual hosts, Tomcat
// hosts and Spring Boot applications run with java -jar) and the
// frameworks found in them, as inventory items of kind website.
//
// # Sources
//
// The configurations are those of the running servers (an nginx
// master's -p and -c, else the --prefix and --conf-path compiled into
// its executable; httpd's -d, -f and -D and Debian's APACHE_CONFDIR; a
// Java process's catalina.base) and those at the packages' default
// paths (/etc/nginx/nginx.conf, /usr/local/nginx/conf/nginx.conf,
// /etc/apache2/apache2.conf, /etc/httpd/conf/httpd.conf,
// /var/lib/tomcat*/conf/server.xml ...), so that a site is listed
// whether its server runs or not; each configuration once, by its path
// with links resolved. All files are read below Env.Root; processes in
// containers are left out.
//
// nginx configurations are read by package nginxconf (includes, blocks,
// quoting as nginx does; if blocks skipped), httpd ones by apacheconf
// (Include and IncludeOptional, Define and environment variables,
// conditional sections kept and noted, Debian's envvars when httpd does
// not run), server.xml by tomcatconf.
//
// # Items
//
// One item per nginx server block of the http context, per httpd
// VirtualHost (and the main server when it has a Listen port no virtual
// host takes), per Tomcat Host, per Spring Boot application. The key is
// "<server>:<main configuration>#<first name>@<ports>" ("nginx:/etc/
// nginx/nginx.conf#example.com@80,443"; "*" when the site has no name),
// with "~2", "~3" ... added, in configuration order, to sites that would
// share one: it stays the same when lines are added above the site,
// which only changes its vigil.website.line.
//
// Fields: url.domain (server names and aliases), server.port (ports,
// sorted), file.path (the file the site is written in), tls.server.x509
// and tls.server.hash (the first readable certificate: subject, issuer,
// not_before, not_after, serial_number, alternative_names, sha256), and
// vigil.website.{server, config, line, listen (address, port, unix,
// protocol, ssl, http2, quic, default_server, implicit), roots,
// missing_roots, aliases, upstreams (location, kind, target, name,
// servers: nginx upstream blocks and httpd balancers resolved),
// conditions (httpd's If* sections around the virtual host with their
// state), webapps (Tomcat: context, path, war), frameworks (name,
// version, path), scripts (php, jsp, asp counts, truncated), tls
// (enabled, certificates with file.path and status), skipped_if_blocks}.
//
// Frameworks and script counts come from a bounded scan of each root
// and alias (package framework); private keys are never read.
package websites

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/vigilsec/vigil/internal/agent/collect/app/websites/framework"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/rootfs"
	"github.com/vigilsec/vigil/internal/event"
)

// Name is the collector's name.
const Name = "app/websites"

// maxRunEntries bounds the folder entries all the scans of one run look
// at; the roots scanned after that are marked truncated.
const maxRunEntries = 400_000

// Collector is the app/websites collector.
type Collector struct {
	// Limits bound the scan of each root; the zero value means
	// framework.DefaultLimits.
	Limits framework.Limits

	malformed, unreadable, badArchives, truncated atomic.Uint64
	containers                                    atomic.Uint64 // of the last run
	logger                                        *slog.Logger
}

var (
	_ plugin.AssetCollector = (*Collector)(nil)
	_ plugin.Counted        = (*Collector)(nil)
)

// New returns the collector.
func New() *Collector { return &Collector{} }

// Name implements plugin.Plugin.
func (*Collector) Name() string { return Name }

// Requirements implements plugin.Plugin: configurations, certificates
// and web roots are often readable by root only.
func (*Collector) Requirements() plugin.Requirements {
	return plugin.Requirements{OS: []string{"linux"}, Root: true}
}

// DefaultInterval implements plugin.Collector.
func (*Collector) DefaultInterval() time.Duration { return time.Hour }

// Kinds implements plugin.AssetCollector.
func (*Collector) Kinds() []string { return []string{event.AssetWebsite} }

// Counters implements plugin.Counted: malformed_configs (problems met in
// configuration files: syntax errors, missing includes, limits),
// unreadable_files, bad_archives (JARs and WARs that could not be
// opened) and truncated_scans (root scans cut short by a limit), totals
// since start; container_servers (web server processes in containers,
// not read), as of the last run.
func (c *Collector) Counters() map[string]uint64 {
	return map[string]uint64{
		"malformed_configs": c.malformed.Load(),
		"unreadable_files":  c.unreadable.Load(),
		"bad_archives":      c.badArchives.Load(),
		"truncated_scans":   c.truncated.Load(),
		"container_servers": c.containers.Load(),
	}
}

// report counts and logs the problems of a configuration.
func report[T error](c *Collector, file string, ps []T) {
	if len(ps) == 0 {
		return
	}
	c.malformed.Add(uint64(len(ps)))
	if c.logger != nil {
		for i, p := range ps {
			if i == 8 {
				c.logger.Debug("more configuration problems", "file", file, "count", len(ps)-i)
				break
			}
			c.logger.Debug("configuration problem", "file", file, "error", p)
		}
	}
}

// Assets implements plugin.AssetCollector.
func (c *Collector) Assets(ctx context.Context, env plugin.Env) ([]event.Asset, error) {
	fsys, scan, sites, err := c.sites(ctx, env)
	if err != nil {
		return nil, err
	}
	if err := c.scanSites(ctx, scan, fsys, sites); err != nil {
		return nil, err
	}
	c.unreadable.Add(uint64(scan.Unreadable))
	c.badArchives.Add(uint64(scan.BadArchives))
	assets := make([]event.Asset, 0, len(sites))
	seen := map[string]int{}
	for i := range sites {
		base := clipKey(sites[i].baseKey())
		seen[base]++
		key := base
		if n := seen[base]; n > 1 {
			key = fmt.Sprintf("%s~%d", base, n)
		}
		a := sites[i].asset(key)
		if err := a.Validate(); err != nil {
			c.malformed.Add(1)
			if c.logger != nil {
				c.logger.Debug("site left out", "key", key, "error", err)
			}
			continue
		}
		assets = append(assets, a)
	}
	return assets, nil
}

// sites finds the web servers and reads their sites from their
// configurations, without scanning the sites' roots.
func (c *Collector) sites(ctx context.Context, env plugin.Env) (*rootfs.FS, *framework.Scanner, []site, error) {
	c.logger = env.Logger
	fsys, err := rootfs.New(env.Root)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %w", Name, err)
	}
	fsys = fsys.Cached()
	src := hostSource{fs: fsys}
	c.containers.Store(0)
	ins, err := c.instances(ctx, fsys.Root(), src)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: processes: %w", Name, err)
	}
	lim := c.Limits
	if lim == (framework.Limits{}) {
		lim = framework.DefaultLimits
	}
	scan := &framework.Scanner{FS: fsys, Limits: lim}
	var sites []site
	for _, in := range ins {
		if err := ctx.Err(); err != nil {
			return nil, nil, nil, err
		}
		var ss []site
		var err error
		switch in.server {
		case ServerNginx:
			ss, err = c.nginxSites(src, in)
		case ServerApache:
			ss, err = c.apacheSites(src, in)
		case ServerTomcat:
			ss, err = c.tomcatSites(src, in)
		case ServerSpringBoot:
			ss, err = c.springBootSite(scan, in)
		}
		if err != nil {
			// The main file went away or is unreadable: its sites are
			// unknown, the others stand.
			c.unreadable.Add(1)
			if c.logger != nil {
				c.logger.Debug("configuration unreadable", "server", in.server, "file", in.config, "error", err)
			}
			continue
		}
		sites = append(sites, ss...)
	}
	return fsys, scan, sites, nil
}

// scanSites reads the sites' certificates and scans their roots, each
// root and certificate once.
func (c *Collector) scanSites(ctx context.Context, scan *framework.Scanner, fsys *rootfs.FS, sites []site) error {
	results := map[string]framework.Result{}
	certs := map[string]Certificate{}
	entries := 0
	for i := range sites {
		s := &sites[i]
		for _, f := range capList(s.certFiles, maxCerts) {
			ct, ok := certs[f]
			if !ok {
				ct = readCertificate(fsys, f)
				certs[f] = ct
				if ct.Status == CertUnreadable {
					c.unreadable.Add(1)
				}
			}
			s.certs = append(s.certs, ct)
		}
		for _, r := range scanRoots(s) {
			res, ok := results[r]
			if !ok {
				if entries >= maxRunEntries {
					res = framework.Result{Truncated: true}
				} else {
					var err error
					if res, err = scan.Scan(ctx, r); err != nil {
						if ctx.Err() != nil {
							return ctx.Err()
						}
						if c.logger != nil {
							c.logger.Debug("web root unreadable", "root", r, "error", err)
						}
					}
				}
				entries += res.Entries
				if res.Truncated {
					c.truncated.Add(1)
				}
				results[r] = res
			}
			if res.Missing {
				s.missingRoots = append(s.missingRoots, r)
			}
			s.truncated = s.truncated || res.Truncated
			s.scripts.Add(res.Scripts)
			for _, f := range res.Frameworks {
				if !slices.Contains(s.frameworks, f) {
					s.frameworks = append(s.frameworks, f)
				}
			}
		}
	}
	return nil
}

// scanRoots returns the site's roots and alias folders worth a scan:
// absolute paths without variables, and none inside another (its files
// are counted once).
func scanRoots(s *site) []string {
	var all []string
	for _, r := range s.roots {
		all = append(all, r)
	}
	for _, a := range s.aliases {
		all = append(all, a.Path)
	}
	var out []string
	for _, r := range all {
		if !strings.HasPrefix(r, "/") || strings.ContainsAny(r, "$*") || slices.Contains(out, r) {
			continue
		}
		out = append(out, r)
	}
	var kept []string
	for _, r := range out {
		inside := false
		for _, o := range out {
			if o != r && (o == "/" || strings.HasPrefix(r, strings.TrimSuffix(o, "/")+"/")) {
				inside = true
				break
			}
		}
		if !inside {
			kept = append(kept, r)
		}
	}
	return kept
}
