// Package sca reads Wazuh SCA policy files (policy, requirements,
// variables and checks of rule strings) into Vigil policies. English
// texts are copied into zh, `compliance` lists become references, and
// OS_Regex and PCRE2 expressions are translated to RE2. A check that
// cannot be expressed (a PCRE2 lookahead, a registry rule on a
// folder's files ...) is left out and reported.
package sca

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/vigilsec/vigil/internal/compliance/policy"
)

type scaFile struct {
	Policy struct {
		ID          string   `yaml:"id"`
		File        string   `yaml:"file"`
		Name        string   `yaml:"name"`
		Description string   `yaml:"description"`
		References  []string `yaml:"references"`
		RegexType   string   `yaml:"regex_type"`
	} `yaml:"policy"`
	Requirements *struct {
		Title       string      `yaml:"title"`
		Description string      `yaml:"description"`
		Condition   string      `yaml:"condition"`
		Rules       []yaml.Node `yaml:"rules"`
	} `yaml:"requirements"`
	Variables map[string]string `yaml:"variables"`
	Checks    []yaml.Node       `yaml:"checks"`
}

type scaCheck struct {
	ID          yaml.Node   `yaml:"id"`
	Title       string      `yaml:"title"`
	Description string      `yaml:"description"`
	Rationale   string      `yaml:"rationale"`
	Impact      string      `yaml:"impact"`
	Remediation string      `yaml:"remediation"`
	References  []string    `yaml:"references"`
	Compliance  yaml.Node   `yaml:"compliance"`
	Condition   string      `yaml:"condition"`
	RegexType   string      `yaml:"regex_type"`
	Rules       []yaml.Node `yaml:"rules"`
}

// converter holds the state of one file's conversion.
type converter struct {
	name     string
	vars     []string // "$name" sorted longest first
	values   map[string]string
	pcre     bool // the policy's default regex_type is pcre2
	problems []*policy.Problem
}

// Parse reads a Wazuh SCA policy. It returns the policy, the checks
// left out (as problems naming the rule that could not be translated),
// and an error (errors.Join of *policy.Problem) when the file cannot
// be read as a policy at all.
func Parse(name string, data []byte) (*policy.Policy, []*policy.Problem, error) {
	if len(data) > policy.MaxSize {
		return nil, nil, &policy.Problem{File: name, Line: 1, Reason: fmt.Sprintf("the policy is %d bytes, more than the %d allowed", len(data), policy.MaxSize)}
	}
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if err == io.EOF {
			return nil, nil, &policy.Problem{File: name, Line: 1, Reason: "the file is empty"}
		}
		return nil, nil, &policy.Problem{File: name, Reason: "not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	var f scaFile
	if err := root.Decode(&f); err != nil {
		return nil, nil, &policy.Problem{File: name, Reason: "not an SCA policy: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	c := &converter{name: name, values: map[string]string{}, pcre: f.Policy.RegexType == "pcre2"}
	for k, v := range f.Variables {
		if !strings.HasPrefix(k, "$") {
			return nil, nil, &policy.Problem{File: name, Field: "variables." + k, Reason: "an SCA variable's name starts with $"}
		}
		c.vars = append(c.vars, k)
		c.values[k] = v
	}
	sort.Slice(c.vars, func(i, j int) bool { return len(c.vars[i]) > len(c.vars[j]) })

	id := strings.ToLower(f.Policy.ID)
	p := &policy.Policy{
		Format: policy.FormatVersion,
		Meta: policy.Meta{
			ID: id,
			// SCA files have no version: the file's digest tells one
			// upload from another.
			Version:     versionOf(data),
			Name:        both(f.Policy.Name),
			Description: both(f.Policy.Description),
			References:  f.Policy.References,
		},
		Source: name,
	}
	var fatal []*policy.Problem
	if f.Policy.ID == "" {
		fatal = append(fatal, &policy.Problem{File: name, Field: "policy.id", Reason: "missing"})
	}
	if f.Requirements != nil {
		cond, err := condition(f.Requirements.Condition)
		if err != nil {
			fatal = append(fatal, &policy.Problem{File: name, Field: "requirements.condition", Reason: err.Error()})
		}
		req := &policy.Condition{Condition: cond}
		for i := range f.Requirements.Rules {
			n := &f.Requirements.Rules[i]
			rules, windows, err := c.rule(n, cond, c.pcre)
			if err != nil {
				fatal = append(fatal, &policy.Problem{File: name, Line: n.Line, Field: fmt.Sprintf("requirements.rules[%d]", i), Reason: err.Error()})
				continue
			}
			if windows {
				req = &policy.Condition{Condition: policy.All, Rules: []policy.Rule{windowsRule()}}
				break
			}
			req.Rules = append(req.Rules, rules...)
		}
		p.Requirements = req
	}
	seen := map[string]bool{}
	for i := range f.Checks {
		ch, prob := c.check(&f.Checks[i], i, id, seen)
		if prob != nil {
			c.problems = append(c.problems, prob)
			continue
		}
		p.Checks = append(p.Checks, *ch)
	}
	if len(f.Checks) == 0 {
		fatal = append(fatal, &policy.Problem{File: name, Field: "checks", Reason: "an SCA policy needs checks"})
	}
	if len(fatal) > 0 {
		errs := make([]error, len(fatal))
		for i, pr := range fatal {
			errs[i] = pr
		}
		return nil, c.problems, errors.Join(errs...)
	}
	if len(p.Checks) == 0 {
		return nil, c.problems, &policy.Problem{File: name, Field: "checks", Reason: "no check could be translated"}
	}
	if err := policy.Validate(p); err != nil {
		return nil, c.problems, err
	}
	return p, c.problems, nil
}

// DefaultSeverity is the severity of every translated check: SCA files
// have none.
const DefaultSeverity = policy.Medium

// versionOf is the version of a translated file: "sca-" and the first
// 12 hex digits of its SHA-256.
func versionOf(data []byte) string {
	sum := sha256.Sum256(data)
	return "sca-" + hex.EncodeToString(sum[:6])
}

// both is an English text copied into zh (SCA files are English only).
func both(en string) policy.Text { return policy.Text{En: en, Zh: en} }

func condition(s string) (policy.Combine, error) {
	switch strings.TrimSpace(s) {
	case "all", "all required":
		return policy.All, nil
	case "any", "any required":
		return policy.Any, nil
	case "none":
		return policy.None, nil
	}
	return policy.All, fmt.Errorf("condition %q: want all, any or none", s)
}

func windowsRule() policy.Rule { return policy.Rule{OS: &policy.OSRule{ID: "windows"}} }

// check converts one SCA check; a problem means it is left out.
func (c *converter) check(n *yaml.Node, i int, policyID string, seen map[string]bool) (*policy.Check, *policy.Problem) {
	path := fmt.Sprintf("checks[%d]", i)
	var sc scaCheck
	if err := n.Decode(&sc); err != nil {
		return nil, &policy.Problem{File: c.name, Line: n.Line, Field: path, Reason: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	if sc.ID.Value == "" || sc.ID.Kind != yaml.ScalarNode {
		return nil, &policy.Problem{File: c.name, Line: n.Line, Field: path + ".id", Reason: "missing"}
	}
	id := policyID + "." + sc.ID.Value
	if seen[id] {
		return nil, &policy.Problem{File: c.name, Line: sc.ID.Line, Field: path + ".id", Reason: fmt.Sprintf("duplicate check id %s", sc.ID.Value)}
	}
	seen[id] = true
	cond, err := condition(sc.Condition)
	if err != nil {
		return nil, &policy.Problem{File: c.name, Line: n.Line, Field: path + ".condition", Reason: err.Error()}
	}
	desc := sc.Description
	if sc.Impact != "" {
		desc = strings.TrimSpace(desc + "\n\nImpact: " + sc.Impact)
	}
	ch := &policy.Check{
		ID: id, Title: both(sc.Title), Rationale: both(sc.Rationale), Remediation: both(sc.Remediation),
		Condition: cond, References: c.references(&sc),
		// SCA checks have no severity.
		Severity: DefaultSeverity,
	}
	if desc != "" {
		t := both(desc)
		ch.Description = &t
	}
	pcre := c.pcre
	if sc.RegexType != "" {
		pcre = sc.RegexType == "pcre2"
	}
	windows := false
	for j := range sc.Rules {
		rn := &sc.Rules[j]
		rules, win, err := c.rule(rn, cond, pcre)
		if err != nil {
			return nil, &policy.Problem{File: c.name, Line: rn.Line, Field: fmt.Sprintf("%s.rules[%d]", path, j), Reason: err.Error() + " (check " + sc.ID.Value + " left out)"}
		}
		windows = windows || win
		ch.Rules = append(ch.Rules, rules...)
	}
	if len(sc.Rules) == 0 {
		return nil, &policy.Problem{File: c.name, Line: n.Line, Field: path + ".rules", Reason: "a check without rules (left out)"}
	}
	if windows {
		// Registry rules read Windows: on Linux the check does not apply.
		ch.AppliesIf = &policy.Condition{Condition: policy.All, Rules: []policy.Rule{windowsRule()}}
		if len(ch.Rules) == 0 {
			ch.Rules = []policy.Rule{windowsRule()}
		}
	}
	return ch, nil
}

var frameworkChars = regexp.MustCompile(`[^a-z0-9_]+`)

// references turns `compliance` (a list of one-key maps, or a map) and
// `references` into the check's references.
func (c *converter) references(sc *scaCheck) map[string][]string {
	refs := map[string][]string{}
	add := func(k *yaml.Node, v *yaml.Node) {
		fw := strings.Trim(frameworkChars.ReplaceAllString(strings.ToLower(k.Value), "_"), "_")
		if fw == "" {
			return
		}
		switch v.Kind {
		case yaml.SequenceNode:
			for _, x := range v.Content {
				if x.Kind == yaml.ScalarNode && x.Value != "" {
					refs[fw] = append(refs[fw], x.Value)
				}
			}
		case yaml.ScalarNode:
			if v.Value != "" {
				refs[fw] = append(refs[fw], v.Value)
			}
		}
	}
	mapping := func(m *yaml.Node) {
		for i := 0; i+1 < len(m.Content); i += 2 {
			add(m.Content[i], m.Content[i+1])
		}
	}
	switch sc.Compliance.Kind {
	case yaml.SequenceNode:
		for _, item := range sc.Compliance.Content {
			if item.Kind == yaml.MappingNode {
				mapping(item)
			}
		}
	case yaml.MappingNode:
		mapping(&sc.Compliance)
	}
	for _, r := range sc.References {
		if strings.TrimSpace(r) != "" {
			refs["url"] = append(refs["url"], r)
		}
	}
	if len(refs) == 0 {
		return nil
	}
	return refs
}

// expand replaces $variables in a rule's left part.
func (c *converter) expand(s string) (string, error) {
	for _, v := range c.vars {
		s = strings.ReplaceAll(s, v, c.values[v])
	}
	if i := strings.IndexByte(s, '$'); i >= 0 && i+1 < len(s) && (s[i+1] >= 'a' && s[i+1] <= 'z' || s[i+1] >= 'A' && s[i+1] <= 'Z' || s[i+1] == '_') {
		return s, fmt.Errorf("unknown variable in %q", clipText(s))
	}
	return s, nil
}

// rule converts one SCA rule string in a check of condition cond into
// Vigil rules; windows reports a registry rule (no Vigil rule).
func (c *converter) rule(n *yaml.Node, cond policy.Combine, pcre bool) ([]policy.Rule, bool, error) {
	if n.Kind != yaml.ScalarNode {
		return nil, false, errors.New("a rule is a string")
	}
	r, err := ParseRule(n.Value)
	if err != nil {
		return nil, false, err
	}
	if r.Kind == 'r' {
		return nil, true, nil
	}
	target, err := c.expand(r.Target)
	if err != nil {
		return nil, false, err
	}
	switch r.Kind {
	case 'p':
		if strings.HasPrefix(target, "r:") {
			return nil, false, errors.New("a p: rule with a regex cannot be translated")
		}
		return []policy.Rule{{Not: r.Not, Process: &policy.ProcessRule{Name: target}}}, false, nil
	case 'c':
		if len(r.Content) == 0 {
			return nil, false, errors.New("a c: rule without a content test cannot be translated")
		}
		// Agents run allowed commands only, and refuse a policy that
		// names another: such a check cannot be kept.
		if _, err := policy.ParseCommand(target); err != nil {
			return nil, false, err
		}
		m, err := c.matcher(r.Content, pcre)
		if err != nil {
			return nil, false, err
		}
		return []policy.Rule{{Not: r.Not, Command: &policy.CommandRule{Run: target, Regex: m.regex, Exclude: m.exclude, Compare: m.compare, Stderr: true}}}, false, nil
	}
	var targets []string
	for _, t := range strings.Split(target, ",") {
		if t = strings.TrimSpace(t); t != "" {
			targets = append(targets, t)
		}
	}
	if len(targets) == 0 {
		return nil, false, errors.New("no path")
	}
	var m *matcher
	if len(r.Content) > 0 {
		if m, err = c.matcher(r.Content, pcre); err != nil {
			return nil, false, err
		}
	}
	entryGlob := ""
	if r.Kind == 'd' && r.Entry != "" {
		if entryGlob, err = fileGlob(r.Entry); err != nil {
			return nil, false, err
		}
	}
	// Over several paths an existence rule holds for all of them and a
	// content rule for any: that splits into rules only when the
	// check's condition combines them the same way.
	orOver := m != nil || entryGlob != ""
	if r.Not {
		orOver = !orOver
	}
	if len(targets) > 1 {
		switch {
		case orOver && cond == policy.All, !orOver && cond != policy.All:
			return nil, false, fmt.Errorf("a rule over %d paths cannot be split under condition %s", len(targets), cond)
		}
	}
	var out []policy.Rule
	for _, t := range targets {
		var rule policy.Rule
		p := t
		if entryGlob != "" {
			p = strings.TrimSuffix(t, "/") + "/" + entryGlob
		}
		switch {
		case m != nil:
			rule.Content = &policy.ContentRule{Path: p, Regex: m.regex, Exclude: m.exclude, Compare: m.compare, Comments: true}
		case r.Kind == 'd' && entryGlob == "":
			rule.File = &policy.FileRule{Path: p, Type: "dir"}
		default:
			rule.File = &policy.FileRule{Path: p}
		}
		rule.Not = r.Not
		out = append(out, rule)
	}
	return out, false, nil
}

// matcher is a content expression in Vigil's terms.
type matcher struct {
	regex   policy.Patterns
	exclude policy.Patterns
	compare *policy.Compare
}

func (c *converter) matcher(terms []Minterm, pcre bool) (*matcher, error) {
	m := &matcher{}
	translate := TranslateOSRegex
	if pcre {
		translate = TranslatePCRE
	}
	for _, t := range terms {
		var expr string
		var err error
		switch t.Op {
		case "r", "n":
			expr, err = translate(t.Value)
		default:
			expr = literalLine(t.Value)
		}
		if err != nil {
			return nil, err
		}
		switch {
		case t.Op == "n" && t.Negate:
			return nil, errors.New("a negated n: comparison cannot be translated")
		case t.Op == "n":
			if m.compare != nil {
				return nil, errors.New("two n: comparisons in one rule cannot be translated")
			}
			if !numberOK(t.Number) {
				return nil, fmt.Errorf("n: compares with %q, not a number", t.Number)
			}
			if re, _ := regexp.Compile(expr); re == nil || re.NumSubexp() < 1 {
				return nil, errors.New("an n: regex needs a capture group")
			}
			m.compare = &policy.Compare{Op: policy.Op(wazuhOps[t.Compare]), Value: t.Number}
			m.regex = slices.Insert(m.regex, 0, expr)
		case t.Negate:
			m.exclude = append(m.exclude, expr)
		default:
			m.regex = append(m.regex, expr)
		}
	}
	if len(m.regex) == 0 {
		// Only negated tests: any line that passes them.
		m.regex = policy.Patterns{"^"}
	}
	return m, nil
}

var (
	anyName    = regexp.MustCompile(`^\^?(\\\.[+*]|\.\*|\.\+)?\$?$`)
	suffixName = regexp.MustCompile(`^(?:\\\.[+*]|\.\*|\.\+)?\\?\.([A-Za-z0-9_-]+)\$$`)
	prefixName = regexp.MustCompile(`^\^([A-Za-z0-9_.-]+)(?:\\\.[+*])?$`)
)

// fileGlob turns the file part of a d: rule into a glob of the
// folder's files: a name, or an r: regex of any name, a suffix or a
// prefix.
func fileGlob(entry string) (string, error) {
	re, ok := strings.CutPrefix(entry, "r:")
	if !ok {
		if strings.ContainsAny(entry, "/*?[") {
			return "", fmt.Errorf("file name %q cannot be translated", entry)
		}
		return entry, nil
	}
	switch {
	case anyName.MatchString(re):
		return "*", nil
	case suffixName.MatchString(re):
		return "*." + suffixName.FindStringSubmatch(re)[1], nil
	case prefixName.MatchString(re):
		return strings.ReplaceAll(prefixName.FindStringSubmatch(re)[1], `\`, "") + "*", nil
	}
	return "", fmt.Errorf("file regex %q of a d: rule cannot be turned into a glob", entry)
}
