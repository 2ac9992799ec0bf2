// Package policy is Vigil's compliance policy format: the types of a
// policy (metadata, requirements, variables and checks of typed rules),
// its parser with file/line problems, validation, ${variable}
// expansion, the command allow-list and the digest that names a
// policy's version. docs/policies.md is the contract.
package policy

import (
	"encoding/json"
	"strings"
)

// FormatVersion is the only `format:` this package reads.
const FormatVersion = 1

// MaxSize bounds a policy file: larger ones are refused before parsing.
const MaxSize = 4 << 20

// MaxChecks bounds the number of checks of one policy.
const MaxChecks = 5000

// MaxRules bounds the rules of one check, applies_if or requirements.
const MaxRules = 200

// Text is a text in English and Chinese.
type Text struct {
	En string `yaml:"en" json:"en"`
	Zh string `yaml:"zh" json:"zh"`
}

// Policy is a parsed, validated compliance policy with its variables
// expanded into the rules.
type Policy struct {
	Format       int               `yaml:"format" json:"format"`
	Meta         Meta              `yaml:"policy" json:"policy"`
	Requirements *Condition        `yaml:"requirements" json:"requirements,omitempty"`
	Variables    map[string]string `yaml:"variables" json:"variables,omitempty"`
	Checks       []Check           `yaml:"checks" json:"checks"`

	// Source is the file name the policy was parsed from (not part of
	// the digest).
	Source string `yaml:"-" json:"-"`
	// pos maps a field path (checks[2].rules[0].config.format) to its
	// line in Source.
	pos map[string]int
}

// Meta is the `policy:` section.
type Meta struct {
	ID          string   `yaml:"id" json:"id"`
	Version     string   `yaml:"version" json:"version"`
	Name        Text     `yaml:"name" json:"name"`
	Description Text     `yaml:"description" json:"description"`
	References  []string `yaml:"references" json:"references,omitempty"`
}

// Combine says how the results of rules make one: all, any or none.
type Combine string

// The conditions of a rule list.
const (
	All  Combine = "all"
	Any  Combine = "any"
	None Combine = "none"
)

// Condition is a list of rules and how they combine (requirements,
// applies_if).
type Condition struct {
	Condition Combine `yaml:"condition" json:"condition"`
	Rules     []Rule  `yaml:"rules" json:"rules"`
}

// Severity of a check.
type Severity string

// The severities.
const (
	Low      Severity = "low"
	Medium   Severity = "medium"
	High     Severity = "high"
	Critical Severity = "critical"
)

// Check is one check of a policy.
type Check struct {
	ID          string              `yaml:"id" json:"id"`
	Title       Text                `yaml:"title" json:"title"`
	Description *Text               `yaml:"description" json:"description,omitempty"`
	Rationale   Text                `yaml:"rationale" json:"rationale"`
	Remediation Text                `yaml:"remediation" json:"remediation"`
	Severity    Severity            `yaml:"severity" json:"severity"`
	Profiles    []string            `yaml:"profiles" json:"profiles,omitempty"`
	References  map[string][]string `yaml:"references" json:"references,omitempty"`
	AppliesIf   *Condition          `yaml:"applies_if" json:"applies_if,omitempty"`
	Condition   Combine             `yaml:"condition" json:"condition"`
	Rules       []Rule              `yaml:"rules" json:"rules"`
}

// Rule is one typed rule: exactly one of the pointers is set. Not
// inverts its result (an error stays an error).
type Rule struct {
	Not     bool         `yaml:"-" json:"not,omitempty"`
	File    *FileRule    `yaml:"file" json:"file,omitempty"`
	Content *ContentRule `yaml:"content" json:"content,omitempty"`
	Config  *ConfigRule  `yaml:"config" json:"config,omitempty"`
	Command *CommandRule `yaml:"command" json:"command,omitempty"`
	Sysctl  *SysctlRule  `yaml:"sysctl" json:"sysctl,omitempty"`
	Package *PackageRule `yaml:"package" json:"package,omitempty"`
	Service *ServiceRule `yaml:"service" json:"service,omitempty"`
	Module  *ModuleRule  `yaml:"module" json:"module,omitempty"`
	Mount   *MountRule   `yaml:"mount" json:"mount,omitempty"`
	Account *AccountRule `yaml:"account" json:"account,omitempty"`
	Group   *GroupRule   `yaml:"group" json:"group,omitempty"`
	Port    *PortRule    `yaml:"port" json:"port,omitempty"`
	OS      *OSRule      `yaml:"os" json:"os,omitempty"`
	Process *ProcessRule `yaml:"process" json:"process,omitempty"`
}

// RuleTypes lists the rule types in the order of docs/policies.md.
var RuleTypes = []string{"file", "content", "config", "command", "sysctl", "package", "service",
	"module", "mount", "account", "group", "port", "os", "process"}

// Type names the rule's type ("file", "config" ...), or "" when none is set.
func (r *Rule) Type() string {
	switch {
	case r.File != nil:
		return "file"
	case r.Content != nil:
		return "content"
	case r.Config != nil:
		return "config"
	case r.Command != nil:
		return "command"
	case r.Sysctl != nil:
		return "sysctl"
	case r.Package != nil:
		return "package"
	case r.Service != nil:
		return "service"
	case r.Module != nil:
		return "module"
	case r.Mount != nil:
		return "mount"
	case r.Account != nil:
		return "account"
	case r.Group != nil:
		return "group"
	case r.Port != nil:
		return "port"
	case r.OS != nil:
		return "os"
	case r.Process != nil:
		return "process"
	}
	return ""
}

// Op is a comparison operator.
type Op string

// The operators.
const (
	OpEq      Op = "eq"
	OpNe      Op = "ne"
	OpLt      Op = "lt"
	OpLe      Op = "le"
	OpGt      Op = "gt"
	OpGe      Op = "ge"
	OpIn      Op = "in"
	OpNotIn   Op = "not_in"
	OpRegex   Op = "regex"
	OpPresent Op = "present"
	OpAbsent  Op = "absent"
)

// Numeric reports whether op orders numbers (lt, le, gt, ge).
func (o Op) Numeric() bool { return o == OpLt || o == OpLe || o == OpGt || o == OpGe }

// Value is a rule's `value`: one scalar or a list, kept as the text
// the policy wrote ("4", "no", "0640").
type Value struct {
	Items []string
	List  bool
}

// One returns the first item, or "" for an empty value.
func (v *Value) One() string {
	if v == nil || len(v.Items) == 0 {
		return ""
	}
	return v.Items[0]
}

// String shows the value as the policy wrote it.
func (v *Value) String() string {
	if v == nil {
		return ""
	}
	if v.List {
		return "[" + strings.Join(v.Items, ", ") + "]"
	}
	return v.One()
}

// MarshalJSON writes a scalar as a string and a list as an array.
func (v Value) MarshalJSON() ([]byte, error) {
	if v.List {
		items := v.Items
		if items == nil {
			items = []string{}
		}
		return json.Marshal(items)
	}
	return json.Marshal(v.One())
}

// UnmarshalJSON reads what MarshalJSON writes (numbers and booleans as
// their text).
func (v *Value) UnmarshalJSON(b []byte) error {
	var items []json.RawMessage
	if err := json.Unmarshal(b, &items); err == nil {
		v.List, v.Items = true, make([]string, 0, len(items))
		for _, it := range items {
			v.Items = append(v.Items, jsonScalar(it))
		}
		return nil
	}
	v.List, v.Items = false, []string{jsonScalar(b)}
	return nil
}

func jsonScalar(b []byte) string {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		return s
	}
	return strings.TrimSpace(string(b))
}

// Names is a name or a list of names; it is always kept as a list.
type Names []string

// Compare is a comparison of a number or version: {op, value}.
type Compare struct {
	Op    Op     `yaml:"op" json:"op"`
	Value string `yaml:"value" json:"value"`
}

// FileRule checks a path's existence, type, owner, group and mode.
type FileRule struct {
	Path      string `yaml:"path" json:"path"`
	Exists    *bool  `yaml:"exists" json:"exists,omitempty"`
	Type      string `yaml:"type" json:"type,omitempty"`
	Owner     Names  `yaml:"owner" json:"owner,omitempty"`
	Group     Names  `yaml:"group" json:"group,omitempty"`
	ModeMax   string `yaml:"mode_max" json:"mode_max,omitempty"`
	ModeExact string `yaml:"mode_exact" json:"mode_exact,omitempty"`
}

// Expectations of a content or command rule.
const (
	ExpectMatch   = "match"
	ExpectNoMatch = "no_match"
)

// Patterns is one RE2 expression or a list of them.
type Patterns []string

// MarshalJSON writes one expression as a string, several as a list.
func (ps Patterns) MarshalJSON() ([]byte, error) {
	if len(ps) == 1 {
		return json.Marshal(ps[0])
	}
	return json.Marshal([]string(ps))
}

// UnmarshalJSON reads a string or a list of strings.
func (ps *Patterns) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*ps = Patterns{one}
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return err
	}
	*ps = list
	return nil
}

// ContentRule matches the lines of files with regular expressions: a
// line matches when it matches every Regex and no Exclude.
type ContentRule struct {
	Path     string   `yaml:"path" json:"path"`
	Regex    Patterns `yaml:"regex" json:"regex"`
	Exclude  Patterns `yaml:"exclude" json:"exclude,omitempty"`
	Expect   string   `yaml:"expect" json:"expect,omitempty"`
	Compare  *Compare `yaml:"compare" json:"compare,omitempty"`
	Comments bool     `yaml:"comments" json:"comments,omitempty"`
}

// The config formats.
const (
	FormatSSHD     = "sshd"
	FormatKeyValue = "keyvalue"
	FormatSysctl   = "sysctl"
	FormatPAM      = "pam"
	FormatINI      = "ini"
)

// ConfigFormats lists the config formats.
var ConfigFormats = []string{FormatSSHD, FormatKeyValue, FormatSysctl, FormatPAM, FormatINI}

// ConfigRule compares one key's effective value in a configuration
// file read as its program reads it.
type ConfigRule struct {
	Path      string `yaml:"path" json:"path"`
	Format    string `yaml:"format" json:"format"`
	Key       string `yaml:"key" json:"key,omitempty"`
	Op        Op     `yaml:"op" json:"op,omitempty"`
	Value     *Value `yaml:"value" json:"value,omitempty"`
	Separator string `yaml:"separator" json:"separator,omitempty"`
	// PAM selection.
	Type    string `yaml:"type" json:"type,omitempty"`
	Module  string `yaml:"module" json:"module,omitempty"`
	Arg     string `yaml:"arg" json:"arg,omitempty"`
	Present *bool  `yaml:"present" json:"present,omitempty"`
}

// CommandRule matches the output lines of an allowed command as a
// content rule matches a file's.
type CommandRule struct {
	Run     string   `yaml:"run" json:"run"`
	Regex   Patterns `yaml:"regex" json:"regex"`
	Exclude Patterns `yaml:"exclude" json:"exclude,omitempty"`
	Expect  string   `yaml:"expect" json:"expect,omitempty"`
	Compare *Compare `yaml:"compare" json:"compare,omitempty"`
	// Stderr matches the lines of standard error too.
	Stderr bool `yaml:"stderr" json:"stderr,omitempty"`
}

// SysctlRule compares a kernel parameter's running (and persistent) value.
type SysctlRule struct {
	Key        string `yaml:"key" json:"key"`
	Op         Op     `yaml:"op" json:"op"`
	Value      *Value `yaml:"value" json:"value,omitempty"`
	Persistent bool   `yaml:"persistent" json:"persistent,omitempty"`
}

// PackageRule checks that packages are installed or not, and their version.
type PackageRule struct {
	Name      Names    `yaml:"name" json:"name"`
	Installed *bool    `yaml:"installed" json:"installed,omitempty"`
	Version   *Compare `yaml:"version" json:"version,omitempty"`
}

// ServiceRule checks whether systemd units are enabled and active.
type ServiceRule struct {
	Name    Names `yaml:"name" json:"name"`
	Enabled *bool `yaml:"enabled" json:"enabled,omitempty"`
	Active  *bool `yaml:"active" json:"active,omitempty"`
}

// ModuleRule checks whether a kernel module is loaded or loadable.
type ModuleRule struct {
	Name     string `yaml:"name" json:"name"`
	Loaded   *bool  `yaml:"loaded" json:"loaded,omitempty"`
	Loadable *bool  `yaml:"loadable" json:"loadable,omitempty"`
}

// MountRule checks a mount point and its options.
type MountRule struct {
	Path    string   `yaml:"path" json:"path"`
	Mounted *bool    `yaml:"mounted" json:"mounted,omitempty"`
	Options []string `yaml:"options" json:"options,omitempty"`
	Fstab   bool     `yaml:"fstab" json:"fstab,omitempty"`
}

// AccountSelect filters accounts.
type AccountSelect struct {
	Name   Names `yaml:"name" json:"name,omitempty"`
	UID    *int  `yaml:"uid" json:"uid,omitempty"`
	UIDMin *int  `yaml:"uid_min" json:"uid_min,omitempty"`
	UIDMax *int  `yaml:"uid_max" json:"uid_max,omitempty"`
	Login  *bool `yaml:"login" json:"login,omitempty"`
	System *bool `yaml:"system" json:"system,omitempty"`
	// Password selects by the state of the password (PasswordStates).
	Password Names `yaml:"password" json:"password,omitempty"`
}

// AccountExpect is what the selected accounts must be.
type AccountExpect struct {
	Names *[]string `yaml:"names" json:"names,omitempty"`
	Count *int      `yaml:"count" json:"count,omitempty"`
}

// The account fields.
var AccountFields = []string{"password", "scheme", "pass_max_days", "pass_min_days", "pass_warn_days",
	"inactive_days", "last_change_days", "shell", "home", "home_mode", "home_owner"}

// The values of the account field `password`.
var PasswordStates = []string{"hash", "empty", "locked", "disabled"}

// The values of `unique`.
var UniqueKeys = []string{"uid", "gid", "name", "group_name"}

// AccountRule checks accounts of /etc/passwd and /etc/shadow.
type AccountRule struct {
	Select *AccountSelect `yaml:"select" json:"select,omitempty"`
	Expect *AccountExpect `yaml:"expect" json:"expect,omitempty"`
	Field  string         `yaml:"field" json:"field,omitempty"`
	Op     Op             `yaml:"op" json:"op,omitempty"`
	Value  *Value         `yaml:"value" json:"value,omitempty"`
	Unique string         `yaml:"unique" json:"unique,omitempty"`
}

// GroupRule checks a group of /etc/group and its members.
type GroupRule struct {
	Name    string    `yaml:"name" json:"name"`
	Exists  *bool     `yaml:"exists" json:"exists,omitempty"`
	Members *[]string `yaml:"members" json:"members,omitempty"`
}

// Ports is a port number or a list of them.
type Ports []int

// PortRule checks the listening sockets.
type PortRule struct {
	Port      Ports  `yaml:"port" json:"port,omitempty"`
	Protocol  string `yaml:"protocol" json:"protocol,omitempty"`
	Listening *bool  `yaml:"listening" json:"listening,omitempty"`
	Address   string `yaml:"address" json:"address,omitempty"`
	Allowed   Ports  `yaml:"allowed" json:"allowed,omitzero"`
}

// OSRule matches /etc/os-release.
type OSRule struct {
	ID      string `yaml:"id" json:"id"`
	Version string `yaml:"version" json:"version,omitempty"`
}

// ProcessRule checks whether a process of a command name runs.
type ProcessRule struct {
	Name    string `yaml:"name" json:"name"`
	Running *bool  `yaml:"running" json:"running,omitempty"`
}

// BoolOr returns *b, or def when b is nil.
func BoolOr(b *bool, def bool) bool {
	if b == nil {
		return def
	}
	return *b
}
