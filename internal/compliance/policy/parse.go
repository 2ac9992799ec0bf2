package policy

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Parse reads a policy from data; name is the file name problems are
// reported against. On any problem it returns a nil policy and every
// problem found, joined (errors.Join of *Problem, ordered by line).
func Parse(name string, data []byte) (*Policy, error) {
	if len(data) > MaxSize {
		return nil, &Problem{File: name, Line: 1, Reason: fmt.Sprintf("the policy is %d bytes, more than the %d allowed", len(data), MaxSize)}
	}
	root, err := parseYAML(name, data)
	if err != nil {
		return nil, err
	}
	d := &decoder{file: name, pos: map[string]int{}}
	p := &Policy{Source: name}
	d.mark("", root)
	d.decodeStruct(root, "", reflect.ValueOf(p).Elem(), nil)
	p.pos = d.pos
	if d.visits >= maxVisits {
		return nil, joinProblems(d.problems)
	}
	expandVariables(d, p)
	problems := append(d.problems, validate(p)...)
	if len(problems) > 0 {
		return nil, joinProblems(problems)
	}
	return p, nil
}

// ParseFile reads and parses a policy file, naming it by its base name
// in problems.
func ParseFile(path string) (*Policy, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read policy: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read policy %s: %w", path, err)
	}
	return Parse(filepath.Base(path), data)
}

// Problems returns the *Problem values joined in err (nil for none).
func Problems(err error) []*Problem {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []*Problem
		for _, e := range j.Unwrap() {
			out = append(out, Problems(e)...)
		}
		return out
	}
	var p *Problem
	if errors.As(err, &p) {
		return []*Problem{p}
	}
	return nil
}

func joinProblems(ps []*Problem) error {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Line < ps[j].Line })
	if len(ps) > maxProblems {
		rest := len(ps) - maxProblems
		ps = append(ps[:maxProblems:maxProblems], &Problem{File: ps[0].File, Reason: fmt.Sprintf("and %d more problems", rest)})
	}
	errs := make([]error, len(ps))
	for i, p := range ps {
		errs[i] = p
	}
	return errors.Join(errs...)
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// parseYAML returns the root node of the only document in data.
func parseYAML(name string, data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return nil, &Problem{File: name, Line: 1, Reason: "the file is empty"}
		}
		return nil, yamlProblem(name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &Problem{File: name, Line: extra.Line, Reason: "a policy file holds one YAML document, found another"}
	} else if err != io.EOF {
		return nil, yamlProblem(name, err)
	}
	if len(doc.Content) == 0 {
		return nil, &Problem{File: name, Line: 1, Reason: "the file is empty"}
	}
	return doc.Content[0], nil
}

func yamlProblem(name string, err error) *Problem {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = strings.TrimSpace(strings.Replace(msg, m[0]+":", "", 1))
	}
	return &Problem{File: name, Line: line, Reason: "not valid YAML: " + msg}
}

// Line returns the line of a field path in the policy's source (the
// nearest enclosing field that has one), or 0.
func (p *Policy) Line(path string) int {
	for {
		if l, ok := p.pos[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			return p.pos[""]
		}
		path = path[:i]
	}
}

// SetLine records the line of a field path (for policies built from
// other formats).
func (p *Policy) SetLine(path string, line int) {
	if p.pos == nil {
		p.pos = map[string]int{}
	}
	p.pos[path] = line
}

// Digest is the SHA-256 (hex) of the policy's canonical content: its
// JSON encoding with variables expanded, independent of comments, key
// order and layout of the file.
func (p *Policy) Digest() string {
	// Every type of a policy encodes to JSON: there is no error to see.
	b, _ := json.Marshal(p)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Check returns the check with id, or nil.
func (p *Policy) Check(id string) *Check {
	for i := range p.Checks {
		if p.Checks[i].ID == id {
			return &p.Checks[i]
		}
	}
	return nil
}
