package policy

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

var (
	policyIDForm  = regexp.MustCompile(`^[a-z0-9_]+$`)
	frameworkForm = regexp.MustCompile(`^[a-z0-9_]+$`)
	checkIDForm   = regexp.MustCompile(`^[A-Za-z0-9_.\-()]+$`)
	modeForm      = regexp.MustCompile(`^0?[0-7]{3,4}$`)
	sysctlKeyForm = regexp.MustCompile(`^[A-Za-z0-9_*.\-/:]+$`)
	nameForm      = regexp.MustCompile(`^[A-Za-z0-9@._+:\-]+$`)
)

// validator collects the problems of a decoded policy.
type validator struct {
	p        *Policy
	problems []*Problem
	// Lenient leaves out the checks that only a Vigil policy file must
	// pass (both texts, ids with the policy's prefix, allowed commands).
	lenient bool
}

func (v *validator) add(path, format string, args ...any) {
	v.problems = append(v.problems, &Problem{File: v.p.Source, Line: v.p.Line(path), Field: path, Reason: fmt.Sprintf(format, args...)})
}

// validate checks everything the decoder cannot.
func validate(p *Policy) []*Problem {
	v := &validator{p: p}
	v.policy()
	return v.problems
}

// Validate checks a policy built in code or from another format (a
// Wazuh SCA file): rule settings, regular expressions and operators,
// without the checks of a Vigil policy file's texts, check ids and
// command allow-list (a command not allowed is an error when the
// policy runs). It returns nil or the problems joined.
func Validate(p *Policy) error {
	v := &validator{p: p, lenient: true}
	v.policy()
	if len(v.problems) > 0 {
		return joinProblems(v.problems)
	}
	return nil
}

func (v *validator) policy() {
	p := v.p
	if !v.lenient && p.Format != FormatVersion {
		if p.Format == 0 {
			v.add("format", "missing: want format: %d", FormatVersion)
		} else {
			v.add("format", "format %d is not known: want %d", p.Format, FormatVersion)
		}
	}
	if _, ok := p.pos["policy"]; !ok && !v.lenient {
		v.add("policy", "missing: the policy: section names the policy")
	}
	if !policyIDForm.MatchString(p.Meta.ID) {
		v.add("policy.id", "want [a-z0-9_]+, got %q", p.Meta.ID)
	}
	if strings.TrimSpace(p.Meta.Version) == "" && !v.lenient {
		v.add("policy.version", "missing")
	}
	v.text("policy.name", &p.Meta.Name, true)
	v.text("policy.description", &p.Meta.Description, true)
	for i, r := range p.Meta.References {
		if strings.TrimSpace(r) == "" {
			v.add(fmt.Sprintf("policy.references[%d]", i), "is empty")
		}
	}
	if p.Requirements != nil {
		v.condition("requirements", p.Requirements)
	}
	if len(p.Checks) == 0 {
		v.add("checks", "a policy needs at least one check")
	}
	if len(p.Checks) > MaxChecks {
		v.add("checks", "%d checks, more than the %d allowed", len(p.Checks), MaxChecks)
	}
	seen := map[string]int{}
	for i := range p.Checks {
		path := fmt.Sprintf("checks[%d]", i)
		c := &p.Checks[i]
		if prev, dup := seen[c.ID]; dup && c.ID != "" {
			v.add(path+".id", "duplicate check id %q (also checks[%d])", c.ID, prev)
		}
		seen[c.ID] = i
		v.check(path, c)
	}
}

// text wants both languages (only English in lenient mode).
func (v *validator) text(path string, t *Text, required bool) {
	if t == nil {
		if required {
			v.add(path, "missing: want en and zh")
		}
		return
	}
	if strings.TrimSpace(t.En) == "" {
		if required || t.Zh != "" || !v.lenient {
			v.add(path+".en", "missing: every text has en and zh")
		}
	}
	if strings.TrimSpace(t.Zh) == "" && !v.lenient {
		v.add(path+".zh", "missing: every text has en and zh")
	}
}

func (v *validator) check(path string, c *Check) {
	switch {
	case c.ID == "":
		v.add(path+".id", "missing")
	case !checkIDForm.MatchString(c.ID):
		v.add(path+".id", "%q: want letters, digits, . _ - ( )", c.ID)
	case !v.lenient && !strings.HasPrefix(c.ID, v.p.Meta.ID+"."):
		v.add(path+".id", "%q: want <policy id>.<number>, e.g. %s.1.1", c.ID, v.p.Meta.ID)
	}
	v.text(path+".title", &c.Title, true)
	if c.Description != nil {
		v.text(path+".description", c.Description, true)
	}
	v.text(path+".rationale", &c.Rationale, !v.lenient)
	v.text(path+".remediation", &c.Remediation, !v.lenient)
	switch c.Severity {
	case Low, Medium, High, Critical:
	case "":
		if !v.lenient {
			v.add(path+".severity", "missing: want low, medium, high or critical")
		}
	default:
		v.add(path+".severity", "%q: want low, medium, high or critical", c.Severity)
	}
	for i, pr := range c.Profiles {
		if strings.TrimSpace(pr) == "" {
			v.add(fmt.Sprintf("%s.profiles[%d]", path, i), "is empty")
		}
	}
	for fw, ids := range c.References {
		if !frameworkForm.MatchString(fw) {
			v.add(path+".references."+fw, "a framework's name is [a-z0-9_]+")
		}
		for i, id := range ids {
			if strings.TrimSpace(id) == "" {
				v.add(fmt.Sprintf("%s.references.%s[%d]", path, fw, i), "is empty")
			}
		}
	}
	if c.AppliesIf != nil {
		v.condition(path+".applies_if", c.AppliesIf)
	}
	c.Condition = v.combine(path+".condition", c.Condition)
	v.rules(path, c.Rules)
}

func (v *validator) combine(path string, c Combine) Combine {
	switch c {
	case "":
		return All
	case All, Any, None:
		return c
	}
	v.add(path, "%q: want all, any or none", c)
	return c
}

func (v *validator) condition(path string, c *Condition) {
	c.Condition = v.combine(path+".condition", c.Condition)
	v.rules(path, c.Rules)
}

func (v *validator) rules(path string, rules []Rule) {
	if len(rules) == 0 {
		v.add(path+".rules", "missing: at least one rule")
	}
	if len(rules) > MaxRules {
		v.add(path+".rules", "%d rules, more than the %d allowed", len(rules), MaxRules)
	}
	for i := range rules {
		v.rule(fmt.Sprintf("%s.rules[%d]", path, i), &rules[i])
	}
}

func (v *validator) rule(path string, r *Rule) {
	t := r.Type()
	p := join(path, t)
	switch t {
	case "file":
		v.file(p, r.File)
	case "content":
		v.content(p, r.Content)
	case "config":
		v.config(p, r.Config)
	case "command":
		v.command(p, r.Command)
	case "sysctl":
		v.sysctl(p, r.Sysctl)
	case "package":
		v.pkg(p, r.Package)
	case "service":
		v.service(p, r.Service)
	case "module":
		v.module(p, r.Module)
	case "mount":
		v.mount(p, r.Mount)
	case "account":
		v.account(p, r.Account)
	case "group":
		v.group(p, r.Group)
	case "port":
		v.port(p, r.Port)
	case "os":
		if r.OS.ID == "" {
			v.add(p+".id", "missing")
		}
	case "process":
		if r.Process.Name == "" {
			v.add(p+".name", "missing")
		}
	}
}

// path wants an absolute path; glob says whether shell globs may be in it.
func (v *validator) path(p, s string, glob bool) {
	switch {
	case s == "":
		v.add(p, "missing")
	case !strings.HasPrefix(s, "/"):
		v.add(p, "%q is not an absolute path", s)
	case strings.ContainsRune(s, 0):
		v.add(p, "a path cannot hold a NUL")
	case slices.Contains(strings.Split(s, "/"), ".."):
		v.add(p, "%q: a path cannot hold ..", s)
	default:
		if _, err := filepath.Match(s, ""); err != nil {
			v.add(p, "%q is not a valid glob: %v", s, err)
		} else if !glob && strings.ContainsAny(s, "*?[") {
			v.add(p, "%q: no glob here", s)
		}
	}
}

// regex wants an RE2 expression; groups is the number of capture groups it needs.
func (v *validator) regex(p, s string, groups int) {
	if s == "" {
		v.add(p, "missing")
		return
	}
	re, err := regexp.Compile(s)
	if err != nil {
		v.add(p, "not a valid RE2 regular expression: %v", unwrapRegexErr(err))
		return
	}
	if re.NumSubexp() < groups {
		v.add(p, "compare needs a capture group ( ) around the number")
	}
}

func unwrapRegexErr(err error) string {
	return strings.TrimPrefix(err.Error(), "error parsing regexp: ")
}

func isNumber(s string) bool {
	_, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return err == nil
}

func (v *validator) mode(p, s string) {
	if s != "" && !modeForm.MatchString(s) {
		v.add(p, "%q: want an octal mode like \"0640\"", s)
	}
}

func (v *validator) file(p string, f *FileRule) {
	v.path(p+".path", f.Path, true)
	switch f.Type {
	case "", "file", "dir", "link":
	default:
		v.add(p+".type", "%q: want file, dir or link", f.Type)
	}
	v.mode(p+".mode_max", f.ModeMax)
	v.mode(p+".mode_exact", f.ModeExact)
	if !BoolOr(f.Exists, true) && (f.Type != "" || len(f.Owner) > 0 || len(f.Group) > 0 || f.ModeMax != "" || f.ModeExact != "") {
		v.add(p, "exists: false takes no type, owner, group or mode")
	}
	v.names(p+".owner", f.Owner, false)
	v.names(p+".group", f.Group, false)
}

func (v *validator) names(p string, ns Names, required bool) {
	if ns == nil {
		if required {
			v.add(p, "missing")
		}
		return
	}
	if len(ns) == 0 {
		v.add(p, "an empty list")
	}
	for i, n := range ns {
		if !nameForm.MatchString(n) {
			v.add(fmt.Sprintf("%s[%d]", p, i), "%q is not a name", n)
		}
	}
}

// lines checks what content and command rules share.
func (v *validator) lines(p string, regex, exclude Patterns, expect string, cmp *Compare) {
	groups := 0
	if cmp != nil {
		groups = 1
		if !cmp.Op.Numeric() && cmp.Op != OpEq && cmp.Op != OpNe {
			v.add(p+".compare.op", "%q: want eq, ne, lt, le, gt or ge", cmp.Op)
		}
		if !isNumber(cmp.Value) {
			v.add(p+".compare.value", "%q is not a number", cmp.Value)
		}
		if expect != "" {
			v.add(p+".expect", "compare and expect do not go together")
		}
	}
	if len(regex) == 0 {
		v.add(p+".regex", "missing")
	}
	for i, re := range regex {
		rp := p + ".regex"
		if len(regex) > 1 {
			rp = fmt.Sprintf("%s[%d]", rp, i)
		}
		if i > 0 {
			groups = 0
		}
		v.regex(rp, re, groups)
	}
	for i, re := range exclude {
		v.regex(fmt.Sprintf("%s.exclude[%d]", p, i), re, 0)
	}
	switch expect {
	case "", ExpectMatch, ExpectNoMatch:
	default:
		v.add(p+".expect", "%q: want match or no_match", expect)
	}
}

func (v *validator) content(p string, c *ContentRule) {
	v.path(p+".path", c.Path, true)
	v.lines(p, c.Regex, c.Exclude, c.Expect, c.Compare)
}

func (v *validator) command(p string, c *CommandRule) {
	argv, err := SplitCommand(c.Run)
	if err != nil {
		v.add(p+".run", "%v", err)
	} else if err := CheckCommand(argv); err != nil && !v.lenient {
		v.add(p+".run", "%v", err)
	}
	v.lines(p, c.Regex, c.Exclude, c.Expect, c.Compare)
}

// op checks an operator and its value; allowed are the operators this
// rule type takes.
func (v *validator) op(p string, op Op, val *Value, allowed ...Op) {
	if op == "" {
		v.add(p+".op", "missing: want %s", opList(allowed))
		return
	}
	if !slices.Contains(allowed, op) {
		v.add(p+".op", "%q is not an operator of this rule: want %s", op, opList(allowed))
		return
	}
	switch op {
	case OpPresent, OpAbsent:
		if val != nil {
			v.add(p+".value", "%s takes no value", op)
		}
		return
	}
	if val == nil {
		v.add(p+".value", "missing: %s needs a value", op)
		return
	}
	switch op {
	case OpIn, OpNotIn:
		if !val.List {
			v.add(p+".value", "%s wants a list", op)
		}
	default:
		if val.List {
			v.add(p+".value", "%s wants one value, not a list", op)
		}
	}
	switch {
	case op.Numeric():
		if !isNumber(val.One()) {
			v.add(p+".value", "%s compares numbers: %q is not one", op, val.One())
		}
	case op == OpRegex:
		v.regex(p+".value", val.One(), 0)
	}
}

func opList(ops []Op) string {
	s := make([]string, len(ops))
	for i, o := range ops {
		s[i] = string(o)
	}
	return strings.Join(s, ", ")
}

var allOps = []Op{OpEq, OpNe, OpLt, OpLe, OpGt, OpGe, OpIn, OpNotIn, OpRegex, OpPresent, OpAbsent}

var pamTypes = []string{"account", "auth", "password", "session"}

func (v *validator) config(p string, c *ConfigRule) {
	if !slices.Contains(ConfigFormats, c.Format) {
		if c.Format == "" {
			v.add(p+".format", "missing: want %s", strings.Join(ConfigFormats, ", "))
		} else {
			v.add(p+".format", "unknown format %q (known: %s)", c.Format, strings.Join(ConfigFormats, ", "))
		}
		return
	}
	v.path(p+".path", c.Path, true)
	if c.Format != FormatKeyValue && c.Separator != "" {
		v.add(p+".separator", "only the keyvalue format takes a separator")
	}
	if c.Format == FormatKeyValue && c.Separator != "" && c.Separator != " " && c.Separator != "=" {
		v.add(p+".separator", "%q: want \" \" or \"=\"", c.Separator)
	}
	if c.Format != FormatPAM {
		if c.Type != "" || c.Module != "" || c.Arg != "" || c.Present != nil {
			v.add(p, "type, module, arg and present are for the pam format")
		}
		if c.Key == "" {
			v.add(p+".key", "missing")
		}
		v.op(p, c.Op, c.Value, allOps...)
		return
	}
	if c.Key != "" {
		v.add(p+".key", "the pam format selects lines by type and module, not key")
	}
	if !slices.Contains(pamTypes, c.Type) {
		v.add(p+".type", "%q: want account, auth, password or session", c.Type)
	}
	if c.Module == "" {
		v.add(p+".module", "missing")
	}
	switch {
	case c.Arg == "" && c.Op == "" && c.Value == nil:
		if c.Present == nil {
			v.add(p, "want present: true|false, or arg with op")
		}
	case c.Present != nil && !*c.Present:
		v.add(p, "present: false takes no arg, op or value")
	case c.Arg == "":
		v.add(p+".arg", "missing: op compares an argument")
	default:
		v.op(p, c.Op, c.Value, allOps...)
	}
}

func (v *validator) sysctl(p string, s *SysctlRule) {
	if !sysctlKeyForm.MatchString(s.Key) || strings.ContainsAny(s.Key, "*") || strings.Contains(s.Key, "..") {
		v.add(p+".key", "%q is not a kernel parameter", s.Key)
	}
	v.op(p, s.Op, s.Value, allOps...)
}

var versionOps = []Op{OpEq, OpNe, OpLt, OpLe, OpGt, OpGe}

func (v *validator) pkg(p string, r *PackageRule) {
	v.names(p+".name", r.Name, true)
	if r.Version != nil {
		if !BoolOr(r.Installed, true) {
			v.add(p+".version", "installed: false takes no version")
		}
		if !slices.Contains(versionOps, r.Version.Op) {
			v.add(p+".version.op", "%q: want %s", r.Version.Op, opList(versionOps))
		}
		if strings.TrimSpace(r.Version.Value) == "" {
			v.add(p+".version.value", "missing")
		}
	}
}

func (v *validator) service(p string, s *ServiceRule) {
	v.names(p+".name", s.Name, true)
	if s.Enabled == nil && s.Active == nil {
		v.add(p, "want enabled, active or both")
	}
}

func (v *validator) module(p string, m *ModuleRule) {
	if !moduleName.MatchString(m.Name) {
		v.add(p+".name", "%q is not a module name", m.Name)
	}
	if m.Loaded == nil && m.Loadable == nil {
		v.add(p, "want loaded, loadable or both")
	}
}

func (v *validator) mount(p string, m *MountRule) {
	v.path(p+".path", m.Path, false)
	if !BoolOr(m.Mounted, true) && len(m.Options) > 0 {
		v.add(p+".options", "mounted: false takes no options")
	}
	for i, o := range m.Options {
		if o == "" || strings.ContainsAny(o, " ,") {
			v.add(fmt.Sprintf("%s.options[%d]", p, i), "%q is not a mount option", o)
		}
	}
}

// accountOps are the operators of each account field.
func accountOps(field string) []Op {
	switch field {
	case "password", "scheme", "shell", "home", "home_owner":
		return []Op{OpEq, OpNe, OpIn, OpNotIn, OpRegex}
	case "home_mode":
		return []Op{OpEq, OpNe, OpLe}
	}
	return []Op{OpEq, OpNe, OpLt, OpLe, OpGt, OpGe, OpPresent, OpAbsent}
}

func (v *validator) account(p string, a *AccountRule) {
	if a.Unique != "" {
		if !slices.Contains(UniqueKeys, a.Unique) {
			v.add(p+".unique", "%q: want %s", a.Unique, strings.Join(UniqueKeys, ", "))
		}
		if a.Select != nil || a.Expect != nil || a.Field != "" || a.Op != "" || a.Value != nil {
			v.add(p, "unique stands alone")
		}
		return
	}
	if a.Select == nil {
		v.add(p+".select", "missing: select the accounts (or use unique)")
	} else {
		s := a.Select
		v.names(p+".select.name", s.Name, false)
		if s.UIDMin != nil && s.UIDMax != nil && *s.UIDMin > *s.UIDMax {
			v.add(p+".select", "uid_min is above uid_max")
		}
		for _, st := range s.Password {
			if !slices.Contains(PasswordStates, st) {
				v.add(p+".select.password", "%q: a password is %s", st, strings.Join(PasswordStates, ", "))
			}
		}
	}
	switch {
	case a.Expect != nil && a.Field != "":
		v.add(p, "want expect or field, not both")
	case a.Expect != nil:
		if (a.Expect.Names == nil) == (a.Expect.Count == nil) {
			v.add(p+".expect", "want names or count")
		}
		if a.Expect.Count != nil && *a.Expect.Count < 0 {
			v.add(p+".expect.count", "cannot be negative")
		}
		if a.Op != "" || a.Value != nil {
			v.add(p, "expect takes no op or value")
		}
	case a.Field != "":
		if !slices.Contains(AccountFields, a.Field) {
			v.add(p+".field", "unknown field %q (known: %s)", a.Field, strings.Join(AccountFields, ", "))
			return
		}
		v.op(p, a.Op, a.Value, accountOps(a.Field)...)
		if a.Field == "password" && a.Value != nil {
			for _, s := range a.Value.Items {
				if !slices.Contains(PasswordStates, s) {
					v.add(p+".value", "%q: a password is %s", s, strings.Join(PasswordStates, ", "))
				}
			}
		}
		if a.Field == "home_mode" && a.Value != nil {
			v.mode(p+".value", a.Value.One())
		}
	default:
		v.add(p, "want expect or field with op and value")
	}
}

func (v *validator) group(p string, g *GroupRule) {
	if !nameForm.MatchString(g.Name) {
		v.add(p+".name", "%q is not a group name", g.Name)
	}
	if g.Exists == nil && g.Members == nil {
		v.add(p, "want exists or members")
	}
	if g.Members != nil && !BoolOr(g.Exists, true) {
		v.add(p+".members", "exists: false takes no members")
	}
}

func (v *validator) port(p string, r *PortRule) {
	switch r.Protocol {
	case "", "tcp", "udp", "any":
	default:
		v.add(p+".protocol", "%q: want tcp, udp or any", r.Protocol)
	}
	switch r.Address {
	case "", "any", "loopback", "not_loopback":
	default:
		v.add(p+".address", "%q: want any, loopback or not_loopback", r.Address)
	}
	if r.Listening == nil {
		v.add(p+".listening", "missing: want true or false")
	}
	switch {
	case r.Port == nil && r.Allowed == nil:
		v.add(p, "want port, or allowed with listening: true")
	case r.Port != nil && r.Allowed != nil:
		v.add(p, "want port or allowed, not both")
	case r.Allowed != nil && !BoolOr(r.Listening, false):
		v.add(p+".allowed", "allowed goes with listening: true")
	case r.Port != nil && len(r.Port) == 0:
		v.add(p+".port", "an empty list")
	}
}
