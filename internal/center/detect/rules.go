package detect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing/fstest"
	"time"

	"github.com/vigilsec/vigil/internal/detect/ruleset"
	"github.com/vigilsec/vigil/internal/store"
)

// Source names of rules.
const (
	SourceBuiltin  = "builtin"
	SourceImported = "imported"
)

// Rules keeps the compiled rules of the center: the shipped pack and the
// imported files, with the operators' settings. Reload compiles them
// again (after an import or a setting changed) and swaps them in while
// events flow; the correlation windows of unchanged correlation rules
// carry over.
type Rules struct {
	builtin fs.FS
	st      store.RuleStore
	log     *slog.Logger

	mu  sync.Mutex // serializes Reload
	cur atomic.Pointer[ruleset.RuleSet]
	at  atomic.Int64 // unix nanoseconds of the last load
}

// RulesStats says what is loaded.
type RulesStats struct {
	Loaded   int       `json:"loaded"`
	Problems int       `json:"problems"`
	LoadedAt time.Time `json:"loaded_at"`
}

// NewRules loads the rules: builtin (the shipped pack, may be nil) and
// the files and settings of st.
func NewRules(ctx context.Context, builtin fs.FS, st store.RuleStore, log *slog.Logger) (*Rules, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Rules{builtin: builtin, st: st, log: log}
	if err := r.Reload(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// Reload reads the imported files and settings and compiles every rule
// again. The rules in use keep working until the new ones are ready; a
// rule that fails to load is a problem of the new set, never an error of
// Reload, which fails only when the store cannot be read.
func (r *Rules) Reload(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	files, err := r.st.Files(ctx)
	if err != nil {
		return fmt.Errorf("rules: %w", err)
	}
	settings, err := r.st.Settings(ctx)
	if err != nil {
		return fmt.Errorf("rules: %w", err)
	}
	opts := ruleset.Options{Settings: map[string]ruleset.Setting{}}
	opts.Correlate.Logger = r.log
	for _, s := range settings {
		opts.Settings[s.RuleID] = ruleset.Setting{Disabled: s.Disabled, Level: string(s.Severity)}
	}
	var sources []ruleset.Source
	if r.builtin != nil {
		sources = append(sources, ruleset.Source{Name: SourceBuiltin, FS: r.builtin, Root: "."})
	}
	if len(files) > 0 {
		imported := fstest.MapFS{}
		for _, f := range files {
			imported[f.Name] = &fstest.MapFile{Data: f.Content, Mode: 0o644}
		}
		sources = append(sources, ruleset.Source{Name: SourceImported, FS: imported, Root: "."})
	}
	next := ruleset.Load(sources, opts)
	if prev := r.cur.Load(); prev != nil {
		carryState(prev, next, r.log)
	}
	r.cur.Store(next)
	r.at.Store(time.Now().UnixNano())
	for _, p := range next.Problems {
		r.log.Debug("rule not loaded", "problem", p.Error())
	}
	r.log.Info("rules loaded", "loaded", next.Loaded(), "problems", len(next.Problems))
	return nil
}

// carryState moves the correlation windows from one generation to the
// next: the correlation engine keeps those of correlations whose
// definition did not change.
func carryState(prev, next *ruleset.RuleSet, log *slog.Logger) {
	from, to := prev.Correlation(), next.Correlation()
	if from == nil || to == nil {
		return
	}
	var buf bytes.Buffer
	if err := from.Snapshot(&buf); err != nil {
		log.Warn("rules: correlation windows not carried over", "err", err)
		return
	}
	if err := to.Restore(&buf); err != nil {
		log.Warn("rules: correlation windows not carried over", "err", err)
	}
}

// current returns the rules in use.
func (r *Rules) current() *ruleset.RuleSet { return r.cur.Load() }

// Current returns the rules in use (for listings).
func (r *Rules) Current() *ruleset.RuleSet { return r.cur.Load() }

// Stats says what is loaded.
func (r *Rules) Stats() RulesStats {
	rs := r.cur.Load()
	if rs == nil {
		return RulesStats{}
	}
	return RulesStats{Loaded: rs.Loaded(), Problems: len(rs.Problems), LoadedAt: time.Unix(0, r.at.Load())}
}

// stateVersion is the version of the saved state's header.
const stateVersion = 1

// stateHeader is the first line of the saved state; the correlation
// windows (correlate's snapshot) follow it.
type stateHeader struct {
	Version int `json:"version"`
	// Unacked are the stream sequences of the messages the state holds
	// whose acknowledgement the stream has not confirmed.
	Unacked []uint64 `json:"unacked"`
}

// maxUnacked bounds the sequences kept in the state.
const maxUnacked = 1 << 20

// saveState writes the correlation windows and the unconfirmed
// sequences to the store, in one value.
func (s *Service) saveState(ctx context.Context, unacked []uint64) error {
	if len(unacked) > maxUnacked {
		slices.Sort(unacked)
		unacked = unacked[len(unacked)-maxUnacked:]
	}
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(stateHeader{Version: stateVersion, Unacked: unacked}); err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	if corr := s.cfg.Rules.current().Correlation(); corr != nil {
		if err := corr.Snapshot(&buf); err != nil {
			return fmt.Errorf("snapshot correlation windows: %w", err)
		}
	}
	if err := s.cfg.Store.State().Put(ctx, stateKey, buf.Bytes()); err != nil {
		return fmt.Errorf("store detection state: %w", err)
	}
	return nil
}

// restore reads the correlation windows and the unconfirmed sequences
// from the store.
func (s *Service) restore(ctx context.Context) error {
	data, err := s.cfg.Store.State().Get(ctx, stateKey)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read detection state: %w", err)
	}
	line, rest, _ := bytes.Cut(data, []byte("\n"))
	var h stateHeader
	if err := json.Unmarshal(line, &h); err != nil || h.Version != stateVersion {
		return fmt.Errorf("detection state: unknown header %.80q", line)
	}
	s.mu.Lock()
	for _, seq := range h.Unacked {
		s.unacked[seq] = true
	}
	s.mu.Unlock()
	corr := s.cfg.Rules.current().Correlation()
	if corr == nil || len(rest) == 0 {
		return nil
	}
	return corr.Restore(bytes.NewReader(rest))
}

// Source returns the YAML text of the file a rule is in.
func (r *Rules) Source(ctx context.Context, rule *ruleset.Rule) ([]byte, error) {
	switch rule.Source {
	case SourceBuiltin:
		if r.builtin == nil {
			return nil, fmt.Errorf("rule %s: %w", rule.ID, store.ErrNotFound)
		}
		b, err := fs.ReadFile(r.builtin, rule.File)
		if err != nil {
			return nil, fmt.Errorf("rule %s: %w", rule.ID, err)
		}
		return b, nil
	case SourceImported:
		files, err := r.st.Files(ctx)
		if err != nil {
			return nil, fmt.Errorf("rule %s: %w", rule.ID, err)
		}
		for _, f := range files {
			if f.Name == rule.File {
				return f.Content, nil
			}
		}
	}
	return nil, fmt.Errorf("rule %s: file %s: %w", rule.ID, rule.File, store.ErrNotFound)
}

// Rules returns the compiled rules in use.
func (s *Service) Rules() *ruleset.RuleSet { return s.cfg.Rules.current() }

// ReloadRules compiles the rules again, after an import, a deletion or a
// setting changed.
func (s *Service) ReloadRules(ctx context.Context) error { return s.cfg.Rules.Reload(ctx) }

// ReloadExceptions reads the exceptions again, after one changed.
func (s *Service) ReloadExceptions(ctx context.Context) error { return s.exc.reload(ctx) }

// RuleSource returns the YAML text of the file a rule is in.
func (s *Service) RuleSource(rule *ruleset.Rule) ([]byte, error) {
	return s.cfg.Rules.Source(context.Background(), rule)
}
