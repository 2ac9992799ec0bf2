package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

var exceptionCases = []testCase{
	{"Exceptions/CRUD", testExceptionCRUD},
	{"Exceptions/List", testExceptionList},
	{"Exceptions/AddHits", testExceptionAddHits},
	{"Exceptions/AddHitsConcurrent", testExceptionAddHitsConcurrent},
}

func exception(id string, created time.Time) store.Exception {
	return store.Exception{
		ID: id, RuleID: "lnx_susp_curl", AgentID: "agent-1",
		Match: map[string][]string{
			"process.parent.executable": {"/usr/bin/ansible*", "/usr/bin/salt-*"},
			"user.name":                 {"deploy"},
		},
		Reason: "configuration management downloads packages", Author: "ann",
		CreatedAt: created, UpdatedAt: created,
	}
}

func storedException(e store.Exception) store.Exception {
	e.CreatedAt, e.UpdatedAt = stored(e.CreatedAt), stored(e.UpdatedAt)
	e.ExpiresAt, e.LastHit = stored(e.ExpiresAt), stored(e.LastHit)
	if e.Match == nil {
		e.Match = map[string][]string{}
	}
	return e
}

func testExceptionCRUD(t *testing.T, s store.Store) {
	es := s.Exceptions()
	e := exception("ex-1", at(0))
	e.ExpiresAt = at(24 * time.Hour)
	e.Hits, e.LastHit = 99, at(time.Hour) // the store counts hits itself
	got, err := es.Create(ctx(t), e)
	must(t, err)
	want := storedException(e)
	want.Hits, want.LastHit = 0, time.Time{}
	diff(t, "Create", want, got)
	again, err := es.Get(ctx(t), "ex-1")
	must(t, err)
	diff(t, "Get", want, again)
	wantUTC(t, "Get", again.CreatedAt, again.UpdatedAt, again.ExpiresAt)

	_, err = es.Create(ctx(t), exception("ex-1", at(0)))
	wantErr(t, "Create taken id", err, store.ErrAlreadyExists)
	_, err = es.Get(ctx(t), "missing")
	wantErr(t, "Get missing", err, store.ErrNotFound)

	// Defaults: a random id, now, an empty match that matches every event.
	before := time.Now().Add(-time.Second)
	bare, err := es.Create(ctx(t), store.Exception{RuleID: "r", Reason: "noisy"})
	must(t, err)
	if bare.ID == "" || bare.ID == "ex-1" || bare.CreatedAt.Before(before) || !bare.UpdatedAt.Equal(bare.CreatedAt) ||
		bare.Match == nil || len(bare.Match) != 0 || !bare.ExpiresAt.IsZero() {
		t.Fatalf("defaults: %+v", bare)
	}
	for name, m := range map[string]map[string][]string{
		"empty field":   {"": {"x"}},
		"no patterns":   {"user.name": {}},
		"nil patterns":  {"user.name": nil},
		"one bad field": {"user.name": {"root"}, "process.name": nil},
	} {
		bad := exception("", at(0))
		bad.Match = m
		_, err := es.Create(ctx(t), bad)
		wantErr(t, "Create with "+name, err, store.ErrInvalid)
		bad.ID = "ex-1"
		_, err = es.Update(ctx(t), bad)
		wantErr(t, "Update with "+name, err, store.ErrInvalid)
	}

	// Update replaces what it names and keeps author, creation and hits.
	must(t, es.AddHits(ctx(t), "ex-1", 3, at(time.Minute)))
	upd := store.Exception{
		ID: "ex-1", Match: map[string][]string{"process.executable": {"/opt/agent/bin/*"}},
		Reason: "every rule on every host", Author: "mallory", CreatedAt: at(-time.Hour), UpdatedAt: at(2 * time.Hour),
		Hits: 1000,
	}
	got, err = es.Update(ctx(t), upd)
	must(t, err)
	want = storedException(upd)
	want.Author, want.CreatedAt = "ann", stored(e.CreatedAt)
	want.Hits, want.LastHit = 3, stored(at(time.Minute))
	diff(t, "Update", want, got)
	again, err = es.Get(ctx(t), "ex-1")
	must(t, err)
	diff(t, "Get after Update", want, again)
	_, err = es.Update(ctx(t), exception("missing", at(0)))
	wantErr(t, "Update missing", err, store.ErrNotFound)
	before = time.Now().Add(-time.Second)
	upd.UpdatedAt = time.Time{}
	got, err = es.Update(ctx(t), upd)
	must(t, err)
	if got.UpdatedAt.Before(before) {
		t.Fatalf("Update without time: updated_at %v", got.UpdatedAt)
	}

	must(t, es.Delete(ctx(t), "ex-1"))
	wantErr(t, "Delete twice", es.Delete(ctx(t), "ex-1"), store.ErrNotFound)
	_, err = es.Get(ctx(t), "ex-1")
	wantErr(t, "Get deleted", err, store.ErrNotFound)
}

func testExceptionList(t *testing.T, s store.Store) {
	es := s.Exceptions()
	var all []store.Exception // newest first, id descending on ties
	for i := range 14 {
		e := exception(fmt.Sprintf("ex-%02d", i), at(time.Duration(i/2)*time.Second))
		e.RuleID = []string{"lnx_susp_curl", "", "lnx_cron_persistence"}[i%3]
		e.AgentID = []string{"agent-1", "agent-2", ""}[(i/2)%3]
		switch i % 4 {
		case 1:
			e.ExpiresAt = at(time.Hour)
		case 2:
			e.ExpiresAt = at(2 * time.Hour)
		}
		got, err := es.Create(ctx(t), e)
		must(t, err)
		all = append([]store.Exception{got}, all...)
	}
	match := func(keep func(store.Exception) bool) []store.Exception {
		out := []store.Exception{}
		for _, e := range all {
			if keep(e) {
				out = append(out, e)
			}
		}
		return out
	}
	activeAt := func(t0 time.Time) func(store.Exception) bool {
		return func(e store.Exception) bool { return e.ExpiresAt.IsZero() || e.ExpiresAt.After(t0) }
	}
	tests := []struct {
		name string
		f    store.ExceptionFilter
		want []store.Exception
	}{
		{"all", store.ExceptionFilter{}, all},
		{"rule", store.ExceptionFilter{RuleID: "lnx_susp_curl"},
			match(func(e store.Exception) bool { return e.RuleID == "lnx_susp_curl" })},
		{"agent", store.ExceptionFilter{AgentID: "agent-2"},
			match(func(e store.Exception) bool { return e.AgentID == "agent-2" })},
		{"active before any expiry", store.ExceptionFilter{ActiveAt: at(time.Minute)}, all},
		{"active at the first expiry", store.ExceptionFilter{ActiveAt: at(time.Hour)}, match(activeAt(at(time.Hour)))},
		{"active later", store.ExceptionFilter{ActiveAt: at(3 * time.Hour)}, match(activeAt(at(3 * time.Hour)))},
		{"rule and active", store.ExceptionFilter{RuleID: "lnx_cron_persistence", ActiveAt: at(90 * time.Minute)},
			match(func(e store.Exception) bool {
				return e.RuleID == "lnx_cron_persistence" && activeAt(at(90*time.Minute))(e)
			})},
		{"none", store.ExceptionFilter{RuleID: "missing"}, []store.Exception{}},
	}
	if n := len(tests[4].want); n == len(all) || n == len(tests[5].want) {
		t.Fatalf("expiry cases select %d, %d of %d: the fixture does not test expiry", n, len(tests[5].want), len(all))
	}
	for _, tt := range tests {
		for _, limit := range []int{1, 3, 100} {
			t.Run(fmt.Sprintf("%s/limit %d", tt.name, limit), func(t *testing.T) {
				got := collect(t, limit, func(p store.Page) ([]store.Exception, string, error) {
					f := tt.f
					f.Page = p
					return es.List(ctx(t), f)
				})
				if got == nil {
					got = []store.Exception{}
				}
				diff(t, "exceptions", tt.want, got)
			})
		}
	}
	for _, c := range garbageCursors {
		_, _, err := es.List(ctx(t), store.ExceptionFilter{Page: store.Page{Cursor: c}})
		wantErr(t, fmt.Sprintf("cursor %.20q", c), err, store.ErrBadCursor)
	}
	// A cursor of another listing.
	for i := range 2 {
		_, _, err := s.Alerts().Raise(ctx(t), alert(fmt.Sprintf("al-%d", i), "", at(0)))
		must(t, err)
	}
	_, next, err := s.Alerts().List(ctx(t), store.AlertFilter{Page: store.Page{Limit: 1}})
	must(t, err)
	_, _, err = es.List(ctx(t), store.ExceptionFilter{Page: store.Page{Cursor: next}})
	wantErr(t, "alerts cursor", err, store.ErrBadCursor)
}

func testExceptionAddHits(t *testing.T, s store.Store) {
	es := s.Exceptions()
	_, err := es.Create(ctx(t), exception("ex-1", at(0)))
	must(t, err)
	must(t, es.AddHits(ctx(t), "ex-1", 2, at(time.Minute)))
	must(t, es.AddHits(ctx(t), "ex-1", 5, at(-time.Minute))) // older: last hit stays
	got, err := es.Get(ctx(t), "ex-1")
	must(t, err)
	if got.Hits != 7 || !got.LastHit.Equal(stored(at(time.Minute))) {
		t.Fatalf("hits %d last %v, want 7 at %v", got.Hits, got.LastHit, stored(at(time.Minute)))
	}
	wantUTC(t, "LastHit", got.LastHit)
	must(t, es.AddHits(ctx(t), "ex-1", 1, at(time.Hour)))
	got, err = es.Get(ctx(t), "ex-1")
	must(t, err)
	if got.Hits != 8 || !got.LastHit.Equal(stored(at(time.Hour))) {
		t.Fatalf("hits %d last %v, want 8 at %v", got.Hits, got.LastHit, stored(at(time.Hour)))
	}
	for _, n := range []int64{0, -1} {
		wantErr(t, fmt.Sprintf("AddHits %d", n), es.AddHits(ctx(t), "ex-1", n, at(0)), store.ErrInvalid)
	}
	wantErr(t, "AddHits missing", es.AddHits(ctx(t), "missing", 1, at(0)), store.ErrNotFound)
}

func testExceptionAddHitsConcurrent(t *testing.T, s store.Store) {
	_, err := s.Exceptions().Create(ctx(t), exception("ex-1", at(0)))
	must(t, err)
	const workers, rounds = 12, 5
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds)
	for i := range workers {
		wg.Go(func() {
			for r := range rounds {
				errs <- s.Exceptions().AddHits(ctx(t), "ex-1", 2, at(time.Duration(i*rounds+r)*time.Second))
			}
		})
	}
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	must(t, errors.Join(all...))
	got, err := s.Exceptions().Get(ctx(t), "ex-1")
	must(t, err)
	last := stored(at(time.Duration(workers*rounds-1) * time.Second))
	if got.Hits != 2*workers*rounds || !got.LastHit.Equal(last) {
		t.Fatalf("hits %d last %v, want %d at %v", got.Hits, got.LastHit, 2*workers*rounds, last)
	}
}
