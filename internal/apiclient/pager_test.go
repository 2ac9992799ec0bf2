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
	center := apiclienttest.New(nil)
	for i := range 250 {
		center.AddAgent(store.Agent{ID: fmt.Sprintf("a%03d", i), Hostname: fmt.Sprintf("host-%03d", i), Status: store.StatusOnline})
	}
	center.AddBearer("t", "ops", store.RoleViewer)
	c, _ := newTLS(t, center, "t")
	ctx := context.Background()
	fetch := func(ctx context.Context, cursor string) (apiclient.Page[apiclient.Agent], error) {
		return c.Agents(ctx, store.AgentFilter{Page: store.Page{Limit: 100, Cursor: cursor}})
	}

	all, err := apiclient.Collect(apiclient.All(ctx, fetch), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 250 || all[0].ID != "a000" || all[249].ID != "a249" {
		t.Fatalf("got %d agents, first %q", len(all), all[0].ID)
	}
	if n := len(center.Requests()); n != 3 {
		t.Errorf("%d requests for 250 agents in pages of 100, want 3", n)
	}

	some, err := apiclient.Collect(apiclient.All(ctx, fetch), 120)
	if err != nil || len(some) != 120 || some[119].ID != "a119" {
		t.Fatalf("Collect(120) = %d items, %v", len(some), err)
	}
	if n := len(center.Requests()); n != 5 {
		t.Errorf("Collect(120) sent %d requests, want 2", n-3)
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
