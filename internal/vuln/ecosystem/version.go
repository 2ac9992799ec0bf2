package ecosystem

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/google/osv-scalibr/semantic"

	"github.com/vigilsec/vigil/internal/vuln/internal/memo"
)

// Scheme names a version comparator: the name of an OSV ecosystem that
// osv-scalibr's semantic package compares versions for, or SemVer.
type Scheme string

// SemVer is the scheme of OSV's SEMVER ranges: Semantic Versioning 2.0,
// whatever the ecosystem.
const SemVer Scheme = "SEMVER"

// ErrInvalidVersion is wrapped by errors for versions that do not parse.
var ErrInvalidVersion = errors.New("invalid version")

var schemes sync.Map // ecosystem name -> bool

// SchemeOf returns the comparator of an ecosystem's versions; false when
// semantic does not compare versions of that ecosystem.
func SchemeOf(ecosystemName string) (Scheme, bool) {
	if ok, seen := schemes.Load(ecosystemName); seen {
		return Scheme(ecosystemName), ok.(bool)
	}
	_, err := semantic.Parse("1", ecosystemName)
	ok := !errors.Is(err, semantic.ErrUnsupportedEcosystem) && !strings.Contains(ecosystemName, ":")
	schemes.Store(ecosystemName, ok)
	return Scheme(ecosystemName), ok
}

// ParseVersion parses a version with a scheme. It never panics: a
// failure inside the parser is returned as an error.
func ParseVersion(s Scheme, version string) (v semantic.Version, err error) {
	if strings.TrimSpace(version) == "" {
		return nil, fmt.Errorf("%w: empty", ErrInvalidVersion)
	}
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, fmt.Errorf("%w: %s %q: parser failed: %v", ErrInvalidVersion, s, version, r)
		}
	}()
	if s == SemVer {
		return semantic.ParseSemverVersion(version), nil
	}
	v, err = semantic.Parse(version, string(s))
	if err != nil {
		return nil, fmt.Errorf("%w: %s %q: %w", ErrInvalidVersion, s, version, err)
	}
	return v, nil
}

// Compare orders two versions parsed with the same scheme: -1, 0 or +1.
// It never panics: a failure inside the comparator is returned as an
// error.
func Compare(a, b semantic.Version) (c int, err error) {
	defer func() {
		if r := recover(); r != nil {
			c, err = 0, fmt.Errorf("compare versions: %v", r)
		}
	}()
	return a.Compare(b)
}

type versionKey struct {
	scheme  Scheme
	version string
}

type parsed struct {
	v   semantic.Version
	err error
}

// Versions is a cache of parsed versions, safe for concurrent use.
type Versions struct {
	memo *memo.Table[versionKey, parsed]
}

// NewVersions returns a cache keeping about capacity parsed versions.
func NewVersions(capacity int) *Versions {
	return &Versions{memo: memo.New[versionKey, parsed](capacity)}
}

// Parse parses a version with a scheme, once per distinct version.
func (c *Versions) Parse(s Scheme, version string) (semantic.Version, error) {
	k := versionKey{s, version}
	if p, ok := c.memo.Get(k); ok {
		return p.v, p.err
	}
	v, err := ParseVersion(s, version)
	c.memo.Put(k, parsed{v, err})
	return v, err
}

// Compare parses two versions with a scheme and orders them.
func (c *Versions) Compare(s Scheme, a, b string) (int, error) {
	va, err := c.Parse(s, a)
	if err != nil {
		return 0, err
	}
	vb, err := c.Parse(s, b)
	if err != nil {
		return 0, err
	}
	return Compare(va, vb)
}

// Len returns the number of parsed versions held.
func (c *Versions) Len() int { return c.memo.Len() }
