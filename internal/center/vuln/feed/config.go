// Package feed reads the vulnerability database's sources and fetches
// them: OSV exports (a zip of JSON records per ecosystem, as osv.dev
// publishes them under <ecosystem>/all.zip), single OSV JSON files,
// folders of them, and the catalogue of known exploited vulnerabilities.
//
// A source is a URL: https:// (http:// only when the source says so, for
// a mirror inside a closed network) or a local path (file:// or
// absolute), which is how air-gapped sites feed a mirror copied in. What
// is fetched is checked before anything is imported:
//
//   - the SHA-256 the source pins, when it pins one;
//   - the SHA-256 a mirror publishes next to the file (FILE.sha256, or a
//     SHA256SUMS file in the same folder), when there is one;
//   - the MD5 and CRC32C that Google Cloud Storage (where osv.dev's
//     exports live) sends in its x-goog-hash header;
//   - the length the server announced.
//
// The zip's own CRCs are checked as its entries are read (package osv).
// A download whose server says it did not change (ETag, Last-Modified) is
// not fetched again.
package feed

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// maxConfigSize bounds a sources file.
const maxConfigSize = 1 << 20

// Config is the vulnerability database's sources file.
type Config struct {
	// Interval is how often the sources are synced ("24h"); zero syncs
	// only on demand.
	Interval Duration `yaml:"interval,omitempty" json:"interval,omitempty"`
	// CAFile, when set, is a PEM file of the roots that HTTPS mirrors'
	// certificates must chain to (instead of the system's).
	CAFile  string   `yaml:"ca_file,omitempty" json:"ca_file,omitempty"`
	Sources []Source `yaml:"sources" json:"sources"`
}

// Source is one feed.
type Source struct {
	// Name names the feed; the advisories imported from it carry it
	// ("Debian", "Maven", "kev").
	Name string `yaml:"name" json:"name"`
	// URL is where it is: https://..., file:///..., or an absolute path
	// of a file or folder.
	URL string `yaml:"url" json:"url"`
	// SHA256, when set, pins the file's digest (a mirror that does not
	// change).
	SHA256 string `yaml:"sha256,omitempty" json:"sha256,omitempty"`
	// AllowHTTP accepts a plain http:// URL (a mirror on a closed
	// network); the published or pinned digests are then required.
	AllowHTTP bool `yaml:"allow_http,omitempty" json:"allow_http,omitempty"`
	// Disabled keeps the source in the file without syncing it.
	Disabled bool `yaml:"disabled,omitempty" json:"disabled,omitempty"`
}

// Duration is a time.Duration written as a Go duration string ("24h").
type Duration time.Duration

// UnmarshalYAML reads a duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: a duration is a string such as \"24h\"", n.Line)
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	if v < 0 {
		return fmt.Errorf("line %d: negative duration %s", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as a string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// sourceName is the form of a source's name.
var sourceName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 ._:+-]{0,63}$`)

// minInterval bounds how often sources may be synced.
const minInterval = time.Hour

// LoadFile reads and checks a sources file.
func LoadFile(name string) (Config, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return Config{}, fmt.Errorf("vulnerability sources: %w", err)
	}
	cfg, err := Parse(data)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", name, err)
	}
	return cfg, nil
}

// Parse decodes a sources file strictly (unknown fields are errors) and
// checks it.
func Parse(data []byte) (Config, error) {
	var cfg Config
	if len(data) > maxConfigSize {
		return cfg, fmt.Errorf("%d bytes (at most %d)", len(data), maxConfigSize)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("sources file: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("line %d: more than one YAML document", extra.Line)
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// Validate checks the configuration; the errors name the source.
func (c Config) Validate() error {
	var errs []error
	if c.Interval != 0 && time.Duration(c.Interval) < minInterval {
		errs = append(errs, fmt.Errorf("interval %s: at least %s", time.Duration(c.Interval), minInterval))
	}
	if c.CAFile != "" && !filepath.IsAbs(c.CAFile) {
		errs = append(errs, fmt.Errorf("ca_file %q: not an absolute path", c.CAFile))
	}
	seen := map[string]bool{}
	for i, s := range c.Sources {
		if err := s.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("sources[%d]: %w", i, err))
			continue
		}
		if seen[s.Name] {
			errs = append(errs, fmt.Errorf("sources[%d]: name %q given twice", i, s.Name))
		}
		seen[s.Name] = true
	}
	return errors.Join(errs...)
}

// Validate checks one source.
func (s Source) Validate() error {
	if !sourceName.MatchString(s.Name) {
		return fmt.Errorf("name %q: letters, digits and . _ : + - and blanks, at most 64", s.Name)
	}
	if s.SHA256 != "" {
		if b, err := hex.DecodeString(s.SHA256); err != nil || len(b) != 32 {
			return fmt.Errorf("source %s: sha256 %q is not 64 hex digits", s.Name, s.SHA256)
		}
	}
	if _, err := s.location(); err != nil {
		return fmt.Errorf("source %s: %w", s.Name, err)
	}
	return nil
}

// location is where a source is: a URL to download or a local path.
type location struct {
	remote *url.URL
	path   string
}

// location parses the source's URL.
func (s Source) location() (location, error) {
	raw := strings.TrimSpace(s.URL)
	if raw == "" {
		return location{}, errors.New("url is empty")
	}
	if filepath.IsAbs(raw) {
		return location{path: filepath.Clean(raw)}, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return location{}, fmt.Errorf("url: %w", err)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !s.AllowHTTP {
			return location{}, fmt.Errorf("url %s: plain http is refused unless allow_http is set", u.Redacted())
		}
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return location{}, fmt.Errorf("url %s: a file URL names no host", raw)
		}
		if !filepath.IsAbs(u.Path) {
			return location{}, fmt.Errorf("url %s: not an absolute path", raw)
		}
		return location{path: filepath.Clean(u.Path)}, nil
	default:
		return location{}, fmt.Errorf("url %q: https://, file:// or an absolute path", raw)
	}
	if u.Host == "" {
		return location{}, fmt.Errorf("url %s: no host", u.Redacted())
	}
	if u.User != nil {
		return location{}, fmt.Errorf("url %s: credentials do not belong in the URL", u.Redacted())
	}
	return location{remote: u}, nil
}
