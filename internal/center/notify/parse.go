package notify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxConfigSize bounds a configuration document.
const maxConfigSize = 1 << 20

// LoadFile reads and validates a YAML configuration file. Errors name the
// file and, where known, the line: "notify.yaml:12: channels[0].dingtalk.url: ...".
func LoadFile(name string) (Config, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return Config{}, fmt.Errorf("notify config: %w", err)
	}
	cfg, err := ParseYAML(data)
	if err != nil {
		return Config{}, prefixFile(name, err)
	}
	return cfg, nil
}

// prefixFile puts "file:line: " before each problem in err.
func prefixFile(name string, err error) error {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	out := make([]error, len(errs))
	for i, e := range errs {
		var fe *FieldError
		if errors.As(e, &fe) && fe.Line > 0 {
			out[i] = fmt.Errorf("%s:%d: %w", name, fe.Line, e)
		} else {
			out[i] = fmt.Errorf("%s: %w", name, e)
		}
	}
	return errors.Join(out...)
}

// ParseYAML decodes a YAML configuration strictly (unknown fields are
// errors) and validates it. Field errors carry the line of the field.
func ParseYAML(data []byte) (Config, error) {
	var cfg Config
	if len(data) > maxConfigSize {
		return cfg, &FieldError{Reason: fmt.Sprintf("%d bytes (at most %d)", len(data), maxConfigSize)}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, &FieldError{Reason: cleanYAMLError(err), Line: yamlErrorLine(err)}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return Config{}, &FieldError{Reason: "more than one YAML document", Line: extra.Line}
	}
	if err := cfg.Validate(); err != nil {
		var root yaml.Node
		if yaml.Unmarshal(data, &root) == nil {
			annotateLines(err, &root)
		}
		return Config{}, err
	}
	return cfg, nil
}

// quotedValue matches the values yaml quotes in its errors; they are
// dropped, since a misplaced value may be a credential.
var quotedValue = regexp.MustCompile("`[^`]*`")

// cleanYAMLError drops yaml's "yaml: " prefix and the quoted values, and
// folds its multi-line lists.
func cleanYAMLError(err error) string {
	s := strings.TrimPrefix(err.Error(), "yaml: ")
	s = quotedValue.ReplaceAllString(s, "a value")
	s = strings.ReplaceAll(s, "unmarshal errors:\n  ", "")
	return strings.ReplaceAll(s, "\n  ", "; ")
}

// yamlErrorLine returns the first "line N" in a yaml error, or 0.
func yamlErrorLine(err error) int {
	s := err.Error()
	i := strings.Index(s, "line ")
	if i < 0 {
		return 0
	}
	j := i + len("line ")
	k := j
	for k < len(s) && s[k] >= '0' && s[k] <= '9' {
		k++
	}
	n, _ := strconv.Atoi(s[j:k])
	return n
}

// annotateLines sets the Line of every FieldError in err from the YAML
// tree.
func annotateLines(err error, root *yaml.Node) {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	for _, e := range errs {
		var fe *FieldError
		if errors.As(e, &fe) {
			fe.Line = lineOf(root, fe.Path)
		}
	}
}

// FieldLine returns the line of a field path (webhook.url,
// filter.techniques[0], channels[1].dingtalk.url) in a YAML tree: the
// line of the deepest node of the path that exists. Tools that send a
// YAML file's channel to the API use it to point at the field of a
// FieldProblem.
func FieldLine(root *yaml.Node, fieldPath string) int { return lineOf(root, fieldPath) }

// lineOf finds the line of a field path (channels[1].dingtalk.url) in a
// YAML tree: the deepest node of the path that exists.
func lineOf(root *yaml.Node, fieldPath string) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, step := range strings.Split(fieldPath, ".") {
		key, idx := step, -1
		if open := strings.IndexByte(step, '['); open >= 0 && strings.HasSuffix(step, "]") {
			key = step[:open]
			idx, _ = strconv.Atoi(step[open+1 : len(step)-1])
		}
		next := mappingValue(n, key)
		if next == nil {
			return line
		}
		n, line = next, next.Line
		if idx >= 0 {
			if n.Kind != yaml.SequenceNode || idx >= len(n.Content) {
				return line
			}
			n, line = n.Content[idx], n.Content[idx].Line
		}
	}
	return line
}

func mappingValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// ParseJSON decodes a JSON configuration strictly and validates it.
func ParseJSON(data []byte) (Config, error) {
	var cfg Config
	if err := decodeJSON(data, &cfg); err != nil {
		return Config{}, err
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// ParseChannelJSON decodes one channel (an API body) strictly and
// validates it.
func ParseChannelJSON(data []byte) (ChannelConfig, error) {
	var ch ChannelConfig
	if err := decodeJSON(data, &ch); err != nil {
		return ChannelConfig{}, err
	}
	if err := ch.Validate(); err != nil {
		return ChannelConfig{}, err
	}
	return ch, nil
}

// decodeJSON decodes one JSON document into v, refusing unknown fields.
func decodeJSON(data []byte, v any) error { return decodeJSONWith(data, v, false) }

// decodeJSONWith decodes one JSON document of at most maxConfigSize
// bytes into v, refusing unknown fields and data after the document;
// with numbers, numbers decode as json.Number.
func decodeJSONWith(data []byte, v any, numbers bool) error {
	if len(data) > maxConfigSize {
		return &FieldError{Reason: fmt.Sprintf("%d bytes (at most %d)", len(data), maxConfigSize)}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if numbers {
		dec.UseNumber()
	}
	if err := dec.Decode(v); err != nil {
		return &FieldError{Reason: "bad JSON: " + strings.TrimPrefix(err.Error(), "json: ")}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &FieldError{Reason: "bad JSON: data after the document"}
	}
	return nil
}
