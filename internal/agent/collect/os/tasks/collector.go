package tasks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/vigilsec/vigil/internal/agent/collect/internal/pkgowner"
	"github.com/vigilsec/vigil/internal/agent/collect/os/services"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/rootfs"
	"github.com/vigilsec/vigil/internal/agent/sense/persist/crontab"
	"github.com/vigilsec/vigil/internal/event"
)

// Name is the collector's name.
const Name = "os/tasks"

// Task types (vigil.task.type).
const (
	TypeCron       = "cron"
	TypeCronScript = "cron-script"
	TypeAnacron    = "anacron"
	TypeTimer      = "systemd-timer"
)

// maxCrontab bounds a crontab or anacrontab read.
const maxCrontab = 1 << 20

// maxName bounds an item's Name (a command).
const maxName = 256

// periodic are cron's run-parts directories and their schedules.
var periodic = []struct{ dir, schedule string }{
	{"/etc/cron.hourly", "@hourly"}, {"/etc/cron.daily", "@daily"},
	{"/etc/cron.weekly", "@weekly"}, {"/etc/cron.monthly", "@monthly"},
}

// spools are the directories of users' crontabs: Debian's, then that of
// cronie and others (files directly in /var/spool/cron).
var spools = []string{"/var/spool/cron/crontabs", "/var/spool/cron"}

// backupSuffixes mark files that package managers and editors leave;
// cron and run-parts skip them.
var backupSuffixes = []string{"~", ".dpkg-old", ".dpkg-new", ".dpkg-dist", ".dpkg-bak", ".dpkg-tmp", ".rpmsave", ".rpmnew", ".rpmorig", ".swp"}

// timerKeys are the settings that make a timer's schedule.
var timerKeys = []string{"OnCalendar", "OnActiveSec", "OnBootSec", "OnStartupSec", "OnUnitActiveSec", "OnUnitInactiveSec"}

// Collector is the os/tasks collector.
type Collector struct {
	malformed, unreadable, indexErrors atomic.Uint64
}

var (
	_ plugin.AssetCollector = (*Collector)(nil)
	_ plugin.Counted        = (*Collector)(nil)
)

// New returns the collector.
func New() *Collector { return &Collector{} }

// Name implements plugin.Plugin.
func (*Collector) Name() string { return Name }

// Requirements implements plugin.Plugin: the users' crontabs can be read
// by root only.
func (*Collector) Requirements() plugin.Requirements {
	return plugin.Requirements{OS: []string{"linux"}, Root: true}
}

// DefaultInterval implements plugin.Collector.
func (*Collector) DefaultInterval() time.Duration { return 30 * time.Minute }

// Kinds implements plugin.AssetCollector.
func (*Collector) Kinds() []string { return []string{event.AssetTask} }

// Counters implements plugin.Counted: malformed_lines (lines of crontabs,
// anacrontab and unit files skipped, total), unreadable_files (crontabs
// of the last run that could not be read) and package_index_errors.
func (c *Collector) Counters() map[string]uint64 {
	return map[string]uint64{
		"malformed_lines":      c.malformed.Load(),
		"unreadable_files":     c.unreadable.Load(),
		"package_index_errors": c.indexErrors.Load(),
	}
}

// run is one run's state.
type run struct {
	fs         *rootfs.FS
	ix         *pkgowner.Index
	out        []event.Asset
	seen       map[string]bool
	malformed  int
	unreadable int
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
	r := &run{fs: fsys.Cached(), ix: pkgowner.Current(root, &c.indexErrors), seen: map[string]bool{}}
	r.crontab("/etc/crontab", crontab.System, "")
	for _, p := range r.files("/etc/cron.d", false) {
		r.crontab(p, crontab.System, "")
	}
	for _, dir := range spools {
		for _, p := range r.files(dir, false) {
			name := path.Base(p)
			if strings.HasPrefix(name, "tmp.") { // crontab -e's temporary file
				continue
			}
			r.crontab(p, crontab.User, name)
		}
	}
	for _, d := range periodic {
		for _, p := range r.files(d.dir, true) {
			r.script(p, d.schedule)
		}
	}
	r.anacrontab("/etc/anacrontab")
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	r.timers()
	c.malformed.Add(uint64(r.malformed))
	c.unreadable.Store(uint64(r.unreadable))
	slices.SortFunc(r.out, func(a, b event.Asset) int { return strings.Compare(a.Key, b.Key) })
	return r.out, nil
}

// files lists the regular files of dir (following links), sorted, without
// hidden files and backups; with executable, only executable ones.
func (r *run) files(dir string, executable bool) []string {
	ents, _, err := r.fs.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		name := e.Name()
		if strings.HasPrefix(name, ".") || hasAnySuffix(name, backupSuffixes) {
			continue
		}
		p := path.Join(dir, name)
		in, err := r.fs.Stat(p)
		if err != nil || !in.Mode.IsRegular() || executable && in.Mode.Perm()&0o111 == 0 {
			continue
		}
		out = append(out, p)
	}
	return out
}

// read reads a crontab-like file; ok is false when it is missing or
// unreadable (counted).
func (r *run) read(p string) ([]byte, bool) {
	data, _, err := r.fs.ReadFile(p, maxCrontab)
	if err != nil {
		if !rootfs.IsNotExist(err) && !errors.Is(err, rootfs.ErrNotFile) {
			r.unreadable++
		}
		return nil, false
	}
	return data, true
}

// add appends an item unless its key was seen (the same job twice in one
// file is one item).
func (r *run) add(key, name string, f event.Event) {
	key = strings.ToValidUTF8(key, "\uFFFD")
	if r.seen[key] {
		return
	}
	r.seen[key] = true
	name = clip(strings.ToValidUTF8(name, "\uFFFD"), maxName)
	r.out = append(r.out, event.Asset{Kind: event.AssetTask, Key: key, Name: name, Fields: f})
}

// crontab adds the jobs of a crontab; user is the owner of a user-format
// crontab (its file name).
func (r *run) crontab(p string, format crontab.Format, user string) {
	data, ok := r.read(p)
	if !ok {
		return
	}
	f := crontab.Parse(data, format)
	r.malformed += f.Problems.Skipped
	for _, e := range f.Entries {
		if e.Env {
			continue
		}
		u := e.User
		if format == crontab.User {
			u = user
		}
		fields := event.Event{}
		fields.Set("vigil.task.type", TypeCron)
		fields.Set("vigil.task.schedule", e.Schedule)
		fields.Set("user.name", u)
		fields.Set("process.command_line", e.Command)
		fields.Set("file.path", p)
		r.ix.Annotate(fields, p)
		r.add("cron:"+keyPath(p)+"#"+digest(e.Schedule, u, e.Command), e.Command, fields)
	}
}

// script adds a script of a run-parts directory.
func (r *run) script(p, schedule string) {
	fields := event.Event{}
	fields.Set("vigil.task.type", TypeCronScript)
	fields.Set("vigil.task.schedule", schedule)
	fields.Set("user.name", "root")
	fields.Set("process.executable", p)
	fields.Set("file.path", p)
	r.ix.Annotate(fields, p)
	r.add("cron:"+keyPath(p), path.Base(p), fields)
}

// anacrontab adds the jobs of an anacrontab.
func (r *run) anacrontab(p string) {
	data, ok := r.read(p)
	if !ok {
		return
	}
	a := ParseAnacrontab(data)
	r.malformed += a.Problems.Skipped
	for _, j := range a.Jobs {
		fields := event.Event{}
		fields.Set("vigil.task.type", TypeAnacron)
		fields.Set("vigil.task.schedule", j.Period)
		fields.Set("vigil.task.delay_minutes", j.Delay)
		fields.Set("vigil.task.id", j.ID)
		fields.Set("user.name", "root")
		fields.Set("process.command_line", j.Command)
		fields.Set("file.path", p)
		r.ix.Annotate(fields, p)
		r.add("anacron:"+j.ID, j.ID, fields)
	}
}

// timers adds the systemd timers with what they start.
func (r *run) timers() {
	units, problems := services.ListUnitFiles(r.fs, "timer", "service")
	r.malformed += problems
	byName := map[string]*services.UnitFile{}
	for i := range units {
		byName[units[i].Name] = &units[i]
	}
	for i := range units {
		t := &units[i]
		if t.Type != "timer" || t.AliasOf != "" {
			continue
		}
		fields := event.Event{}
		fields.Set("vigil.task.type", TypeTimer)
		fields.Set("vigil.task.enablement", t.State)
		file := t.Fragment
		if file == "" {
			file = t.Path
		}
		fields.Set("file.path", file)
		r.ix.Annotate(fields, file)
		var schedule []string
		for _, k := range timerKeys {
			for _, v := range t.Settings.Values("Timer", k) {
				schedule = append(schedule, k+"="+v)
			}
		}
		if len(schedule) > 0 {
			fields.Set("vigil.task.schedule", strings.Join(schedule, "; "))
		}
		target := t.Settings.Value("Timer", "Unit")
		if target == "" {
			target = strings.TrimSuffix(t.Name, ".timer") + ".service"
		}
		if t.Fragment != "" {
			fields.Set("vigil.task.unit", target)
		}
		if s, ok := byName[target]; ok && t.Fragment != "" {
			sf := services.UnitFields(s)
			for _, k := range []string{"process.command_line", "process.executable", "user.name"} {
				if v := sf.String(k); v != "" {
					fields.Set(k, v)
				}
			}
		}
		r.add("timer:"+t.Name, t.Name, fields)
	}
}

// maxKeyPath bounds the path in a key (keys are at most
// event.MaxAssetKey bytes).
const maxKeyPath = 800

// keyPath returns p for a key: a path too long is cut and followed by its
// digest, so that two long paths still make two keys.
func keyPath(p string) string {
	if len(p) <= maxKeyPath {
		return p
	}
	return clip(p, maxKeyPath) + "..." + digest(p)
}

// digest returns 16 hex digits of the SHA-256 of the parts: an item's
// identity within its file, whatever line it is on.
func digest(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// clip shortens s to at most n bytes on a character boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func hasAnySuffix(s string, suffixes []string) bool {
	for _, x := range suffixes {
		if strings.HasSuffix(s, x) {
			return true
		}
	}
	return false
}
