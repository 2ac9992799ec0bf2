package sqlstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/store"
)

// notifyStores returns the notification channel store of a fresh SQLite
// file and, with VIGIL_TEST_POSTGRES, of a fresh PostgreSQL schema.
func notifyStores(t *testing.T) map[string]store.Store {
	t.Helper()
	out := map[string]store.Store{"sqlite": openSQLite(t)}
	pg := openPostgres(t, "vigil_notify_")
	if pg == nil {
		t.Log("VIGIL_TEST_POSTGRES is not set: PostgreSQL not tested")
		return out
	}
	out["postgres"] = pg
	return out
}

func TestNotifyChannels(t *testing.T) {
	for name, st := range notifyStores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			ns := st.NotifyChannels()
			t0 := time.Date(2025, 6, 1, 8, 0, 0, 123456000, time.UTC)
			hook := store.NotifyChannel{Name: "ticketing", Type: "webhook",
				Config:    json.RawMessage(`{ "name": "ticketing", "type": "webhook", "webhook": {} }`),
				Secrets:   []byte{1, 0, 0xff, 7},
				UpdatedAt: t0, UpdatedBy: "alice",
			}
			created, err := ns.Put(ctx, hook)
			if err != nil {
				t.Fatal(err)
			}
			want := hook
			want.Config = json.RawMessage(`{"name":"ticketing","type":"webhook","webhook":{}}`)
			want.Revision, want.CreatedAt, want.CreatedBy = 1, t0, "alice"
			if diff := cmp.Diff(want, created); diff != "" {
				t.Errorf("created (-want +got):\n%s", diff)
			}
			if _, err := ns.Put(ctx, hook); !errors.Is(err, store.ErrAlreadyExists) {
				t.Errorf("second create: %v, want ErrAlreadyExists", err)
			}

			// A replacement names the revision it read, keeps the creation
			// and may drop the secrets.
			t1 := t0.Add(time.Hour)
			repl := store.NotifyChannel{Name: "ticketing", Type: "wecom", Config: json.RawMessage(`{"type":"wecom"}`),
				Revision: 1, UpdatedAt: t1, UpdatedBy: "bob"}
			replaced, err := ns.Put(ctx, repl)
			if err != nil {
				t.Fatal(err)
			}
			want = store.NotifyChannel{Name: "ticketing", Type: "wecom", Config: json.RawMessage(`{"type":"wecom"}`),
				Revision: 2, CreatedAt: t0, CreatedBy: "alice", UpdatedAt: t1, UpdatedBy: "bob"}
			if diff := cmp.Diff(want, replaced); diff != "" {
				t.Errorf("replaced (-want +got):\n%s", diff)
			}
			if _, err := ns.Put(ctx, repl); !errors.Is(err, store.ErrConflict) {
				t.Errorf("replace of a stale revision: %v, want ErrConflict", err)
			}
			gone := repl
			gone.Name = "gone"
			if _, err := ns.Put(ctx, gone); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("replace of a missing channel: %v, want ErrNotFound", err)
			}
			got, err := ns.Get(ctx, "ticketing")
			if err != nil || !cmp.Equal(want, got) {
				t.Errorf("Get = %+v, %v", got, err)
			}

			mail := store.NotifyChannel{Name: "Mail", Type: "email", Config: json.RawMessage(`{}`), Secrets: []byte("sealed"), UpdatedBy: "alice"}
			before := time.Now().Add(-time.Second)
			if m, err := ns.Put(ctx, mail); err != nil || m.UpdatedAt.Before(before) || !m.CreatedAt.Equal(m.UpdatedAt) {
				t.Errorf("put without a time: %+v, %v", m, err)
			}
			list, err := ns.List(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, c := range list {
				names = append(names, c.Name)
			}
			if diff := cmp.Diff([]string{"Mail", "ticketing"}, names); diff != "" {
				t.Errorf("listed in byte order (-want +got):\n%s", diff)
			}
			if string(list[0].Secrets) != "sealed" || list[1].Secrets != nil {
				t.Errorf("listed secrets %q and %q", list[0].Secrets, list[1].Secrets)
			}

			if err := ns.Delete(ctx, "ticketing"); err != nil {
				t.Fatal(err)
			}
			for _, err := range []error{ns.Delete(ctx, "ticketing"), ns.Delete(ctx, "no\x00such")} {
				if !errors.Is(err, store.ErrNotFound) {
					t.Errorf("delete of a missing channel: %v", err)
				}
			}
			if _, err := ns.Get(ctx, "ticketing"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Get after delete: %v", err)
			}
		})
	}
}

func TestNotifyChannelInvalid(t *testing.T) {
	for name, st := range notifyStores(t) {
		t.Run(name, func(t *testing.T) {
			ns := st.NotifyChannels()
			for _, c := range []store.NotifyChannel{
				{Type: "webhook", Config: json.RawMessage(`{}`)},
				{Name: "a", Config: json.RawMessage(`{}`)},
				{Name: "a", Type: "webhook"},
				{Name: "a", Type: "webhook", Config: json.RawMessage(`[1]`)},
				{Name: "a", Type: "webhook", Config: json.RawMessage(`null`)},
				{Name: "a", Type: "webhook", Config: json.RawMessage(`{"a":1} {}`)},
				{Name: "a\x00b", Type: "webhook", Config: json.RawMessage(`{}`)},
				{Name: "a", Type: "webhook", Config: json.RawMessage(`{}`), UpdatedBy: "\xff"},
				{Name: "a", Type: "webhook", Config: json.RawMessage(`{}`), Revision: -1},
			} {
				if _, err := ns.Put(t.Context(), c); !errors.Is(err, store.ErrInvalid) {
					t.Errorf("Put(%+v) = %v, want ErrInvalid", c, err)
				}
			}
			if list, err := ns.List(t.Context()); err != nil || len(list) != 0 {
				t.Errorf("stored %d channels, %v", len(list), err)
			}
		})
	}
}

// TestNotifyChannelRace has writers that read the same revision replace
// it at once: exactly one wins, the others learn of the conflict.
func TestNotifyChannelRace(t *testing.T) {
	for name, st := range notifyStores(t) {
		t.Run(name, func(t *testing.T) {
			ns := st.NotifyChannels()
			c := store.NotifyChannel{Name: "ops", Type: "wecom", Config: json.RawMessage(`{}`)}
			if _, err := ns.Put(t.Context(), c); err != nil {
				t.Fatal(err)
			}
			c.Revision = 1
			var wg sync.WaitGroup
			errs := make([]error, 8)
			for i := range errs {
				wg.Go(func() {
					cc := c
					cc.UpdatedBy = "writer-" + string(rune('a'+i))
					_, errs[i] = ns.Put(context.Background(), cc)
				})
			}
			wg.Wait()
			won := 0
			for _, err := range errs {
				switch {
				case err == nil:
					won++
				case !errors.Is(err, store.ErrConflict):
					t.Errorf("a losing writer: %v", err)
				}
			}
			if got, err := ns.Get(t.Context(), "ops"); won != 1 || err != nil || got.Revision != 2 {
				t.Errorf("%d writers won; stored revision %d, %v", won, got.Revision, err)
			}
		})
	}
}
