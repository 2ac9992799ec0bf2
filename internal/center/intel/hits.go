package intel

import (
	"maps"
	"sync"
)

// hitShards spreads the hit counts over locks, so that enrichers on
// several cores rarely wait for each other.
const hitShards = 16

// hitCounter counts the events each indicator matched since the last
// flush, by indicator id.
type hitCounter struct {
	shards [hitShards]struct {
		mu sync.Mutex
		m  map[string]int64
		_  [48]byte // 64 bytes a shard: shards on separate cache lines
	}
}

// add counts one hit of indicator id; pos (its position in the matcher)
// picks the shard.
func (h *hitCounter) add(id string, pos int32) {
	sh := &h.shards[uint32(pos)%hitShards]
	sh.mu.Lock()
	if sh.m == nil {
		sh.m = map[string]int64{}
	}
	sh.m[id]++
	sh.mu.Unlock()
}

// take returns the counts and starts again from zero.
func (h *hitCounter) take() map[string]int64 {
	out := map[string]int64{}
	for i := range h.shards {
		sh := &h.shards[i]
		sh.mu.Lock()
		m := sh.m
		sh.m = nil
		sh.mu.Unlock()
		for id, n := range m {
			out[id] += n
		}
	}
	return out
}

// putBack returns counts that could not be written, to be written with
// the next ones.
func (h *hitCounter) putBack(counts map[string]int64) {
	sh := &h.shards[0]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.m == nil {
		sh.m = maps.Clone(counts)
		return
	}
	for id, n := range counts {
		sh.m[id] += n
	}
}
