package notifycmd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"gopkg.in/yaml.v3"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/center/notify"
)

// Bounds of a channel file.
const (
	// maxChannelFile is what the center takes as a channel.
	maxChannelFile = apiclient.MaxNotifyChannel
	// maxValues bounds the values of a file, aliases expanded.
	maxValues = 100_000
	// maxDepth bounds the nesting of a file.
	maxDepth = 64
)

// channelFile is a channel file read: the JSON the center takes, and the
// YAML tree, to find the line of a field.
type channelFile struct {
	name string
	body []byte
	root *yaml.Node
}

// readChannelFile reads path ("-" for stdin, of at most maxChannelFile
// bytes) and parses it.
func readChannelFile(path string, stdin io.Reader) (channelFile, error) {
	r := stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return channelFile{}, fmt.Errorf("read channel file: %w", err)
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxChannelFile+1))
	if err != nil {
		return channelFile{}, fmt.Errorf("read channel file %s: %w", path, err)
	}
	if len(data) > maxChannelFile {
		return channelFile{}, fmt.Errorf("channel file %s: larger than %d bytes", path, maxChannelFile)
	}
	f, err := parseChannelFile(data)
	if err != nil {
		return channelFile{}, fmt.Errorf("channel file %s: %w", path, err)
	}
	f.name = path
	return f, nil
}

// parseChannelFile turns a channel written in YAML (or JSON, which YAML
// reads too) into the JSON body of the center's PUT: one document whose
// keys are plain values given once. Strings stay strings (a date or a
// "yes" is not turned into something else); numbers and booleans are
// YAML's.
func parseChannelFile(data []byte) (channelFile, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return channelFile{}, errors.New("empty: want the channel, e.g. type: webhook")
		}
		return channelFile{}, fmt.Errorf("not YAML or JSON: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return channelFile{}, errors.New("more than one YAML document")
	}
	budget := maxValues
	v, err := nodeValue(&root, &budget, 0)
	if err != nil {
		return channelFile{}, err
	}
	if _, ok := v.(map[string]any); !ok {
		return channelFile{}, errors.New("want a mapping of the channel's fields, e.g. type: webhook")
	}
	body, err := json.Marshal(v)
	if err != nil {
		return channelFile{}, fmt.Errorf("cannot be sent as JSON: %w", err)
	}
	return channelFile{body: body, root: &root}, nil
}

// nodeValue converts a YAML node into what encoding/json writes.
func nodeValue(n *yaml.Node, budget *int, depth int) (any, error) {
	*budget--
	switch {
	case *budget < 0:
		return nil, fmt.Errorf("line %d: more than %d values", n.Line, maxValues)
	case depth > maxDepth:
		return nil, fmt.Errorf("line %d: nested deeper than %d", n.Line, maxDepth)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return nodeValue(n.Content[0], budget, depth+1)
	case yaml.AliasNode:
		return nodeValue(n.Alias, budget, depth+1)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: a key must be a plain value", k.Line)
			}
			if _, dup := m[k.Value]; dup {
				return nil, fmt.Errorf("line %d: %q is given twice", k.Line, k.Value)
			}
			v, err := nodeValue(n.Content[i+1], budget, depth+1)
			if err != nil {
				return nil, err
			}
			m[k.Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		list := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := nodeValue(c, budget, depth+1)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		return list, nil
	case yaml.ScalarNode:
		return scalarValue(n)
	}
	return nil, fmt.Errorf("line %d: unexpected YAML node", n.Line)
}

// scalarValue converts a scalar: null, booleans and numbers as YAML
// resolves them, everything else as its text.
func scalarValue(n *yaml.Node) (any, error) {
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		return b, nil
	case "!!int":
		var i int64
		if err := n.Decode(&i); err == nil {
			return i, nil
		}
		var u uint64
		if err := n.Decode(&u); err != nil {
			return nil, fmt.Errorf("line %d: the number is too large", n.Line)
		}
		return u, nil
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, fmt.Errorf("line %d: %s is not a number JSON can carry", n.Line, n.Value)
		}
		return f, nil
	}
	return n.Value, nil
}

// where is "FILE:LINE: PATH" for a field of the file ("FILE" for the
// whole document, "FILE: PATH" for a field without a line).
func (f channelFile) where(path string) string {
	if path == "" {
		return f.name
	}
	if line := notify.FieldLine(f.root, path); line > 0 {
		return fmt.Sprintf("%s:%d: %s", f.name, line, path)
	}
	return f.name + ": " + path
}
