// Package users is the os/users collector: the inventory of the host's
// local accounts and groups, with what a security team asks of each: is
// it root-equivalent, can it log in, with a password or a key, since
// when is its password unchanged, may it use sudo, when did it last log
// in.
//
// # Items
//
//   - user (key: the name): user.{name,id,full_name,group.id,group.name},
//     vigil.account.{gecos,home,shell,login_shell,uid0,groups,privileged,
//     duplicates,last_login}, vigil.account.password.{status,scheme,
//     in_passwd,last_changed,must_change,min_days,max_days,warn_days,
//     inactive_days,expires,shadow_entry}, vigil.ssh.authorized_keys (each key's file,
//     type, fingerprint, bits, comment, options, command, from) or
//     vigil.ssh.authorized_keys_unreadable, vigil.ssh.authorized_keys_count,
//     vigil.sudo.{rules,rules_count,nopasswd}.
//   - group (key: the name): group.{name,id}, vigil.group.{members,
//     members_count,primary_members,admins,privileged,duplicates},
//     vigil.group.password.status, vigil.sudo.{rules,rules_count}.
//
// Password status is "set" (a usable hash), "empty" (no password
// needed), "locked" (a '!' before the field: usermod -L, passwd -l) or
// "disabled" ("*", "!!" and other values no password matches); the hash
// itself, or anything computed from it, never leaves the host: the
// scheme name (yescrypt, sha512crypt ...) is all that is kept.
//
// An account is privileged when its uid is 0, when sudo rules apply to
// it, or when it belongs (primary or supplementary) to gid 0 or to a
// group of the accounts sensor's privileged list (root, sudo, wheel,
// adm, docker, admin, lxd, disk). A group is privileged when it is one
// of those or sudo rules name it.
//
// Sudo rules are those of /etc/sudoers and its includes whose user list
// matches the account (by name, #uid, %group or %#gid of its primary or
// supplementary groups, User_Alias, ALL; the last matching item decides
// and '!' denies), as written; host lists and Runas lists are not
// evaluated. nopasswd also counts Defaults lines that turn
// authentication off globally or for the account (Defaults:user).
//
// # Last login
//
// vigil.account.last_login is the day (UTC, YYYY-MM-DD) of the latest of
// the account's lastlog record and its last USER_PROCESS record in wtmp.
// It is kept to the day: what an inventory is asked is whether an
// account is used and since when it is dormant ("never logged in",
// "not for 90 days"), and a first login of a dormant or service account
// is a change worth its history entry; with the time of day, every
// login would be a change of the user item and the history would
// duplicate the login events the authlog sensor reports. The terminal
// and the remote host are left out for the same reason.
//
// # Sources
//
// /etc/passwd, /etc/shadow, /etc/group, /etc/gshadow, /etc/sudoers and
// what it includes, /etc/hostname (for %h in includes),
// HOME/.ssh/authorized_keys and authorized_keys2 (sshd's default
// AuthorizedKeysFile), /var/log/lastlog and /var/log/wtmp, all below
// Env.Root with links resolved inside it. The parsers are those of the
// accounts sensor.
package users

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/authkeys"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/group"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/passwd"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/rootfs"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/shadow"
	"github.com/vigilsec/vigil/internal/event"
)

// Name is the collector's name.
const Name = "os/users"

// Limits.
const (
	// maxFileBytes bounds an account database or sudoers file.
	maxFileBytes = 16 << 20
	// maxKeysBytes bounds one authorized_keys file.
	maxKeysBytes = 1 << 20
	// keysBudget bounds the JSON size of the keys listed for one
	// account, maxRules the sudo rules listed, maxNames the member lists
	// of a group: an item stays below event.MaxAssetFields. The counts
	// are kept whole (authorized_keys_count, rules_count,
	// members_count).
	keysBudget = 24 << 10
	maxRules   = 32
	maxNames   = 512
	// maxText bounds free text (GECOS, key comments, options, rules).
	maxText = 512
)

// keyFiles are the authorized keys files of an account, relative to its
// home: sshd's default AuthorizedKeysFile.
var keyFiles = []string{".ssh/authorized_keys", ".ssh/authorized_keys2"}

// Collector collects the accounts inventory.
type Collector struct {
	malformed  atomic.Uint64
	unreadable atomic.Uint64
	duplicates atomic.Uint64
	corrupt    atomic.Uint64
}

var (
	_ plugin.AssetCollector = (*Collector)(nil)
	_ plugin.Counted        = (*Collector)(nil)
)

// New returns the collector.
func New() *Collector { return &Collector{} }

// Name implements plugin.Plugin.
func (*Collector) Name() string { return Name }

// Requirements implements plugin.Plugin: /etc/shadow and /etc/gshadow
// are readable by root only.
func (*Collector) Requirements() plugin.Requirements {
	return plugin.Requirements{OS: []string{"linux"}, Root: true}
}

// DefaultInterval implements plugin.Collector.
func (*Collector) DefaultInterval() time.Duration { return time.Hour }

// Kinds implements plugin.AssetCollector.
func (*Collector) Kinds() []string { return []string{event.AssetUser, event.AssetGroup} }

// Counters implements plugin.Counted, totals since start:
// malformed_lines (lines of the account files, sudoers and
// authorized_keys the parsers skipped), unreadable_files (authorized_keys
// files that could not be read), duplicate_entries (accounts or groups
// defined more than once: the first definition is the one used) and
// corrupt_records (lastlog and wtmp records that could not be decoded).
func (c *Collector) Counters() map[string]uint64 {
	return map[string]uint64{
		"malformed_lines":   c.malformed.Load(),
		"unreadable_files":  c.unreadable.Load(),
		"duplicate_entries": c.duplicates.Load(),
		"corrupt_records":   c.corrupt.Load(),
	}
}

// Assets implements plugin.AssetCollector. The set is incomplete (an
// error) when passwd or group cannot be read, or shadow, gshadow,
// sudoers or lastlog exist and cannot be read: every item would then
// change at once.
func (c *Collector) Assets(ctx context.Context, env plugin.Env) ([]event.Asset, error) {
	log := env.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	fsys, err := rootfs.New(env.Root)
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	fsys = fsys.Cached()
	db, err := c.read(fsys)
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	out := make([]event.Asset, 0, len(db.users)+len(db.groups))
	keys := map[string]keysResult{}
	for _, u := range db.users {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("users: %w", err)
		}
		out = append(out, c.userAsset(fsys, db, u, keys, log))
	}
	for _, g := range db.groups {
		out = append(out, db.groupAsset(g))
	}
	return out, nil
}

// database is what the account files say.
type database struct {
	users     []passwd.Entry
	userDups  map[string]int
	shadow    map[string]shadow.Entry
	groups    []group.Entry
	groupDups map[string]int
	gshadow   map[string]shadow.GroupEntry
	gidName   map[int64]string
	nameGID   map[string]int64
	memberOf  map[string][]string // user -> supplementary groups
	primaryOf map[int64][]string  // gid -> users with it as primary group
	sudo      sudoPolicy
	// privileged are the groups whose members can act as root: the
	// accounts sensor's list (sudo, wheel, docker, disk ...), gid 0,
	// and the groups named in sudo rules; granted holds the first two,
	// membership alone making an account privileged (rules are
	// evaluated per account: a user list may deny a member).
	privileged, granted map[string]bool
	logins              logins
}

// read reads and parses the account files.
func (c *Collector) read(fsys *rootfs.FS) (*database, error) {
	db := &database{
		userDups: map[string]int{}, shadow: map[string]shadow.Entry{}, groupDups: map[string]int{},
		gshadow: map[string]shadow.GroupEntry{}, gidName: map[int64]string{}, nameGID: map[string]int64{}, memberOf: map[string][]string{},
		primaryOf: map[int64][]string{}, privileged: map[string]bool{}, granted: map[string]bool{},
	}
	data, _, err := fsys.ReadFile("/etc/passwd", maxFileBytes)
	if err != nil {
		return nil, err
	}
	pf := passwd.Parse(data, nil)
	c.malformed.Add(uint64(pf.Problems.Skipped))
	for _, e := range pf.Entries {
		if e.Compat {
			continue // NIS compat lines name no local account
		}
		if _, dup := db.userDups[e.Name]; dup {
			db.userDups[e.Name]++
			c.duplicates.Add(1)
			continue
		}
		db.userDups[e.Name] = 0
		db.users = append(db.users, e)
	}

	if data, _, err := fsys.ReadFile("/etc/shadow", maxFileBytes); err == nil {
		sf := shadow.Parse(data, nil)
		c.malformed.Add(uint64(sf.Problems.Skipped))
		for _, e := range sf.Entries {
			if _, dup := db.shadow[e.Name]; !dup {
				db.shadow[e.Name] = e
			}
		}
	} else if !rootfs.IsNotExist(err) {
		return nil, err
	}

	data, _, err = fsys.ReadFile("/etc/group", maxFileBytes)
	if err != nil {
		return nil, err
	}
	gf := group.Parse(data, nil)
	c.malformed.Add(uint64(gf.Problems.Skipped))
	for _, e := range gf.Entries {
		if e.Compat {
			continue
		}
		if _, dup := db.groupDups[e.Name]; dup {
			db.groupDups[e.Name]++
			c.duplicates.Add(1)
			continue
		}
		db.groupDups[e.Name] = 0
		db.groups = append(db.groups, e)
		db.nameGID[e.Name] = e.GID
		if _, dup := db.gidName[e.GID]; !dup {
			db.gidName[e.GID] = e.Name
		}
		for _, m := range e.Members {
			if !slices.Contains(db.memberOf[m], e.Name) {
				db.memberOf[m] = append(db.memberOf[m], e.Name)
			}
		}
	}
	if data, _, err := fsys.ReadFile("/etc/gshadow", maxFileBytes); err == nil {
		gs := shadow.ParseGroups(data, nil)
		c.malformed.Add(uint64(gs.Problems.Skipped))
		for _, e := range gs.Entries {
			if _, dup := db.gshadow[e.Name]; !dup {
				db.gshadow[e.Name] = e
			}
		}
	} else if !rootfs.IsNotExist(err) {
		return nil, err
	}
	var uids []int64
	for _, u := range db.users {
		db.primaryOf[u.GID] = append(db.primaryOf[u.GID], u.Name)
		uids = append(uids, u.UID)
	}

	host := ""
	if data, _, err := fsys.ReadFile("/etc/hostname", 4096); err == nil {
		host, _, _ = strings.Cut(strings.TrimSpace(string(data)), ".")
	}
	if db.sudo, err = readSudoers(fsys, "/etc/sudoers", host, maxFileBytes); err != nil {
		return nil, err
	}
	c.malformed.Add(uint64(db.sudo.Malformed))

	for _, g := range accounts.DefaultSettings().PrivilegedGroups {
		db.privileged[g], db.granted[g] = true, true
	}
	for _, g := range db.groups {
		if g.GID == 0 {
			db.privileged[g.Name], db.granted[g.Name] = true, true
		}
		if len(db.sudo.rulesForGroup(g.Name, g.GID)) > 0 {
			db.privileged[g.Name] = true
		}
	}

	if db.logins, err = readLogins(fsys, uids); err != nil {
		return nil, err
	}
	c.corrupt.Add(uint64(db.logins.Corrupt))
	return db, nil
}

// groupsOf returns an account's groups: the primary one and the
// supplementary ones, by name and gid.
func (db *database) groupsOf(u passwd.Entry) principal {
	p := principal{Name: u.Name, UID: u.UID, Groups: map[string]bool{}, GIDs: map[int64]bool{u.GID: true}}
	if name, ok := db.gidName[u.GID]; ok {
		p.Groups[name] = true
	}
	for _, g := range db.memberOf[u.Name] {
		p.Groups[g] = true
		p.GIDs[db.nameGID[g]] = true
	}
	return p
}

// keysResult is one authorized_keys file read.
type keysResult struct {
	keys       []authkeys.Key
	unreadable bool
}

// userAsset builds the item of one account.
func (c *Collector) userAsset(fsys *rootfs.FS, db *database, u passwd.Entry, cache map[string]keysResult, log *slog.Logger) event.Asset {
	e := event.Event{}
	e.Set("user.name", u.Name)
	e.Set("user.id", strconv.FormatInt(u.UID, 10))
	e.Set("user.group.id", strconv.FormatInt(u.GID, 10))
	if name, ok := db.gidName[u.GID]; ok {
		e.Set("user.group.name", name)
	}
	setText(e, "user.full_name", u.FullName())
	setText(e, "vigil.account.gecos", u.GECOS)
	e.Set("vigil.account.home", clip(u.Home))
	e.Set("vigil.account.shell", clip(u.Shell))
	e.Set("vigil.account.login_shell", accounts.LoginShell(u.Shell))
	e.Set("vigil.account.uid0", u.UID == 0)
	if n := db.userDups[u.Name]; n > 0 {
		e.Set("vigil.account.duplicates", n)
	}

	p := db.groupsOf(u)
	groups := make([]string, 0, len(p.Groups))
	privileged := u.UID == 0
	for g := range p.Groups {
		groups = append(groups, g)
		privileged = privileged || db.granted[g]
	}
	sort.Strings(groups)
	if len(groups) > 0 {
		e.Set("vigil.account.groups", groups)
	}

	passwordFields(e, u, db.shadow)

	if t := db.logins.last(u.UID, u.Name); !t.IsZero() {
		e.Set("vigil.account.last_login", t.UTC().Format(time.DateOnly))
	}

	keys, total, unreadable := c.keysOf(fsys, u, cache, log)
	if len(keys) > 0 {
		e.Set("vigil.ssh.authorized_keys", keys)
		e.Set("vigil.ssh.authorized_keys_count", total)
	}
	if unreadable {
		e.Set("vigil.ssh.authorized_keys_unreadable", true)
	}

	rules := db.sudo.rulesFor(p)
	if len(rules) > 0 {
		privileged = true
		nopasswd := false
		for _, r := range rules {
			nopasswd = nopasswd || r.NoPasswd
		}
		setRules(e, rules)
		e.Set("vigil.sudo.nopasswd", nopasswd)
	}
	e.Set("vigil.account.privileged", privileged)
	return event.Asset{Kind: event.AssetUser, Key: u.Name, Name: u.Name, Fields: e}
}

// passwordFields describes the account's password from its shadow entry
// (or passwd's own field when it is not "x").
func passwordFields(e event.Event, u passwd.Entry, entries map[string]shadow.Entry) {
	pw := u.Password
	sh, hasShadow := entries[u.Name]
	switch {
	case pw.State != shadow.StateShadow:
		// A hash or an empty field in passwd itself is honoured.
		e.Set("vigil.account.password.in_passwd", true)
	case hasShadow:
		pw = sh.Password
	default:
		e.Set("vigil.account.password.status", "disabled")
		e.Set("vigil.account.password.shadow_entry", false)
		return
	}
	e.Set("vigil.account.password.status", passwordStatus(pw))
	if pw.Scheme != "" {
		e.Set("vigil.account.password.scheme", pw.Scheme)
	}
	if !hasShadow {
		return
	}
	switch {
	case sh.LastChange == 0:
		e.Set("vigil.account.password.must_change", true)
	case sh.LastChange > 0:
		e.Set("vigil.account.password.last_changed", shadow.Date(sh.LastChange))
	}
	for _, d := range []struct {
		name string
		v    int64
	}{{"min_days", sh.MinDays}, {"max_days", sh.MaxDays}, {"warn_days", sh.WarnDays}, {"inactive_days", sh.InactiveDays}} {
		if d.v >= 0 {
			e.Set("vigil.account.password."+d.name, d.v)
		}
	}
	if sh.Expire >= 0 {
		e.Set("vigil.account.password.expires", shadow.Date(sh.Expire))
	}
}

// passwordStatus names the state of a password field.
func passwordStatus(p shadow.Password) string {
	switch {
	case p.State == shadow.StateEmpty:
		return "empty"
	case p.Locked:
		return "locked"
	case p.State == shadow.StateHash:
		return "set"
	}
	return "disabled"
}

// keysOf reads the account's authorized keys files; cache holds the
// files read in this run (accounts may share a home). It returns the
// keys that fit keysBudget, the number of keys, and whether a file
// could not be read.
func (c *Collector) keysOf(fsys *rootfs.FS, u passwd.Entry, cache map[string]keysResult, log *slog.Logger) ([]map[string]any, int, bool) {
	if !strings.HasPrefix(u.Home, "/") {
		return nil, 0, false
	}
	var out []map[string]any
	total, size, unreadable := 0, 0, false
	for _, rel := range keyFiles {
		p := path.Join(u.Home, rel)
		res, ok := cache[p]
		if !ok {
			data, _, err := fsys.ReadFile(p, maxKeysBytes)
			switch {
			case err == nil:
				f := authkeys.Parse(data)
				c.malformed.Add(uint64(f.Problems.Skipped))
				res.keys = f.Keys
			case rootfs.IsNotExist(err):
			default:
				c.unreadable.Add(1)
				log.Warn("authorized keys file not readable", "path", p, "err", err)
				res.unreadable = true
			}
			cache[p] = res
		}
		unreadable = unreadable || res.unreadable
		for _, k := range res.keys {
			total++
			m := keyFields(p, k)
			if b, err := json.Marshal(m); err == nil && size+len(b) <= keysBudget {
				size += len(b)
				out = append(out, m)
			}
		}
	}
	return out, total, unreadable
}

// keyFields describes one authorized key.
func keyFields(file string, k authkeys.Key) map[string]any {
	m := map[string]any{"file": file, "type": k.Type, "fingerprint": k.Fingerprint}
	if k.Bits > 0 {
		m["bits"] = k.Bits
	}
	if k.Comment != "" {
		m["comment"] = clip(k.Comment)
	}
	if len(k.Options) > 0 {
		opts := make([]string, len(k.Options))
		for i, o := range k.Options {
			opts[i] = clip(o.String())
		}
		m["options"] = opts
	}
	for _, name := range []string{"command", "from"} {
		if v, ok := k.Option(name); ok {
			m[name] = clip(v)
		}
	}
	return m
}

// setRules sets vigil.sudo.rules (the first maxRules) and rules_count.
func setRules(e event.Event, rules []SudoRule) {
	list := make([]map[string]any, 0, min(len(rules), maxRules))
	for _, r := range rules[:min(len(rules), maxRules)] {
		list = append(list, map[string]any{"file": clip(r.File), "rule": clip(r.Rule), "via": clip(r.Via), "nopasswd": r.NoPasswd})
	}
	e.Set("vigil.sudo.rules", list)
	e.Set("vigil.sudo.rules_count", len(rules))
}

// groupAsset builds the item of one group.
func (db *database) groupAsset(g group.Entry) event.Asset {
	e := event.Event{}
	e.Set("group.name", g.Name)
	e.Set("group.id", strconv.FormatInt(g.GID, 10))
	members := slices.Clone(g.Members)
	sort.Strings(members)
	members = slices.Compact(members)
	e.Set("vigil.group.members_count", len(members))
	if len(members) > 0 {
		e.Set("vigil.group.members", capNames(members))
	}
	if primary := db.primaryOf[g.GID]; len(primary) > 0 && db.gidName[g.GID] == g.Name {
		primary = slices.Clone(primary)
		sort.Strings(primary)
		e.Set("vigil.group.primary_members", capNames(primary))
	}
	pw := g.Password
	if gs, ok := db.gshadow[g.Name]; ok {
		if pw.State == shadow.StateShadow {
			pw = gs.Password
		}
		if len(gs.Admins) > 0 {
			admins := slices.Clone(gs.Admins)
			sort.Strings(admins)
			e.Set("vigil.group.admins", capNames(admins))
		}
	}
	if pw.State == shadow.StateShadow {
		e.Set("vigil.group.password.status", "disabled")
	} else {
		e.Set("vigil.group.password.status", passwordStatus(pw))
	}
	e.Set("vigil.group.privileged", db.privileged[g.Name])
	if n := db.groupDups[g.Name]; n > 0 {
		e.Set("vigil.group.duplicates", n)
	}
	if rules := db.sudo.rulesForGroup(g.Name, g.GID); len(rules) > 0 {
		setRules(e, rules)
	}
	return event.Asset{Kind: event.AssetGroup, Key: g.Name, Name: g.Name, Fields: e}
}

// capNames keeps the first maxNames names.
func capNames(names []string) []string {
	if len(names) > maxNames {
		return names[:maxNames]
	}
	return names
}

// setText sets non-empty free text, clipped.
func setText(e event.Event, p, v string) {
	if v != "" {
		e.Set(p, clip(v))
	}
}

// clip cuts free text at maxText bytes, on a character boundary.
func clip(s string) string {
	if len(s) <= maxText {
		return s
	}
	cut := maxText
	for cut > 0 && s[cut]&0xc0 == 0x80 {
		cut--
	}
	return s[:cut]
}
