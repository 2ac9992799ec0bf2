package websites

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/agent/collect/app/websites/apacheconf"
	"github.com/vigilsec/vigil/internal/agent/collect/app/websites/framework"
	"github.com/vigilsec/vigil/internal/event"
)

// Bounds on the lists of one item, so that it stays well below
// event.MaxAssetFields; the counts beside them are kept whole.
const (
	maxNames     = 64
	maxListens   = 64
	maxRoots     = 32
	maxUpstreams = 64
	maxServers   = 32
	maxCerts     = 8
	maxWebapps   = 128
	maxFound     = 64
	maxText      = 512
)

// listen is one address a site is served on.
type listen struct {
	Address string `json:"address,omitempty"`
	Port    int    `json:"port,omitempty"`
	// PortRaw is a port that is not a number (an unresolved property).
	PortRaw       string `json:"port_raw,omitempty"`
	Unix          string `json:"unix,omitempty"`
	Protocol      string `json:"protocol,omitempty"`
	SSL           bool   `json:"ssl,omitempty"`
	HTTP2         bool   `json:"http2,omitempty"`
	QUIC          bool   `json:"quic,omitempty"`
	DefaultServer bool   `json:"default_server,omitempty"`
	// Implicit: not written in the configuration, the server's default.
	Implicit bool `json:"implicit,omitempty"`
}

// upstream is where a site hands requests to.
type upstream struct {
	Location string   `json:"location,omitempty"`
	Kind     string   `json:"kind"`
	Target   string   `json:"target"`
	Name     string   `json:"name,omitempty"`
	Servers  []string `json:"servers,omitempty"`
}

// webapp is a Tomcat web application.
type webapp struct {
	// Context is the context path ("/" for ROOT).
	Context string `json:"context"`
	// Path is its folder or WAR.
	Path string `json:"path"`
	// WAR says it is (also) deployed as a WAR file.
	WAR bool `json:"war,omitempty"`
}

// site is a virtual host, server block, Tomcat host or application.
type site struct {
	server string
	// config is the main configuration (resolved), the instance's
	// identity; file and line where the site is written.
	config string
	file   string
	line   int
	names  []string
	listen []listen
	// roots are the folders (or archives) the site serves files from.
	roots      []string
	aliases    []apacheconf.Alias
	upstreams  []upstream
	tls        bool
	certFiles  []string
	conditions []apacheconf.Condition
	webapps    []webapp
	skippedIfs int

	// Filled by the scan.
	certs        []Certificate
	frameworks   []framework.Found
	scripts      framework.Scripts
	truncated    bool
	missingRoots []string
}

// ports returns the site's TCP ports, sorted, each once.
func (s *site) ports() []int {
	var out []int
	for _, l := range s.listen {
		if l.Port > 0 && !slices.Contains(out, l.Port) {
			out = append(out, l.Port)
		}
	}
	slices.Sort(out)
	return out
}

// firstName is the name the site is keyed and shown by: its first
// server name, "*" when it has none.
func (s *site) firstName() string {
	if len(s.names) > 0 && s.names[0] != "" {
		return s.names[0]
	}
	return "*"
}

// baseKey is the site's key before disambiguation: server, main
// configuration, first name and ports; stable while the site keeps its
// name and ports, wherever it moves in the files.
func (s *site) baseKey() string {
	ps := s.ports()
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = strconv.Itoa(p)
	}
	where := strings.Join(parts, ",")
	if where == "" {
		for _, l := range s.listen {
			if l.Unix != "" {
				where = "unix:" + l.Unix
				break
			}
		}
	}
	return fmt.Sprintf("%s:%s#%s@%s", s.server, s.config, s.firstName(), where)
}

// displayName is the item's name: the first real host name, else the
// server and its ports.
func (s *site) displayName() string {
	for _, n := range s.names {
		if n != "" && n != "_" && n != "*" && !strings.HasPrefix(n, "~") {
			return clip(n)
		}
	}
	ps := s.ports()
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = ":" + strconv.Itoa(p)
	}
	what := s.server
	if s.server == ServerSpringBoot {
		what = path.Base(s.config)
	}
	return clip(strings.TrimSpace(what + " " + strings.Join(parts, " ")))
}

func clip(s string) string {
	if len(s) <= maxText {
		return s
	}
	return strings.ToValidUTF8(s[:maxText], "")
}

func strs(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = clip(s)
	}
	return out
}

func ints(is []int) []any {
	out := make([]any, len(is))
	for i, n := range is {
		out[i] = n
	}
	return out
}

// asset builds the inventory item of a site with key.
func (s *site) asset(key string) event.Asset {
	e := event.Event{}
	if len(s.names) > 0 {
		e.Set("url.domain", strs(capList(s.names, maxNames)))
	}
	if ps := s.ports(); len(ps) > 0 {
		e.Set("server.port", ints(ps))
	}
	if s.file != "" {
		e.Set("file.path", clip(s.file))
	}
	w := map[string]any{"server": s.server, "config": clip(s.config)}
	if s.line > 0 {
		w["line"] = s.line
	}
	if len(s.names) > maxNames {
		w["names_count"] = len(s.names)
	}
	if len(s.listen) > 0 {
		ls := make([]any, 0, len(s.listen))
		for _, l := range capList(s.listen, maxListens) {
			m := map[string]any{}
			if l.Address != "" {
				m["address"] = clip(l.Address)
			}
			if l.Port > 0 {
				m["port"] = l.Port
			}
			if l.PortRaw != "" {
				m["port_raw"] = clip(l.PortRaw)
			}
			if l.Unix != "" {
				m["unix"] = clip(l.Unix)
			}
			if l.Protocol != "" {
				m["protocol"] = clip(l.Protocol)
			}
			for k, v := range map[string]bool{"ssl": l.SSL, "http2": l.HTTP2, "quic": l.QUIC, "default_server": l.DefaultServer, "implicit": l.Implicit} {
				if v {
					m[k] = true
				}
			}
			ls = append(ls, m)
		}
		w["listen"] = ls
	}
	if len(s.roots) > 0 {
		w["roots"] = strs(capList(s.roots, maxRoots))
	}
	if len(s.missingRoots) > 0 {
		w["missing_roots"] = strs(capList(s.missingRoots, maxRoots))
	}
	if len(s.aliases) > 0 {
		as := make([]any, 0, len(s.aliases))
		for _, a := range capList(s.aliases, maxRoots) {
			m := map[string]any{"url": clip(a.URL), "path": clip(a.Path)}
			if a.Script {
				m["script"] = true
			}
			as = append(as, m)
		}
		w["aliases"] = as
	}
	if len(s.upstreams) > 0 {
		us := make([]any, 0, len(s.upstreams))
		for _, u := range capList(s.upstreams, maxUpstreams) {
			m := map[string]any{"kind": u.Kind, "target": clip(u.Target)}
			if u.Location != "" {
				m["location"] = clip(u.Location)
			}
			if u.Name != "" {
				m["name"] = clip(u.Name)
			}
			if len(u.Servers) > 0 {
				m["servers"] = strs(capList(u.Servers, maxServers))
			}
			us = append(us, m)
		}
		w["upstreams"] = us
		if len(s.upstreams) > maxUpstreams {
			w["upstreams_count"] = len(s.upstreams)
		}
	}
	if len(s.conditions) > 0 {
		cs := make([]any, 0, len(s.conditions))
		for _, c := range s.conditions {
			cs = append(cs, map[string]any{"section": c.Section, "test": clip(c.Test), "state": string(c.State)})
		}
		w["conditions"] = cs
	}
	if len(s.webapps) > 0 {
		ws := make([]any, 0, len(s.webapps))
		for _, a := range capList(s.webapps, maxWebapps) {
			m := map[string]any{"context": clip(a.Context), "path": clip(a.Path)}
			if a.WAR {
				m["war"] = true
			}
			ws = append(ws, m)
		}
		w["webapps"] = ws
		w["webapps_count"] = len(s.webapps)
	}
	if s.skippedIfs > 0 {
		w["skipped_if_blocks"] = s.skippedIfs
	}
	fs := make([]any, 0, len(s.frameworks))
	for _, f := range capList(s.frameworks, maxFound) {
		fs = append(fs, map[string]any{"name": f.Name, "version": f.Version, "path": clip(f.Path)})
	}
	w["frameworks"] = fs
	w["scripts"] = map[string]any{"php": s.scripts.PHP, "jsp": s.scripts.JSP, "asp": s.scripts.ASP, "truncated": s.truncated}
	if s.tls || len(s.certs) > 0 {
		t := map[string]any{"enabled": s.tls}
		if len(s.certs) > 0 {
			cs := make([]any, 0, len(s.certs))
			for _, c := range capList(s.certs, maxCerts) {
				cs = append(cs, c.fields())
			}
			t["certificates"] = cs
		}
		w["tls"] = t
		for _, c := range s.certs {
			if c.Status == CertOK {
				f := c.fields()
				e.Set("tls.server.x509", f["x509"])
				e.Set("tls.server.hash", f["hash"])
				break
			}
		}
	}
	e.Set("vigil.website", w)
	return event.Asset{Kind: event.AssetWebsite, Key: key, Name: s.displayName(), Fields: e}
}

// clipKey keeps a base key short enough for event.MaxAssetKey with room
// for the suffix that tells apart sites with the same base key.
func clipKey(k string) string {
	const room = 16
	if len(k) <= event.MaxAssetKey-room {
		return k
	}
	return strings.ToValidUTF8(k[:event.MaxAssetKey-room], "")
}

func capList[T any](s []T, n int) []T {
	if len(s) > n {
		return s[:n]
	}
	return s
}
