// Package incident gathers alerts into incidents and reconstructs what
// happened around them (事件还原).
//
// An alert brings the entities of the event that raised it: its process
// and the process tree above it up to the host's long-running services,
// the remote addresses it talked to, the user, file hashes of programs
// and files outside the system's own folders, files it touched and DNS
// names. Alerts that share an entity within a time window are one
// incident, on one host or across hosts (store.IncidentStore.Attach does
// the joining atomically). What is shared by nearly everything on a host
// is left out, or it would merge unrelated alerts into one incident:
// loopback and link-local addresses, the init process and the services
// it started, system accounts outside their host, hashes of programs in
// the system's folders.
package incident

import (
	"encoding/json"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

// maxEntities bounds the entities one alert brings.
const maxEntities = 32

// Entities returns the entities of an alert raised on agentID by ev.
func Entities(agentID string, ev event.Event) []store.Entity {
	var b builder
	b.processes(ev)
	b.addresses(ev)
	b.user(agentID, ev)
	b.files(agentID, ev)
	for _, f := range []string{"dns.question.name", "destination.domain", "url.domain"} {
		if d := strings.TrimSuffix(strings.ToLower(ev.String(f)), "."); d != "" && d != "localhost" {
			b.add(store.EntityDomain, d)
		}
	}
	return b.out
}

type builder struct{ out []store.Entity }

func (b *builder) add(kind, value string) {
	if value == "" || len(b.out) >= maxEntities {
		return
	}
	e := store.Entity{Kind: kind, Value: value}
	if !slices.Contains(b.out, e) {
		b.out = append(b.out, e)
	}
}

// processes adds the process and its ancestors below the host's
// long-running services: the chain stops before the init process and
// before the processes init started (sshd's listener, cron, the web
// server's master), which every session and job on the host shares.
func (b *builder) processes(ev event.Event) {
	b.add(store.EntityProcess, ev.String("process.entity_id"))
	anc, _ := ev.Get("process.ancestry")
	list, _ := anc.([]any)
	// Without ancestry nothing tells a session's parent from a service
	// that every session shares: the process alone then.
	for i, a := range list {
		m, _ := a.(map[string]any)
		if m == nil || pidOf(m) <= 1 {
			return
		}
		if i+1 < len(list) {
			if next, _ := list[i+1].(map[string]any); next != nil && pidOf(next) == 1 {
				return // a service init started
			}
		}
		id, _ := m["entity_id"].(string)
		b.add(store.EntityProcess, id)
	}
}

// addresses adds the remote addresses of the event: the peer of a
// connection, the source of a login.
func (b *builder) addresses(ev event.Event) {
	own := map[netip.Addr]bool{}
	for _, s := range strings.Fields(strings.Join(stringsOf(ev, "host.ip"), " ")) {
		if a, err := netip.ParseAddr(s); err == nil {
			own[a.Unmap()] = true
		}
	}
	fields := []string{"source.ip", "destination.ip", "client.ip", "server.ip"}
	switch ev.String("network.direction") {
	case "inbound", "ingress":
		fields = []string{"source.ip", "client.ip"}
	case "outbound", "egress":
		fields = []string{"destination.ip", "server.ip"}
	}
	for _, f := range fields {
		for _, s := range stringsOf(ev, f) {
			a, err := netip.ParseAddr(s)
			if err != nil {
				continue
			}
			a = a.Unmap()
			if own[a] || a.IsLoopback() || a.IsUnspecified() || a.IsLinkLocalUnicast() ||
				a.IsMulticast() || a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() {
				continue
			}
			b.add(store.EntityIP, a.String())
		}
	}
}

// commonAccounts exist on most hosts: they tie alerts together only on
// the same host.
var commonAccounts = map[string]bool{
	"root": true, "admin": true, "administrator": true, "ubuntu": true, "debian": true,
	"ec2-user": true, "centos": true, "cloud-user": true, "opc": true, "user": true,
	"test": true, "guest": true, "oracle": true, "postgres": true, "mysql": true,
	"www-data": true, "nginx": true, "apache": true, "tomcat": true, "nobody": true,
	"redis": true, "git": true, "jenkins": true, "deploy": true,
}

// user adds the acting (or targeted) user: system accounts (uid below
// 1000) and names found on most hosts as "name@agent", others by name.
func (b *builder) user(agentID string, ev event.Event) {
	name := ev.String("user.name")
	if name == "" {
		name = ev.String("user.target.name")
	}
	if name == "" {
		return
	}
	uid, err := strconv.Atoi(ev.String("user.id"))
	if commonAccounts[strings.ToLower(name)] || err == nil && uid < 1000 {
		b.add(store.EntityUser, name+"@"+agentID)
		return
	}
	b.add(store.EntityUser, name)
}

// systemDirs hold the programs a distribution installs: their hashes are
// the same on every host.
var systemDirs = []string{"/usr/", "/bin/", "/sbin/", "/lib/", "/lib64/", "/opt/vigil/", "/snap/"}

func inSystemDir(p string) bool {
	for _, d := range systemDirs {
		if strings.HasPrefix(p, d) {
			return true
		}
	}
	return false
}

// files adds the hashes of programs and files outside the system's
// folders, and the file the event touched (on this host).
func (b *builder) files(agentID string, ev event.Event) {
	if exe := ev.String("process.executable"); exe != "" && !inSystemDir(exe) {
		b.add(store.EntityFileHash, strings.ToLower(ev.String("process.hash.sha256")))
	}
	if p := ev.String("file.path"); p != "" {
		b.add(store.EntityFile, agentID+":"+p)
		if !inSystemDir(p) {
			b.add(store.EntityFileHash, strings.ToLower(ev.String("file.hash.sha256")))
		}
	}
}

// stringsOf returns a field's value as strings: one for a scalar, each
// element for a list.
func stringsOf(ev event.Event, path string) []string {
	v, ok := ev.Get(path)
	if !ok {
		return nil
	}
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func pidOf(m map[string]any) int { return number(m["pid"]) }

func number(v any) int {
	switch x := v.(type) {
	case float64:
		return int(x)
	case int:
		return x
	case int64:
		return int(x)
	case uint32:
		return int(x)
	case json.Number:
		n, _ := x.Int64()
		return int(n)
	case string:
		n, _ := strconv.Atoi(x)
		return n
	}
	return 0
}
