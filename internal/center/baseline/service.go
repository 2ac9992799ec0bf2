package baseline

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

// Values of vigil.baseline.login.status.
const (
	StatusLearning = "learning"
	StatusLearned  = "learned"
)

// FieldLogin is the event object Observe writes its judgment into.
const FieldLogin = "vigil.baseline.login"

// ErrNoStore is returned by the methods that need a store when the
// Config has none.
var ErrNoStore = errors.New("baseline: no store configured")

// defaultShards is how many parts the profiles are split into, each
// with its own lock.
const defaultShards = 64

// Service learns and judges logins. Its methods are safe for concurrent
// use.
type Service struct {
	cfg    Config
	zone   string // the name of cfg.Location
	seed   maphash.Seed
	shards []shard
	// flushMu orders the writes to the store: Flush, Reset and Load
	// run one at a time, so that an older snapshot of a profile never
	// overwrites a newer one and a reset profile is not written back.
	flushMu sync.Mutex
}

// shard holds a part of the profiles.
type shard struct {
	mu       sync.Mutex
	profiles map[profileKey]*profile
}

// New returns a service with no profiles; call Load to read the stored
// ones.
func New(cfg Config) *Service {
	return newService(cfg, defaultShards)
}

// newService returns a service whose profiles are split in n shards.
func newService(cfg Config, n int) *Service {
	cfg = cfg.withDefaults()
	s := &Service{cfg: cfg, zone: zoneName(cfg.Location), seed: maphash.MakeSeed(), shards: make([]shard, max(n, 1))}
	for i := range s.shards {
		s.shards[i].profiles = map[profileKey]*profile{}
	}
	return s
}

// shardOf returns the shard of a profile.
func (s *Service) shardOf(k profileKey) *shard { return &s.shards[s.shardIndex(k)] }

// shardIndex returns the index of the shard of a profile.
func (s *Service) shardIndex(k profileKey) int {
	if len(s.shards) == 1 {
		return 0
	}
	return int(maphash.Comparable(s.seed, k) % uint64(len(s.shards)))
}

// Observe judges and learns a successful login (see the package
// documentation for what counts): it sets the fields under
// vigil.baseline.login on ev, learns the login into the profile of the
// event's agent and user, and returns true. Any other event is left
// untouched and Observe returns false.
func (s *Service) Observe(ev event.Event) bool {
	if !isLogin(ev) {
		return false
	}
	k := profileKey{agentID: ev.AgentID(), user: ev.String(event.FieldUserName)}
	if !keyText(k.agentID) || !keyText(k.user) {
		return false
	}
	at := ev.Timestamp()
	if at.IsZero() {
		at = s.cfg.Now()
	}
	l := login{at: nanos(at), hour: at.In(s.cfg.Location).Hour()}
	if v, ok := ev.Get(event.FieldSourceIP); ok {
		if text, ok := v.(string); ok && text != "" {
			addr, err := parseAddr(text)
			if err != nil {
				s.cfg.Logger.Warn("login baseline: source address judged as absent", "agent_id", k.agentID, "user", k.user, "event_id", ev.ID(), "err", err)
			} else {
				l.addr, l.hasSource = addr, true
			}
		}
	}

	sh := s.shardOf(k)
	sh.mu.Lock()
	p := sh.profiles[k]
	if p == nil {
		p = &profile{}
		sh.profiles[profileKey{agentID: strings.Clone(k.agentID), user: strings.Clone(k.user)}] = p
	}
	j := p.judge(l, &s.cfg)
	p.learn(l, s.cfg.MaxSources)
	if p.countedAt == 0 && p.logins >= int64(s.cfg.MinLogins) {
		p.countedAt = l.at
	}
	sh.mu.Unlock()

	fields := make(map[string]any, 7)
	fields["status"] = StatusLearning
	fields["hour"] = j.hour
	fields["logins"] = j.logins
	fields["known_sources"] = j.knownSources
	if j.learned {
		fields["status"] = StatusLearned
		fields["unusual_hour"] = j.unusualHour
		if j.hasSource {
			fields["new_source"] = j.newSource
			fields["new_network"] = j.newNetwork
		}
	}
	ev.Set(FieldLogin, fields)
	return true
}

// maxKeyLen bounds the agent id and user name of a profile: longer ones
// name no account (LOGIN_NAME_MAX is 256 on Linux), and would let one
// event pin kilobytes in memory and in the store.
const maxKeyLen = 256

// keyText says whether s can name a profile: not empty, at most
// maxKeyLen bytes, UTF-8 without NUL (text every database holds).
func keyText(s string) bool {
	return s != "" && len(s) <= maxKeyLen && utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// isLogin says whether ev is a successful login: event.action
// logged-in, event.outcome success and event.category authentication.
// The action is looked at first: it rules out almost every event.
func isLogin(ev event.Event) bool {
	if v, _ := ev.Get(event.FieldAction); v != "logged-in" {
		return false
	}
	if v, _ := ev.Get(event.FieldOutcome); v != "success" {
		return false
	}
	v, _ := ev.Get(event.FieldCategory)
	switch c := v.(type) {
	case string:
		return c == "authentication"
	case []string:
		for _, s := range c {
			if s == "authentication" {
				return true
			}
		}
	case []any:
		for _, s := range c {
			if s == "authentication" {
				return true
			}
		}
	}
	return false
}

// Load reads every stored profile into memory, replacing what memory
// holds, except the profiles learned since the last Flush, which are
// newer than the stored ones and stay. Call it before the first
// Observe.
func (s *Service) Load(ctx context.Context) error {
	if s.cfg.Store == nil {
		return ErrNoStore
	}
	s.flushMu.Lock()
	defer s.flushMu.Unlock()
	loaded := make([]map[profileKey]*profile, len(s.shards))
	for i := range loaded {
		loaded[i] = map[profileKey]*profile{}
	}
	n := 0
	err := s.cfg.Store.EachLoginProfile(ctx, func(sp store.LoginProfile) error {
		if sp.AgentID == "" || sp.User == "" {
			s.cfg.Logger.Warn("login baseline: stored profile without agent id or user skipped", "agent_id", sp.AgentID, "user", sp.User)
			return nil
		}
		p, skipped := fromStore(sp, s.cfg.MaxSources)
		if len(skipped) > 0 {
			s.cfg.Logger.Warn("login baseline: stored addresses that do not parse skipped", "agent_id", sp.AgentID, "user", sp.User, "addresses", skipped)
		}
		k := profileKey{agentID: sp.AgentID, user: sp.User}
		loaded[s.shardIndex(k)][k] = p
		n++
		return nil
	})
	if err != nil {
		return fmt.Errorf("load login profiles: %w", err)
	}
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for k, p := range sh.profiles {
			if p.dirty() {
				loaded[i][k] = p
			}
		}
		sh.profiles = loaded[i]
		sh.mu.Unlock()
	}
	s.cfg.Logger.Debug("login baseline loaded", "profiles", n)
	return nil
}

// pending is a profile written by Flush: its snapshot and the change
// count the snapshot holds.
type pending struct {
	sh      *shard
	key     profileKey
	p       *profile
	changes uint64
}

// Flush writes the profiles changed since the last Flush to the store,
// in one PutLoginProfiles call. When the call fails they stay to be
// written by the next Flush.
func (s *Service) Flush(ctx context.Context) error {
	if s.cfg.Store == nil {
		return ErrNoStore
	}
	s.flushMu.Lock()
	defer s.flushMu.Unlock()
	var (
		writing []pending
		out     []store.LoginProfile
	)
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for k, p := range sh.profiles {
			if p.dirty() {
				writing = append(writing, pending{sh: sh, key: k, p: p, changes: p.changes})
				out = append(out, p.toStore(k, s.cfg.LearningPeriod))
			}
		}
		sh.mu.Unlock()
	}
	if len(out) == 0 {
		return nil
	}
	if err := s.cfg.Store.PutLoginProfiles(ctx, out); err != nil {
		return fmt.Errorf("write %d login profiles: %w", len(out), err)
	}
	for _, w := range writing {
		w.sh.mu.Lock()
		// The store's revision of a written profile is the previous
		// one plus one.
		w.p.revision++
		w.p.flushed = w.changes
		w.p.stored = true
		w.sh.mu.Unlock()
	}
	return nil
}

// Reset forgets profiles, in memory and in the store: the one of user on
// the agent, or every profile of the agent when user is "". It returns
// how many were forgotten.
func (s *Service) Reset(ctx context.Context, agentID, user string) (int, error) {
	if s.cfg.Store == nil {
		return 0, ErrNoStore
	}
	if agentID == "" {
		return 0, fmt.Errorf("reset login profiles: %w: agent id required", store.ErrInvalid)
	}
	s.flushMu.Lock()
	defer s.flushMu.Unlock()
	n, err := s.cfg.Store.DeleteLoginProfiles(ctx, agentID, user)
	if err != nil {
		return 0, fmt.Errorf("reset login profiles of agent %s: %w", agentID, err)
	}
	// Profiles learned but never written are forgotten too, and counted.
	forget := func(sh *shard, k profileKey, p *profile) {
		delete(sh.profiles, k)
		if !p.stored {
			n++
		}
	}
	if user != "" {
		k := profileKey{agentID: agentID, user: user}
		sh := s.shardOf(k)
		sh.mu.Lock()
		if p := sh.profiles[k]; p != nil {
			forget(sh, k, p)
		}
		sh.mu.Unlock()
		return n, nil
	}
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for k, p := range sh.profiles {
			if k.agentID == agentID {
				forget(sh, k, p)
			}
		}
		sh.mu.Unlock()
	}
	return n, nil
}
