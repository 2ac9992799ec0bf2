package intel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// Defaults of Config.
const (
	DefaultReload   = 10 * time.Second
	DefaultHitFlush = 30 * time.Second
	// putBatch is the number of indicators written in one store call.
	putBatch = 10_000
	// flushTimeout bounds the last write of hit counts when Run ends.
	flushTimeout = 10 * time.Second
)

// Config configures a Service. Store is required.
type Config struct {
	Store  store.IntelStore
	Logger *slog.Logger
	// Reload is how often the store's revision is compared with the
	// matcher's (default DefaultReload).
	Reload time.Duration
	// HitFlush is how often hit counts are written (default
	// DefaultHitFlush).
	HitFlush time.Duration
	// Now is the clock (tests).
	Now func() time.Time
}

// Service keeps a matcher of the store's indicators, enriches events
// with it, imports indicator files and counts hits.
type Service struct {
	cfg   Config
	log   *slog.Logger
	state atomic.Pointer[loaded]
	// load serializes builds of the matcher.
	load sync.Mutex

	hits     hitCounter
	enriched atomic.Uint64
	hitTotal atomic.Uint64

	errMu      sync.Mutex
	lastRunErr string
}

// loaded is one build of the matcher and what it was built from.
type loaded struct {
	m        *Matcher
	revision int64
	at       time.Time
	// nextExpiry is the earliest expiry among the indicators loaded
	// (zero: none expires): a reload is due then.
	nextExpiry time.Time
}

// Stats are figures of a Service.
type Stats struct {
	// Indicators is the number of indicators the matcher holds.
	Indicators int
	// Revision is the store's revision the matcher was built at (0
	// before the first load).
	Revision int64
	// LoadedAt is when the matcher was built (zero: never).
	LoadedAt time.Time
	// Enriched counts the events that matched an indicator; Hits the
	// indicators matched, each once per event.
	Enriched, Hits uint64
}

// New returns a Service with an empty matcher; Load fills it.
func New(cfg Config) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Reload <= 0 {
		cfg.Reload = DefaultReload
	}
	if cfg.HitFlush <= 0 {
		cfg.HitFlush = DefaultHitFlush
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Service{cfg: cfg, log: cfg.Logger}
	s.state.Store(&loaded{m: NewMatcher(nil), revision: -1})
	return s
}

// Load builds the matcher from the indicators of the store that have not
// expired now, and remembers the store's revision.
func (s *Service) Load(ctx context.Context) error {
	s.load.Lock()
	defer s.load.Unlock()
	return s.loadLocked(ctx)
}

func (s *Service) loadLocked(ctx context.Context) error {
	start := time.Now()
	now := s.cfg.Now()
	// The revision is read first: a change made during the walk moves
	// it again, and the next Reload catches that.
	rev, err := s.cfg.Store.Revision(ctx)
	if err != nil {
		return fmt.Errorf("read the indicators' revision: %w", err)
	}
	var (
		ins  []store.Indicator
		next time.Time
	)
	err = s.cfg.Store.Each(ctx, now, func(in store.Indicator) error {
		if !in.ExpiresAt.IsZero() && (next.IsZero() || in.ExpiresAt.Before(next)) {
			next = in.ExpiresAt
		}
		ins = append(ins, in)
		return nil
	})
	if err != nil {
		return fmt.Errorf("read the indicators: %w", err)
	}
	m := NewMatcher(ins)
	s.state.Store(&loaded{m: m, revision: rev, at: now, nextExpiry: next})
	if m.Invalid() > 0 {
		s.log.Warn("indicators left out of matching: their value is not in normalized form", "count", m.Invalid())
	}
	s.log.Info("indicators loaded", "count", m.Len(), "revision", rev, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// Reload rebuilds the matcher when the store's revision moved or an
// indicator expired since the last build.
func (s *Service) Reload(ctx context.Context) error {
	s.load.Lock()
	defer s.load.Unlock()
	rev, err := s.cfg.Store.Revision(ctx)
	if err != nil {
		return fmt.Errorf("read the indicators' revision: %w", err)
	}
	st := s.state.Load()
	expired := !st.nextExpiry.IsZero() && !s.cfg.Now().Before(st.nextExpiry)
	if rev == st.revision && !expired {
		return nil
	}
	return s.loadLocked(ctx)
}

// Run reloads the matcher every Reload and writes the hit counts every
// HitFlush, until ctx is done; then it writes the last counts. A failed
// reload or write is logged and tried again at the next tick (counts are
// kept until written). It returns nil.
func (s *Service) Run(ctx context.Context) error {
	reload := time.NewTicker(s.cfg.Reload)
	defer reload.Stop()
	flush := time.NewTicker(s.cfg.HitFlush)
	defer flush.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flushTimeout)
			err := s.FlushHits(fctx)
			cancel()
			if err != nil {
				s.log.Error("writing the last indicator hit counts failed", "error", err)
			}
			return nil
		case <-reload.C:
			s.noteRunError("reloading the indicators", s.Reload(ctx))
		case <-flush.C:
			s.noteRunError("writing indicator hit counts", s.FlushHits(ctx))
		}
	}
}

// noteRunError logs a failure of Run's work once until its message
// changes, and its recovery.
func (s *Service) noteRunError(what string, err error) {
	msg := ""
	if err != nil {
		msg = what + ": " + err.Error()
	}
	s.errMu.Lock()
	changed := msg != s.lastRunErr
	s.lastRunErr = msg
	s.errMu.Unlock()
	switch {
	case changed && err != nil:
		s.log.Error(what+" failed; retrying", "error", err)
	case changed:
		s.log.Info("threat intelligence works again")
	}
}

// FlushHits writes the hit counts gathered since the last flush
// (store.IntelStore.RecordHits, at Now). On failure the counts are kept
// for the next flush.
func (s *Service) FlushHits(ctx context.Context) error {
	counts := s.hits.take()
	if len(counts) == 0 {
		return nil
	}
	if err := s.cfg.Store.RecordHits(ctx, counts, s.cfg.Now()); err != nil {
		s.hits.putBack(counts)
		return fmt.Errorf("record indicator hits: %w", err)
	}
	return nil
}

// Import reads an indicator file (see Parse), writes its indicators to
// the store in batches of 10,000 and, with opts.Replace, deletes the
// source's indicators the file does not list; then it reloads the
// matcher. opts.Source is required. Replace refuses a file that yields no
// indicator (an error matching store.ErrInvalid): emptying a source is
// DELETE of the source, not the import of an empty or broken file. When
// a write fails, the result says what was done before.
func (s *Service) Import(ctx context.Context, r io.Reader, opts ImportOptions) (ImportResult, error) {
	res := ImportResult{Format: opts.Format, Source: opts.Source, Problems: []Problem{}}
	if opts.Source == "" {
		return res, invalidf("import: a source is required")
	}
	p, err := parse(r, opts)
	res.Format = p.format
	if err != nil {
		return res, fmt.Errorf("import into source %s: %w", opts.Source, err)
	}
	res.Read, res.Skipped, res.Problems = p.read, p.skipped, p.problems
	if opts.Replace && p.count == 0 {
		return res, invalidf("import into source %s: the file holds no valid indicator; replace refused (delete the source to empty it)", opts.Source)
	}
	if err := s.put(ctx, p.chunks, &res); err != nil {
		if res.Added+res.Updated > 0 {
			s.reloadAfterChange(ctx)
		}
		return res, fmt.Errorf("import into source %s: %w", opts.Source, err)
	}
	if opts.Replace {
		if err := s.removeOthers(ctx, opts.Source, p.chunks, &res); err != nil {
			return res, fmt.Errorf("import into source %s: %w", opts.Source, err)
		}
	}
	s.reloadAfterChange(ctx)
	s.log.Info("indicators imported", "source", opts.Source, "format", res.Format, "read", res.Read,
		"added", res.Added, "updated", res.Updated, "removed", res.Removed, "skipped", res.Skipped,
		"problems", len(res.Problems), "by", opts.Actor)
	return res, nil
}

// put writes indicators, one store call per chunk.
func (s *Service) put(ctx context.Context, chunks [][]store.Indicator, res *ImportResult) error {
	done := 0
	for _, batch := range chunks {
		added, updated, err := s.cfg.Store.Put(ctx, batch)
		if err != nil {
			return fmt.Errorf("write indicators %d to %d: %w", done+1, done+len(batch), err)
		}
		done += len(batch)
		res.Added += added
		res.Updated += updated
	}
	return nil
}

// removeOthers deletes the indicators of source that are not in keep.
func (s *Service) removeOthers(ctx context.Context, source string, keep [][]store.Indicator, res *ImportResult) error {
	ids := map[string]struct{}{}
	for _, ch := range keep {
		for i := range ch {
			ids[ch[i].ID] = struct{}{}
		}
	}
	var gone []string
	f := store.IndicatorFilter{Source: source, Expired: true, Page: store.Page{Limit: store.MaxLimit}}
	for {
		list, next, err := s.cfg.Store.List(ctx, f)
		if err != nil {
			return fmt.Errorf("list the indicators of the source: %w", err)
		}
		for _, in := range list {
			if _, ok := ids[in.ID]; !ok {
				gone = append(gone, in.ID)
			}
		}
		if next == "" {
			break
		}
		f.Cursor = next
	}
	for _, id := range gone {
		err := s.cfg.Store.Delete(ctx, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			// Deleted meanwhile.
		case err != nil:
			return fmt.Errorf("delete indicator %s: %w", id, err)
		default:
			res.Removed++
		}
	}
	return nil
}

// reloadAfterChange reloads after a change the service made; a failure
// is logged, and the periodic reload does it.
func (s *Service) reloadAfterChange(ctx context.Context) {
	if err := s.Reload(ctx); err != nil {
		s.log.Warn("reloading the indicators after a change failed; the next periodic reload does it", "error", err)
	}
}

// Add validates and writes indicators given one by one (POST /intel) to
// source ("" means "manual"). An entry without Type has it detected;
// every value is normalized; an empty Severity means DefaultSeverity and
// a negative Confidence DefaultConfidence. Entries of the same type and
// value merge. Bad entries are problems whose Entry is
// "indicators[INDEX]"; when none is valid the error matches
// store.ErrInvalid and the result holds the problems. The matcher is
// reloaded after the write.
func (s *Service) Add(ctx context.Context, source string, ins []store.Indicator, actor string) (ImportResult, error) {
	if source == "" {
		source = "manual"
	}
	res := ImportResult{Format: FormatJSON, Source: source, Read: len(ins), Problems: []Problem{}}
	c, err := newCollector(ImportOptions{Source: source, Actor: actor})
	if err != nil {
		return res, err
	}
	c.format = FormatJSON
	for i, in := range ins {
		e := entry{typ: in.Type, value: in.Value, description: in.Description, severity: in.Severity,
			confidence: in.Confidence, tags: in.Tags, techniques: in.Techniques, reference: in.Reference,
			expiresAt: in.ExpiresAt}
		if e.confidence < 0 {
			e.confidence = -1
		}
		where := Problem{Entry: fmt.Sprintf("indicators[%d]", i)}
		if in.Type != "" && !isIndicatorType(in.Type) {
			where.Reason = fmt.Sprintf("type %q unknown: want ip, domain, url, md5, sha1 or sha256", in.Type)
			c.problem(where)
			continue
		}
		if _, err := c.add(e, where); err != nil {
			return res, err
		}
	}
	p := c.finish()
	res.Problems = p.problems
	if p.count == 0 {
		reason := "none given"
		if len(p.problems) > 0 {
			reason = p.problems[0].Entry + ": " + p.problems[0].Reason
		}
		return res, fmt.Errorf("%w: no valid indicator (%s)", store.ErrInvalid, reason)
	}
	if err := s.put(ctx, p.chunks, &res); err != nil {
		return res, fmt.Errorf("add indicators to source %s: %w", source, err)
	}
	s.reloadAfterChange(ctx)
	return res, nil
}

func isIndicatorType(t store.IndicatorType) bool {
	for _, k := range store.IndicatorTypes {
		if k == t {
			return true
		}
	}
	return false
}

// Check detects the type of a value, normalizes it and returns the
// loaded indicators that match it (see Matcher.Lookup), those expired
// since the last load left out. The error matches store.ErrInvalid when
// the value is no indicator value.
func (s *Service) Check(value string) (store.IndicatorType, string, []store.Indicator, error) {
	t, n, err := Detect(value)
	if err != nil {
		return "", "", nil, err
	}
	now := s.cfg.Now()
	var out []store.Indicator
	for _, in := range s.state.Load().m.Lookup(t, n) {
		if in.ExpiresAt.IsZero() || now.Before(in.ExpiresAt) {
			out = append(out, in)
		}
	}
	return t, n, out, nil
}

// Stats returns the service's figures.
func (s *Service) Stats() Stats {
	st := s.state.Load()
	return Stats{Indicators: st.m.Len(), Revision: max(st.revision, 0), LoadedAt: st.at,
		Enriched: s.enriched.Load(), Hits: s.hitTotal.Load()}
}
