package memo

import (
	"fmt"
	"sync"
	"testing"
)

func TestTableKeepsAndAgesOut(t *testing.T) {
	tab := New[string, int](shards) // one entry per shard and generation
	tab.Put("a", 1)
	if v, ok := tab.Get("a"); !ok || v != 1 {
		t.Fatalf("Get(a) = %d, %v", v, ok)
	}
	for i := range 10 * shards {
		tab.Put(fmt.Sprint(i), i)
	}
	if n := tab.Len(); n > 2*shards+1 {
		t.Errorf("Len = %d, want at most %d", n, 2*shards+1)
	}
	found := 0
	for i := range 10 * shards {
		if v, ok := tab.Get(fmt.Sprint(i)); ok {
			if v != i {
				t.Fatalf("Get(%d) = %d", i, v)
			}
			found++
		}
	}
	if found == 0 || found > 2*shards {
		t.Errorf("%d of %d entries kept, want some and at most %d", found, 10*shards, 2*shards)
	}
	tab.Clear()
	if n := tab.Len(); n != 0 {
		t.Errorf("Len after Clear = %d", n)
	}
}

func TestTableConcurrent(t *testing.T) {
	tab := New[int, int](256)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 5000 {
				k := (i*7 + g) % 1000
				if v, ok := tab.Get(k); ok && v != k*2 {
					t.Errorf("Get(%d) = %d", k, v)
					return
				}
				tab.Put(k, k*2)
			}
		}()
	}
	wg.Wait()
}
