package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/center/vuln"
	"github.com/vigilsec/vigil/internal/center/vuln/feed"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

// Vulns is the vulnerability service the API drives (package vuln).
type Vulns interface {
	// SaveUpload writes an uploaded file for Import.
	SaveUpload(r io.Reader) (string, error)
	// Import imports a file as a job.
	Import(path, source, author string, temporary bool) (vuln.Job, error)
	// Sync syncs the configured sources (or the one named) as a job.
	Sync(name, author string) (vuln.Job, error)
	Job(id string) (vuln.Job, bool)
	Jobs() []vuln.Job
	Sources() []feed.Source
	State() vuln.State
	// Busy reports whether an import or sync is running.
	Busy() bool
}

// vulns returns the vulnerability service, or a 503 when it is off.
func (s *server) vulns() (Vulns, error) {
	if s.cfg.Vulns == nil {
		return nil, errorf(http.StatusServiceUnavailable, "vulnerability matching is off on this center")
	}
	return s.cfg.Vulns, nil
}

// findingView is a finding with its agent's hostname.
type findingView struct {
	store.VulnFinding
	Hostname string `json:"hostname,omitempty"`
}

// vulnSeverities are the severities of advisories and findings.
var vulnSeverities = map[string]bool{"critical": true, "high": true, "medium": true, "low": true, "none": true, "unknown": true}

// findingFilter reads the filters of the findings listings.
func findingFilter(q url.Values) (store.VulnFindingFilter, error) {
	f := store.VulnFindingFilter{AgentID: q.Get("agent_id"), VulnID: q.Get("vuln_id"),
		Ecosystem: q.Get("ecosystem"), Package: q.Get("package"), Q: q.Get("q")}
	for name, v := range map[string]string{"agent_id": f.AgentID, "vuln_id": f.VulnID, "ecosystem": f.Ecosystem,
		"package": f.Package, "q": f.Q} {
		if len(v) > maxQueryLen || !printableText(v) {
			return f, errorf(http.StatusBadRequest, "%s: at most %d printable bytes", name, maxQueryLen)
		}
	}
	if v := q.Get("severity"); v != "" {
		for sev := range strings.SplitSeq(v, ",") {
			if !vulnSeverities[sev] {
				return f, errorf(http.StatusBadRequest, "severity %q: want critical, high, medium, low, none or unknown (several separated by commas)", sev)
			}
			f.Severities = append(f.Severities, sev)
		}
	}
	for name, dst := range map[string]*bool{"known_exploited": &f.KnownExploited, "running": &f.Running, "fixable": &f.Fixable} {
		if v := q.Get(name); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return f, errorf(http.StatusBadRequest, "%s %q: want true or false", name, v)
			}
			*dst = b
		}
	}
	var err error
	f.Page, err = page(q)
	return f, err
}

func (s *server) listVulns(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := findingFilter(r.URL.Query())
	if err != nil {
		return err
	}
	list, next, err := s.cfg.Store.Vulns().ListFindings(r.Context(), f)
	if err != nil {
		return storeError(err, "list vulnerabilities")
	}
	h := s.hostnames(r.Context())
	out := make([]findingView, len(list))
	for i, it := range list {
		out[i] = findingView{VulnFinding: it, Hostname: h.of(it.AgentID)}
	}
	writeList(w, out, next)
	return nil
}

// hostSummaryView is a host's counts with its hostname.
type hostSummaryView struct {
	store.VulnHostSummary
	Hostname string `json:"hostname,omitempty"`
}

func (s *server) vulnHosts(w http.ResponseWriter, r *http.Request, c *call) error {
	agentID := r.URL.Query().Get("agent_id")
	if len(agentID) > maxQueryLen {
		return errorf(http.StatusBadRequest, "agent_id: at most %d bytes", maxQueryLen)
	}
	list, err := s.cfg.Store.Vulns().HostSummaries(r.Context(), agentID)
	if err != nil {
		return storeError(err, "vulnerability summaries")
	}
	h := s.hostnames(r.Context())
	out := make([]hostSummaryView, len(list))
	for i, it := range list {
		out[i] = hostSummaryView{VulnHostSummary: it, Hostname: h.of(it.AgentID)}
	}
	slices.SortStableFunc(out, func(a, b hostSummaryView) int {
		for _, d := range []int{b.KnownExploited - a.KnownExploited, b.Critical - a.Critical, b.High - a.High, b.Total - a.Total} {
			if d != 0 {
				return d
			}
		}
		return strings.Compare(a.AgentID, b.AgentID)
	})
	writeList(w, out, "")
	return nil
}

func (s *server) vulnCVEs(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := findingFilter(r.URL.Query())
	if err != nil {
		return err
	}
	list, next, err := s.cfg.Store.Vulns().VulnSummaries(r.Context(), f)
	if err != nil {
		return storeError(err, "list vulnerabilities")
	}
	writeList(w, list, next)
	return nil
}

// vulnDetail is one vulnerability: its summary across the fleet, the
// advisories that describe it and its known exploited entry.
type vulnDetail struct {
	store.VulnSummary
	Advisories     []store.Advisory      `json:"advisories"`
	KnownExploited *store.KnownExploited `json:"known_exploited_entry,omitempty"`
}

func (s *server) getVulnCVE(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	if len(id) > maxQueryLen || !printableText(id) {
		return errorf(http.StatusBadRequest, "id: at most %d printable bytes", maxQueryLen)
	}
	ctx := r.Context()
	sums, _, err := s.cfg.Store.Vulns().VulnSummaries(ctx, store.VulnFindingFilter{VulnID: id, Page: store.Page{Limit: 1}})
	if err != nil {
		return storeError(err, "vulnerability "+id)
	}
	d := vulnDetail{VulnSummary: store.VulnSummary{VulnID: id, Packages: []string{}}, Advisories: []store.Advisory{}}
	if len(sums) > 0 {
		d.VulnSummary = sums[0]
	}
	// The advisories: the one of that id and those naming it as an alias.
	advs, _, err := s.cfg.Store.Vulns().ListAdvisories(ctx, store.AdvisoryFilter{ID: id, Page: store.Page{Limit: 100}})
	if err != nil {
		return storeError(err, "advisories of "+id)
	}
	for _, a := range advs {
		full, err := s.cfg.Store.Vulns().GetAdvisory(ctx, a.ID)
		if err != nil {
			return storeError(err, "advisory "+a.ID)
		}
		d.Advisories = append(d.Advisories, full)
	}
	kev, err := s.cfg.Store.Vulns().KnownExploited(ctx)
	if err != nil {
		return storeError(err, "known exploited catalogue")
	}
	for i := range kev {
		if strings.EqualFold(kev[i].CVE, id) {
			d.KnownExploited = &kev[i]
			break
		}
	}
	if len(sums) == 0 && len(d.Advisories) == 0 {
		return errorf(http.StatusNotFound, "vulnerability %s not found", id)
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

// maxPatchFindings bounds the findings the fleet's patch view reads.
const maxPatchFindings = 500_000

// patchesView is the upgrades of one host (with the command applying
// the OS package upgrades) or of the fleet.
type patchesView struct {
	AgentID  string       `json:"agent_id,omitempty"`
	Hostname string       `json:"hostname,omitempty"`
	Command  string       `json:"command,omitempty"`
	Items    []vuln.Patch `json:"items"`
}

func (s *server) listPatches(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	f, err := findingFilter(q)
	if err != nil {
		return err
	}
	f.Fixable = true
	f.Page = store.Page{Limit: store.MaxLimit}
	var all []store.VulnFinding
	for {
		list, next, err := s.cfg.Store.Vulns().ListFindings(r.Context(), f)
		if err != nil {
			return storeError(err, "list vulnerabilities")
		}
		all = append(all, list...)
		if next == "" || len(all) >= maxPatchFindings {
			break
		}
		f.Cursor = next
	}
	out := patchesView{AgentID: f.AgentID}
	if f.AgentID != "" {
		out.Items, out.Command = vuln.HostPatches(all, vuln.CompareVersions)
		out.Hostname = s.hostnames(r.Context()).of(f.AgentID)
	} else {
		out.Items = vuln.FleetPatches(all, vuln.CompareVersions)
	}
	if out.Items == nil {
		out.Items = []vuln.Patch{}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// weakPasswordView is one weak credential found on a host, from the
// weak-password inventory items.
type weakPasswordView struct {
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
	FirstSeen string          `json:"first_seen"`
	UpdatedAt string          `json:"updated_at"`
}

func (s *server) listWeakPasswords(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	f := store.AssetFilter{AgentID: q.Get("agent_id"), Kind: event.AssetWeakPassword, Q: q.Get("q")}
	for name, v := range map[string]string{"agent_id": f.AgentID, "q": f.Q, "type": q.Get("type"), "severity": q.Get("severity"), "target": q.Get("target")} {
		if len(v) > maxQueryLen || !printableText(v) {
			return errorf(http.StatusBadRequest, "%s: at most %d printable bytes", name, maxQueryLen)
		}
	}
	want := map[string]string{"type": q.Get("type"), "severity": q.Get("severity"), "target": q.Get("target")}
	f.Match = func(a store.AssetRecord) bool {
		v := weakPasswordOf(a)
		return (want["type"] == "" || v.Type == want["type"]) && (want["severity"] == "" || v.Severity == want["severity"]) &&
			(want["target"] == "" || v.Target == want["target"])
	}
	var err error
	if f.Page, err = page(q); err != nil {
		return err
	}
	list, next, err := s.cfg.Store.Inventory().List(r.Context(), f)
	if err != nil {
		return storeError(err, "list weak passwords")
	}
	h := s.hostnames(r.Context())
	out := make([]weakPasswordView, len(list))
	for i, a := range list {
		out[i] = weakPasswordOf(a)
		out[i].Hostname = h.of(a.AgentID)
	}
	writeList(w, out, next)
	return nil
}

// weakPasswordOf reads a weak-password item.
func weakPasswordOf(a store.AssetRecord) weakPasswordView {
	v := weakPasswordView{AgentID: a.AgentID, Collector: a.Collector, Key: a.Key, Name: a.Name, Fields: a.Fields,
		FirstSeen: a.FirstSeen.UTC().Format(timeFormat), UpdatedAt: a.UpdatedAt.UTC().Format(timeFormat)}
	var f struct {
		Vigil struct {
			WeakPassword struct {
				Target   string `json:"target"`
				Type     string `json:"type"`
				Severity string `json:"severity"`
				Reason   string `json:"reason"`
			} `json:"weak_password"`
		} `json:"vigil"`
	}
	if len(a.Fields) > 0 && json.Unmarshal(a.Fields, &f) == nil {
		wp := f.Vigil.WeakPassword
		v.Target, v.Type, v.Severity, v.Reason = wp.Target, wp.Type, wp.Severity, wp.Reason
	}
	return v
}

// timeFormat is how times are written in views built by hand.
const timeFormat = "2006-01-02T15:04:05.999999999Z07:00"

func (s *server) listWordlists(w http.ResponseWriter, r *http.Request, c *call) error {
	list, err := s.cfg.Store.Vulns().Wordlists(r.Context())
	if err != nil {
		return storeError(err, "list word lists")
	}
	writeList(w, list, "")
	return nil
}

// Bounds of uploaded word lists: their words travel in every agent's
// policy, so all the lists together hold at most maxWordlistWords.
const (
	maxWordlistBytes = 256 << 10
	maxWordLen       = 128
	maxWordlistWords = 20_000
)

func (s *server) putWordlist(w http.ResponseWriter, r *http.Request, c *call) error {
	name := r.PathValue("name")
	c.target = name
	if err := checkName("name", name); err != nil {
		return err
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWordlistBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return errorf(http.StatusRequestEntityTooLarge, "word list larger than %d bytes", maxWordlistBytes)
		}
		return errorf(http.StatusBadRequest, "read word list: %v", err)
	}
	words, err := parseWordlist(string(data))
	if err != nil {
		return err
	}
	others, err := s.cfg.Store.Vulns().Wordlists(r.Context())
	if err != nil {
		return storeError(err, "word lists")
	}
	total := len(words)
	for _, l := range others {
		if l.Name != name {
			total += l.Count
		}
	}
	if total > maxWordlistWords {
		return errorf(http.StatusBadRequest, "the word lists would hold %d words, at most %d in all (they travel in every agent's policy)", total, maxWordlistWords)
	}
	wl := store.Wordlist{Name: name, Words: words, Author: c.p.Actor()}
	created, err := s.cfg.Store.Vulns().PutWordlist(r.Context(), wl)
	if err != nil {
		return storeError(err, "word list "+name)
	}
	lists, err := s.cfg.Store.Vulns().Wordlists(r.Context())
	if err != nil {
		return storeError(err, "word lists")
	}
	for _, l := range lists {
		if l.Name == name {
			wl = l
		}
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	s.republishPolicies(r.Context())
	writeJSON(w, status, wl)
	return nil
}

// parseWordlist reads one word per line: blank lines and lines starting
// with "#" are skipped, duplicates dropped, order kept.
func parseWordlist(text string) ([]string, error) {
	seen := map[string]bool{}
	var words []string
	for i, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if len(line) > maxWordLen || !printableText(line) {
			return nil, errorf(http.StatusBadRequest, "line %d: a word is at most %d printable bytes", i+1, maxWordLen)
		}
		if !seen[line] {
			seen[line] = true
			words = append(words, line)
		}
	}
	if len(words) == 0 {
		return nil, errorf(http.StatusBadRequest, "the word list is empty (one word per line)")
	}
	if len(words) > maxWordlistWords {
		return nil, errorf(http.StatusBadRequest, "%d words, at most %d", len(words), maxWordlistWords)
	}
	return words, nil
}

func (s *server) deleteWordlist(w http.ResponseWriter, r *http.Request, c *call) error {
	name := r.PathValue("name")
	c.target = name
	if err := s.cfg.Store.Vulns().DeleteWordlist(r.Context(), name); err != nil {
		return storeError(err, "word list "+name)
	}
	s.republishPolicies(r.Context())
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// republishPolicies pushes the agents' policies again: the word lists
// are part of the weak password collectors' settings.
func (s *server) republishPolicies(ctx context.Context) {
	if s.cfg.Policies == nil {
		return
	}
	if err := s.cfg.Policies.PublishAll(context.WithoutCancel(ctx)); err != nil {
		s.log.Error("publish agent policies after a word list changed", "err", err)
	}
}

// vulnDBStatus is the vulnerability database's state.
type vulnDBStatus struct {
	// Advisories counts the advisories per source.
	Advisories     map[string]int     `json:"advisories"`
	KnownExploited int                `json:"known_exploited"`
	Sources        []vulnSourceStatus `json:"sources"`
	Service        vuln.State         `json:"service"`
	Jobs           []vuln.Job         `json:"jobs"`
}

// vulnSourceStatus is a source: configured, imported, or both.
type vulnSourceStatus struct {
	store.VulnSource
	Configured bool `json:"configured"`
	Disabled   bool `json:"disabled,omitempty"`
}

func (s *server) vulnDB(w http.ResponseWriter, r *http.Request, c *call) error {
	vs, err := s.vulns()
	if err != nil {
		return err
	}
	ctx := r.Context()
	counts, err := s.cfg.Store.Vulns().CountAdvisories(ctx)
	if err != nil {
		return storeError(err, "count advisories")
	}
	kev, err := s.cfg.Store.Vulns().KnownExploited(ctx)
	if err != nil {
		return storeError(err, "known exploited catalogue")
	}
	stored, err := s.cfg.Store.Vulns().Sources(ctx)
	if err != nil {
		return storeError(err, "vulnerability sources")
	}
	byName := map[string]int{}
	var sources []vulnSourceStatus
	for _, st := range stored {
		byName[st.Name] = len(sources)
		sources = append(sources, vulnSourceStatus{VulnSource: st})
	}
	for _, src := range vs.Sources() {
		i, ok := byName[src.Name]
		if !ok {
			i = len(sources)
			sources = append(sources, vulnSourceStatus{VulnSource: store.VulnSource{Name: src.Name}})
		}
		sources[i].Configured, sources[i].Disabled, sources[i].URL = true, src.Disabled, redactURL(src.URL)
	}
	if sources == nil {
		sources = []vulnSourceStatus{}
	}
	writeJSON(w, http.StatusOK, vulnDBStatus{Advisories: counts, KnownExploited: len(kev), Sources: sources,
		Service: vs.State(), Jobs: vs.Jobs()})
	return nil
}

// redactURL hides credentials a URL might carry.
func redactURL(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		return u.Redacted()
	}
	return raw
}

func (s *server) importVulnDB(w http.ResponseWriter, r *http.Request, c *call) error {
	vs, err := s.vulns()
	if err != nil {
		return err
	}
	source := r.URL.Query().Get("source")
	c.target = source
	if source == "" {
		return errorf(http.StatusBadRequest, "source: name the feed the file is (e.g. Debian, Maven, kev)")
	}
	if err := (feed.Source{Name: source, URL: "/"}).Validate(); err != nil {
		return errorf(http.StatusBadRequest, "source: %v", err)
	}
	// Refuse before the body is read: a client that sent
	// "Expect: 100-continue" then does not send a large file for nothing.
	if vs.Busy() {
		return errorf(http.StatusConflict, "%v", vuln.ErrBusy)
	}
	path, err := vs.SaveUpload(r.Body)
	if err != nil {
		return errorf(http.StatusBadRequest, "%v", err)
	}
	job, err := vs.Import(path, source, c.p.Actor(), true)
	if errors.Is(err, vuln.ErrBusy) {
		return errorf(http.StatusConflict, "%v", err)
	}
	if err != nil {
		return errorf(http.StatusBadRequest, "%v", err)
	}
	writeJSON(w, http.StatusAccepted, job)
	return nil
}

func (s *server) syncVulnDB(w http.ResponseWriter, r *http.Request, c *call) error {
	vs, err := s.vulns()
	if err != nil {
		return err
	}
	name := r.URL.Query().Get("source")
	c.target = name
	job, err := vs.Sync(name, c.p.Actor())
	switch {
	case errors.Is(err, vuln.ErrBusy):
		return errorf(http.StatusConflict, "%v", err)
	case errors.Is(err, vuln.ErrNoSource):
		return errorf(http.StatusNotFound, "%v", err)
	case err != nil:
		return err
	}
	writeJSON(w, http.StatusAccepted, job)
	return nil
}

func (s *server) vulnDBJob(w http.ResponseWriter, r *http.Request, c *call) error {
	vs, err := s.vulns()
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	job, ok := vs.Job(id)
	if !ok {
		return errorf(http.StatusNotFound, "job %s not found", id)
	}
	writeJSON(w, http.StatusOK, job)
	return nil
}

func (s *server) listAdvisories(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	f := store.AdvisoryFilter{ID: q.Get("id"), Ecosystem: q.Get("ecosystem"), Source: q.Get("source"),
		Severity: q.Get("severity"), Q: q.Get("q")}
	for name, v := range map[string]string{"id": f.ID, "ecosystem": f.Ecosystem, "source": f.Source, "severity": f.Severity, "q": f.Q} {
		if len(v) > maxQueryLen || !printableText(v) {
			return errorf(http.StatusBadRequest, "%s: at most %d printable bytes", name, maxQueryLen)
		}
	}
	var err error
	if f.Page, err = page(q); err != nil {
		return err
	}
	list, next, err := s.cfg.Store.Vulns().ListAdvisories(r.Context(), f)
	if err != nil {
		return storeError(err, "list advisories")
	}
	writeList(w, list, next)
	return nil
}

func (s *server) getAdvisory(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	a, err := s.cfg.Store.Vulns().GetAdvisory(r.Context(), id)
	if err != nil {
		return storeError(err, "advisory "+id)
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

// hostnames returns a lookup of agents' hostnames for one listing.
func (s *server) hostnames(ctx context.Context) *hostnames {
	return &hostnames{ctx: ctx, st: s.cfg.Store.Agents(), names: map[string]string{}}
}
