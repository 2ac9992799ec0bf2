package accounts

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/shadow"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/sudoers"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/tracker"
	"github.com/vigilsec/vigil/internal/event"
)

// Actions of the sensor's events.
const (
	ActionUserAdded             = "user-added"
	ActionUserRemoved           = "user-removed"
	ActionUserChanged           = "user-changed"
	ActionGroupAdded            = "group-added"
	ActionGroupRemoved          = "group-removed"
	ActionGroupChanged          = "group-changed"
	ActionGroupMemberAdded      = "group-member-added"
	ActionGroupMemberRemoved    = "group-member-removed"
	ActionPasswordChanged       = "password-changed"
	ActionAccountLocked         = "account-locked"
	ActionAccountUnlocked       = "account-unlocked"
	ActionPasswordExpiryChanged = "password-expiry-changed"
	ActionSudoersRuleAdded      = "sudoers-rule-added"
	ActionSudoersRuleRemoved    = "sudoers-rule-removed"
	ActionKeyAdded              = "authorized-key-added"
	ActionKeyRemoved            = "authorized-key-removed"
)

// Bounds of copied strings and lists.
const (
	maxText  = 4096
	maxField = 1024
	maxName  = 256
	// maxNames bounds lists of members; *_count fields give the total.
	maxNames = 256
	// maxOptions bounds the key options copied.
	maxOptions = 32
)

// batchContext is what the events of one batch share.
type batchContext struct {
	now        time.Time
	gidName    map[string]string
	privileged map[string]bool
	// added holds the user-added events of the batch, which the shadow
	// entry created with the account completes.
	added map[string]event.Event
	// groupMembers are the members of each group in /etc/group.
	groupMembers map[string][]string
}

// names splits a comma-separated list; never nil, so that an empty list
// is [] in JSON.
func names(s string) []string {
	if l := shadow.List(s); l != nil {
		return l
	}
	return []string{}
}

// setNames sets a bounded list of names and its full count.
func setNames(e event.Event, field string, list []string) {
	e.Set(field, tracker.ClipList(list, maxNames, maxName))
	e.Set(field+"_count", len(list))
}

// Events implements tracker.Model.
func (m *model) Events(b *tracker.Batch) []event.Event {
	c := &batchContext{now: b.Now, added: map[string]event.Event{}}
	c.gidName, c.privileged = privilegedGroups(m.settings.PrivilegedGroups, b.Records(kindGroup), b.Records(kindSudoers))
	c.groupMembers = map[string][]string{}
	for _, g := range b.Records(kindGroup) {
		c.groupMembers[g.Key] = names(g.Fields["members"])
	}
	for _, d := range b.Diffs {
		if d.Source.Kind != kindGroup {
			continue
		}
		for _, ch := range d.Changes {
			// A group removed with its account still names the account's
			// primary group in user-removed.
			if ch.New == nil {
				if gid := ch.Old.Fields["gid"]; c.gidName[gid] == "" {
					c.gidName[gid] = ch.Old.Key
				}
			}
		}
	}
	var out []event.Event
	for _, d := range b.Diffs {
		for _, ch := range d.Changes {
			switch d.Source.Kind {
			case kindPasswd:
				out = append(out, c.user(ch)...)
			case kindGroup:
				out = append(out, c.group(ch)...)
			case kindShadow:
				out = append(out, c.shadow(ch)...)
			case kindGshadow:
				out = append(out, c.gshadow(ch)...)
			case kindSudoers:
				out = append(out, c.sudoers(ch))
			case kindAuthKeys:
				out = append(out, c.key(d.Source.User, ch))
			}
		}
	}
	return out
}

// privilegedGroups returns the names of groups by gid and the set of
// privileged groups: configured, gid 0, and granted in sudoers.
func privilegedGroups(configured []string, groups, rules []tracker.Record) (map[string]string, map[string]bool) {
	gidName := map[string]string{}
	priv := map[string]bool{}
	for _, g := range configured {
		priv[g] = true
	}
	for _, g := range groups {
		gid := g.Fields["gid"]
		if _, dup := gidName[gid]; !dup {
			gidName[gid] = g.Key
		}
		if gid == "0" {
			priv[g.Key] = true
		}
	}
	aliases := map[string][]string{}
	for _, r := range rules {
		for def := range strings.SplitSeq(r.Info["user_aliases"], "\n") {
			if name, members, ok := strings.Cut(def, "="); ok {
				aliases[name] = strings.Split(members, ",")
			}
		}
	}
	var grant func(p string, depth int)
	grant = func(p string, depth int) {
		switch {
		case p == "" || strings.HasPrefix(p, "!"):
		case strings.HasPrefix(p, "%#"):
			if name := gidName[p[2:]]; name != "" {
				priv[name] = true
			}
		case strings.HasPrefix(p, "%:"):
			priv[p[2:]] = true
		case strings.HasPrefix(p, "%"):
			priv[strings.ReplaceAll(p[1:], `\`, "")] = true
		case depth < 8:
			for _, m := range aliases[p] {
				grant(m, depth+1)
			}
		}
	}
	for _, r := range rules {
		if r.Info["kind"] != sudoers.KindUserSpec {
			continue
		}
		for p := range strings.SplitSeq(r.Info["principals"], "\n") {
			grant(p, 0)
		}
	}
	return gidName, priv
}

// record returns the record a change is about: the new one, or the old
// one of a removal.
func record(ch tracker.Change) *tracker.Record {
	if ch.New != nil {
		return ch.New
	}
	return ch.Old
}

// user reports a passwd change.
func (c *batchContext) user(ch tracker.Change) []event.Event {
	r := record(ch)
	at := tracker.When(ch, c.now)
	switch {
	case ch.Old == nil:
		e := tracker.NewEvent(at, "iam", ActionUserAdded, "user", "creation")
		c.userFields(e, r)
		e.Set(event.FieldMessage, fmt.Sprintf("user %s (uid %s) added", r.Key, r.Fields["uid"]))
		c.added[r.Key] = e
		return []event.Event{e}
	case ch.New == nil:
		e := tracker.NewEvent(at, "iam", ActionUserRemoved, "user", "deletion")
		c.userFields(e, r)
		e.Set(event.FieldMessage, fmt.Sprintf("user %s (uid %s) removed", r.Key, r.Fields["uid"]))
		return []event.Event{e}
	}
	var changed []string
	for _, f := range ch.Fields {
		if strings.HasPrefix(f, "password") {
			f = "password"
		}
		if !slices.Contains(changed, f) {
			changed = append(changed, f)
		}
	}
	e := tracker.NewEvent(at, "iam", ActionUserChanged, "user", "change")
	c.userFields(e, r)
	e.Set("vigil.account.changed", changed)
	var parts []string
	for _, f := range changed {
		if f == "password" {
			passwordFields(e, ch.New.Fields, ch.Old.Fields)
			parts = append(parts, "password field")
			continue
		}
		e.Set("vigil.account.previous."+f, tracker.Clip(ch.Old.Fields[f], maxField))
		parts = append(parts, fmt.Sprintf("%s %q -> %q", f, tracker.Clip(ch.Old.Fields[f], 64), tracker.Clip(ch.New.Fields[f], 64)))
	}
	e.Set(event.FieldMessage, fmt.Sprintf("user %s changed: %s", r.Key, strings.Join(parts, ", ")))
	return []event.Event{e}
}

// userFields describes an account.
func (c *batchContext) userFields(e event.Event, r *tracker.Record) {
	f := r.Fields
	e.Set(event.FieldFilePath, r.Path)
	e.Set("user.target.name", r.Key)
	if f["uid"] != "" {
		e.Set("user.target.id", f["uid"])
	}
	if gid := f["gid"]; gid != "" {
		e.Set("user.target.group.id", gid)
		if name := c.gidName[gid]; name != "" {
			e.Set("user.target.group.name", name)
			if c.privileged[name] {
				e.Set("vigil.account.group.privileged", true)
			}
		}
	}
	if name, _, _ := strings.Cut(f["gecos"], ","); name != "" {
		e.Set("user.target.full_name", tracker.Clip(name, maxField))
	}
	e.Set("vigil.account.gecos", tracker.Clip(f["gecos"], maxField))
	e.Set("vigil.account.home", tracker.Clip(f["home"], maxField))
	e.Set("vigil.account.shell", tracker.Clip(f["shell"], maxField))
	e.Set("vigil.account.login_shell", LoginShell(f["shell"]))
	if f["uid"] == "0" && r.Key != "root" {
		e.Set("vigil.account.uid0", true)
	}
	if st := f["password"]; st != shadow.StateShadow {
		passwordFields(e, f, nil)
	}
}

// LoginShell reports whether a shell lets the account run commands
// (empty means /bin/sh to login(1)).
func LoginShell(shell string) bool {
	switch path.Base(shell) {
	case "nologin", "false", "sync", "halt", "shutdown":
		return false
	}
	return true
}

// passwordFields describes a classified password field (never the hash),
// and the previous one when it differs.
func passwordFields(e event.Event, f, old map[string]string) {
	e.Set("vigil.account.password.state", f["password"])
	if s := f["password_scheme"]; s != "" {
		e.Set("vigil.account.password.scheme", s)
	}
	e.Set("vigil.account.password.locked", f["password_locked"] == "true")
	if old == nil {
		return
	}
	if old["password"] != f["password"] {
		e.Set("vigil.account.password.previous_state", old["password"])
	}
	if s := old["password_scheme"]; s != "" && s != f["password_scheme"] {
		e.Set("vigil.account.password.previous_scheme", s)
	}
}

// group reports a group change.
func (c *batchContext) group(ch tracker.Change) []event.Event {
	r := record(ch)
	at := tracker.When(ch, c.now)
	base := func(action string, types ...string) event.Event {
		e := tracker.NewEvent(at, "iam", action, types...)
		e.Set(event.FieldFilePath, r.Path)
		e.Set("group.name", r.Key)
		if gid := r.Fields["gid"]; gid != "" {
			e.Set("group.id", gid)
		}
		if c.privileged[r.Key] {
			e.Set("vigil.account.group.privileged", true)
		}
		return e
	}
	members := func(f map[string]string) []string { return names(f["members"]) }
	switch {
	case ch.Old == nil:
		e := base(ActionGroupAdded, "group", "creation")
		setNames(e, "vigil.account.group.members", members(r.Fields))
		e.Set(event.FieldMessage, fmt.Sprintf("group %s (gid %s) added", r.Key, r.Fields["gid"]))
		return []event.Event{e}
	case ch.New == nil:
		e := base(ActionGroupRemoved, "group", "deletion")
		setNames(e, "vigil.account.group.members", members(r.Fields))
		e.Set(event.FieldMessage, fmt.Sprintf("group %s (gid %s) removed", r.Key, r.Fields["gid"]))
		return []event.Event{e}
	}
	var out []event.Event
	var changed []string
	for _, f := range ch.Fields {
		switch {
		case f == "gid":
			changed = append(changed, f)
		case strings.HasPrefix(f, "password") && !slices.Contains(changed, "password"):
			changed = append(changed, "password")
		}
	}
	if len(changed) > 0 {
		e := base(ActionGroupChanged, "group", "change")
		e.Set("vigil.account.changed", changed)
		if slices.Contains(changed, "gid") {
			e.Set("vigil.account.previous.gid", ch.Old.Fields["gid"])
		}
		if slices.Contains(changed, "password") {
			passwordFields(e, ch.New.Fields, ch.Old.Fields)
		}
		e.Set(event.FieldMessage, fmt.Sprintf("group %s changed: %s", r.Key, strings.Join(changed, ", ")))
		out = append(out, e)
	}
	oldM, newM := members(ch.Old.Fields), members(ch.New.Fields)
	for _, u := range newM {
		if !slices.Contains(oldM, u) {
			out = append(out, c.member(base(ActionGroupMemberAdded, "group", "change"), u, r.Key, "added to"))
		}
	}
	for _, u := range oldM {
		if !slices.Contains(newM, u) {
			out = append(out, c.member(base(ActionGroupMemberRemoved, "group", "change"), u, r.Key, "removed from"))
		}
	}
	return out
}

// member completes a membership event.
func (c *batchContext) member(e event.Event, user, group, verb string) event.Event {
	e.Set("user.target.name", tracker.Clip(user, maxName))
	priv := ""
	if c.privileged[group] {
		priv = " (privileged)"
	}
	e.Set(event.FieldMessage, fmt.Sprintf("%s %s group %s%s", user, verb, group, priv))
	return e
}

// shadow reports a shadow change.
func (c *batchContext) shadow(ch tracker.Change) []event.Event {
	r := record(ch)
	at := tracker.When(ch, c.now)
	f := r.Fields
	switch {
	case ch.New == nil:
		return nil // the account's removal is reported from passwd
	case ch.Old == nil:
		if e := c.added[r.Key]; e != nil {
			passwordFields(e, f, nil)
			if d := shadow.Date(atoi(f["last_change"])); d != "" {
				e.Set("vigil.account.password.last_changed", d)
			}
			return nil
		}
		if f["password"] != shadow.StateHash && f["password"] != shadow.StateEmpty {
			return nil
		}
		return []event.Event{c.passwordChanged(at, ch)}
	}
	has := func(names ...string) bool {
		for _, n := range names {
			if slices.Contains(ch.Fields, n) {
				return true
			}
		}
		return false
	}
	var out []event.Event
	pwChanged := has("password", "password_scheme", "password_digest")
	switch {
	case pwChanged:
		out = append(out, c.passwordChanged(at, ch))
	case has("password_locked"):
		action, verb, typ := ActionAccountUnlocked, "unlocked", "change"
		if f["password_locked"] == "true" {
			action, verb = ActionAccountLocked, "locked"
		}
		e := c.shadowEvent(at, action, r, typ)
		passwordFields(e, f, nil)
		e.Set(event.FieldMessage, fmt.Sprintf("account %s %s", r.Key, verb))
		out = append(out, e)
	}
	expiry := map[string]string{
		"min": "min_days", "max": "max_days", "warn": "warn_days", "inactive": "inactive_days", "expire": "expires",
	}
	if !pwChanged {
		expiry["last_change"] = "last_changed"
	}
	var changed []string
	for _, name := range ch.Fields {
		if n, ok := expiry[name]; ok {
			changed = append(changed, n)
		}
	}
	if len(changed) > 0 {
		slices.Sort(changed)
		e := c.shadowEvent(at, ActionPasswordExpiryChanged, r, "change")
		e.Set("vigil.account.changed", changed)
		for _, d := range []struct{ field, name string }{
			{"min", "min_days"}, {"max", "max_days"}, {"warn", "warn_days"}, {"inactive", "inactive_days"},
		} {
			if v := f[d.field]; v != "" {
				e.Set("vigil.account.password."+d.name, atoi(v))
			}
		}
		if d := shadow.Date(atoi(f["expire"])); d != "" {
			e.Set("vigil.account.password.expires", d)
		}
		if d := shadow.Date(atoi(f["last_change"])); d != "" {
			e.Set("vigil.account.password.last_changed", d)
		}
		e.Set(event.FieldMessage, fmt.Sprintf("password ageing of %s changed: %s", r.Key, strings.Join(changed, ", ")))
		out = append(out, e)
	}
	return out
}

// shadowEvent starts an event about a shadow entry.
func (c *batchContext) shadowEvent(at time.Time, action string, r *tracker.Record, typ string) event.Event {
	e := tracker.NewEvent(at, "iam", action, "user", typ)
	e.Set(event.FieldFilePath, r.Path)
	e.Set("user.target.name", r.Key)
	return e
}

// passwordChanged reports a new password value (or a first one).
func (c *batchContext) passwordChanged(at time.Time, ch tracker.Change) event.Event {
	r := ch.New
	e := c.shadowEvent(at, ActionPasswordChanged, r, "change")
	var old map[string]string
	if ch.Old != nil {
		old = ch.Old.Fields
	}
	passwordFields(e, r.Fields, old)
	if d := shadow.Date(atoi(r.Fields["last_change"])); d != "" {
		e.Set("vigil.account.password.last_changed", d)
	}
	msg := fmt.Sprintf("password of %s changed", r.Key)
	switch r.Fields["password"] {
	case shadow.StateHash:
		msg += " (" + r.Fields["password_scheme"] + ")"
	case shadow.StateEmpty:
		msg += ": the account needs no password"
	case shadow.StateNone:
		msg += ": no password login"
	}
	e.Set(event.FieldMessage, msg)
	return e
}

// gshadow reports changes of group passwords and administrators.
func (c *batchContext) gshadow(ch tracker.Change) []event.Event {
	if ch.Old == nil || ch.New == nil {
		return nil // groups come and go in /etc/group
	}
	r := ch.New
	var changed []string
	for _, f := range ch.Fields {
		name := f
		switch {
		case strings.HasPrefix(f, "password"):
			name = "password"
		case f == "admins":
			name = "administrators"
		case f == "members":
			// gshadow's members normally mirror /etc/group's, whose
			// changes are reported already; only a difference counts.
			if sameSet(names(r.Fields["members"]), c.groupMembers[r.Key]) {
				continue
			}
			name = "gshadow_members"
		}
		if !slices.Contains(changed, name) {
			changed = append(changed, name)
		}
	}
	if len(changed) == 0 {
		return nil
	}
	e := tracker.NewEvent(tracker.When(ch, c.now), "iam", ActionGroupChanged, "group", "change")
	e.Set(event.FieldFilePath, r.Path)
	e.Set("group.name", r.Key)
	if c.privileged[r.Key] {
		e.Set("vigil.account.group.privileged", true)
	}
	e.Set("vigil.account.changed", changed)
	if slices.Contains(changed, "password") {
		passwordFields(e, r.Fields, ch.Old.Fields)
	}
	setNames(e, "vigil.account.group.administrators", names(r.Fields["admins"]))
	if slices.Contains(changed, "gshadow_members") {
		setNames(e, "vigil.account.group.members", names(r.Fields["members"]))
	}
	e.Set(event.FieldMessage, fmt.Sprintf("group %s changed in gshadow: %s", r.Key, strings.Join(changed, ", ")))
	return []event.Event{e}
}

// sudoers reports a rule added or removed.
func (c *batchContext) sudoers(ch tracker.Change) event.Event {
	r := record(ch)
	action, typ, verb := ActionSudoersRuleAdded, "creation", "added to"
	if ch.New == nil {
		action, typ, verb = ActionSudoersRuleRemoved, "deletion", "removed from"
	}
	in := r.Info
	e := tracker.NewEvent(tracker.When(ch, c.now), "configuration", action, typ)
	e.Set(event.FieldFilePath, r.Path)
	e.Set("vigil.sudoers.rule", tracker.Clip(in["text"], maxText))
	e.Set("vigil.sudoers.kind", in["kind"])
	e.Set("vigil.sudoers.nopasswd", in["nopasswd"] == "true")
	if p := in["principals"]; p != "" {
		e.Set("vigil.sudoers.principals", tracker.ClipList(strings.Split(p, "\n"), maxNames, maxName))
	}
	if inc := in["include"]; inc != "" {
		e.Set("vigil.sudoers.include", tracker.Clip(inc, maxText))
	}
	e.Set(event.FieldMessage, fmt.Sprintf("sudoers rule %s %s: %s", verb, r.Path, tracker.Clip(in["text"], 200)))
	return e
}

// key reports an authorized key added or removed.
func (c *batchContext) key(user string, ch tracker.Change) event.Event {
	r := record(ch)
	action, typ, verb := ActionKeyAdded, "creation", "added for"
	if ch.New == nil {
		action, typ, verb = ActionKeyRemoved, "deletion", "removed for"
	}
	in := r.Info
	e := tracker.NewEvent(tracker.When(ch, c.now), "configuration", action, typ)
	e.Set(event.FieldFilePath, r.Path)
	e.Set("user.target.name", user)
	e.Set("vigil.ssh.key.type", in["type"])
	e.Set("vigil.ssh.key.fingerprint", in["fingerprint"])
	if b := in["bits"]; b != "" {
		e.Set("vigil.ssh.key.bits", atoi(b))
	}
	if in["comment"] != "" {
		e.Set("vigil.ssh.key.comment", tracker.Clip(in["comment"], maxField))
	}
	if o := in["options"]; o != "" {
		e.Set("vigil.ssh.key.options", tracker.ClipList(strings.Split(o, "\n"), maxOptions, maxField))
	}
	for _, name := range []string{"command", "from"} {
		if v, ok := in[name]; ok {
			e.Set("vigil.ssh.key."+name, tracker.Clip(v, maxText))
		}
	}
	msg := fmt.Sprintf("authorized key %s %s: %s %s", verb, user, in["type"], in["fingerprint"])
	if in["comment"] != "" {
		msg += " " + tracker.Clip(in["comment"], 100)
	}
	e.Set(event.FieldMessage, msg)
	return e
}

// sameSet reports whether two lists hold the same names.
func sameSet(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			return false
		}
	}
	return true
}

func atoi(s string) int64 {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return -1
	}
	return v
}
