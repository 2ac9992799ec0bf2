package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

var joinTokenCases = []testCase{
	{"JoinTokens/CRUD", testJoinTokenCRUD},
	{"JoinTokens/Consume", testJoinTokenConsume},
	{"JoinTokens/ConsumeConcurrent", testJoinTokenConsumeConcurrent},
}

func joinToken(id string, created time.Time) store.JoinToken {
	return store.JoinToken{
		ID: id, SecretHash: []byte{0, 1, 2, 0xfe, 0xff}, Description: "web servers",
		Labels: map[string]string{"env": "prod"}, CreatedAt: created, CreatedBy: "admin",
		ExpiresAt: created.Add(24 * time.Hour), UsageLimit: 3,
	}
}

func storedJoinToken(tk store.JoinToken) store.JoinToken {
	tk.CreatedAt, tk.ExpiresAt = stored(tk.CreatedAt), stored(tk.ExpiresAt)
	if tk.Labels == nil {
		tk.Labels = map[string]string{}
	}
	return tk
}

func testJoinTokenCRUD(t *testing.T, s store.Store) {
	js := s.JoinTokens()
	var want []store.JoinToken
	for i := range 7 {
		tk := joinToken(fmt.Sprintf("jt-%d", i), at(time.Duration(i/2)*time.Minute))
		if i == 3 {
			tk.Labels, tk.ExpiresAt, tk.UsageLimit = nil, time.Time{}, 0
		}
		must(t, js.Create(ctx(t), tk))
		want = append([]store.JoinToken{storedJoinToken(tk)}, want...)
	}
	got, err := js.Get(ctx(t), "jt-3")
	must(t, err)
	diff(t, "Get", want[3], got)
	wantUTC(t, "Get", got.CreatedAt)
	wantErr(t, "Create twice", js.Create(ctx(t), joinToken("jt-3", at(0))), store.ErrAlreadyExists)
	_, err = js.Get(ctx(t), "missing")
	wantErr(t, "Get missing", err, store.ErrNotFound)

	// Newest first; equal creation times are ordered by id, descending.
	for _, limit := range []int{1, 2, 3, 7, 100} {
		list := collect(t, limit, func(p store.Page) ([]store.JoinToken, string, error) {
			return js.List(ctx(t), p)
		})
		diff(t, fmt.Sprintf("List limit %d", limit), want, list)
	}
	for _, c := range garbageCursors {
		_, _, err := js.List(ctx(t), store.Page{Cursor: c})
		wantAnyErr(t, fmt.Sprintf("cursor %.20q", c), err)
	}
	must(t, js.Delete(ctx(t), "jt-3"))
	wantErr(t, "Delete twice", js.Delete(ctx(t), "jt-3"), store.ErrNotFound)
	_, err = js.Get(ctx(t), "jt-3")
	wantErr(t, "Get deleted", err, store.ErrNotFound)
}

func testJoinTokenConsume(t *testing.T, s store.Store) {
	js := s.JoinTokens()
	limited := joinToken("limited", at(0))
	limited.UsageLimit = 2
	unlimited := joinToken("unlimited", at(0))
	unlimited.UsageLimit = 0
	forever := joinToken("forever", at(0))
	forever.ExpiresAt = time.Time{}
	for _, tk := range []store.JoinToken{limited, unlimited, forever} {
		must(t, js.Create(ctx(t), tk))
	}
	now := at(time.Hour)
	for i := 1; i <= 2; i++ {
		got, err := js.Consume(ctx(t), "limited", now)
		must(t, err)
		if got.Uses != i || got.ID != "limited" || got.UsageLimit != 2 {
			t.Fatalf("use %d: got %+v", i, got)
		}
	}
	_, err := js.Consume(ctx(t), "limited", now)
	wantErr(t, "third use", err, store.ErrTokenUsedUp)
	for i := 1; i <= 10; i++ {
		got, err := js.Consume(ctx(t), "unlimited", now)
		must(t, err)
		if got.Uses != i {
			t.Fatalf("unlimited use %d: uses %d", i, got.Uses)
		}
	}
	_, err = js.Consume(ctx(t), "unlimited", unlimited.ExpiresAt)
	wantErr(t, "at expiry", err, store.ErrTokenExpired)
	_, err = js.Consume(ctx(t), "unlimited", unlimited.ExpiresAt.Add(time.Hour))
	wantErr(t, "after expiry", err, store.ErrTokenExpired)
	got, err := js.Get(ctx(t), "unlimited")
	must(t, err)
	if got.Uses != 10 {
		t.Fatalf("failed uses were counted: %d", got.Uses)
	}
	_, err = js.Consume(ctx(t), "forever", at(10*365*24*time.Hour))
	must(t, err)
	_, err = js.Consume(ctx(t), "missing", now)
	wantErr(t, "missing", err, store.ErrNotFound)
}

func testJoinTokenConsumeConcurrent(t *testing.T, s store.Store) {
	js := s.JoinTokens()
	tk := joinToken("race", at(0))
	tk.UsageLimit = 5
	must(t, js.Create(ctx(t), tk))
	const workers = 20
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			_, errs[i] = js.Consume(ctx(t), "race", at(time.Minute))
		})
	}
	wg.Wait()
	ok, usedUp := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, store.ErrTokenUsedUp):
			usedUp++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 5 || usedUp != workers-5 {
		t.Fatalf("%d succeeded and %d used up, want 5 and %d", ok, usedUp, workers-5)
	}
	got, err := js.Get(ctx(t), "race")
	must(t, err)
	if got.Uses != 5 {
		t.Fatalf("uses %d, want 5", got.Uses)
	}
}
