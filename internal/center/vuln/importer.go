package vuln

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/center/vuln/feed"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/vuln/osv"
)

// ErrBusy is returned when a job that changes the database is already
// running.
var ErrBusy = errors.New("another import or sync of the vulnerability database is running")

// ErrNoSource is returned for a sync of a source that is not configured.
var ErrNoSource = errors.New("no such vulnerability source")

// Bounds of an import.
const (
	// putBatch is the number of advisories stored per transaction.
	putBatch = 1000
	// maxKEVSize bounds a known exploited catalogue (CISA's is about
	// 1.5 MB).
	maxKEVSize = 64 << 20
)

// Import reads a file or folder (an OSV zip export, a JSON record or
// array of records, a folder of them, or a known exploited catalogue)
// into the database, as a job that runs after Import returns; the job's
// progress is read with Job. When temporary is set the path is removed
// at the end. source names the feed the advisories are recorded under.
func (s *Service) Import(path, source, author string, temporary bool) (Job, error) {
	if err := (feed.Source{Name: source, URL: "/"}).Validate(); err != nil {
		if temporary {
			_ = os.Remove(path)
		}
		return Job{}, fmt.Errorf("source: %w", err)
	}
	if !s.busy.TryLock() {
		if temporary {
			_ = os.Remove(path)
		}
		return Job{}, ErrBusy
	}
	j := s.jobs.start("import", source, author)
	first := copyJob(j)
	go func() {
		defer s.busy.Unlock()
		if temporary {
			defer os.Remove(path)
		}
		res, err := s.importPath(context.Background(), j, source, path)
		if err == nil {
			err = s.putSource(context.Background(), store.VulnSource{Name: source, Records: res.records,
				Rejected: res.rejected, SHA256: res.sha256, SyncedAt: s.now().UTC()})
		}
		s.afterChange(context.Background(), j, res)
		s.jobs.finish(j, err)
	}()
	return first, nil
}

// Sync fetches the configured sources (only the one named, when name is
// set) and imports those that changed, as a job that runs after Sync
// returns.
func (s *Service) Sync(name, author string) (Job, error) {
	var srcs []feed.Source
	for _, src := range s.cfg.Sources.Sources {
		if (name == "" && !src.Disabled) || src.Name == name {
			srcs = append(srcs, src)
		}
	}
	if len(srcs) == 0 {
		if name != "" {
			return Job{}, fmt.Errorf("%w: %q", ErrNoSource, name)
		}
		return Job{}, fmt.Errorf("%w: none is configured (see the --vulndb-sources file)", ErrNoSource)
	}
	if !s.busy.TryLock() {
		return Job{}, ErrBusy
	}
	j := s.jobs.start("sync", name, author)
	first := copyJob(j)
	go func() {
		defer s.busy.Unlock()
		var total importResult
		var failed []string
		for _, src := range srcs {
			res, err := s.syncSource(context.Background(), j, src)
			total.add(res)
			if err != nil {
				failed = append(failed, src.Name)
				s.jobs.problem(j, err.Error())
				s.log.Error("vulnerability source", "source", src.Name, "err", err)
			}
		}
		// The job is the sync of what was asked: the source named, or
		// every one (the loop showed each as it went).
		s.jobs.update(j, func(j *Job) { j.Source = name })
		s.afterChange(context.Background(), j, total)
		var err error
		if len(failed) > 0 {
			err = fmt.Errorf("%d of %d sources failed: %s", len(failed), len(srcs), strings.Join(failed, ", "))
		}
		s.jobs.finish(j, err)
	}()
	return first, nil
}

// syncSource fetches one source and imports it when it changed.
func (s *Service) syncSource(ctx context.Context, j *Job, src feed.Source) (importResult, error) {
	prev := s.sourceState(ctx, src.Name)
	s.jobs.update(j, func(j *Job) { j.Phase, j.Source, j.Done, j.Total = "download", src.Name, 0, 0 })
	f := *s.fetcher
	f.Progress = func(done, total int64) {
		s.jobs.update(j, func(j *Job) { j.Done, j.Total = done, max(total, 0) })
	}
	fetched, err := f.Fetch(ctx, src, feed.State{ETag: prev.ETag, LastModified: prev.LastModified, SHA256: prev.SHA256})
	state := store.VulnSource{Name: src.Name, URL: src.URL, ETag: prev.ETag, LastModified: prev.LastModified,
		SHA256: prev.SHA256, Records: prev.Records, Rejected: prev.Rejected, SyncedAt: prev.SyncedAt}
	if err != nil {
		state.Error = err.Error()
		return importResult{}, errors.Join(err, s.putSource(ctx, state))
	}
	if fetched.Temporary {
		defer os.Remove(fetched.Path)
	}
	if fetched.NotModified {
		s.jobs.update(j, func(j *Job) { j.Message = appendMessage(j.Message, src.Name+": not modified") })
		state.SyncedAt, state.Error = s.now().UTC(), ""
		return importResult{}, s.putSource(ctx, state)
	}
	res, err := s.importPath(ctx, j, src.Name, fetched.Path)
	if err != nil {
		state.Error = err.Error()
		return res, errors.Join(err, s.putSource(ctx, state))
	}
	s.jobs.update(j, func(j *Job) { j.Message = appendMessage(j.Message, src.Name+": "+fetched.String()) })
	state.ETag, state.LastModified, state.SHA256 = fetched.ETag, fetched.LastModified, fetched.SHA256
	state.Records, state.Rejected, state.SyncedAt, state.Error = res.records, res.rejected, s.now().UTC(), ""
	return res, s.putSource(ctx, state)
}

// appendMessage adds a sentence to a job's message.
func appendMessage(msg, s string) string {
	if msg == "" {
		return s
	}
	return msg + "; " + s
}

// sourceState returns a source's stored state (empty when none).
func (s *Service) sourceState(ctx context.Context, name string) store.VulnSource {
	srcs, err := s.cfg.Store.Vulns().Sources(ctx)
	if err != nil {
		return store.VulnSource{Name: name}
	}
	for _, src := range srcs {
		if src.Name == name {
			return src
		}
	}
	return store.VulnSource{Name: name}
}

// putSource stores a source's state.
func (s *Service) putSource(ctx context.Context, st store.VulnSource) error {
	if err := s.cfg.Store.Vulns().PutSource(ctx, st); err != nil {
		return fmt.Errorf("store the state of source %s: %w", st.Name, err)
	}
	return nil
}

// importResult counts what one import changed.
type importResult struct {
	records, rejected         int
	added, updated, unchanged int
	kevChanged                bool
	sha256                    string
}

// add sums results.
func (r *importResult) add(o importResult) {
	r.records += o.records
	r.rejected += o.rejected
	r.added += o.added
	r.updated += o.updated
	r.unchanged += o.unchanged
	r.kevChanged = r.kevChanged || o.kevChanged
}

// changed reports whether the database changed.
func (r importResult) changed() bool { return r.added+r.updated > 0 || r.kevChanged }

// importPath imports a file or folder into the database.
func (s *Service) importPath(ctx context.Context, j *Job, source, path string) (importResult, error) {
	if kev, ok, err := readKEV(path); err != nil {
		return importResult{}, err
	} else if ok {
		return s.importKEV(ctx, j, kev)
	}
	var res importResult
	batch := make([]store.Advisory, 0, putBatch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		s.jobs.update(j, func(j *Job) { j.Phase = "store" })
		put, err := s.cfg.Store.Vulns().PutAdvisories(ctx, batch)
		if err != nil {
			return fmt.Errorf("store advisories: %w", err)
		}
		res.added += put.Added
		res.updated += put.Updated
		res.unchanged += put.Unchanged
		s.jobs.update(j, func(j *Job) {
			j.Phase = "read"
			j.Added += put.Added
			j.Updated += put.Updated
			j.Unchanged += put.Unchanged
		})
		batch = batch[:0]
		return nil
	}
	s.jobs.update(j, func(j *Job) { j.Phase, j.Done, j.Total = "read", 0, 0 })
	opts := osv.ReadOptions{MaxProblems: maxProblems, Progress: func(done, total int) {
		s.jobs.update(j, func(j *Job) { j.Done, j.Total = int64(done), int64(total) })
	}}
	report, err := osv.Read(path, opts, func(r *osv.Record) error {
		a, err := toAdvisory(r, source)
		if err != nil {
			return err
		}
		batch = append(batch, a)
		res.records++
		if len(batch) == putBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	res.rejected = report.Bad + report.Oversized
	s.jobs.update(j, func(j *Job) {
		j.Rejected += res.rejected
		for _, p := range report.Problems {
			if len(j.Problems) < maxProblems {
				j.Problems = append(j.Problems, nameSource(p.File, path, source)+": "+p.Reason)
			}
		}
	})
	if err != nil {
		return res, fmt.Errorf("import %s: %s", source, nameSource(err.Error(), path, source))
	}
	return res, nil
}

// nameSource writes a message about a file being imported with the
// source's name in place of the file's path when the file is one of the
// center's temporary files (an upload, a download), which means nothing
// to the operator.
func nameSource(msg, path, source string) string {
	if !strings.Contains(filepath.Base(path), "vulndb-") {
		return msg
	}
	return strings.ReplaceAll(msg, path, source)
}

// toAdvisory converts a record for the store.
func toAdvisory(r *osv.Record, source string) (store.Advisory, error) {
	raw, err := json.Marshal(r)
	if err != nil {
		return store.Advisory{}, fmt.Errorf("advisory %s: %w", r.ID, err)
	}
	rating := osv.Severity(r)
	a := store.Advisory{ID: r.ID, Source: source, Modified: r.Modified.UTC(), Published: r.Published.UTC(),
		Withdrawn: r.Withdrawn.UTC(), Aliases: otherIDs(r), Summary: summaryOf(r),
		Severity: string(rating.Level), Score: rating.Score, Record: raw}
	if r.Withdrawn.IsZero() {
		a.Withdrawn = time.Time{}
	}
	if r.Published.IsZero() {
		a.Published = time.Time{}
	}
	for _, aff := range r.Affected {
		if e := aff.Package.Ecosystem; e != "" && !slices.Contains(a.Ecosystems, e) {
			a.Ecosystems = append(a.Ecosystems, e)
		}
		if n := aff.Package.Name; n != "" && !slices.Contains(a.Packages, n) {
			a.Packages = append(a.Packages, n)
		}
	}
	slices.Sort(a.Ecosystems)
	slices.Sort(a.Packages)
	return a, nil
}

// otherIDs returns the ids a record names besides its own: its aliases
// and the upstream vulnerabilities (a Debian advisory names its CVEs as
// upstream), so that looking a CVE up finds every advisory of it.
func otherIDs(r *osv.Record) []string {
	var ids []string
	for _, id := range slices.Concat(r.Aliases, r.Upstream) {
		if id != "" && id != r.ID && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids
}

// summaryOf returns a record's summary, else the start of its details.
func summaryOf(r *osv.Record) string {
	s := strings.TrimSpace(r.Summary)
	if s == "" {
		s = strings.TrimSpace(r.Details)
		if i := strings.IndexAny(s, "\n"); i > 0 {
			s = s[:i]
		}
	}
	if len(s) > 300 {
		s = strings.ToValidUTF8(s[:300], "") + "…"
	}
	return s
}

// readKEV reads path as a known exploited catalogue; ok is false when it
// is something else (an OSV file, a zip, a folder).
func readKEV(path string) (*osv.KEVCatalog, bool, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, false, err
	}
	if fi.IsDir() || !strings.HasSuffix(strings.ToLower(path), ".json") {
		return nil, false, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	if fi.Size() > maxKEVSize {
		return nil, false, nil // larger than any catalogue: OSV records
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, false, err
	}
	if osv.Detect(data) != osv.FormatKEV {
		return nil, false, nil
	}
	cat, err := osv.ParseKEV(data)
	if err != nil {
		return nil, false, fmt.Errorf("known exploited catalogue: %w", err)
	}
	return cat, true, nil
}

// importKEV replaces the known exploited catalogue.
func (s *Service) importKEV(ctx context.Context, j *Job, cat *osv.KEVCatalog) (importResult, error) {
	s.jobs.update(j, func(j *Job) { j.Phase, j.Done, j.Total = "store", 0, int64(len(cat.Vulnerabilities)) })
	entries := make([]store.KnownExploited, len(cat.Vulnerabilities))
	for i, v := range cat.Vulnerabilities {
		entries[i] = store.KnownExploited{CVE: v.CVEID, Vendor: v.VendorProject, Product: v.Product,
			Name: v.VulnerabilityName, DateAdded: v.DateAdded, DueDate: v.DueDate, Ransomware: v.UsedByRansomware()}
	}
	if err := s.cfg.Store.Vulns().ReplaceKnownExploited(ctx, entries); err != nil {
		return importResult{}, fmt.Errorf("store the known exploited catalogue: %w", err)
	}
	s.jobs.update(j, func(j *Job) {
		j.Done = int64(len(entries))
		j.Added += len(entries)
		j.Rejected += len(cat.Skipped)
		for _, p := range cat.Skipped {
			if len(j.Problems) < maxProblems {
				j.Problems = append(j.Problems, p.File+": "+p.Reason)
			}
		}
		j.Message = appendMessage(j.Message, fmt.Sprintf("known exploited catalogue %s: %d vulnerabilities", cat.CatalogVersion, len(entries)))
	})
	return importResult{records: len(entries), rejected: len(cat.Skipped), kevChanged: true}, nil
}

// afterChange rebuilds the index and re-matches the fleet when a job
// changed the database.
func (s *Service) afterChange(ctx context.Context, j *Job, res importResult) {
	if !res.changed() {
		return
	}
	s.jobs.update(j, func(j *Job) { j.Phase = "index" })
	if err := s.rebuild(ctx); err != nil {
		s.jobs.problem(j, err.Error())
		return
	}
	s.requestFleet()
}

// maxUpload bounds a file sent to the center for import.
const maxUpload = 4 << 30

// SaveUpload writes an uploaded file to a temporary file named by its
// kind (.zip for a zip archive, .json otherwise), for Import; at most
// maxUpload bytes.
func (s *Service) SaveUpload(r io.Reader) (string, error) {
	head := make([]byte, 4)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		if errors.Is(err, io.EOF) {
			return "", errors.New("the upload is empty")
		}
		return "", fmt.Errorf("read upload: %w", err)
	}
	ext := ".json"
	if n == 4 && string(head) == "PK\x03\x04" {
		ext = ".zip"
	}
	f, err := os.CreateTemp(s.cfg.TempDir, "vulndb-*-upload"+ext)
	if err != nil {
		return "", fmt.Errorf("upload: %w", err)
	}
	_, err = f.Write(head[:n])
	if err == nil {
		var m int64
		m, err = io.Copy(f, io.LimitReader(r, maxUpload-int64(n)+1))
		if err == nil && m > maxUpload-int64(n) {
			err = fmt.Errorf("more than %d bytes", int64(maxUpload))
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return "", fmt.Errorf("upload: %w", err)
	}
	return f.Name(), nil
}

// Busy reports whether an import or sync is running.
func (s *Service) Busy() bool {
	if !s.busy.TryLock() {
		return true
	}
	s.busy.Unlock()
	return false
}

// Job returns a job by id.
func (s *Service) Job(id string) (Job, bool) { return s.jobs.get(id) }

// Jobs returns the running and recent jobs, newest first.
func (s *Service) Jobs() []Job { return s.jobs.all() }

// Sources returns the configured sources.
func (s *Service) Sources() []feed.Source { return slices.Clone(s.cfg.Sources.Sources) }
