package apiclient_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/apiclient/apiclienttest"
	"github.com/vigilsec/vigil/internal/store"
)

func TestAllWalksEveryPage(t *testing.T) {
	env := apiclienttest.Start(t)
	ctx := context.Background()
	for i := range 25 {
		a := store.Agent{ID: fmt.Sprintf("a%03d", i), Hostname: fmt.Sprintf("host-%03d", i), Status: store.StatusOnline}
		if err := env.Store.Agents().Create(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	c := client(t, env, env.ViewerToken)
	fetch := func(ctx context.Context, cursor string) (apiclient.Page[apiclient.Agent], error) {
		return c.Agents(ctx, store.AgentFilter{Page: store.Page{Limit: 10, Cursor: cursor}})
	}

	all, err := apiclient.Collect(apiclient.All(ctx, fetch), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 25 || all[0].ID != "a000" || all[24].ID != "a024" {
		t.Fatalf("got %d agents, first %q", len(all), all[0].ID)
	}
	if n := len(env.Requests()); n != 3 {
		t.Errorf("%d requests for 25 agents in pages of 10, want 3", n)
	}

	some, err := apiclient.Collect(apiclient.All(ctx, fetch), 12)
	if err != nil || len(some) != 12 || some[11].ID != "a011" {
		t.Fatalf("Collect(12) = %d items, %v", len(some), err)
	}
	if n := len(env.Requests()); n != 5 {
		t.Errorf("Collect(12) sent %d requests, want 2", n-3)
	}
}

func TestAllStopsOnErrorsAndRepeatedCursors(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/users", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"items":[{"id":"u1","name":"alice"}],"next_cursor":"same"}`))
	})
	c, _ := newTLS(t, mux, "t")
	fetch := func(ctx context.Context, cursor string) (apiclient.Page[store.User], error) {
		return c.Users(ctx, store.Page{Cursor: cursor})
	}
	got, err := apiclient.Collect(apiclient.All(context.Background(), fetch), 0)
	if err == nil || !strings.Contains(err.Error(), `cursor "same" twice`) || len(got) != 2 {
		t.Errorf("got %d users and %v, want 2 and a repeated-cursor error", len(got), err)
	}

	failing := func(ctx context.Context, cursor string) (apiclient.Page[store.User], error) {
		return apiclient.Page[store.User]{}, fmt.Errorf("boom")
	}
	for _, err := range apiclient.All(context.Background(), failing) {
		if err == nil || err.Error() != "boom" {
			t.Errorf("error %v, want boom", err)
		}
	}
}
