package policy

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"unicode/utf8"
)

// MaxCompactSize bounds a compact policy: larger ones are refused before
// decoding.
const MaxCompactSize = MaxSize

// maxCompactDepth bounds the nesting of a compact policy's JSON; the
// format itself needs eight levels.
const maxCompactDepth = 32

// compactSource names a compact policy in its problems.
const compactSource = "compact policy"

// compactPolicy is the document of the compact form.
type compactPolicy struct {
	Format       int            `json:"format"`
	ID           string         `json:"id"`
	Version      string         `json:"version"`
	Requirements *Condition     `json:"requirements,omitempty"`
	Checks       []compactCheck `json:"checks"`
}

// compactCheck is a check without its texts, references and profiles.
type compactCheck struct {
	ID        string     `json:"id"`
	Severity  Severity   `json:"severity,omitempty"`
	AppliesIf *Condition `json:"applies_if,omitempty"`
	Condition Combine    `json:"condition"`
	Rules     []Rule     `json:"rules"`
}

// Compact returns the policy's compact form, what the center sends an
// agent: the policy's JSON without any text (name, description, title,
// rationale, remediation), references, profiles or variables. What is
// left is all an agent needs to evaluate the policy:
//
//	{"format": 1, "id": "cis_debian12", "version": "1.1.0",
//	 "requirements": {"condition": "all", "rules": [...]},
//	 "checks": [{"id": "cis_debian12.5.1.20", "severity": "high",
//	             "applies_if": {...}, "condition": "all", "rules": [...]}]}
//
// Rules are written as Policy's JSON writes them, with the variables
// already expanded and "not" beside the rule's type. The same content
// gives the same bytes, so RulesDigest names a version of what agents
// evaluate. Compact fails on a policy whose rules JSON cannot carry
// without changing their meaning.
func (p *Policy) Compact() ([]byte, error) {
	if err := p.compactable(); err != nil {
		return nil, fmt.Errorf("compact policy %s: %w", p.Meta.ID, err)
	}
	c := compactPolicy{Format: p.Format, ID: p.Meta.ID, Version: p.Meta.Version, Requirements: p.Requirements,
		Checks: make([]compactCheck, len(p.Checks))}
	for i := range p.Checks {
		ch := &p.Checks[i]
		c.Checks[i] = compactCheck{ID: ch.ID, Severity: ch.Severity, AppliesIf: ch.AppliesIf, Condition: ch.Condition, Rules: ch.Rules}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c); err != nil {
		return nil, fmt.Errorf("compact policy %s: %w", p.Meta.ID, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// RulesDigest is the SHA-256 (hex) of the policy's compact form: what an
// agent evaluates, without the texts, references, profiles and
// variables that Digest covers too. A policy and the one ParseCompact
// reads from its compact form have the same RulesDigest, so it is the
// version the center and the agents agree on. It is "" for a policy
// Compact refuses.
func (p *Policy) RulesDigest() string {
	b, err := p.Compact()
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// compactable reports what the compact form would lose: a rule setting
// whose empty list JSON leaves out (an empty `allowed:` of a port rule,
// which means that nothing may listen, would read as no setting).
func (p *Policy) compactable() error {
	var err error
	p.eachRule(func(path string, r *Rule) {
		if err != nil || r.Port == nil || r.Port.Allowed == nil || len(r.Port.Allowed) > 0 {
			return
		}
		if b, _ := json.Marshal(r.Port); !bytes.Contains(b, []byte(`"allowed":`)) {
			err = fmt.Errorf("%s.port.allowed: an empty list cannot be written in the compact form", path)
		}
	})
	return err
}

// eachRule calls fn with every rule of the policy and its field path.
func (p *Policy) eachRule(fn func(path string, r *Rule)) {
	if p.Requirements != nil {
		for i := range p.Requirements.Rules {
			fn(fmt.Sprintf("requirements.rules[%d]", i), &p.Requirements.Rules[i])
		}
	}
	for c := range p.Checks {
		ch := &p.Checks[c]
		if ch.AppliesIf != nil {
			for i := range ch.AppliesIf.Rules {
				fn(fmt.Sprintf("checks[%d].applies_if.rules[%d]", c, i), &ch.AppliesIf.Rules[i])
			}
		}
		for i := range ch.Rules {
			fn(fmt.Sprintf("checks[%d].rules[%d]", c, i), &ch.Rules[i])
		}
	}
}

// textField matches the field paths of the texts, which a compact policy
// does not have.
var textField = regexp.MustCompile(`^(policy\.(name|description)|checks\[\d+\]\.(title|description|rationale|remediation))(\.(en|zh))?$`)

// ParseCompact reads a policy's compact form. The JSON is decoded
// strictly (unknown fields, duplicate keys, null, trailing data and
// invalid UTF-8 are refused) and the policy is validated as Parse
// validates a policy file (formats, ids, regular expressions,
// operators, absolute paths, the command allow-list ...), the missing
// texts apart. On any problem it returns a nil policy and the problems
// joined (*Problem values, named "compact policy").
func ParseCompact(data []byte) (*Policy, error) {
	if len(data) > MaxCompactSize {
		return nil, &Problem{File: compactSource, Reason: fmt.Sprintf("%d bytes, more than the %d allowed", len(data), MaxCompactSize)}
	}
	if !utf8.Valid(data) {
		return nil, &Problem{File: compactSource, Reason: "not valid UTF-8"}
	}
	if err := checkCompactJSON(data); err != nil {
		return nil, err
	}
	var c compactPolicy
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, &Problem{File: compactSource, Reason: "not a compact policy: " + err.Error()}
	}
	p := &Policy{Format: c.Format, Meta: Meta{ID: c.ID, Version: c.Version}, Requirements: c.Requirements,
		Checks: make([]Check, len(c.Checks)), Source: compactSource}
	for i := range c.Checks {
		ch := &c.Checks[i]
		p.Checks[i] = Check{ID: ch.ID, Severity: ch.Severity, AppliesIf: ch.AppliesIf, Condition: ch.Condition, Rules: ch.Rules}
	}
	// The policy section is there: its id and version are its fields.
	p.SetLine("policy", 0)
	var problems []*Problem
	p.eachRule(func(path string, r *Rule) {
		problems = append(problems, compactRule(path, r)...)
	})
	for _, pr := range validate(p) {
		if !textField.MatchString(pr.Field) {
			problems = append(problems, pr)
		}
	}
	if len(problems) > 0 {
		return nil, joinProblems(problems)
	}
	return p, nil
}

// compactRule checks what the YAML decoder checks of a rule and JSON
// does not: one type, and port numbers.
func compactRule(path string, r *Rule) []*Problem {
	var out []*Problem
	add := func(field, format string, args ...any) {
		out = append(out, &Problem{File: compactSource, Field: field, Reason: fmt.Sprintf(format, args...)})
	}
	set := 0
	for _, t := range []bool{r.File != nil, r.Content != nil, r.Config != nil, r.Command != nil, r.Sysctl != nil,
		r.Package != nil, r.Service != nil, r.Module != nil, r.Mount != nil, r.Account != nil, r.Group != nil,
		r.Port != nil, r.OS != nil, r.Process != nil} {
		if t {
			set++
		}
	}
	switch {
	case set == 0:
		add(path, "a rule needs a type")
	case set > 1:
		add(path, "a rule has exactly one type, got %d", set)
	}
	if r.Port != nil {
		for _, list := range []struct {
			name  string
			ports Ports
		}{{"port", r.Port.Port}, {"allowed", r.Port.Allowed}} {
			for i, n := range list.ports {
				if n < 0 || n > 65535 {
					add(fmt.Sprintf("%s.port.%s[%d]", path, list.name, i), "want a port number 0-65535, got %d", n)
				}
			}
		}
	}
	return out
}

// checkCompactJSON walks the JSON before it is decoded, refusing what
// decoding into the policy types would let through silently: duplicate
// keys (the last would win), null (read as a field left out), a `value`
// that is not a value or a list of values, nesting deeper than the
// format's and data after the document.
func checkCompactJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := walkCompact(dec, "", 0); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &Problem{File: compactSource, Reason: "data after the policy"}
	}
	return nil
}

func compactProblem(path, format string, args ...any) *Problem {
	return &Problem{File: compactSource, Field: path, Reason: fmt.Sprintf(format, args...)}
}

// walkCompact checks the next value of dec, found at path.
func walkCompact(dec *json.Decoder, path string, depth int) error {
	tok, err := dec.Token()
	if err != nil {
		return compactProblem(path, "not valid JSON: %v", err)
	}
	switch tok {
	case nil:
		return compactProblem(path, "null: leave the field out instead")
	case json.Delim('{'):
		if depth >= maxCompactDepth {
			return compactProblem(path, "nested deeper than %d levels", maxCompactDepth)
		}
		seen := map[string]bool{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return compactProblem(path, "not valid JSON: %v", err)
			}
			key, _ := kt.(string)
			sub := join(path, key)
			if seen[key] {
				return compactProblem(sub, "duplicate key")
			}
			seen[key] = true
			if key == "value" {
				err = walkValue(dec, sub)
			} else {
				err = walkCompact(dec, sub, depth+1)
			}
			if err != nil {
				return err
			}
		}
	case json.Delim('['):
		if depth >= maxCompactDepth {
			return compactProblem(path, "nested deeper than %d levels", maxCompactDepth)
		}
		for i := 0; dec.More(); i++ {
			if err := walkCompact(dec, path+"["+strconv.Itoa(i)+"]", depth+1); err != nil {
				return err
			}
		}
	default:
		return nil
	}
	if _, err := dec.Token(); err != nil { // the closing delimiter
		return compactProblem(path, "not valid JSON: %v", err)
	}
	return nil
}

// walkValue checks a `value`: a string, number or boolean, or a list of
// them.
func walkValue(dec *json.Decoder, path string) error {
	tok, err := dec.Token()
	if err != nil {
		return compactProblem(path, "not valid JSON: %v", err)
	}
	switch tok {
	case nil:
		return compactProblem(path, "null: leave the field out instead")
	case json.Delim('{'):
		return compactProblem(path, "want a value or a list of values, got a map")
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			item, err := dec.Token()
			if err != nil {
				return compactProblem(path, "not valid JSON: %v", err)
			}
			if _, nested := item.(json.Delim); nested || item == nil {
				return compactProblem(path+"["+strconv.Itoa(i)+"]", "want a value, got %v", describeToken(item))
			}
		}
		if _, err := dec.Token(); err != nil {
			return compactProblem(path, "not valid JSON: %v", err)
		}
	}
	return nil
}

func describeToken(t json.Token) string {
	switch t {
	case nil:
		return "null"
	case json.Delim('{'):
		return "a map"
	case json.Delim('['):
		return "a list"
	}
	return fmt.Sprint(t)
}
