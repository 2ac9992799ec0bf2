package compliance

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/vigilsec/vigil/internal/compliance/policy"
	"github.com/vigilsec/vigil/internal/compliance/policy/sca"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/policies"
)

// Policy formats an upload may have.
const (
	FormatVigil = "vigil"
	FormatSCA   = "wazuh-sca"
)

// Entry is a policy the center knows: shipped or uploaded.
type Entry struct {
	Policy *policy.Policy
	// Shipped: built into Vigil; else uploaded by an operator.
	Shipped bool
	Format  string
	// Skipped lists the checks of a Wazuh SCA file that could not be
	// translated.
	Skipped []string
	Author  string

	// compact is the policy as agents get it, rulesDigest its digest.
	compact     []byte
	rulesDigest string
	// order is each check's position in the policy, by id.
	order map[string]int
}

// check returns a check of the policy by id, or nil.
func (e *Entry) check(id string) *policy.Check {
	if i, ok := e.order[id]; ok {
		return &e.Policy.Checks[i]
	}
	return nil
}

// prepare computes what agents get of the policy.
func (e *Entry) prepare() error {
	c, err := e.Policy.Compact()
	if err != nil {
		return fmt.Errorf("policy %s: compact form: %w", e.Policy.Meta.ID, err)
	}
	e.compact, e.rulesDigest = c, e.Policy.RulesDigest()
	e.order = make(map[string]int, len(e.Policy.Checks))
	for i := range e.Policy.Checks {
		e.order[e.Policy.Checks[i].ID] = i
	}
	return nil
}

// CheckInfo is what a result shows of its check: texts and references.
type CheckInfo struct {
	Title       policy.Text         `json:"title"`
	Description *policy.Text        `json:"description,omitempty"`
	Rationale   policy.Text         `json:"rationale"`
	Remediation policy.Text         `json:"remediation"`
	Severity    policy.Severity     `json:"severity"`
	Profiles    []string            `json:"profiles,omitempty"`
	References  map[string][]string `json:"references,omitempty"`
}

// infoOf returns a check's texts.
func infoOf(c *policy.Check) *CheckInfo {
	return &CheckInfo{Title: c.Title, Description: c.Description, Rationale: c.Rationale, Remediation: c.Remediation,
		Severity: c.Severity, Profiles: c.Profiles, References: c.References}
}

// catalog holds the shipped policies and the uploaded ones.
type catalog struct {
	st store.Store

	mu      sync.RWMutex
	shipped map[string]*Entry
	entries map[string]*Entry // shipped and uploaded, by id
}

// newCatalog loads the shipped policies and the uploaded ones.
func newCatalog(ctx context.Context, st store.Store) (*catalog, error) {
	ps, err := policies.Load()
	if err != nil {
		return nil, fmt.Errorf("compliance: %w", err)
	}
	c := &catalog{st: st, shipped: map[string]*Entry{}}
	for _, p := range ps {
		e := &Entry{Policy: p, Shipped: true, Format: FormatVigil}
		if err := e.prepare(); err != nil {
			return nil, fmt.Errorf("compliance: %w", err)
		}
		c.shipped[p.Meta.ID] = e
	}
	return c, c.reload(ctx)
}

// reload reads the uploaded policies again.
func (c *catalog) reload(ctx context.Context) error {
	ups, err := c.st.Compliance().Policies(ctx)
	if err != nil {
		return fmt.Errorf("compliance: uploaded policies: %w", err)
	}
	entries := map[string]*Entry{}
	for id, e := range c.shipped {
		entries[id] = e
	}
	for _, up := range ups {
		e, err := parseUpload(up.ID+".yml", up.Content, up.Format)
		if err == nil {
			err = e.prepare()
		}
		if err != nil {
			// Stored uploads were checked; one that no longer parses
			// (the format tightened since) is left out.
			continue
		}
		e.Author = up.Author
		entries[e.Policy.Meta.ID] = e
	}
	c.mu.Lock()
	c.entries = entries
	c.mu.Unlock()
	return nil
}

// parseUpload parses an uploaded policy of a format.
func parseUpload(name string, data []byte, format string) (*Entry, error) {
	switch format {
	case FormatVigil, "":
		p, err := policy.Parse(name, data)
		if err != nil {
			return nil, err
		}
		return &Entry{Policy: p, Format: FormatVigil}, nil
	case FormatSCA:
		p, skipped, err := sca.Parse(name, data)
		if err != nil {
			return nil, err
		}
		e := &Entry{Policy: p, Format: FormatSCA}
		for _, s := range skipped {
			e.Skipped = append(e.Skipped, s.Error())
		}
		return e, nil
	}
	return nil, fmt.Errorf("format %q: want %s or %s", format, FormatVigil, FormatSCA)
}

// ErrShipped is returned for a change of a shipped policy.
var ErrShipped = errors.New("a shipped policy cannot be replaced or deleted")

// get returns a policy by id.
func (c *catalog) get(id string) (*Entry, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.entries[id]
	return e, ok
}

// all returns every policy, by id.
func (c *catalog) all() []*Entry {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]*Entry, 0, len(c.entries))
	for _, e := range c.entries {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Policy.Meta.ID < out[j].Policy.Meta.ID })
	return out
}

// isShipped reports whether id names a shipped policy.
func (c *catalog) isShipped(id string) bool {
	_, ok := c.shipped[id]
	return ok
}
