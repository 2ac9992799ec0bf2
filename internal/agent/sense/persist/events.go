package persist

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/tracker"
	"github.com/vigilsec/vigil/internal/event"
)

// Actions of the sensor's events.
const (
	ActionCronEntryAdded        = "cron-entry-added"
	ActionCronEntryChanged      = "cron-entry-changed"
	ActionCronEntryRemoved      = "cron-entry-removed"
	ActionUnitAdded             = "unit-added"
	ActionUnitChanged           = "unit-changed"
	ActionUnitRemoved           = "unit-removed"
	ActionUnitEnabled           = "unit-enabled"
	ActionUnitDisabled          = "unit-disabled"
	ActionUnitMasked            = "unit-masked"
	ActionUnitUnmasked          = "unit-unmasked"
	ActionRcLocalCreated        = "rc-local-created"
	ActionRcLocalChanged        = "rc-local-changed"
	ActionRcLocalMadeExecutable = "rc-local-made-executable"
	ActionRcLocalRemoved        = "rc-local-removed"
	ActionPreloadAdded          = "preload-library-added"
	ActionPreloadRemoved        = "preload-library-removed"
	ActionLdConfigAdded         = "ld-config-entry-added"
	ActionLdConfigRemoved       = "ld-config-entry-removed"
	ActionShellStartupChanged   = "shell-startup-changed"
	ActionShellStartupRemoved   = "shell-startup-removed"
	ActionInitScriptAdded       = "init-script-added"
	ActionInitScriptChanged     = "init-script-changed"
	ActionInitScriptRemoved     = "init-script-removed"
	ActionUdevRuleAdded         = "udev-rule-added"
	ActionUdevRuleRemoved       = "udev-rule-removed"
)

// Bounds of copied strings and lists.
const (
	maxText    = 4096
	maxMessage = 160
	// maxItems bounds the lists copied (ExecStart= lines, commands,
	// libraries).
	maxItems = 16
)

// batchContext is what the events of one batch share.
type batchContext struct {
	now      time.Time
	view     tracker.View
	maxLines int
}

// Events implements tracker.Model.
func (m *model) Events(b *tracker.Batch) []event.Event {
	c := &batchContext{now: b.Now, view: b, maxLines: m.settings.MaxAddedLines}
	var out []event.Event
	for _, d := range b.Diffs {
		for _, ch := range d.Changes {
			var e event.Event
			switch d.Source.Kind {
			case kindCronSystem, kindCronUser:
				e = c.cronEntry(ch)
			case kindFiles:
				e = c.wholeFile(d.Source, ch)
			case kindPreload:
				e = c.preload(d.Source, ch)
			case kindLdConf:
				e = c.ldConfig(ch)
			case kindUdev:
				e = c.udevRule(ch)
			case kindUnits:
				e = c.unit(d.Source, ch)
			}
			if e != nil {
				out = append(out, e)
			}
		}
	}
	return out
}

// record returns the record a change is about.
func record(ch tracker.Change) *tracker.Record {
	if ch.New != nil {
		return ch.New
	}
	return ch.Old
}

// kindOf is the ECS event.type of a change: creation, deletion or change.
func kindOf(ch tracker.Change) string {
	switch {
	case ch.Old == nil:
		return "creation"
	case ch.New == nil:
		return "deletion"
	}
	return "change"
}

// pick returns added, changed or removed by the change's kind.
func pick(ch tracker.Change, added, changed, removed string) string {
	switch {
	case ch.Old == nil:
		return added
	case ch.New == nil:
		return removed
	}
	return changed
}

// base starts an event of the sensor.
func (c *batchContext) base(ch tracker.Change, mech, action, typ string) event.Event {
	e := tracker.NewEvent(tracker.When(ch, c.now), "configuration", action, typ)
	e.Set("vigil.persistence.mechanism", mech)
	e.Set(event.FieldFilePath, record(ch).Path)
	return e
}

// what sets the command, user and schedule, when known.
func what(e event.Event, command, user, schedule string) {
	if command != "" {
		e.Set("vigil.persistence.command", tracker.Clip(command, maxText))
	}
	if user != "" {
		e.Set("vigil.persistence.user", user)
	}
	if schedule != "" {
		e.Set("vigil.persistence.schedule", tracker.Clip(schedule, maxText))
	}
}

// cronEntry reports a crontab line added or removed.
func (c *batchContext) cronEntry(ch tracker.Change) event.Event {
	r := record(ch)
	in := r.Info
	action, verb := ActionCronEntryAdded, "added to"
	if ch.New == nil {
		action, verb = ActionCronEntryRemoved, "removed from"
	}
	e := c.base(ch, MechCron, action, kindOf(ch))
	if env := in["environment"]; env != "" {
		e.Set("vigil.persistence.environment", tracker.Clip(env, maxText))
		e.Set(event.FieldMessage, fmt.Sprintf("cron environment line %s %s: %s", verb, r.Path, tracker.Clip(env, maxMessage)))
		return e
	}
	what(e, in["command"], in["user"], in["schedule"])
	e.Set(event.FieldMessage, fmt.Sprintf("cron entry %s %s: %s %s %s", verb, r.Path, in["schedule"], in["user"],
		tracker.Clip(in["command"], maxMessage)))
	return e
}

// wholeFile reports a script or startup file created, changed or removed.
func (c *batchContext) wholeFile(src tracker.Source, ch tracker.Change) event.Event {
	r := record(ch)
	mech := src.Tag
	var action, noun string
	command, user, schedule := r.Path, "root", ""
	switch mech {
	case MechCron:
		action = pick(ch, ActionCronEntryAdded, ActionCronEntryChanged, ActionCronEntryRemoved)
		noun, schedule = "cron script", periodic[path.Dir(r.Path)]
	case MechRcLocal:
		action, noun = pick(ch, ActionRcLocalCreated, ActionRcLocalChanged, ActionRcLocalRemoved), "rc.local"
		if ch.Old != nil && ch.New != nil && !executable(ch.Old.Fields["mode"]) && executable(ch.New.Fields["mode"]) {
			action = ActionRcLocalMadeExecutable
		}
	case MechInitd:
		action, noun = pick(ch, ActionInitScriptAdded, ActionInitScriptChanged, ActionInitScriptRemoved), "init script"
	case MechShell:
		action, noun = pick(ch, ActionShellStartupChanged, ActionShellStartupChanged, ActionShellStartupRemoved), "shell startup file"
		command, user = "", src.User
	default:
		return nil
	}
	e := c.base(ch, mech, action, kindOf(ch))
	what(e, command, user, schedule)
	f := r.Fields
	e.Set("file.hash.sha256", f["sha256"])
	e.Set("file.mode", f["mode"])
	e.Set("file.uid", f["uid"])
	e.Set("file.gid", f["gid"])
	if size, err := strconv.ParseInt(r.Info["size"], 10, 64); err == nil {
		e.Set("file.size", size)
	}
	if l := f["link"]; l != "" {
		e.Set("file.target_path", l)
	}
	if mech != MechShell {
		e.Set("vigil.persistence.executable", executable(f["mode"]))
	}
	if ch.Old != nil && ch.New != nil {
		if o := ch.Old.Fields["sha256"]; o != f["sha256"] {
			e.Set("vigil.file.previous.hash.sha256", o)
		}
		if o := ch.Old.Fields["mode"]; o != f["mode"] {
			e.Set("vigil.file.previous.mode", o)
		}
	}
	verb := map[string]string{"creation": "created", "change": "changed", "deletion": "removed"}[kindOf(ch)]
	if action == ActionRcLocalMadeExecutable {
		verb = "made executable"
	}
	msg := fmt.Sprintf("%s %s: %s", noun, verb, r.Path)
	contentChanged := ch.Old == nil || ch.New != nil && ch.Old.Fields["sha256"] != f["sha256"]
	if ch.New != nil && ch.New.Body != "" && contentChanged {
		old := ""
		if ch.Old != nil {
			old = ch.Old.Info["lines"]
		}
		shown, added, removed := lineDiff(ch.New.Body, old, c.maxLines)
		if len(shown) > 0 {
			e.Set("vigil.persistence.added_lines", shown)
			plural := "s"
			if added == 1 {
				plural = ""
			}
			msg += fmt.Sprintf(" (+%d line%s: %s)", added, plural, tracker.Clip(shown[0], maxMessage/2))
		}
		e.Set("vigil.persistence.added_line_count", added)
		e.Set("vigil.persistence.removed_line_count", removed)
	}
	e.Set(event.FieldMessage, msg)
	return e
}

// executable reports whether an octal mode has an execute bit.
func executable(mode string) bool {
	m, err := strconv.ParseUint(mode, 8, 32)
	return err == nil && m&0o111 != 0
}

// preload reports a library added to or removed from ld.so.preload.
func (c *batchContext) preload(src tracker.Source, ch tracker.Change) event.Event {
	r := record(ch)
	lib := r.Info["library"]
	action, verb := ActionPreloadAdded, "added to"
	if ch.New == nil {
		action, verb = ActionPreloadRemoved, "removed from"
	}
	e := c.base(ch, MechPreload, action, kindOf(ch))
	e.Set("vigil.persistence.library", tracker.Clip(lib, maxText))
	libs := []string{}
	for _, cur := range c.view.Records(src.ID) {
		if cur.Path == r.Path && !slices.Contains(libs, cur.Info["library"]) {
			libs = append(libs, cur.Info["library"])
		}
	}
	e.Set("vigil.persistence.libraries", tracker.ClipList(libs, 4*maxItems, maxText/4))
	e.Set("vigil.persistence.library_count", len(libs))
	msg := fmt.Sprintf("library %s %s %s", tracker.Clip(lib, maxMessage), verb, r.Path)
	if ch.New != nil {
		msg += ": loaded into every dynamically linked program"
	}
	e.Set(event.FieldMessage, msg)
	return e
}

// ldConfig reports a library directory or include added or removed.
func (c *batchContext) ldConfig(ch tracker.Change) event.Event {
	r := record(ch)
	action, verb := ActionLdConfigAdded, "added to"
	if ch.New == nil {
		action, verb = ActionLdConfigRemoved, "removed from"
	}
	e := c.base(ch, MechLdConf, action, kindOf(ch))
	e.Set("vigil.persistence.ld_config.kind", r.Info["kind"])
	e.Set("vigil.persistence.ld_config.value", tracker.Clip(r.Info["value"], maxText))
	e.Set(event.FieldMessage, fmt.Sprintf("library search %s %s %s: %s", r.Info["kind"], verb, r.Path, tracker.Clip(r.Info["value"], maxMessage)))
	return e
}

// udevRule reports a udev rule added or removed.
func (c *batchContext) udevRule(ch tracker.Change) event.Event {
	r := record(ch)
	action, verb := ActionUdevRuleAdded, "added to"
	if ch.New == nil {
		action, verb = ActionUdevRuleRemoved, "removed from"
	}
	e := c.base(ch, MechUdev, action, kindOf(ch))
	e.Set("vigil.udev.rule", tracker.Clip(r.Info["rule"], maxText))
	msg := fmt.Sprintf("udev rule %s %s", verb, r.Path)
	if cmds := r.Info["commands"]; cmds != "" {
		list := tracker.ClipList(strings.Split(cmds, "\n"), maxItems, maxText)
		e.Set("vigil.udev.commands", list)
		what(e, list[0], "root", "")
		msg += ": runs " + tracker.Clip(list[0], maxMessage)
	}
	e.Set(event.FieldMessage, msg)
	return e
}

// unit reports a unit, drop-in or dependency link change.
func (c *batchContext) unit(src tracker.Source, ch tracker.Change) event.Event {
	r := record(ch)
	scope := src.Tag
	name := r.Info["unit"]
	switch {
	case strings.HasPrefix(r.Key, "want:"):
		action, verb := ActionUnitEnabled, "enabled"
		if ch.New == nil {
			action, verb = ActionUnitDisabled, "disabled"
		}
		e := c.base(ch, MechSystemd, action, "change")
		c.unitFields(e, src, name, r.Info)
		e.Set("vigil.systemd.target", r.Info["target"])
		e.Set("vigil.systemd.dependency", r.Info["dependency"])
		if l := r.Fields["link"]; l != "" {
			e.Set("vigil.systemd.link_target", l)
		}
		msg := fmt.Sprintf("%s unit %s %s: %s %s it", scope, name, verb, r.Info["target"], r.Info["dependency"])
		if ch.New == nil {
			msg = fmt.Sprintf("%s unit %s %s: %s no longer %s it", scope, name, verb, r.Info["target"], r.Info["dependency"])
		}
		msg += runs(e)
		e.Set(event.FieldMessage, msg)
		return e
	case strings.HasPrefix(r.Key, "dropin:"):
		e := c.base(ch, MechSystemd, ActionUnitChanged, "change")
		c.unitFields(e, src, name, r.Fields)
		e.Set("vigil.systemd.dropin", r.Path)
		changed := []string{"dropin-" + map[string]string{"creation": "added", "change": "changed", "deletion": "removed"}[kindOf(ch)]}
		if ch.Old != nil && ch.New != nil {
			changed = append(changed, keyNames(ch.Fields)...)
		}
		e.Set("vigil.systemd.changed", changed)
		msg := fmt.Sprintf("%s unit %s changed: drop-in %s %s", scope, name, r.Path, strings.TrimPrefix(changed[0], "dropin-"))
		if ch.New != nil {
			msg += runs(e)
		}
		e.Set(event.FieldMessage, msg)
		return e
	}
	wasMasked := ch.Old != nil && ch.Old.Fields["masked"] == "true"
	isMasked := ch.New != nil && ch.New.Fields["masked"] == "true"
	var action, verb string
	switch {
	case isMasked && !wasMasked:
		action, verb = ActionUnitMasked, "masked"
	case wasMasked && !isMasked:
		action, verb = ActionUnitUnmasked, "unmasked"
	default:
		action = pick(ch, ActionUnitAdded, ActionUnitChanged, ActionUnitRemoved)
		verb = map[string]string{ActionUnitAdded: "added", ActionUnitChanged: "changed", ActionUnitRemoved: "removed"}[action]
	}
	typ := kindOf(ch)
	if action == ActionUnitMasked || action == ActionUnitUnmasked {
		typ = "change"
	}
	e := c.base(ch, MechSystemd, action, typ)
	c.unitFields(e, src, name, r.Fields)
	if l := r.Fields["link"]; l != "" {
		e.Set("vigil.systemd.link_target", l)
	}
	msg := fmt.Sprintf("%s unit %s %s at %s", scope, name, verb, r.Path)
	if action == ActionUnitChanged {
		changed := keyNames(ch.Fields)
		e.Set("vigil.systemd.changed", changed)
		msg += " (" + strings.Join(changed, ", ") + ")"
	}
	if ch.New != nil && action != ActionUnitMasked {
		msg += runs(e)
	}
	e.Set(event.FieldMessage, msg)
	return e
}

// runs describes what an event's unit runs, as whom and when, for
// messages.
func runs(e event.Event) string {
	s := ""
	if cmd := e.String("vigil.persistence.command"); cmd != "" {
		s = ", runs " + tracker.Clip(cmd, maxMessage)
		if u := e.String("vigil.persistence.user"); u != "" {
			s += " as " + u
		}
	}
	if sched := e.String("vigil.persistence.schedule"); sched != "" {
		s += ", triggers on " + tracker.Clip(sched, maxMessage/2)
	}
	return s
}

// command is what a unit runs: its first ExecStart (or the first other
// Exec setting).
func command(f map[string]string) string {
	for _, k := range []string{"Service.ExecStart", "Service.ExecStartPre", "Service.ExecStartPost", "Service.ExecStop", "Service.ExecReload"} {
		if v := f[k]; v != "" {
			first, _, _ := strings.Cut(v, "\n")
			return first
		}
	}
	return ""
}

// unitFields describes a unit from its settings.
func (c *batchContext) unitFields(e event.Event, src tracker.Source, name string, f map[string]string) {
	e.Set("vigil.systemd.unit", tracker.Clip(name, 256))
	e.Set("vigil.systemd.scope", src.Tag)
	if v := f["Service.ExecStart"]; v != "" {
		e.Set("vigil.systemd.exec_start", tracker.ClipList(strings.Split(v, "\n"), maxItems, maxText))
	}
	cmd := command(f)
	user := ""
	switch {
	case src.Tag == scopeUser:
		user = src.User // empty for the global user units of /etc/systemd/user
	case cmd != "":
		user = f["Service.User"]
		if user == "" {
			user = "root"
		}
	}
	var sched []string
	for _, k := range unitKeys {
		if k.section == "Timer" && k.key != "Unit" {
			if v := f["Timer."+k.key]; v != "" {
				sched = append(sched, k.key+"="+strings.ReplaceAll(v, "\n", " "))
			}
		}
	}
	what(e, cmd, user, strings.Join(sched, "; "))
	for _, kind := range []string{"Timer", "Path"} {
		if ext := "." + strings.ToLower(kind); strings.HasSuffix(name, ext) {
			triggers := f[kind+".Unit"]
			if triggers == "" {
				triggers = strings.TrimSuffix(name, ext) + ".service"
			}
			e.Set("vigil.systemd.triggers", triggers)
		}
	}
	if v := f["Install.WantedBy"]; v != "" {
		e.Set("vigil.systemd.wanted_by", tracker.ClipList(strings.Split(v, "\n"), maxItems, 256))
	}
}

// keyNames turns changed field names into setting names ("ExecStart");
// "content" stands for a change elsewhere in the file.
func keyNames(fields []string) []string {
	var out []string
	for _, f := range fields {
		switch {
		case f == "sha256":
		case strings.Contains(f, "."):
			_, k, _ := strings.Cut(f, ".")
			if !slices.Contains(out, k) {
				out = append(out, k)
			}
		default:
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		out = []string{"content"}
	}
	return out
}
