// Package policies holds the compliance policies Vigil ships (the *.yml
// files of this folder: CIS benchmarks and MLPS 2.0 levels 2 and 3),
// embedded in the center, which sends the agents the compact form of
// those it assigns them.
package policies

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"

	"github.com/vigilsec/vigil/internal/compliance/policy"
)

//go:embed *.yml
var files embed.FS

// FS returns the shipped policy files.
func FS() fs.FS { return files }

// Load parses every shipped policy, ordered by id.
func Load() ([]*policy.Policy, error) {
	names, err := fs.Glob(files, "*.yml")
	if err != nil {
		return nil, err
	}
	var out []*policy.Policy
	for _, name := range names {
		data, err := files.ReadFile(name)
		if err != nil {
			return nil, err
		}
		p, err := policy.Parse(path.Base(name), data)
		if err != nil {
			return nil, fmt.Errorf("shipped policy %s: %w", name, err)
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Meta.ID < out[j].Meta.ID })
	return out, nil
}
