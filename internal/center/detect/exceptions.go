package detect

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

// exceptionRefresh is how often the exceptions are read again from the
// store, for changes made by another center of a cluster; the API of
// this center reloads them at once (Service.ReloadExceptions).
const exceptionRefresh = 30 * time.Second

// exceptions holds the active exceptions, compiled, and counts their hits.
type exceptions struct {
	st  store.ExceptionStore
	now func() time.Time

	mu     sync.RWMutex
	list   []compiledException
	loaded time.Time
}

type compiledException struct {
	id, ruleID, agentID string
	expires             time.Time
	fields              []exceptionField
}

type exceptionField struct {
	path     string
	patterns []pattern
}

func newExceptions(st store.ExceptionStore, now func() time.Time) *exceptions {
	return &exceptions{st: st, now: now}
}

// reload reads every active exception from the store.
func (x *exceptions) reload(ctx context.Context) error {
	now := x.now()
	var all []compiledException
	page := store.Page{Limit: store.MaxLimit}
	for {
		list, next, err := x.st.List(ctx, store.ExceptionFilter{ActiveAt: now, Page: page})
		if err != nil {
			return fmt.Errorf("exceptions: %w", err)
		}
		for _, e := range list {
			all = append(all, compileException(e))
		}
		if next == "" {
			break
		}
		page.Cursor = next
	}
	x.mu.Lock()
	x.list, x.loaded = all, now
	x.mu.Unlock()
	return nil
}

func compileException(e store.Exception) compiledException {
	c := compiledException{id: e.ID, ruleID: e.RuleID, agentID: e.AgentID, expires: e.ExpiresAt}
	for path, pats := range e.Match {
		f := exceptionField{path: path}
		for _, p := range pats {
			f.patterns = append(f.patterns, compilePattern(p))
		}
		c.fields = append(c.fields, f)
	}
	return c
}

// match returns the id of an exception that suppresses rule ruleID's
// alert on agentID for ev, "" when none does.
func (x *exceptions) match(ruleID, agentID string, ev event.Event) string {
	now := x.now()
	x.mu.RLock()
	stale := now.Sub(x.loaded) > exceptionRefresh
	list := x.list
	x.mu.RUnlock()
	if stale {
		// Refreshed in the background: matching never waits for the store.
		x.mu.Lock()
		if now.Sub(x.loaded) > exceptionRefresh {
			x.loaded = now
			go func() { _ = x.reload(context.Background()) }()
		}
		x.mu.Unlock()
	}
	for i := range list {
		e := &list[i]
		if e.ruleID != "" && e.ruleID != ruleID || e.agentID != "" && e.agentID != agentID {
			continue
		}
		if !e.expires.IsZero() && !now.Before(e.expires) {
			continue
		}
		if e.matches(ev) {
			return e.id
		}
	}
	return ""
}

func (e *compiledException) matches(ev event.Event) bool {
	for _, f := range e.fields {
		if !f.matches(ev) {
			return false
		}
	}
	return true
}

// matches reports whether the field's value (any element of a list, and
// the field of any object of a list on the way, as rules read them)
// matches one of the patterns.
func (f *exceptionField) matches(ev event.Event) bool {
	found := false
	eachValue(map[string]any(ev), f.path, func(v any) bool {
		for _, s := range valueStrings(v) {
			for _, p := range f.patterns {
				if p.match(s) {
					found = true
					return false
				}
			}
		}
		return true
	})
	return found
}

// eachValue calls fn with every value at path under m until fn returns
// false: a flat dotted key at any level counts (as event.Get finds it),
// and a list of objects on the way is entered element by element.
func eachValue(m map[string]any, path string, fn func(any) bool) bool {
	if v, ok := m[path]; ok {
		if !fn(v) {
			return false
		}
	}
	for i := strings.IndexByte(path, '.'); i > 0; i = nextDot(path, i) {
		v, ok := m[path[:i]]
		if !ok {
			continue
		}
		if !eachIn(v, path[i+1:], fn) {
			return false
		}
	}
	return true
}

// eachIn descends into v (an object, or a list of objects) for rest.
func eachIn(v any, rest string, fn func(any) bool) bool {
	switch x := v.(type) {
	case map[string]any:
		return eachValue(x, rest, fn)
	case event.Event:
		return eachValue(x, rest, fn)
	case []any:
		for _, e := range x {
			if !eachIn(e, rest, fn) {
				return false
			}
		}
	}
	return true
}

func nextDot(path string, i int) int {
	if j := strings.IndexByte(path[i+1:], '.'); j >= 0 {
		return i + 1 + j
	}
	return -1
}

// hit counts a suppressed alert of exception id.
func (x *exceptions) hit(ctx context.Context, id string) {
	_ = x.st.AddHits(ctx, id, 1, x.now())
}

// valueStrings returns an event value as the strings it matches as: a
// scalar as one, a list element by element.
func valueStrings(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case float64:
		return []string{strconv.FormatFloat(x, 'f', -1, 64)}
	case int:
		return []string{strconv.Itoa(x)}
	case int64:
		return []string{strconv.FormatInt(x, 10)}
	case bool:
		return []string{strconv.FormatBool(x)}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, valueStrings(e)...)
		}
		return out
	}
	return nil
}

// pattern is a case-insensitive wildcard pattern: '*' any run of
// characters, '?' one character, '\' takes the next one literally.
type pattern struct {
	// parts alternate literal runs and wildcards.
	parts []patternPart
}

type patternPart struct {
	lit  string // lower-cased
	star bool
	one  bool
}

func compilePattern(s string) pattern {
	var p pattern
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			p.parts = append(p.parts, patternPart{lit: strings.ToLower(lit.String())})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 < len(s) {
				i++
				lit.WriteByte(s[i])
			} else {
				lit.WriteByte(c)
			}
		case '*':
			flush()
			if n := len(p.parts); n == 0 || !p.parts[n-1].star {
				p.parts = append(p.parts, patternPart{star: true})
			}
		case '?':
			flush()
			p.parts = append(p.parts, patternPart{one: true})
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return p
}

// match reports whether s matches the whole pattern.
func (p pattern) match(s string) bool {
	return matchParts(p.parts, strings.ToLower(s))
}

// matchParts matches greedily, going back only to the last star: time
// linear in len(parts)*len(s), whatever the pattern.
func matchParts(parts []patternPart, s string) bool {
	pi, si := 0, 0
	star, starAt := -1, 0
	for si < len(s) {
		if pi < len(parts) {
			switch part := parts[pi]; {
			case part.star:
				star, starAt = pi, si
				pi++
				continue
			case part.one:
				_, size := utf8.DecodeRuneInString(s[si:])
				pi, si = pi+1, si+size
				continue
			case strings.HasPrefix(s[si:], part.lit):
				pi, si = pi+1, si+len(part.lit)
				continue
			}
		}
		if star < 0 {
			return false
		}
		_, size := utf8.DecodeRuneInString(s[starAt:])
		starAt += size
		pi, si = star+1, starAt
	}
	for pi < len(parts) && parts[pi].star {
		pi++
	}
	return pi == len(parts)
}
