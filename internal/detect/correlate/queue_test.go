package correlate

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// The queue stays sorted and equal to a plain sorted slice through mixed
// inserts (mostly in order), front drops and removals.
func TestEntriesAgainstSortedSlice(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var q entries
	var want []entry
	clock := int64(1000)
	for step := range 20000 {
		switch op := r.IntN(10); {
		case op < 6:
			clock += r.Int64N(3)
			e := entry{at: clock - r.Int64N(5)*int64(r.IntN(2)), rule: int32(r.IntN(3)), id: strconv.Itoa(step)}
			i := q.insert(e)
			j := len(want)
			for j > 0 && e.before(&want[j-1]) {
				j--
			}
			want = slices.Insert(want, j, e)
			if i != j {
				t.Fatalf("step %d: insert at %d, want %d", step, i, j)
			}
		case op < 8 && len(want) > 0:
			n := r.IntN(len(want) + 1)
			q.drop(n)
			want = want[n:]
		case len(want) > 0:
			i := r.IntN(len(want))
			q.remove(i)
			want = slices.Delete(want, i, i+1)
		}
		same := func(a, b entry) bool { return a.at == b.at && a.rule == b.rule && a.id == b.id }
		if !slices.EqualFunc(q.live(), want, same) || q.len() != len(want) {
			t.Fatalf("step %d: queue %v, want %v", step, q.live(), want)
		}
	}
}

func TestSearch(t *testing.T) {
	es := []entry{{at: 1}, {at: 3}, {at: 3}, {at: 5}}
	for _, c := range []struct {
		t                int64
		atOrAfter, after int
	}{{0, 0, 0}, {1, 0, 1}, {2, 1, 1}, {3, 1, 3}, {4, 3, 3}, {5, 3, 4}, {6, 4, 4}} {
		if got := firstAtOrAfter(es, c.t); got != c.atOrAfter {
			t.Errorf("firstAtOrAfter(%d) = %d, want %d", c.t, got, c.atOrAfter)
		}
		if got := firstAfter(es, c.t); got != c.after {
			t.Errorf("firstAfter(%d) = %d, want %d", c.t, got, c.after)
		}
	}
}
