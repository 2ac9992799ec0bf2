// Package memo is a bounded memo table that is safe for concurrent use.
//
// It keeps two generations of entries per shard: when the current
// generation is full it becomes the old one and the previous old one is
// dropped. An entry read from the old generation moves back to the
// current one, so entries in use survive while the rest age out, at the
// cost of one map per shard and no per-entry bookkeeping.
package memo

import (
	"hash/maphash"
	"sync"
)

const shards = 32

// Table maps keys to memoized values. The zero value is not usable; use
// New.
type Table[K comparable, V any] struct {
	seed     maphash.Seed
	perShard int
	shard    [shards]shard[K, V]
}

type shard[K comparable, V any] struct {
	mu  sync.RWMutex
	cur map[K]V
	old map[K]V
}

// New returns a table that keeps about capacity entries (at least one
// per shard, and at most twice capacity across both generations).
func New[K comparable, V any](capacity int) *Table[K, V] {
	per := max(capacity/shards, 1)
	t := &Table[K, V]{seed: maphash.MakeSeed(), perShard: per}
	for i := range t.shard {
		t.shard[i].cur = make(map[K]V)
	}
	return t
}

func (t *Table[K, V]) of(k K) *shard[K, V] {
	return &t.shard[maphash.Comparable(t.seed, k)%shards]
}

// Get returns the value kept for k.
func (t *Table[K, V]) Get(k K) (V, bool) {
	s := t.of(k)
	s.mu.RLock()
	v, ok := s.cur[k]
	if ok {
		s.mu.RUnlock()
		return v, true
	}
	v, ok = s.old[k]
	s.mu.RUnlock()
	if ok {
		s.mu.Lock()
		s.put(t.perShard, k, v)
		s.mu.Unlock()
	}
	return v, ok
}

// Put keeps v for k.
func (t *Table[K, V]) Put(k K, v V) {
	s := t.of(k)
	s.mu.Lock()
	s.put(t.perShard, k, v)
	s.mu.Unlock()
}

func (s *shard[K, V]) put(limit int, k K, v V) {
	if len(s.cur) >= limit {
		s.old = s.cur
		s.cur = make(map[K]V, limit)
	}
	s.cur[k] = v
}

// Len returns the number of entries held in both generations (an entry
// moved back from the old generation counts twice until that generation
// is dropped).
func (t *Table[K, V]) Len() int {
	n := 0
	for i := range t.shard {
		s := &t.shard[i]
		s.mu.RLock()
		n += len(s.cur) + len(s.old)
		s.mu.RUnlock()
	}
	return n
}

// Clear drops every entry.
func (t *Table[K, V]) Clear() {
	for i := range t.shard {
		s := &t.shard[i]
		s.mu.Lock()
		s.cur = make(map[K]V)
		s.old = nil
		s.mu.Unlock()
	}
}
