package middleware

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigilsec/vigil/internal/agent/collect/internal/pkgowner"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/proctable/userdb"
	"github.com/vigilsec/vigil/internal/event"
)

// Name is the collector's name.
const Name = "app/middleware"

// maxCache bounds the versions and archive entries kept between runs.
const maxCache = 512

// Collector is the app/middleware collector.
type Collector struct {
	// NewSource, when set, makes the process source of a host root in
	// place of its /proc (tests).
	NewSource func(root string) Source

	dpkg dpkgDB

	mu        sync.Mutex
	users     *userdb.DB
	usersRoot string
	cache     map[cacheKey]cacheVal

	malformed, versionErrors, indexErrors atomic.Uint64
	unreadable                            atomic.Uint64 // of the last run
	indexBuilds                           atomic.Uint64
}

var (
	_ plugin.AssetCollector = (*Collector)(nil)
	_ plugin.Counted        = (*Collector)(nil)
)

// New returns the collector.
func New() *Collector { return &Collector{} }

// Name implements plugin.Plugin.
func (*Collector) Name() string { return Name }

// Requirements implements plugin.Plugin: the descriptors, executables and
// roots of other users' processes can be read by root only.
func (*Collector) Requirements() plugin.Requirements {
	return plugin.Requirements{OS: []string{"linux"}, Root: true}
}

// DefaultInterval implements plugin.Collector.
func (*Collector) DefaultInterval() time.Duration { return 10 * time.Minute }

// Kinds implements plugin.AssetCollector.
func (*Collector) Kinds() []string { return []string{event.AssetMiddleware} }

// Counters implements plugin.Counted: malformed_lines (lines of socket
// tables, the dpkg database, manifests and properties skipped, total),
// unreadable_processes (processes whose files could not be read in the
// last run), version_errors (version sources that failed other than by
// finding no version, total) and package_index_errors (failures to read
// the package database, total).
func (c *Collector) Counters() map[string]uint64 {
	return map[string]uint64{
		"malformed_lines":      c.malformed.Load(),
		"unreadable_processes": c.unreadable.Load(),
		"version_errors":       c.versionErrors.Load(),
		"package_index_errors": c.indexErrors.Load(),
	}
}

// instance is one running (or installed) copy of a product.
type instance struct {
	c     *Collector
	prod  *product
	src   Source
	view  fsView
	root  *procInfo
	procs []*procInfo

	// name overrides the product's display name (MariaDB).
	name                 string
	install, role, base  string
	config, configSource string
	// defaultByPort is the product's default configuration, to be taken
	// when it sets a port the instance listens on.
	defaultByPort string
	// pkgPaths are the files whose owning package names the install, in
	// order of preference.
	pkgPaths   []string
	exeDeleted bool

	running   bool
	container string
	ports     []netip.AddrPort
	users     []string

	version, versionSource string
	pkg                    *DpkgPackage
	pkgNone                bool

	key string
}

// binary returns the instance's executable (its real path) and notes the
// paths whose package names it: args[0] when it is a link to the
// executable (Debian's /usr/bin/redis-server), then the executable.
func (in *instance) binary() string {
	p := in.root
	exe := p.Executable
	a0 := ""
	if len(p.args) > 0 && path.IsAbs(p.args[0]) {
		a0 = path.Clean(p.args[0])
	}
	if exe == "" && a0 != "" {
		if r, err := in.view.resolve(a0); err == nil {
			exe = r
		}
	}
	if a0 != "" && a0 != exe {
		if r, err := in.view.resolve(a0); err == nil && r == exe {
			in.pkgPaths = append(in.pkgPaths, a0)
		}
	}
	if exe != "" {
		in.pkgPaths = append(in.pkgPaths, exe)
	}
	in.exeDeleted = p.Deleted
	return exe
}

// Assets implements plugin.AssetCollector: one item per running instance
// of a known product, and one per installed product that does not run.
func (c *Collector) Assets(ctx context.Context, env plugin.Env) ([]event.Asset, error) {
	root := env.Root
	if root == "" {
		root = "/"
	}
	var src Source
	if c.NewSource != nil {
		src = c.NewSource(root)
	} else {
		src = NewProcFS(root)
	}
	procs, err := src.Processes(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	pkgs, bad, err := c.dpkg.load(root)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	c.malformed.Add(uint64(bad))
	db := pkgowner.Shared(root)
	ix, err := db.Index()
	if err != nil && !errors.Is(err, pkgowner.ErrNoDatabase) {
		c.indexErrors.Add(1)
	}
	if b := db.Builds(); ix != nil && b != c.indexBuilds.Swap(b) {
		c.malformed.Add(uint64(ix.Malformed)) // once per build of the index
	}
	users := c.userDB(root)

	instances := c.group(src, procs)
	for _, in := range instances {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c.complete(ctx, in, ix, pkgs, users)
	}
	instances = append(instances, c.installed(root, pkgs, instances)...)
	if pf, ok := src.(*ProcFS); ok {
		c.malformed.Add(uint64(pf.Malformed))
		c.unreadable.Store(uint64(pf.Unreadable))
	}
	assignKeys(instances)
	out := make([]event.Asset, 0, len(instances))
	for _, in := range instances {
		out = append(out, in.asset())
	}
	slices.SortFunc(out, func(a, b event.Asset) int { return cmp.Compare(a.Key, b.Key) })
	return out, nil
}

// group classifies the processes and groups them into instances: a
// process whose parent belongs to the same product (and container) is
// part of its parent's instance.
func (c *Collector) group(src Source, procs []Process) []*instance {
	byPID := make(map[int]*procInfo)
	prodOf := make(map[int]*product)
	for i := range procs {
		pi := newProcInfo(procs[i])
		for _, prod := range products {
			if prod.claims(pi) {
				byPID[pi.PID] = pi
				prodOf[pi.PID] = prod
				break
			}
		}
	}
	rootOf := make(map[int]int, len(byPID))
	var find func(pid int, depth int) int
	find = func(pid int, depth int) int {
		if r, ok := rootOf[pid]; ok {
			return r
		}
		p := byPID[pid]
		r := pid
		if parent, ok := byPID[p.PPID]; ok && depth < 64 && p.PPID != pid &&
			prodOf[p.PPID] == prodOf[pid] && parent.Container == p.Container {
			r = find(p.PPID, depth+1)
		}
		rootOf[pid] = r
		return r
	}
	insts := map[int]*instance{}
	pids := make([]int, 0, len(byPID))
	for pid := range byPID {
		pids = append(pids, pid)
	}
	slices.Sort(pids)
	for _, pid := range pids {
		r := find(pid, 0)
		in, ok := insts[r]
		if !ok {
			in = &instance{c: c, prod: prodOf[r], src: src, root: byPID[r], running: true, container: byPID[r].Container}
			insts[r] = in
		}
		in.procs = append(in.procs, byPID[pid])
	}
	out := make([]*instance, 0, len(insts))
	for _, in := range insts {
		out = append(out, in)
	}
	slices.SortFunc(out, func(a, b *instance) int {
		return cmp.Or(cmp.Compare(a.root.StartTicks, b.root.StartTicks), cmp.Compare(a.root.PID, b.root.PID))
	})
	return out
}

// complete finds what the item of a running instance shows.
func (c *Collector) complete(ctx context.Context, in *instance, ix *pkgowner.Index, pkgs map[string][]DpkgPackage, users *userdb.DB) {
	top, ok := in.src.View(in.root.PID)
	if !ok {
		top = "/nonexistent"
	}
	in.view = fsView{top: top}
	in.prod.describe(in)
	for _, p := range in.procs {
		addrs, err := in.src.Listening(ctx, p.PID)
		if err != nil {
			continue // counted by the source
		}
		in.ports = append(in.ports, addrs...)
	}
	slices.SortFunc(in.ports, func(a, b netip.AddrPort) int {
		return cmp.Or(cmp.Compare(a.Port(), b.Port()), a.Addr().Compare(b.Addr()))
	})
	in.ports = slices.Compact(in.ports)
	for _, p := range in.procs {
		if !p.IDs {
			continue
		}
		name := users.UserName(p.EUID)
		if name == "" {
			name = strconv.FormatUint(uint64(p.EUID), 10)
		}
		if !slices.Contains(in.users, name) {
			in.users = append(in.users, name)
		}
	}
	slices.Sort(in.users)
	if in.config == "" && in.defaultByPort != "" && in.prod.configPorts != nil {
		c.matchDefaultConfig(in)
	}
	c.findPackage(in, ix, pkgs)
	c.findVersion(in)
}

// matchDefaultConfig takes the product's default configuration when the
// port it sets is one the instance listens on.
func (c *Collector) matchDefaultConfig(in *instance) {
	data, err := in.view.read(in.defaultByPort, maxConfigBytes)
	if err != nil {
		return
	}
	ports, bad := in.prod.configPorts(data)
	c.malformed.Add(uint64(bad))
	for _, a := range in.ports {
		if slices.Contains(ports, a.Port()) {
			in.config, in.configSource = in.defaultByPort, ConfigDefaultPort
			return
		}
	}
}

// findPackage names the installed package that owns the instance's
// executable or archive; not for a process in a container, whose files
// are not the host's packages'.
func (c *Collector) findPackage(in *instance, ix *pkgowner.Index, pkgs map[string][]DpkgPackage) {
	if in.container != "" || ix == nil {
		return
	}
	for _, p := range in.pkgPaths {
		owner, ok := ix.Lookup(p)
		if !ok {
			continue
		}
		if dp, ok := lookupPackage(pkgs, owner.Name, owner.Arch); ok {
			in.pkg = &dp
			return
		}
	}
	if len(in.pkgPaths) > 0 {
		in.pkgNone = true
	}
}

// findVersion takes the version of the owning package, or reads it from
// the product's files. The package's version is not taken for an
// executable deleted or replaced since it started (an upgrade whose
// daemon was not restarted): the running one is read instead.
func (c *Collector) findVersion(in *instance) {
	if in.pkg != nil && !in.exeDeleted {
		if v := UpstreamVersion(in.pkg.Version); v != "" {
			in.version, in.versionSource = v, VersionDpkg
			return
		}
	}
	for _, vs := range in.prod.versions {
		v, err := vs.read(in)
		if err == nil && v != "" {
			in.version, in.versionSource = v, vs.source
			if in.prod == mysqlProduct && vs.source == VersionBinary {
				in.name = "mariadb" // only MariaDB marks its version so
			}
			return
		}
		if err != nil && !errors.Is(err, errNoVersion) && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, errNoEntry) {
			c.versionErrors.Add(1)
		}
	}
	if in.prod == mysqlProduct && in.pkg != nil && strings.HasPrefix(in.pkg.Name, "mariadb") {
		in.name = "mariadb"
	}
}

// installed returns an instance for each product an installed package
// provides and no running instance on the host uses.
func (c *Collector) installed(root string, pkgs map[string][]DpkgPackage, running []*instance) []*instance {
	type id struct{ typ, install string }
	covered := map[id]bool{}
	for _, in := range running {
		if in.container == "" {
			covered[id{in.prod.Type, in.install}] = true
		}
	}
	host := fsView{top: root}
	var out []*instance
	seen := map[id]bool{}
	names := make([]string, 0, len(pkgs))
	for n := range pkgs {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		for _, prod := range products {
			if prod.packages == nil || !prod.packages.MatchString(name) {
				continue
			}
			for i := range pkgs[name] {
				dp := pkgs[name][i]
				for _, install := range c.anchors(host, prod, dp) {
					k := id{prod.Type, install}
					if covered[k] || seen[k] {
						continue
					}
					seen[k] = true
					in := &instance{c: c, prod: prod, view: host, install: install, pkg: &dp}
					if v := UpstreamVersion(dp.Version); v != "" {
						in.version, in.versionSource = v, VersionDpkg
					}
					if prod == mysqlProduct && strings.HasPrefix(dp.Name, "mariadb") {
						in.name = "mariadb"
					}
					if prod.defaultConfig != nil {
						if conf := prod.defaultConfig(install); conf != "" && host.exists(conf) {
							in.config, in.configSource = conf, ConfigDefault
						}
					}
					out = append(out, in)
				}
			}
		}
	}
	return out
}

// anchors returns the install paths of prod among the files of package
// dp: each file the product's anchor recognises and the host has, an
// executable by its real path.
func (c *Collector) anchors(host fsView, prod *product, dp DpkgPackage) []string {
	list := filepath.Join(host.top, "var/lib/dpkg/info", dp.Name+".list")
	data, err := readFileLimited(list, 64<<20)
	if errors.Is(err, fs.ErrNotExist) && dp.Arch != "" {
		data, err = readFileLimited(filepath.Join(host.top, "var/lib/dpkg/info", dp.Name+":"+dp.Arch+".list"), 64<<20)
	}
	if err != nil {
		return nil
	}
	var out []string
	probs := pkgowner.ParseList(data, func(file string) {
		install, ok := prod.anchor(file)
		if !ok {
			return
		}
		if install == file {
			// An executable or archive: by its real path, as a running
			// process shows it.
			r, err := host.resolve(file)
			if err != nil || !host.exists(r) {
				return
			}
			install = r
		} else if !host.isDir(install) {
			return
		}
		if !slices.Contains(out, install) {
			out = append(out, install)
		}
	})
	c.malformed.Add(uint64(probs.Skipped))
	return out
}

// assignKeys gives every instance its key: "TYPE:INSTALL", with ":ROLE"
// for a product whose servers have roles and "@CONTAINER" for one in a
// container. Instances that would share a key are told apart by
// "#DISCRIMINATOR": the lowest port each listens on, else their
// configuration, else their instance folder, else a digest of their
// command line (see discriminate).
func assignKeys(all []*instance) {
	groups := map[string][]*instance{}
	var order []string
	for _, in := range all {
		install := in.install
		if install == "" {
			install = "unknown"
		}
		k := in.prod.Type + ":" + install
		if in.role != "" {
			k += ":" + in.role
		}
		if in.container != "" {
			k += "@" + in.container
		}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], in)
	}
	for _, k := range order {
		g := groups[k]
		if len(g) == 1 {
			g[0].key = k
			continue
		}
		for i, d := range discriminate(g) {
			g[i].key = k + "#" + d
		}
	}
}

// discriminate returns what tells the instances of one group apart: the
// first of the lowest listening port, the configuration path, the
// instance folder and a digest of the command line that has a different
// value for each; else the digest and the rank by start time.
func discriminate(g []*instance) []string {
	try := func(f func(in *instance) string) []string {
		vals := make([]string, len(g))
		for i, in := range g {
			vals[i] = f(in)
			if vals[i] == "" || slices.Contains(vals[:i], vals[i]) {
				return nil
			}
		}
		return vals
	}
	digest := func(in *instance) string {
		if in.root == nil {
			return ""
		}
		sum := sha256.Sum256([]byte(strings.Join(in.root.args, "\x00")))
		return hex.EncodeToString(sum[:6])
	}
	for _, f := range []func(in *instance) string{
		func(in *instance) string {
			if len(in.ports) == 0 {
				return ""
			}
			low := in.ports[0].Port()
			for _, a := range in.ports {
				low = min(low, a.Port())
			}
			return strconv.Itoa(int(low))
		},
		func(in *instance) string { return in.config },
		func(in *instance) string { return in.base },
		digest,
	} {
		if vals := try(f); vals != nil {
			return vals
		}
	}
	out := make([]string, len(g))
	for i, in := range g { // g is in order of start time
		d := digest(in)
		if d == "" {
			d = "installed"
		}
		out[i] = d + "-" + strconv.Itoa(i+1)
	}
	return out
}

// asset returns the instance's inventory item.
func (in *instance) asset() event.Asset {
	name := in.name
	if name == "" {
		name = in.prod.Name
	}
	f := event.Event{}
	f.Set("service.type", in.prod.Type)
	f.Set("service.name", name)
	if in.version != "" {
		f.Set("service.version", in.version)
		f.Set("vigil.middleware.version_source", in.versionSource)
	}
	f.Set("vigil.middleware.running", in.running)
	if in.install != "" {
		f.Set("vigil.middleware.install_path", in.install)
	}
	if in.base != "" && in.base != in.install {
		f.Set("vigil.middleware.instance_path", in.base)
	}
	if in.role != "" {
		f.Set("vigil.middleware.role", in.role)
	}
	if in.config != "" {
		f.Set("file.path", in.config)
		f.Set("vigil.middleware.config_source", in.configSource)
	}
	if in.running {
		p := in.root
		f.Set("process.name", p.Name)
		if p.Executable != "" {
			f.Set("process.executable", p.Executable)
			if p.Deleted {
				f.Set("vigil.process.executable_deleted", true)
			}
		}
		if p.IDs {
			f.Set("user.id", strconv.FormatUint(uint64(p.EUID), 10))
			if n := in.c.userName(p.EUID); n != "" {
				f.Set("user.name", n)
			}
		}
		if len(in.users) > 0 {
			f.Set("vigil.middleware.users", strs(in.users))
		}
		// Whether it has helpers, not how many: their number follows the
		// load, and the item would change with it.
		f.Set("vigil.middleware.multi_process", len(in.procs) > 1)
		if len(in.ports) > 0 {
			var ports []any
			listen := make([]any, 0, len(in.ports))
			for _, a := range in.ports {
				if !slices.Contains(ports, any(int(a.Port()))) {
					ports = append(ports, int(a.Port()))
				}
				listen = append(listen, a.String())
			}
			slices.SortFunc(ports, func(a, b any) int { return cmp.Compare(a.(int), b.(int)) })
			f.Set("destination.port", ports)
			f.Set("vigil.middleware.listen", listen)
		}
		if in.container != "" {
			f.Set("container.id", in.container)
		}
	}
	switch {
	case in.pkg != nil:
		f.Set("package.name", in.pkg.Name)
		f.Set("package.version", in.pkg.Version)
		f.Set("package.type", pkgowner.TypeDeb)
		if in.pkg.Arch != "" && in.pkg.Arch != "all" {
			f.Set("package.architecture", in.pkg.Arch)
		}
	case in.pkgNone:
		f.Set("package.name", pkgowner.None)
	}
	return event.Asset{Kind: event.AssetMiddleware, Key: in.key, Name: name, Version: in.version, Fields: f}
}

// strs converts to the []any a decoded JSON document holds.
func strs(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// userDB returns the user names of root, made once.
func (c *Collector) userDB(root string) *userdb.DB {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.users == nil || c.usersRoot != root {
		c.users, c.usersRoot = userdb.New(root), root
	}
	return c.users
}

// userName names uid with the current user database.
func (c *Collector) userName(uid uint32) string {
	c.mu.Lock()
	u := c.users
	c.mu.Unlock()
	if u == nil {
		return ""
	}
	return u.UserName(uid)
}

// cacheKey identifies one reading of one version of a file.
type cacheKey struct {
	stamp fileStamp
	what  string
}

type cacheVal struct {
	version string
	data    []byte
	err     error
}

func (c *Collector) cached(k cacheKey) (cacheVal, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.cache[k]
	return v, ok
}

func (c *Collector) store(k cacheKey, v cacheVal) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cache == nil || len(c.cache) >= maxCache {
		c.cache = map[cacheKey]cacheVal{}
	}
	c.cache[k] = v
}

// cachedFileVersion runs read on the instance's executable, or returns
// what it gave for the same file before.
func (c *Collector) cachedFileVersion(in *instance, what string, read func(f *os.File) (string, error)) (string, error) {
	if in.root == nil {
		return "", errNoVersion
	}
	f, err := in.src.OpenExecutable(in.root.PID, in.root.Executable)
	if err != nil {
		return "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	dev, ino := fileID(fi)
	k := cacheKey{stamp: fileStamp{ok: true, dev: dev, ino: ino, size: fi.Size(), mtime: fi.ModTime().UnixNano()}, what: what}
	if v, ok := c.cached(k); ok {
		return v.version, v.err
	}
	v, err := read(f)
	c.store(k, cacheVal{version: v, err: err})
	return v, err
}

// cachedJarEntry reads entry of the archive at host path jar in view v,
// or returns what it read from the same file before.
func (c *Collector) cachedJarEntry(v fsView, jar, entry string) ([]byte, error) {
	f, fi, err := v.open(jar)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dev, ino := fileID(fi)
	k := cacheKey{stamp: fileStamp{ok: true, dev: dev, ino: ino, size: fi.Size(), mtime: fi.ModTime().UnixNano()}, what: "jar:" + entry}
	if cv, ok := c.cached(k); ok {
		return cv.data, cv.err
	}
	var data []byte
	if fi.Size() > maxJarBytes {
		err = fmt.Errorf("%s: %w: %d bytes", jar, errTooLarge, fi.Size())
	} else {
		data, err = zipEntry(f, fi.Size(), entry)
	}
	if len(data) <= maxTextBytes {
		c.store(k, cacheVal{data: data, err: err})
	}
	return data, err
}
