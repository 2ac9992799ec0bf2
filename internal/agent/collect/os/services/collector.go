package services

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/vigilsec/vigil/internal/agent/collect/internal/pkgowner"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/rootfs"
	"github.com/vigilsec/vigil/internal/event"
)

// Name is the collector's name.
const Name = "os/services"

// UnitTypes are the unit types listed: those that run programs or start
// them.
var UnitTypes = []string{"service", "socket", "timer", "path"}

// Collector is the os/services collector.
type Collector struct {
	malformed, bad, indexErrors atomic.Uint64
}

var (
	_ plugin.AssetCollector = (*Collector)(nil)
	_ plugin.Counted        = (*Collector)(nil)
)

// New returns the collector.
func New() *Collector { return &Collector{} }

// Name implements plugin.Plugin.
func (*Collector) Name() string { return Name }

// Requirements implements plugin.Plugin.
func (*Collector) Requirements() plugin.Requirements {
	return plugin.Requirements{OS: []string{"linux"}}
}

// DefaultInterval implements plugin.Collector.
func (*Collector) DefaultInterval() time.Duration { return 30 * time.Minute }

// Kinds implements plugin.AssetCollector.
func (*Collector) Kinds() []string { return []string{event.AssetService} }

// Counters implements plugin.Counted: malformed_lines (lines of unit
// files skipped, total), bad_units (units of the last run that cannot be
// loaded: dangling links, invalid aliases) and package_index_errors.
func (c *Collector) Counters() map[string]uint64 {
	return map[string]uint64{
		"malformed_lines":      c.malformed.Load(),
		"bad_units":            c.bad.Load(),
		"package_index_errors": c.indexErrors.Load(),
	}
}

// Assets implements plugin.AssetCollector.
func (c *Collector) Assets(ctx context.Context, env plugin.Env) ([]event.Asset, error) {
	root := env.Root
	if root == "" {
		root = "/"
	}
	fsys, err := rootfs.New(root)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	units, problems := ListUnitFiles(fsys, UnitTypes...)
	c.malformed.Add(uint64(problems))
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	running, known := RunningUnits(root)
	ix := pkgowner.Current(root, &c.indexErrors)
	native := map[string]bool{}
	out := make([]event.Asset, 0, len(units))
	var bad uint64
	for i := range units {
		u := &units[i]
		native[u.Name] = true
		if u.State == StateBad {
			bad++
		}
		f := UnitFields(u)
		if known && u.Type == "service" && u.State != StateAlias {
			state := Stopped
			if running[u.Name] {
				state = Running
			}
			f.Set("service.state", state)
		}
		p := u.Fragment
		if p == "" {
			p = u.Path
		}
		ix.Annotate(f, p)
		out = append(out, event.Asset{Kind: event.AssetService, Key: u.Name, Name: u.Name, Fields: f})
	}
	c.bad.Store(bad)
	for _, s := range ListInitScripts(fsys) {
		f := event.Event{}
		f.Set("service.name", s.Name)
		f.Set("vigil.service.manager", "sysv")
		f.Set("file.path", s.Path)
		enablement := StateDisabled
		if s.Enabled() {
			enablement = StateEnabled
		}
		f.Set("vigil.service.enablement", enablement)
		if len(s.Runlevels) > 0 {
			f.Set("vigil.service.runlevels", strs(s.Runlevels))
		}
		// systemd runs the native unit of the same name instead.
		f.Set("vigil.service.native_unit", native[s.Name+".service"])
		ix.Annotate(f, s.Path)
		out = append(out, event.Asset{Kind: event.AssetService, Key: "init.d/" + s.Name, Name: s.Name, Fields: f})
	}
	return out, nil
}

// UnitFields returns the fields of unit file u (see the package doc) but
// its running state and package.
func UnitFields(u *UnitFile) event.Event {
	f := event.Event{}
	f.Set("service.name", u.Name)
	f.Set("vigil.service.manager", "systemd")
	f.Set("vigil.service.unit_type", u.Type)
	f.Set("vigil.service.enablement", u.State)
	p := u.Fragment
	if p == "" {
		p = u.Path
	}
	f.Set("file.path", p)
	if u.Path != p {
		f.Set("vigil.service.link", u.Path)
	}
	if u.AliasOf != "" {
		f.Set("vigil.service.alias_of", u.AliasOf)
		return f
	}
	if u.Err != nil {
		f.Set("error.message", u.Err.Error())
		return f
	}
	if u.State == StateMasked || u.State == StateMaskedRuntime {
		return f // nothing of it can run
	}
	s := u.Settings
	if d := s.Value("Unit", "Description"); d != "" {
		f.Set("vigil.service.description", d)
	}
	switch u.Type {
	case "service":
		execs := s.Values("Service", "ExecStart")
		if len(execs) > 0 {
			f.Set("process.command_line", execs[0])
			if exe := ExecPath(execs[0]); exe != "" {
				f.Set("process.executable", exe)
			}
			f.Set("vigil.service.exec_start", strs(execs))
		}
		if t := s.Value("Service", "Type"); t != "" {
			f.Set("vigil.service.type", t)
		}
		user := s.Value("Service", "User")
		switch {
		case user != "":
			f.Set("user.name", user)
		case yes(s.Value("Service", "DynamicUser")):
			f.Set("vigil.service.dynamic_user", true)
		default:
			f.Set("user.name", "root") // systemd's default for system services
		}
	case "socket":
		var listen []string
		for _, k := range []string{"ListenStream", "ListenDatagram", "ListenSequentialPacket", "ListenFIFO",
			"ListenSpecial", "ListenNetlink", "ListenMessageQueue", "ListenUSBFunction"} {
			for _, v := range s.Values("Socket", k) {
				listen = append(listen, k+"="+v)
			}
		}
		if len(listen) > 0 {
			f.Set("vigil.service.listen", strs(listen))
		}
		f.Set("vigil.service.triggers", triggered(u, s.Value("Socket", "Service"), "service"))
	case "timer":
		f.Set("vigil.service.triggers", triggered(u, s.Value("Timer", "Unit"), "service"))
	case "path":
		f.Set("vigil.service.triggers", triggered(u, s.Value("Path", "Unit"), "service"))
	}
	return f
}

// triggered returns the unit a socket, timer or path unit starts: the one
// it names, or the service of the same name.
func triggered(u *UnitFile, named, typ string) string {
	if named != "" {
		return named
	}
	return strings.TrimSuffix(u.Name, "."+u.Type) + "." + typ
}

// ExecPath returns the program of an Exec*= command line: the first word
// without systemd's prefixes ("-", "@", ":", "+", "!", "!!", "|") and
// quotes; "" when there is none.
func ExecPath(cmd string) string {
	cmd = strings.TrimLeft(strings.TrimSpace(cmd), "-@:+!|")
	if cmd == "" {
		return ""
	}
	if q := cmd[0]; q == '"' || q == '\'' {
		if end := strings.IndexByte(cmd[1:], q); end >= 0 {
			return cmd[1 : 1+end]
		}
		return ""
	}
	if i := strings.IndexAny(cmd, " \t"); i >= 0 {
		cmd = cmd[:i]
	}
	return filepath.Clean(cmd)
}

// yes reports whether a unit file boolean is true.
func yes(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "yes", "y", "true", "t", "on":
		return true
	}
	return false
}

// strs converts to the []any a decoded JSON document would hold.
func strs(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
