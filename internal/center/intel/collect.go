package intel

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigilsec/vigil/internal/attack"
	"github.com/vigilsec/vigil/internal/store"
)

// Bounds of the text fields of an indicator.
const (
	maxDescriptionLen = 4096
	maxTagLen         = 128
	maxTags           = 64
	maxEntryLen       = 256 // of Problem.Entry
)

// severities ranks the severities.
var severities = map[string]int{"low": 1, "medium": 2, "high": 3, "critical": 4}

// entry is one indicator as a file gives it, before normalization.
type entry struct {
	typ         store.IndicatorType // "" to detect
	value       string
	description string
	severity    string // "" for the default
	confidence  int    // negative for the default
	tags        []string
	techniques  []string
	reference   string
	expiresAt   time.Time
}

// collector gathers the indicators of one file: it applies the options'
// defaults, merges duplicates and bounds the problems.
type collector struct {
	opts   ImportOptions
	format Format
	index  map[string]int // id -> position
	// chunks hold the indicators in order, chunkSize a chunk, so that a
	// large file is not copied each time a slice would grow.
	chunks   [][]store.Indicator
	count    int
	problems []Problem
	dropped  int // problems beyond MaxProblems
	read     int
	skipped  int
	// unsupported counts skipped entries by what they were, for one
	// problem each at the end ("MISP attribute type regkey").
	unsupported map[string]int
}

// newCollector checks the options and fills in their defaults.
func newCollector(opts ImportOptions) (*collector, error) {
	if opts.Severity == "" {
		opts.Severity = DefaultSeverity
	}
	opts.Severity = strings.ToLower(strings.TrimSpace(opts.Severity))
	if severities[opts.Severity] == 0 {
		return nil, invalidf("severity %q: want low, medium, high or critical", opts.Severity)
	}
	if opts.Confidence == 0 {
		opts.Confidence = DefaultConfidence
	}
	if opts.Confidence < 0 || opts.Confidence > 100 {
		return nil, invalidf("confidence %d: want 0 to 100", opts.Confidence)
	}
	if opts.MaxProblems <= 0 {
		opts.MaxProblems = DefaultMaxProblems
	}
	if err := checkName("source", opts.Source); err != nil {
		return nil, err
	}
	if err := checkName("actor", opts.Actor); err != nil {
		return nil, err
	}
	tags, err := cleanTags(opts.Tags)
	if err != nil {
		return nil, invalidf("tags: %v", err)
	}
	opts.Tags = tags
	return &collector{opts: opts, index: map[string]int{}, unsupported: map[string]int{}}, nil
}

// tooMany is the error of a file with more than maxIndicators.
func tooMany() error {
	return fmt.Errorf("%w: more than %d indicators in one file: split it", ErrBadFile, maxIndicators)
}

// chunkSize is the number of indicators of a chunk of the collector:
// the batch Service.Import writes at once.
const chunkSize = putBatch

// at returns the indicator at position i.
func (c *collector) at(i int) *store.Indicator {
	return &c.chunks[i/chunkSize][i%chunkSize]
}

// problem records a problem, or counts it beyond the bound.
func (c *collector) problem(p Problem) {
	if len(c.problems) >= c.opts.MaxProblems {
		c.dropped++
		return
	}
	p.Entry = clip(p.Entry, maxEntryLen)
	c.problems = append(c.problems, p)
}

// clip shortens s to at most n bytes of valid UTF-8.
func clip(s string, n int) string {
	if len(s) > n {
		s = s[:n]
		for len(s) > 0 && !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		s += "…"
	}
	return storableText(s)
}

// storableText makes s text every database holds: valid UTF-8 without
// NUL bytes.
func storableText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	return s
}

// checkName refuses a name (source, actor) no database holds.
func checkName(what, s string) error {
	if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
		return invalidf("%s %q: not UTF-8 text", what, s)
	}
	return nil
}

// skip counts an entry left out on purpose; what, when not "", names its
// kind for a summary problem.
func (c *collector) skip(what string) {
	c.skipped++
	if what != "" {
		c.unsupported[what]++
	}
}

// add normalizes and validates e and merges it into the indicators;
// where locates it for a problem (Line or Entry; the reason is filled
// in). It returns the position of the indicator, or -1 when e was bad,
// and an error only when the file holds too many indicators.
func (c *collector) add(e entry, where Problem) (int, error) {
	in, err := c.indicator(e)
	if err != nil {
		where.Reason = err.Error()
		if where.Entry == "" && where.Line > 0 {
			where.Entry = strings.TrimSpace(e.value)
		}
		c.problem(where)
		return -1, nil
	}
	if i, ok := c.index[in.ID]; ok {
		merge(c.at(i), in)
		return i, nil
	}
	if c.count >= maxIndicators {
		return -1, tooMany()
	}
	if c.count%chunkSize == 0 {
		// The first chunk grows as needed (most files are small); the
		// next ones are allocated whole.
		size := chunkSize
		if len(c.chunks) == 0 {
			size = 16
		}
		c.chunks = append(c.chunks, make([]store.Indicator, 0, size))
	}
	last := &c.chunks[len(c.chunks)-1]
	*last = append(*last, in)
	c.index[in.ID] = c.count
	c.count++
	return c.count - 1, nil
}

// indicator turns an entry into an indicator with the defaults applied.
func (c *collector) indicator(e entry) (store.Indicator, error) {
	var (
		t   = e.typ
		v   string
		err error
	)
	if t == "" {
		t, v, err = Detect(e.value)
	} else {
		v, err = Normalize(t, e.value)
	}
	if err != nil {
		return store.Indicator{}, err
	}
	in := store.Indicator{
		Type: t, Value: v, Source: c.opts.Source,
		Description: clip(strings.TrimSpace(e.description), maxDescriptionLen),
		Severity:    c.opts.Severity, Confidence: c.opts.Confidence,
		Reference: clip(strings.TrimSpace(e.reference), maxDescriptionLen),
		ExpiresAt: c.opts.ExpiresAt, UpdatedBy: c.opts.Actor,
	}
	if s := strings.ToLower(strings.TrimSpace(e.severity)); s != "" {
		if severities[s] == 0 {
			return store.Indicator{}, invalidf("severity %q: want low, medium, high or critical", e.severity)
		}
		in.Severity = s
	}
	if e.confidence > 100 {
		return store.Indicator{}, invalidf("confidence %d: want 0 to 100", e.confidence)
	}
	if e.confidence >= 0 {
		in.Confidence = e.confidence
	}
	if !e.expiresAt.IsZero() {
		in.ExpiresAt = e.expiresAt.UTC()
	}
	tags, err := cleanTags(append(slices.Clip(e.tags), c.opts.Tags...))
	if err != nil {
		return store.Indicator{}, err
	}
	in.Tags = tags
	if in.Techniques, err = cleanTechniques(e.techniques); err != nil {
		return store.Indicator{}, err
	}
	in.ID = store.IndicatorID(in.Type, in.Value, in.Source)
	return in, nil
}

// cleanTags trims, drops empty and repeated tags and sorts them.
func cleanTags(tags []string) ([]string, error) {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		t = strings.TrimSpace(t)
		switch {
		case t == "":
			continue
		case len(t) > maxTagLen:
			return nil, invalidf("tag %q longer than %d bytes", clip(t, 40), maxTagLen)
		case !utf8.ValidString(t) || strings.IndexByte(t, 0) >= 0:
			return nil, invalidf("tag %q: not UTF-8 text", t)
		}
		out = append(out, t)
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > maxTags {
		return nil, invalidf("%d tags: at most %d", len(out), maxTags)
	}
	return out, nil
}

// cleanTechniques canonicalizes ATT&CK ids (T1059.004), sorted, unique.
func cleanTechniques(ids []string) ([]string, error) {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if strings.TrimSpace(id) == "" {
			continue
		}
		canon, ok := attack.NormalizeID(id)
		if !ok {
			return nil, invalidf("technique %q: want an ATT&CK id such as T1059 or T1059.004", id)
		}
		out = append(out, canon)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// merge folds a duplicate into dst: the first description and
// reference, the highest severity and confidence, the latest expiry
// (none beats any), the union of tags and techniques.
func merge(dst *store.Indicator, in store.Indicator) {
	if dst.Description == "" {
		dst.Description = in.Description
	}
	if dst.Reference == "" {
		dst.Reference = in.Reference
	}
	if severities[in.Severity] > severities[dst.Severity] {
		dst.Severity = in.Severity
	}
	dst.Confidence = max(dst.Confidence, in.Confidence)
	if in.ExpiresAt.IsZero() || !dst.ExpiresAt.IsZero() && in.ExpiresAt.After(dst.ExpiresAt) {
		dst.ExpiresAt = in.ExpiresAt
	}
	dst.Tags = union(dst.Tags, in.Tags)
	dst.Techniques = union(dst.Techniques, in.Techniques)
}

// union merges two sorted unique lists.
func union(a, b []string) []string {
	if len(b) == 0 {
		return a
	}
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > maxTags {
		out = out[:maxTags]
	}
	return out
}

// addTo adds tags and techniques to the indicator at position i (STIX
// relationships found after the indicator).
func (c *collector) addTo(i int, tags, techniques []string) {
	in := c.at(i)
	if t, err := cleanTags(tags); err == nil {
		in.Tags = union(in.Tags, t)
	}
	if t, err := cleanTechniques(techniques); err == nil {
		in.Techniques = union(in.Techniques, t)
	}
}

// finish returns what was gathered, with the summary problems.
func (c *collector) finish() parsed {
	for _, what := range slices.Sorted(maps.Keys(c.unsupported)) {
		c.problem(Problem{Entry: what, Reason: fmt.Sprintf("not supported: %d skipped", c.unsupported[what])})
	}
	problems := c.problems
	if c.dropped > 0 {
		problems = append(problems, Problem{Reason: fmt.Sprintf("%d more problems", c.dropped)})
	}
	if problems == nil {
		problems = []Problem{}
	}
	return parsed{chunks: c.chunks, count: c.count, problems: problems, format: c.format, read: c.read, skipped: c.skipped}
}
