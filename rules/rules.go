// Package rules holds Vigil's shipped detection rules: Sigma YAML under
// linux/, one file per rule (or per correlation and the rules it
// correlates), each with a test file beside it (name ending in
// ".test.yml": events in, alerts out; see package ruleset).
//
// The center loads them built in; operators switch rules off or change
// their level with settings and add their own with `vigil rules import`,
// never by editing these files.
package rules

import (
	"embed"
	"io/fs"
)

//go:embed linux
var files embed.FS

// FS returns the shipped rules and their tests.
func FS() fs.FS { return files }
