// Package storetest is the conformance suite of store.Store: every
// implementation runs Run against a real database and must pass it whole.
// Each case gets a fresh, empty store, so cases are independent.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/store"
)

// testCase is one conformance case.
type testCase struct {
	name string
	run  func(t *testing.T, s store.Store)
}

// Run runs every conformance case as a subtest. open must return a fresh,
// empty, migrated store; Run closes it when the subtest ends.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	var cases []testCase
	for _, group := range [][]testCase{
		storeCases, agentCases, joinTokenCases, eventCases, alertCases,
		userCases, apiTokenCases, auditCases, policyCases, inventoryCases,
		ruleCases, exceptionCases, incidentCases, stateCases, vulnCases, complianceCases,
		intelCases, baselineCases,
	} {
		cases = append(cases, group...)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tc.run(t, s)
		})
	}
}

var storeCases = []testCase{
	{"Store/Ping", func(t *testing.T, s store.Store) {
		if err := s.Ping(t.Context()); err != nil {
			t.Fatalf("Ping: %v", err)
		}
	}},
}

// base is the time the cases are built around: not UTC and with
// nanoseconds, so that stores must convert and truncate.
var base = time.Date(2026, 3, 14, 9, 26, 53, 589793238, time.FixedZone("UTC+8", 8*3600))

// at returns base plus d.
func at(d time.Duration) time.Time { return base.Add(d) }

// stored is t as a store returns it: UTC, microsecond precision.
func stored(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

// ctx returns the test's context.
func ctx(t *testing.T) context.Context { return t.Context() }

// must fails the test on err.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantErr fails the test unless errors.Is(err, target).
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: error %v, want %v", what, err, target)
	}
}

// wantAnyErr fails the test when err is nil.
func wantAnyErr(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error", what)
	}
}

// diff fails the test when got differs from want (times compare with
// Equal).
func diff(t *testing.T, what string, want, got any) {
	t.Helper()
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("%s mismatch (-want +got):\n%s", what, d)
	}
}

// wantUTC fails the test unless every time is zero or in UTC.
func wantUTC(t *testing.T, what string, times ...time.Time) {
	t.Helper()
	for i, tm := range times {
		if !tm.IsZero() && tm.Location() != time.UTC {
			t.Errorf("%s: time %d is in %v, want UTC", what, i, tm.Location())
		}
	}
}

// collect pages through a listing with the given page size and returns
// every item in order, failing on a page that is larger than limit.
func collect[T any](t *testing.T, limit int, list func(p store.Page) ([]T, string, error)) []T {
	t.Helper()
	var all []T
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 10000 {
			t.Fatal("listing never ends")
		}
		items, next, err := list(store.Page{Limit: limit, Cursor: cursor})
		if err != nil {
			t.Fatalf("page %d: %v", pages, err)
		}
		if len(items) > limit {
			t.Fatalf("page %d has %d items, limit %d", pages, len(items), limit)
		}
		if next != "" && len(items) != limit {
			t.Fatalf("page %d has %d items and a next cursor, limit %d", pages, len(items), limit)
		}
		all = append(all, items...)
		if next == "" {
			return all
		}
		cursor = next
	}
}

// countNew runs fn(0) ... fn(workers-1) at once, fails the test when any
// returns an error, and returns how many reported something new.
func countNew(t *testing.T, workers int, fn func(i int) (isNew bool, err error)) int {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	news, errs := 0, []error{}
	for i := range workers {
		wg.Go(func() {
			isNew, err := fn(i)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			}
			if isNew {
				news++
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d of %d calls failed: %v", len(errs), workers, errors.Join(errs...))
	}
	return news
}

// garbageCursors are strings no store issues.
var garbageCursors = []string{
	"x", "!!!!", "eyJrIjoibm9wZSJ9", "bnVsbA", "e30", "W10",
	fmt.Sprintf("%01000d", 7),
}
