package storetest

import (
	"fmt"
	"testing"

	"github.com/vigilsec/vigil/internal/store"
)

func testAgentListFilters(t *testing.T, s store.Store) {
	as := s.Agents()
	agents := []store.Agent{
		{ID: "a1", Hostname: "web-01", Status: store.StatusOnline, IPs: []string{"10.0.0.1"},
			Labels: map[string]string{"env": "prod", "team": "web"}},
		{ID: "a2", Hostname: "web-02", Status: store.StatusLost, IPs: []string{"10.0.0.2", "2001:db8::2"},
			Labels: map[string]string{"env": "prod", "team": "db"}},
		{ID: "a3", Hostname: "db-01", Status: store.StatusOnline, IPs: []string{"192.168.7.3"},
			Labels: map[string]string{"env": "dev"}},
		{ID: "a4-web%_x", Hostname: "odd", Status: store.StatusStopped},
	}
	for _, a := range agents {
		a.EnrolledAt, a.StatusChangedAt = at(0), at(0)
		must(t, as.Create(ctx(t), a))
	}
	tests := []struct {
		name string
		f    store.AgentFilter
		want []string // ids, in hostname order
	}{
		{"all", store.AgentFilter{}, []string{"a3", "a4-web%_x", "a1", "a2"}},
		{"status", store.AgentFilter{Status: store.StatusOnline}, []string{"a3", "a1"}},
		{"one label", store.AgentFilter{Labels: map[string]string{"env": "prod"}}, []string{"a1", "a2"}},
		{"all labels", store.AgentFilter{Labels: map[string]string{"env": "prod", "team": "db"}}, []string{"a2"}},
		{"label value mismatch", store.AgentFilter{Labels: map[string]string{"env": "stage"}}, nil},
		{"label and status", store.AgentFilter{Status: store.StatusLost, Labels: map[string]string{"env": "prod"}}, []string{"a2"}},
		{"q hostname any case", store.AgentFilter{Q: "WEB-0"}, []string{"a1", "a2"}},
		{"q id", store.AgentFilter{Q: "a3"}, []string{"a3"}},
		{"q ip", store.AgentFilter{Q: "192.168."}, []string{"a3"}},
		{"q second ip", store.AgentFilter{Q: "db8::"}, []string{"a2"}},
		{"q wildcards are literal", store.AgentFilter{Q: "%_"}, []string{"a4-web%_x"}},
		{"q underscore literal", store.AgentFilter{Q: "web_0"}, nil},
		{"q no match", store.AgentFilter{Q: "nothing"}, nil},
		{"q and label", store.AgentFilter{Q: "web", Labels: map[string]string{"team": "web"}}, []string{"a1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, next, err := as.List(ctx(t), tt.f)
			must(t, err)
			if next != "" {
				t.Errorf("next cursor %q on a short listing", next)
			}
			ids := []string{}
			for _, a := range got {
				ids = append(ids, a.ID)
			}
			if tt.want == nil {
				tt.want = []string{}
			}
			diff(t, "ids", tt.want, ids)
		})
	}
}

func testAgentListPaging(t *testing.T, s store.Store) {
	as := s.Agents()
	var want []string
	// Hostnames repeat so that the id breaks ties.
	for i := range 23 {
		a := store.Agent{
			ID: fmt.Sprintf("id-%02d", i), Hostname: fmt.Sprintf("host-%02d", i/2),
			Status: store.StatusOnline, EnrolledAt: at(0), StatusChangedAt: at(0),
		}
		must(t, as.Create(ctx(t), a))
		want = append(want, a.ID)
	}
	for _, limit := range []int{1, 5, 11, 23, 50} {
		got := collect(t, limit, func(p store.Page) ([]store.Agent, string, error) {
			return as.List(ctx(t), store.AgentFilter{Page: p})
		})
		ids := make([]string, len(got))
		for i, a := range got {
			ids[i] = a.ID
		}
		diff(t, fmt.Sprintf("limit %d", limit), want, ids)
	}
	// A filtered listing pages too.
	got := collect(t, 2, func(p store.Page) ([]store.Agent, string, error) {
		return as.List(ctx(t), store.AgentFilter{Q: "host-0", Page: p})
	})
	if len(got) != 20 {
		t.Fatalf("filtered paging: %d agents, want 20", len(got))
	}
	for _, c := range garbageCursors {
		_, _, err := as.List(ctx(t), store.AgentFilter{Page: store.Page{Cursor: c}})
		wantAnyErr(t, fmt.Sprintf("cursor %.20q", c), err)
	}
	_, users, err := s.Users().List(ctx(t), store.Page{Limit: 1})
	must(t, err)
	if users != "" {
		t.Fatalf("empty user listing has a cursor")
	}
	_, next, err := as.List(ctx(t), store.AgentFilter{Page: store.Page{Limit: 1}})
	must(t, err)
	_, _, err = s.Alerts().List(ctx(t), store.AlertFilter{Page: store.Page{Cursor: next}})
	wantAnyErr(t, "agent cursor on alerts", err)
}
