package services

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/rootfs"
	"github.com/vigilsec/vigil/internal/agent/sense/persist/unit"
)

// Unit file directories of the system manager, in systemd's order of
// precedence (systemd-analyze unit-paths). /lib/systemd/system is
// searched as Debian's systemd does; on a merged /usr it is the same
// directory as /usr/lib/systemd/system.
var searchPath = []string{
	"/etc/systemd/system.control",
	"/run/systemd/system.control",
	"/run/systemd/transient",
	"/run/systemd/generator.early",
	"/etc/systemd/system",
	"/etc/systemd/system.attached",
	"/run/systemd/system",
	"/run/systemd/system.attached",
	"/run/systemd/generator",
	"/usr/local/lib/systemd/system",
	"/lib/systemd/system",
	"/usr/lib/systemd/system",
	"/run/systemd/generator.late",
}

const (
	persistentConfig = "/etc/systemd/system"
	transientDir     = "/run/systemd/transient"
	// maxUnitFile bounds a unit file or drop-in read.
	maxUnitFile = 1 << 20
	// maxFollow is systemd's UNIT_FILE_FOLLOW_SYMLINK_MAX.
	maxFollow = 64
)

var generatorDirs = []string{"/run/systemd/generator.early", "/run/systemd/generator", "/run/systemd/generator.late"}

// Enablement states, as systemctl list-unit-files prints them.
const (
	StateEnabled        = "enabled"
	StateEnabledRuntime = "enabled-runtime"
	StateLinked         = "linked"
	StateLinkedRuntime  = "linked-runtime"
	StateAlias          = "alias"
	StateMasked         = "masked"
	StateMaskedRuntime  = "masked-runtime"
	StateStatic         = "static"
	StateDisabled       = "disabled"
	StateIndirect       = "indirect"
	StateGenerated      = "generated"
	StateTransient      = "transient"
	StateBad            = "bad"
)

// UnitFile is one unit file of the system manager, as systemctl
// list-unit-files shows it, with the settings it loads.
type UnitFile struct {
	// Name is the unit name ("ssh.service").
	Name string
	Type string
	// Path is where the name was found in the search path (the link of an
	// alias or a mask).
	Path string
	// State is the enablement state (State* constants).
	State string
	// Fragment is the file the unit's settings come from after following
	// links, "" for a masked or bad unit; AliasOf is the unit an alias
	// names.
	Fragment string
	AliasOf  string
	// Settings are the fragment's assignments followed by those of its
	// drop-ins (the type's, the template's and the unit's .d/*.conf).
	Settings unit.File
	// Err says why a bad unit is bad.
	Err error
}

// errBadUnit is the cause of a unit that cannot be loaded.
var errBadUnit = errors.New("bad unit file")

// modes of an installInfo (systemd's InstallMode).
const (
	modeNone = iota
	modeRegular
	modeMasked
	modeAlias
	modeLinked
)

// installInfo is what the lookup learns about one unit name.
type installInfo struct {
	name   string
	path   string
	mode   int
	target string // of a link: the absolute, normalized target
	// frag is the unit file's content, drops its drop-ins' (the name's
	// and its template's).
	frag  unit.File
	drops []unit.File
	// From [Install], set by readInstall.
	aliases, wantedBy, requiredBy, upheldBy, also []string
	defaultInstance                               string
}

func (i *installInfo) hasRules() bool {
	return len(i.aliases)+len(i.wantedBy)+len(i.requiredBy)+len(i.upheldBy) > 0
}

// lister lists the unit files of one root; it remembers directories and
// links for one listing.
type lister struct {
	fs     *rootfs.FS
	dirs   map[string][]fs.DirEntry
	links  map[string]linkResult
	parsed map[string]*parsedFile
	// problems counts malformed lines of the unit files.
	problems int
}

type linkResult struct {
	target string
	err    error
}

func newLister(fsys *rootfs.FS) *lister {
	return &lister{fs: fsys.Cached(), dirs: map[string][]fs.DirEntry{}, links: map[string]linkResult{},
		parsed: map[string]*parsedFile{}}
}

// parsedFile is a parsed unit file or drop-in.
type parsedFile struct {
	unit.File
	// err is set when systemd would refuse the file: it cannot be read,
	// or has a bad section header (systemd skips lines it cannot read but
	// fails on a bad header).
	err error
}

// parse reads and parses a unit file or drop-in (following links), once
// per listing.
func (l *lister) parse(p string) *parsedFile {
	if f, ok := l.parsed[p]; ok {
		return f
	}
	f := &parsedFile{}
	if data, _, err := l.fs.ReadFile(p, maxUnitFile); err != nil {
		f.err = fmt.Errorf("%w: %w", errBadUnit, err)
	} else {
		f.File = unit.Parse(data)
		l.problems += f.Problems.Skipped
		for _, m := range f.Problems.List {
			if m.Reason == "bad section header" {
				f.err = fmt.Errorf("%w: %s line %d: bad section header", errBadUnit, p, m.Line)
				break
			}
		}
	}
	l.parsed[p] = f
	return f
}

func (l *lister) readDir(p string) []fs.DirEntry {
	if ents, ok := l.dirs[p]; ok {
		return ents
	}
	ents, _, err := l.fs.ReadDir(p)
	if err != nil {
		ents = nil
	}
	l.dirs[p] = ents
	return ents
}

func (l *lister) readlink(p string) (string, error) {
	if r, ok := l.links[p]; ok {
		return r.target, r.err
	}
	t, err := l.fs.Readlink(p)
	l.links[p] = linkResult{t, err}
	return t, err
}

// ListUnitFiles returns the unit files of the given types (all when
// types is empty) in the search path of the host whose root is fsys,
// sorted by name, with their enablement state as systemctl
// list-unit-files computes it, and the number of malformed lines skipped
// in the unit files read.
func ListUnitFiles(fsys *rootfs.FS, types ...string) ([]UnitFile, int) {
	l := newLister(fsys)
	seen := map[string]bool{}
	var out []UnitFile
	for _, dir := range searchPath {
		for _, e := range l.readDir(dir) {
			name := e.Name()
			n, ok := ParseUnitName(name)
			if !ok || seen[name] {
				continue
			}
			if t := e.Type(); t != 0 && t != fs.ModeSymlink { // regular files and links only
				continue
			}
			seen[name] = true
			if len(types) > 0 && !slices.Contains(types, n.Type) {
				continue
			}
			out = append(out, l.lookup(name, path.Join(dir, name)))
		}
	}
	slices.SortFunc(out, func(a, b UnitFile) int { return strings.Compare(a.Name, b.Name) })
	return out, l.problems
}

// lookup computes the state of unit name, found first at p (systemd's
// unit_file_lookup_state).
func (l *lister) lookup(name, p string) UnitFile {
	n, _ := ParseUnitName(name)
	u := UnitFile{Name: name, Type: n.Type, Path: p}
	info, err := l.traverse(&installInfo{name: name})
	if err != nil {
		if !errors.Is(err, errBadUnit) {
			err = fmt.Errorf("%w: %s: %w", errBadUnit, name, err)
		}
		u.State, u.Err = StateBad, err
		return u
	}
	switch info.mode {
	case modeMasked:
		u.State = StateMasked
		if isRuntime(info.path) {
			u.State = StateMaskedRuntime
		}
		return u
	case modeRegular:
	default:
		u.State, u.Err = StateBad, fmt.Errorf("%w: %s does not lead to a unit file", errBadUnit, name)
		return u
	}
	info.readInstall()
	u.Fragment = info.path
	u.Settings.Entries = append(u.Settings.Entries, info.frag.Entries...)
	for _, p := range l.dropins(info.name, true) {
		if f := l.parse(p); f.err == nil {
			u.Settings.Entries = append(u.Settings.Entries, f.Entries...)
		}
	}
	if name != path.Base(info.path) && !isInstance(info.name) {
		u.State, u.AliasOf = StateAlias, info.name
		if u.AliasOf == name {
			u.AliasOf = path.Base(info.path)
		}
		return u
	}
	if slices.Contains(generatorDirs, path.Dir(info.path)) {
		u.State = StateGenerated
		return u
	}
	if path.Dir(info.path) == transientDir {
		u.State = StateTransient
		return u
	}
	if st, ok := l.findSymlinksInScope(info, true); ok {
		u.State = st
		return u
	}
	switch _, ok := l.findSymlinksInScope(info, false); {
	case ok:
		u.State = StateIndirect
	case info.hasRules():
		u.State = StateDisabled
	case len(info.also) > 0:
		u.State = StateIndirect
	default:
		u.State = StateStatic
	}
	return u
}

// isRuntime reports whether p is below /run.
func isRuntime(p string) bool { return p == "/run" || strings.HasPrefix(p, "/run/") }

// traverse finds info's unit file and follows aliases and links to the
// file that holds the settings (systemd's install_info_traverse).
func (l *lister) traverse(info *installInfo) (*installInfo, error) {
	if err := l.search(info); err != nil {
		return nil, err
	}
	for k := 0; info.mode == modeAlias || info.mode == modeLinked; k++ {
		if k >= maxFollow {
			return nil, fmt.Errorf("%w: %s: too many levels of links", errBadUnit, info.name)
		}
		if info.mode == modeLinked || path.Base(info.target) == info.name {
			if err := l.follow(info); err != nil {
				return nil, err
			}
			continue
		}
		// An alias to another name: continue with that name.
		bn := path.Base(info.target)
		if n, ok := ParseUnitName(info.name); ok && n.IsInstance() {
			if t, ok := ParseUnitName(bn); ok && t.IsTemplate() {
				withInstance := t.Prefix + "@" + n.Instance + "." + t.Type
				if withInstance == info.name {
					if err := l.follow(info); err != nil {
						return nil, err
					}
					continue
				}
				bn = withInstance
			}
		}
		next := &installInfo{name: bn}
		if err := l.search(next); err != nil {
			return nil, fmt.Errorf("%w: %s is a link to %s: %w", errBadUnit, info.name, bn, err)
		}
		info = next
	}
	return info, nil
}

// follow loads the target of info's link in its place.
func (l *lister) follow(info *installInfo) error {
	info.path, info.mode = info.target, modeNone
	return l.loadOrReadlink(info, info.path)
}

// search finds the unit file of info.name in the search path (or of its
// template for an instance) and loads it and its drop-ins.
func (l *lister) search(info *installInfo) error {
	names := []string{info.name}
	if t := templateOf(info.name); t != "" {
		names = append(names, t)
	}
	found := false
	for _, name := range names {
		for _, dir := range searchPath {
			p := path.Join(dir, name)
			err := l.loadOrReadlink(info, p)
			if err == nil {
				info.path, found = p, true
				break
			}
			if !rootfs.IsNotExist(err) {
				return err
			}
		}
		if found {
			break
		}
	}
	if !found {
		return fmt.Errorf("%w: no unit file for %s: %w", errBadUnit, info.name, fs.ErrNotExist)
	}
	if info.mode == modeMasked {
		return nil
	}
	// [Install] settings may come from drop-ins too.
	for _, p := range l.dropins(info.name, false) {
		f := l.parse(p)
		if f.err != nil {
			return f.err
		}
		info.drops = append(info.drops, f.File)
	}
	return nil
}

// dropins returns the drop-in files of unit name: NAME.d/*.conf and, for
// an instance, TEMPLATE.d/*.conf in every directory of the search path
// (with types, also TYPE.d/*.conf first, which systemd applies when it
// loads a unit but not when it enables one), a file name in an earlier
// directory hiding the same name in later ones, ordered by file name.
func (l *lister) dropins(name string, types bool) []string {
	var dirs []string
	if types {
		if n, ok := ParseUnitName(name); ok {
			dirs = append(dirs, n.Type+".d")
		}
	}
	dirs = append(dirs, name+".d")
	if t := templateOf(name); t != "" {
		dirs = append(dirs, t+".d")
	}
	byName := map[string]string{}
	var names []string
	for _, d := range dirs {
		for _, sp := range searchPath {
			dir := path.Join(sp, d)
			for _, e := range l.readDir(dir) {
				if !strings.HasSuffix(e.Name(), ".conf") || e.IsDir() {
					continue
				}
				if _, ok := byName[e.Name()]; !ok {
					byName[e.Name()] = path.Join(dir, e.Name())
					names = append(names, e.Name())
				}
			}
		}
	}
	slices.Sort(names)
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = byName[n]
	}
	return out
}

// loadOrReadlink loads unit file p into info: a regular file is parsed
// (an empty one masks the unit), a link is read and classified as a
// mask, an alias within the search path or a linked file outside it.
func (l *lister) loadOrReadlink(info *installInfo, p string) error {
	in, err := l.fs.Lstat(p)
	if err != nil {
		return err
	}
	switch {
	case in.Mode&fs.ModeSymlink != 0:
		return l.readUnitLink(info, p)
	case in.Mode&fs.ModeCharDevice != 0 && in.Mode&fs.ModeDevice != 0:
		info.mode = modeMasked
		return nil
	case in.Mode.IsDir():
		return fmt.Errorf("%w: %s is a directory", errBadUnit, p)
	case !in.Mode.IsRegular():
		return fmt.Errorf("%w: %s is not a regular file", errBadUnit, p)
	case in.Size == 0:
		info.mode = modeMasked
		return nil
	}
	f := l.parse(p)
	if f.err != nil {
		return f.err
	}
	info.mode, info.frag = modeRegular, f.File
	return nil
}

// readInstall sets info's [Install] settings from its unit file and
// drop-ins: lists grow with each assignment, an empty one resets them.
func (info *installInfo) readInstall() {
	entries := slices.Clone(info.frag.Entries)
	for _, d := range info.drops {
		entries = append(entries, d.Entries...)
	}
	for _, e := range entries {
		if e.Section != "Install" {
			continue
		}
		var dst *[]string
		switch e.Key {
		case "Alias":
			dst = &info.aliases
		case "WantedBy":
			dst = &info.wantedBy
		case "RequiredBy":
			dst = &info.requiredBy
		case "UpheldBy":
			dst = &info.upheldBy
		case "Also":
			dst = &info.also
		case "DefaultInstance":
			info.defaultInstance = strings.TrimSpace(e.Value)
			continue
		default:
			continue
		}
		if strings.TrimSpace(e.Value) == "" {
			*dst = nil
			continue
		}
		*dst = append(*dst, strings.Fields(e.Value)...)
	}
}

// readUnitLink classifies the link p (systemd's unit_file_resolve_symlink).
func (l *lister) readUnitLink(info *installInfo, p string) error {
	target, err := l.readlink(p)
	if err != nil {
		return fmt.Errorf("%w: %w", errBadUnit, err)
	}
	if !path.IsAbs(target) {
		target = path.Join(path.Dir(p), target)
	}
	target = path.Clean(target)
	// Resolve the directories on the way, not the last component.
	if dir, _, err := l.fs.Resolve(path.Dir(target)); err == nil {
		target = path.Join(dir, path.Base(target))
	}
	info.target = target
	if target == "/dev/null" {
		info.mode = modeMasked
		return nil
	}
	if st, err := l.fs.Stat(target); err == nil &&
		(st.Mode&fs.ModeCharDevice != 0 || st.Mode.IsRegular() && st.Size == 0) {
		info.mode = modeMasked
		return nil
	}
	if inSearchPath(target) {
		if !validAlias(path.Base(p), path.Base(target)) {
			return fmt.Errorf("%w: %s is an invalid alias of %s", errBadUnit, p, target)
		}
		info.mode = modeAlias
		return nil
	}
	info.mode = modeLinked
	return nil
}

// inSearchPath reports whether p is below a directory of the search path.
func inSearchPath(p string) bool {
	for _, d := range searchPath {
		if strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	return false
}

// findSymlinksInScope looks for the links that enable info
// (systemd's find_symlinks_in_scope): with matchName only those named as
// enabling the unit would name them (its name, aliases, default
// instance), without it any link to the unit.
func (l *lister) findSymlinksInScope(info *installInfo, matchName bool) (string, bool) {
	var sameNameConfig, sameNameRuntime, enabledRuntime, enabledAtAll, ignoreSameName bool
	for _, p := range searchPath {
		found, sameName := l.findSymlinks(info, matchName, ignoreSameName, p)
		switch {
		case found && p == persistentConfig:
			return StateEnabled, true
		case found && isRuntime(p):
			enabledRuntime = true
		case found:
			enabledAtAll = true
		case sameName && p == persistentConfig:
			sameNameConfig = true
		case sameName && isRuntime(p):
			sameNameRuntime = true
		}
		if !ignoreSameName && strings.HasPrefix(info.path, p+"/") {
			ignoreSameName = true
		}
	}
	switch {
	case enabledRuntime:
		return StateEnabledRuntime, true
	case enabledAtAll && isInstance(info.name):
		return StateStatic, true
	case sameNameConfig:
		return StateLinked, true
	case sameNameRuntime:
		return StateLinkedRuntime, true
	}
	return "", false
}

// findSymlinks looks in the dependency directories of configPath
// (*.wants, *.requires, *.upholds), then in configPath itself.
func (l *lister) findSymlinks(info *installInfo, matchName, ignoreSameName bool, configPath string) (found, sameName bool) {
	for _, e := range l.readDir(configPath) {
		if !e.IsDir() {
			continue
		}
		name := e.Name()
		dot := strings.LastIndexByte(name, '.')
		if dot < 0 {
			continue
		}
		switch name[dot:] {
		case ".wants", ".requires", ".upholds":
		default:
			continue
		}
		if l.findInDirectory(info, path.Join(configPath, name), true, matchName, ignoreSameName, configPath, &sameName) {
			return true, sameName
		}
	}
	return l.findInDirectory(info, configPath, false, matchName, ignoreSameName, configPath, &sameName), sameName
}

// findInDirectory is systemd's find_symlinks_in_directory.
func (l *lister) findInDirectory(info *installInfo, dir string, ignoreDestination, matchName, ignoreSameName bool,
	configPath string, sameName *bool) bool {
	for _, e := range l.readDir(dir) {
		if e.Type() != fs.ModeSymlink {
			continue
		}
		var foundPath, foundDest bool
		if !ignoreDestination {
			dest, err := l.readlink(path.Join(dir, e.Name()))
			if err != nil {
				continue
			}
			foundDest = path.Base(dest) == info.name
		}
		if ignoreDestination || !ignoreSameName {
			foundPath = e.Name() == info.name
		}
		if !foundPath && ignoreDestination {
			if n, ok := ParseUnitName(e.Name()); ok && (n.IsInstance() || n.IsTemplate()) {
				foundDest = n.Prefix+"@."+n.Type == info.name
			}
		}
		if foundPath && foundDest && path.Join(dir, e.Name()) == path.Join(configPath, info.name) {
			*sameName = true
			continue
		}
		if foundPath || foundDest {
			if !matchName || knownName(info, e.Name()) {
				return true
			}
		}
	}
	return false
}

// knownName reports whether a link named name is one that enabling info
// makes: its name, an alias, or the default instance of a template.
func knownName(info *installInfo, name string) bool {
	if name == info.name || slices.Contains(info.aliases, name) {
		return true
	}
	if info.defaultInstance != "" {
		if n, ok := ParseUnitName(info.name); ok && n.IsTemplate() {
			return name == n.Prefix+"@"+info.defaultInstance+"."+n.Type
		}
	}
	return false
}
