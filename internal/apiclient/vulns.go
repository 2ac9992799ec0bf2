package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/center/vuln"
	"github.com/vigilsec/vigil/internal/store"
)

// VulnFinding is a vulnerability of a package or library on a host, with
// the host's name.
type VulnFinding struct {
	store.VulnFinding
	Hostname string `json:"hostname,omitempty"`
}

// VulnHost is one host's findings counted by severity, with its name.
type VulnHost struct {
	store.VulnHostSummary
	Hostname string `json:"hostname,omitempty"`
}

// VulnDetail is one vulnerability: its summary across the fleet, the
// advisories that describe it (with their OSV records) and its entry in
// the known exploited catalogue, when it has one.
type VulnDetail struct {
	store.VulnSummary
	Advisories     []store.Advisory      `json:"advisories"`
	KnownExploited *store.KnownExploited `json:"known_exploited_entry,omitempty"`
}

// Patches are the upgrades that fix vulnerabilities: one host's (AgentID
// set, with Command applying all its OS package upgrades at once) or the
// fleet's, one per ecosystem and package.
type Patches struct {
	AgentID  string       `json:"agent_id,omitempty"`
	Hostname string       `json:"hostname,omitempty"`
	Command  string       `json:"command,omitempty"`
	Items    []vuln.Patch `json:"items"`
}

// WeakPasswordFilter selects weak credentials; empty fields match all.
type WeakPasswordFilter struct {
	AgentID string
	// Target is what holds the credential: account, redis, mysql,
	// postgresql, ssh, tomcat ...
	Target string
	// Type is the kind of weakness: dictionary, empty, uid0, no_auth ...
	Type     string
	Severity string
	// Q is a substring of the item's key or name.
	Q string
	store.Page
}

// WeakPassword is a weak credential or an unauthenticated service found
// on a host. The hosts never send passwords or hashes: Fields holds a
// masked hint at most.
type WeakPassword struct {
	AgentID   string          `json:"agent_id"`
	Hostname  string          `json:"hostname,omitempty"`
	Collector string          `json:"collector"`
	Key       string          `json:"key"`
	Name      string          `json:"name"`
	Target    string          `json:"target"`
	Type      string          `json:"type"`
	Severity  string          `json:"severity"`
	Reason    string          `json:"reason,omitempty"`
	Fields    json.RawMessage `json:"fields,omitempty"`
	FirstSeen time.Time       `json:"first_seen"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// findingQuery turns a findings filter into the query of GET /vulns,
// /vulns/cves and /patches.
func findingQuery(f store.VulnFindingFilter) url.Values {
	q := url.Values{}
	setIf(q, "agent_id", f.AgentID)
	setIf(q, "vuln_id", f.VulnID)
	setIf(q, "ecosystem", f.Ecosystem)
	setIf(q, "package", f.Package)
	setIf(q, "severity", strings.Join(f.Severities, ","))
	setIf(q, "q", f.Q)
	for name, on := range map[string]bool{"known_exploited": f.KnownExploited, "running": f.Running, "fixable": f.Fixable} {
		if on {
			q.Set(name, strconv.FormatBool(true))
		}
	}
	return pageQuery(q, f.Page)
}

// Vulns lists findings matching f, most severe first.
func (c *Client) Vulns(ctx context.Context, f store.VulnFindingFilter) (Page[VulnFinding], error) {
	var page Page[VulnFinding]
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("vulns"), query: findingQuery(f)}, &page)
	return page, err
}

// VulnHosts counts the findings of every host that has some (of one
// host when agentID is set), riskiest first.
func (c *Client) VulnHosts(ctx context.Context, agentID string) ([]VulnHost, error) {
	q := url.Values{}
	setIf(q, "agent_id", agentID)
	var page Page[VulnHost]
	if err := c.do(ctx, request{method: http.MethodGet, path: pathOf("vulns", "hosts"), query: q}, &page); err != nil {
		return nil, err
	}
	if page.Items == nil {
		page.Items = []VulnHost{}
	}
	return page.Items, nil
}

// VulnSummaries lists the vulnerabilities the findings matching f name,
// each with the number of hosts it affects, most severe first.
func (c *Client) VulnSummaries(ctx context.Context, f store.VulnFindingFilter) (Page[store.VulnSummary], error) {
	var page Page[store.VulnSummary]
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("vulns", "cves"), query: findingQuery(f)}, &page)
	return page, err
}

// Vuln returns one vulnerability (a CVE or an advisory id) with its
// advisories and known exploited entry. The hosts it affects are listed
// by Vulns with VulnID set.
func (c *Client) Vuln(ctx context.Context, id string) (VulnDetail, error) {
	var d VulnDetail
	if err := need("vulnerability id", id); err != nil {
		return d, err
	}
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("vulns", "cves", id)}, &d)
	return d, err
}

// Patches returns the upgrades that fix the findings matching f (which
// need not ask for Fixable: only fixable findings have an upgrade): one
// host's when f.AgentID is set, else the fleet's.
func (c *Client) Patches(ctx context.Context, f store.VulnFindingFilter) (Patches, error) {
	f.Page = store.Page{}
	var p Patches
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("patches"), query: findingQuery(f)}, &p)
	if p.Items == nil {
		p.Items = []vuln.Patch{}
	}
	return p, err
}

// WeakPasswords lists the weak credentials and unauthenticated services
// found on the hosts.
func (c *Client) WeakPasswords(ctx context.Context, f WeakPasswordFilter) (Page[WeakPassword], error) {
	q := url.Values{}
	setIf(q, "agent_id", f.AgentID)
	setIf(q, "target", f.Target)
	setIf(q, "type", f.Type)
	setIf(q, "severity", f.Severity)
	setIf(q, "q", f.Q)
	var page Page[WeakPassword]
	err := c.do(ctx, request{method: http.MethodGet, path: pathOf("weak-passwords"), query: pageQuery(q, f.Page)}, &page)
	return page, err
}

// MaxWordlistSize bounds an uploaded word list, as the center does.
const MaxWordlistSize = 256 << 10

// Wordlists lists the uploaded word lists, without their words.
func (c *Client) Wordlists(ctx context.Context) ([]store.Wordlist, error) {
	var page Page[store.Wordlist]
	if err := c.do(ctx, request{method: http.MethodGet, path: pathOf("weak-passwords", "wordlists")}, &page); err != nil {
		return nil, err
	}
	if page.Items == nil {
		page.Items = []store.Wordlist{}
	}
	return page.Items, nil
}

// PutWordlist creates or replaces the word list name with text, one word
// per line (blank lines and lines starting with "#" are skipped), and
// returns it and whether it is new. The agents' policies are published
// again with it.
func (c *Client) PutWordlist(ctx context.Context, name string, text []byte) (store.Wordlist, bool, error) {
	var wl store.Wordlist
	if err := need("word list name", name); err != nil {
		return wl, false, err
	}
	if len(text) > MaxWordlistSize {
		return wl, false, fmt.Errorf("word list %s: %d bytes, the center takes at most %d", name, len(text), MaxWordlistSize)
	}
	created := false
	r := request{method: http.MethodPut, path: pathOf("weak-passwords", "wordlists", name)}
	err := c.send(ctx, r, upload{contentType: "text/plain; charset=utf-8", body: bytes.NewReader(text), size: int64(len(text))},
		func(resp *http.Response) error {
			if resp.StatusCode >= 400 {
				return decodeError(resp)
			}
			created = resp.StatusCode == http.StatusCreated
			return decodeAnswer(resp.Body, &wl, r)
		})
	return wl, created, err
}

// DeleteWordlist deletes an uploaded word list; the agents' policies are
// published again without it.
func (c *Client) DeleteWordlist(ctx context.Context, name string) error {
	if err := need("word list name", name); err != nil {
		return err
	}
	return c.do(ctx, request{method: http.MethodDelete, path: pathOf("weak-passwords", "wordlists", name)}, nil)
}
