package eval

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/compliance/eval/accounts"
	"github.com/vigilsec/vigil/internal/compliance/eval/procfs"
	"github.com/vigilsec/vigil/internal/compliance/eval/systemd"
	"github.com/vigilsec/vigil/internal/compliance/policy"
)

func (h *host) service(r *policy.ServiceRule) outcome {
	ok := true
	var ev []string
	for _, name := range r.Name {
		u, err := cached(h, "unit\x00"+name, func() (systemd.Unit, error) { return systemd.Lookup(h.fs, name) })
		if err != nil {
			return failed(fmt.Errorf("unit %s: %w", name, err), ev...)
		}
		line := u.Name + ": " + u.State()
		if u.File != "" {
			line += " (" + u.File
			if len(u.Links) > 0 {
				line += "; " + strings.Join(u.Links, ", ")
			}
			line += ")"
		} else if u.Masked {
			line += " (" + u.MaskFile + " -> /dev/null)"
		}
		if r.Enabled != nil && u.Enabled() != *r.Enabled {
			ok = false
		}
		if r.Active != nil {
			active, how, err := h.active(u)
			if err != nil {
				return failed(err, append(ev, line)...)
			}
			line += ", " + how
			if active != *r.Active {
				ok = false
			}
		}
		ev = append(ev, line)
	}
	return holds(ok, ev...)
}

// active tells whether a unit runs: systemd's answer through the
// runner, or, when systemd does not answer, whether a process of the
// unit's ExecStart program runs.
func (h *host) active(u systemd.Unit) (bool, string, error) {
	if !u.Exists() {
		return false, "inactive (no such unit)", nil
	}
	if h.runner != nil {
		out, err := h.run([]string{"systemctl", "is-active", u.Name})
		if err == nil {
			if state := strings.TrimSpace(firstLine(string(out.Stdout))); state != "" {
				switch state {
				case "active", "reloading", "refreshing", "activating":
					return true, state + " (systemctl is-active)", nil
				}
				return false, state + " (systemctl is-active)", nil
			}
		}
	}
	if u.ExecStart == "" {
		return false, "inactive (systemd did not answer and the unit starts no program)", nil
	}
	pids, err := h.runningNamed(u.ExecStart)
	if err != nil {
		return false, "", err
	}
	prog := path.Base(u.ExecStart)
	if len(pids) > 0 {
		return true, fmt.Sprintf("active (%s runs, pid %d)", prog, pids[0]), nil
	}
	return false, fmt.Sprintf("inactive (no %s process)", prog), nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// modprobeDirs are the folders of modprobe configuration.
var modprobeDirs = []string{"/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d", "/usr/lib/modprobe.d", "/lib/modprobe.d"}

// blockers are the commands that make `install NAME CMD` a refusal.
var blockers = []string{"/bin/false", "/bin/true", "/usr/bin/false", "/usr/bin/true", "false", "true"}

// modprobeBlock is what the modprobe.d files say to block a module.
type modprobeBlock struct {
	line string // file:line: text
}

func moduleKey(name string) string { return strings.ReplaceAll(name, "-", "_") }

// modprobeBlocks reads the modprobe.d files once: module -> the line
// that blocks it (install ... /bin/false, or blacklist).
func (h *host) modprobeBlocks() (map[string]modprobeBlock, error) {
	return cached(h, "modprobe", func() (map[string]modprobeBlock, error) {
		byName := map[string]string{}
		for i := len(modprobeDirs) - 1; i >= 0; i-- {
			m, _ := h.fs.Glob(modprobeDirs[i] + "/*.conf")
			for _, f := range m {
				byName[path.Base(f)] = f // earlier folders hide later ones
			}
		}
		names := make([]string, 0, len(byName))
		for n := range byName {
			names = append(names, n)
		}
		sort.Strings(names)
		out := map[string]modprobeBlock{}
		for _, n := range names {
			f := byName[n]
			data, err := h.readOptional(f)
			if err != nil {
				return nil, err
			}
			for i, line := range strings.Split(string(data), "\n") {
				w := strings.Fields(line)
				if len(w) < 2 || strings.HasPrefix(w[0], "#") {
					continue
				}
				mod := moduleKey(w[1])
				switch {
				case w[0] == "install" && len(w) >= 3 && slices.Contains(blockers, w[2]):
				case w[0] == "blacklist":
				default:
					continue
				}
				if _, seen := out[mod]; !seen {
					out[mod] = modprobeBlock{line: fmt.Sprintf("%s:%d: %s", f, i+1, strings.TrimSpace(line))}
				}
			}
		}
		return out, nil
	})
}

// kernelModules returns the modules of the running kernel's tree:
// name -> path, and the built-in ones; ok false when there is no tree.
type moduleTree struct {
	release string
	files   map[string]string
	builtin map[string]bool
	found   bool
}

func (h *host) kernelModules() (*moduleTree, error) {
	return cached(h, "moduletree", func() (*moduleTree, error) {
		rel, err := h.fs.ReadFile("/proc/sys/kernel/osrelease")
		if err != nil {
			return nil, fmt.Errorf("read the kernel release: %w", err)
		}
		t := &moduleTree{release: strings.TrimSpace(string(rel)), files: map[string]string{}, builtin: map[string]bool{}}
		dir := path.Join("/lib/modules", t.release)
		if _, err := h.fs.Stat(dir); err != nil {
			return t, nil
		}
		t.found = true
		add := func(p string) {
			base := path.Base(p)
			if i := strings.Index(base, ".ko"); i > 0 {
				t.files[moduleKey(base[:i])] = p
			}
		}
		if data, err := h.readOptional(path.Join(dir, "modules.builtin")); err == nil {
			for _, l := range strings.Split(string(data), "\n") {
				if base := path.Base(strings.TrimSpace(l)); strings.Contains(base, ".ko") {
					t.builtin[moduleKey(base[:strings.Index(base, ".ko")])] = true
				}
			}
		}
		if data, err := h.readOptional(path.Join(dir, "modules.dep")); err == nil && len(data) > 0 {
			for _, l := range strings.Split(string(data), "\n") {
				if p, _, ok := strings.Cut(l, ":"); ok {
					add(path.Join(dir, p))
				}
			}
			return t, nil
		}
		h.walkModules(dir, 0, add)
		return t, nil
	})
}

func (h *host) walkModules(dir string, depth int, add func(string)) {
	if depth > 12 {
		return
	}
	entries, err := h.fs.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		p := path.Join(dir, e.Name())
		if e.IsDir() {
			h.walkModules(p, depth+1, add)
		} else if strings.Contains(e.Name(), ".ko") {
			add(p)
		}
	}
}

// builtinWithoutTree tells a module built into a kernel that has no
// module tree, and so no modules.builtin: a built-in filesystem is in
// /proc/filesystems, and a built-in module with parameters has a
// /sys/module/NAME folder without the initstate a loadable module has.
func (h *host) builtinWithoutTree(name string) (string, bool) {
	if data, err := h.readOptional("/proc/filesystems"); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			f := strings.Fields(l)
			if len(f) > 0 && moduleKey(fsModule(f[len(f)-1])) == name {
				return "/proc/filesystems", true
			}
		}
	}
	dir := "/sys/module/" + name
	if info, err := h.fs.Stat(dir); err == nil && info.IsDir() {
		if _, err := h.fs.Stat(dir + "/initstate"); isNotExist(err) {
			return dir, true
		}
	}
	return "", false
}

// fsModule is the module of a filesystem type where their names differ.
func fsModule(fstype string) string {
	if fstype == "vxfs" {
		return "freevxfs"
	}
	return fstype
}

func (h *host) module(r *policy.ModuleRule) outcome {
	name := moduleKey(r.Name)
	ok := true
	var ev []string
	if r.Loaded != nil {
		loaded, err := h.loadedModules()
		if err != nil {
			return failed(err)
		}
		if loaded[name] {
			ev = append(ev, r.Name+": loaded (/proc/modules)")
		} else {
			ev = append(ev, r.Name+": not loaded")
		}
		ok = ok && loaded[name] == *r.Loaded
	}
	if r.Loadable != nil {
		blocks, err := h.modprobeBlocks()
		if err != nil {
			return failed(err, ev...)
		}
		loadable := true
		if b, blocked := blocks[name]; blocked {
			loadable = false
			ev = append(ev, b.line)
		} else {
			tree, err := h.kernelModules()
			if err != nil {
				return failed(err, ev...)
			}
			switch {
			case tree.builtin[name]:
				ev = append(ev, r.Name+": built into kernel "+tree.release)
			case tree.files[name] != "":
				ev = append(ev, r.Name+": "+tree.files[name]+" (not blocked in modprobe.d)")
			case !tree.found:
				if where, builtin := h.builtinWithoutTree(name); builtin {
					ev = append(ev, r.Name+": built into kernel "+tree.release+" ("+where+")")
					break
				}
				loadable = false
				ev = append(ev, r.Name+": no module tree for kernel "+tree.release)
			default:
				loadable = false
				ev = append(ev, r.Name+": not in the module tree of kernel "+tree.release)
			}
		}
		ok = ok && loadable == *r.Loadable
	}
	return holds(ok, ev...)
}

func (h *host) mount(r *policy.MountRule) outcome {
	mounts, err := h.mounts()
	if err != nil {
		return failed(err)
	}
	var m *procfs.Mount
	for i := range mounts {
		if mounts[i].Point == r.Path {
			m = &mounts[i] // the last mount on a point is the visible one
		}
	}
	want := policy.BoolOr(r.Mounted, true)
	if m == nil {
		return holds(!want, r.Path+": not mounted")
	}
	if !want {
		return holds(false, fmt.Sprintf("%s: mounted (%s %s)", r.Path, m.FSType, m.Source))
	}
	ok := true
	line := fmt.Sprintf("%s: %s %s %s", r.Path, m.FSType, m.Source, strings.Join(m.Options, ","))
	var missing []string
	for _, o := range r.Options {
		if !m.HasOption(o) {
			missing = append(missing, o)
		}
	}
	if len(missing) > 0 {
		ok = false
		line += " (missing " + strings.Join(missing, ", ") + ")"
	}
	ev := []string{line}
	if r.Fstab {
		tab, err := h.fstab()
		if err != nil {
			return failed(err, ev...)
		}
		var e *procfs.FstabEntry
		for i := range tab {
			if tab[i].Point == r.Path {
				e = &tab[i]
			}
		}
		if e == nil {
			return holds(false, append(ev, r.Path+": not in /etc/fstab")...)
		}
		fl := fmt.Sprintf("/etc/fstab:%d: %s", e.Line, e.Text)
		var fmissing []string
		for _, o := range r.Options {
			if !slices.Contains(e.Options, o) {
				fmissing = append(fmissing, o)
			}
		}
		if len(fmissing) > 0 {
			ok = false
			fl += " (missing " + strings.Join(fmissing, ", ") + ")"
		}
		ev = append(ev, fl)
	}
	return holds(ok, ev...)
}

// shadowFields are the account fields read from /etc/shadow.
var shadowFields = []string{"password", "scheme", "pass_max_days", "pass_min_days", "pass_warn_days", "inactive_days", "last_change_days"}

func (h *host) selectAccounts(s *policy.AccountSelect, list []accounts.Account) []accounts.Account {
	var out []accounts.Account
	uidMin := h.uidMin()
	for _, a := range list {
		switch {
		case len(s.Name) > 0 && !slices.Contains(s.Name, a.Name),
			s.UID != nil && a.UID != *s.UID,
			s.UIDMin != nil && a.UID < *s.UIDMin,
			s.UIDMax != nil && a.UID > *s.UIDMax,
			s.Login != nil && a.Login() != *s.Login,
			s.System != nil && (a.UID < uidMin) != *s.System,
			len(s.Password) > 0 && !slices.Contains(s.Password, a.Password):
			continue
		}
		out = append(out, a)
	}
	return out
}

func (h *host) account(r *policy.AccountRule) outcome {
	t, err := h.accounts()
	if err != nil {
		return failed(err)
	}
	if r.Unique != "" {
		return h.unique(r.Unique, t.list)
	}
	if r.Select != nil && len(r.Select.Password) > 0 && t.shadowErr != nil {
		return failed(t.shadowErr) // the states come from /etc/shadow
	}
	sel := h.selectAccounts(r.Select, t.list)
	names := make([]string, len(sel))
	for i, a := range sel {
		names[i] = a.Name
	}
	if r.Expect != nil {
		if r.Expect.Count != nil {
			return holds(len(sel) == *r.Expect.Count, fmt.Sprintf("%d accounts selected: %s", len(sel), strings.Join(names, ", ")))
		}
		want := slices.Clone(*r.Expect.Names)
		got := slices.Clone(names)
		slices.Sort(want)
		slices.Sort(got)
		want, got = slices.Compact(want), slices.Compact(got)
		return holds(slices.Equal(want, got), fmt.Sprintf("selected: %s (want exactly %s)", strings.Join(got, ", "), strings.Join(want, ", ")))
	}
	if slices.Contains(shadowFields, r.Field) && t.shadowErr != nil {
		return failed(t.shadowErr)
	}
	if len(sel) == 0 {
		return holds(true, "no account selected")
	}
	var bad []string
	for _, a := range sel {
		ok, shown := h.accountField(r, a)
		if !ok {
			bad = append(bad, fmt.Sprintf("%s: %s %s", a.Name, r.Field, shown))
		}
	}
	if len(bad) > 0 {
		return holds(false, bad...)
	}
	return holds(true, fmt.Sprintf("%d accounts hold: %s", len(sel), strings.Join(names, ", ")))
}

// accountField compares one account's field; shown is the value as
// evidence shows it (a password's state, never its hash).
func (h *host) accountField(r *policy.AccountRule, a accounts.Account) (bool, string) {
	num := func(n int) (bool, string) {
		if n < 0 {
			return unset(r.Op), "not set"
		}
		ok, _ := h.compare(strconv.Itoa(n), r.Op, r.Value, cmpOptions{})
		return ok, strconv.Itoa(n)
	}
	text := func(s string) (bool, string) {
		ok, _ := h.compare(s, r.Op, r.Value, cmpOptions{})
		return ok, s
	}
	switch r.Field {
	case "password":
		if !a.Shadowed && a.Password == "" {
			return false, "unknown (no shadow entry)"
		}
		return text(a.Password)
	case "scheme":
		s := a.Scheme
		if s == "" {
			s = "none"
		}
		return text(s)
	case "pass_max_days":
		return num(a.MaxDays)
	case "pass_min_days":
		return num(a.MinDays)
	case "pass_warn_days":
		return num(a.WarnDays)
	case "inactive_days":
		return num(a.InactiveDays)
	case "last_change_days":
		if a.LastChange < 0 {
			return num(-1)
		}
		today := int(h.now.Unix() / 86400)
		ok, _ := h.compare(strconv.Itoa(today-a.LastChange), r.Op, r.Value, cmpOptions{})
		return ok, strconv.Itoa(today - a.LastChange)
	case "shell":
		return text(a.Shell)
	case "home":
		return text(a.Home)
	case "home_mode", "home_owner":
		info, err := h.fs.Stat(a.Home)
		if err != nil {
			return false, a.Home + " cannot be read: " + err.Error()
		}
		if r.Field == "home_owner" {
			uid, _ := fileOwner(info)
			owner := h.userName(uid)
			want := r.Value
			if want != nil && want.One() == "self" && !want.List {
				want = &policy.Value{Items: []string{a.Name}}
			}
			ok, _ := h.compare(owner, r.Op, want, cmpOptions{})
			return ok, owner
		}
		mode := fileMode(info) & 0o777
		shown := fmt.Sprintf("%04o", mode)
		switch r.Op {
		case policy.OpLe:
			return mode&^parseMode(r.Value.One()) == 0, shown
		case policy.OpEq:
			return mode == parseMode(r.Value.One()), shown
		}
		return mode != parseMode(r.Value.One()), shown
	}
	return false, "unknown field"
}

func (h *host) unique(key string, list []accounts.Account) outcome {
	seen := map[string][]string{}
	var order []string
	add := func(k, who string) {
		if _, ok := seen[k]; !ok {
			order = append(order, k)
		}
		seen[k] = append(seen[k], who)
	}
	switch key {
	case "uid":
		for _, a := range list {
			add(strconv.Itoa(a.UID), a.Name)
		}
	case "name":
		for _, a := range list {
			add(a.Name, "line "+strconv.Itoa(a.Line))
		}
	default:
		groups, err := h.groups()
		if err != nil {
			return failed(err)
		}
		for _, g := range groups {
			if key == "gid" {
				add(strconv.Itoa(g.GID), g.Name)
			} else {
				add(g.Name, "line "+strconv.Itoa(g.Line))
			}
		}
	}
	var dups []string
	for _, k := range order {
		if len(seen[k]) > 1 {
			dups = append(dups, fmt.Sprintf("%s %s shared by %s", key, k, strings.Join(seen[k], ", ")))
		}
	}
	if len(dups) > 0 {
		return holds(false, dups...)
	}
	return holds(true, fmt.Sprintf("every %s is unique (%d)", key, len(order)))
}

func (h *host) group(r *policy.GroupRule) outcome {
	groups, err := h.groups()
	if err != nil {
		return failed(err)
	}
	var g *accounts.Group
	for i := range groups {
		if groups[i].Name == r.Name {
			g = &groups[i]
			break
		}
	}
	want := policy.BoolOr(r.Exists, true)
	if g == nil {
		return holds(!want, r.Name+": no such group")
	}
	if !want {
		return holds(false, fmt.Sprintf("%s: exists (gid %d)", r.Name, g.GID))
	}
	if r.Members == nil {
		return holds(true, fmt.Sprintf("%s: exists (gid %d)", r.Name, g.GID))
	}
	members := slices.Clone(g.Members)
	if t, err := h.accounts(); err == nil {
		for _, a := range t.list {
			if a.GID == g.GID {
				members = append(members, a.Name)
			}
		}
	} else {
		return failed(err)
	}
	want2 := slices.Clone(*r.Members)
	slices.Sort(members)
	slices.Sort(want2)
	members, want2 = slices.Compact(members), slices.Compact(want2)
	return holds(slices.Equal(members, want2), fmt.Sprintf("%s (gid %d) members: [%s] (want [%s])", r.Name, g.GID, strings.Join(members, ", "), strings.Join(want2, ", ")))
}

func (h *host) port(r *policy.PortRule) outcome {
	socks, err := h.sockets()
	if err != nil {
		return failed(err)
	}
	proto := r.Protocol
	if proto == "" {
		proto = "tcp"
	}
	var listening []procfs.Socket
	for _, s := range socks {
		if proto != "any" && !strings.HasPrefix(s.Protocol, proto) {
			continue
		}
		if !s.Listening() {
			continue
		}
		switch r.Address {
		case "loopback":
			if !s.Loopback() {
				continue
			}
		case "not_loopback":
			if s.Loopback() {
				continue
			}
		}
		listening = append(listening, s)
	}
	show := func(s procfs.Socket) string {
		line := fmt.Sprintf("%s %s", s.Protocol, s.Local)
		if owner := h.socketOwners()[s.Inode]; owner != "" {
			line += " (" + owner + ")"
		}
		return line
	}
	if r.Allowed != nil {
		var bad []string
		for _, s := range listening {
			if !slices.Contains(r.Allowed, int(s.Local.Port())) {
				bad = append(bad, show(s))
			}
		}
		if len(bad) > 0 {
			return holds(false, bad...)
		}
		return holds(true, fmt.Sprintf("%d listening sockets, all on allowed ports", len(listening)))
	}
	want := policy.BoolOr(r.Listening, true)
	ok := true
	var ev []string
	for _, p := range r.Port {
		var on []string
		for _, s := range listening {
			if int(s.Local.Port()) == p {
				on = append(on, show(s))
			}
		}
		if (len(on) > 0) != want {
			ok = false
		}
		if len(on) == 0 {
			ev = append(ev, fmt.Sprintf("%s port %d: nothing listens", proto, p))
		} else {
			ev = append(ev, on...)
		}
	}
	return holds(ok, ev...)
}
