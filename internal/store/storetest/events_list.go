package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

func testEventFilters(t *testing.T, s store.Store) {
	mk := func(id, agent, category, action string, sec int, cmd string) event.Event {
		e := event.New(id, at(time.Duration(sec)*time.Second), category, action)
		e.Set(event.FieldAgentID, agent)
		if cmd != "" {
			e.Set(event.FieldProcessCmd, cmd)
		}
		return e
	}
	evs := []event.Event{
		mk("e1", "a1", "process", "exec", 0, "/usr/bin/CURL http://x"),
		mk("e2", "a1", "network", "connect", 10, ""),
		mk("e3", "a2", "process", "exec", 20, "wget 100%_done"),
		mk("e4", "a2", "file", "modify", 30, ""),
		mk("e5", "a1", "process", "exit", 40, "curl"),
	}
	evs[3].Set(event.FieldFilePath, "/etc/Passwd")
	evs[1].Set(event.FieldDestIP, "203.0.113.9")
	insert(t, s, evs)
	tests := []struct {
		name string
		f    store.EventFilter
		want []string // newest first
	}{
		{"all", store.EventFilter{}, []string{"e5", "e4", "e3", "e2", "e1"}},
		{"agent", store.EventFilter{AgentID: "a2"}, []string{"e4", "e3"}},
		{"category", store.EventFilter{Category: "process"}, []string{"e5", "e3", "e1"}},
		{"category and action", store.EventFilter{Category: "process", Action: "exec"}, []string{"e3", "e1"}},
		{"since", store.EventFilter{Since: at(20 * time.Second)}, []string{"e5", "e4", "e3"}},
		{"until", store.EventFilter{Until: at(20 * time.Second)}, []string{"e2", "e1"}},
		{"window", store.EventFilter{Since: at(10 * time.Second), Until: at(31 * time.Second)}, []string{"e4", "e3", "e2"}},
		{"q any case", store.EventFilter{Q: "curl"}, []string{"e5", "e1"}},
		{"q upper", store.EventFilter{Q: "PASSWD"}, []string{"e4"}},
		{"q ip", store.EventFilter{Q: "203.0.113"}, []string{"e2"}},
		{"q literal percent", store.EventFilter{Q: "100%_"}, []string{"e3"}},
		{"q wildcard is literal", store.EventFilter{Q: "c%l"}, nil},
		{"q and agent", store.EventFilter{Q: "curl", AgentID: "a1", Action: "exit"}, []string{"e5"}},
		{"ascending", store.EventFilter{AgentID: "a1", Ascending: true}, []string{"e1", "e2", "e5"}},
		{"nothing", store.EventFilter{AgentID: "a3"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := s.Events().List(ctx(t), tt.f)
			must(t, err)
			if tt.want == nil {
				tt.want = []string{}
			}
			diff(t, "ids", tt.want, ids(got))
		})
	}
}

func testEventPaging(t *testing.T, s store.Store) {
	evs := processEvents(23, "agent-1")
	// Ingest order, not @timestamp, orders listings: store them shuffled in time.
	evs[4], evs[17] = evs[17], evs[4]
	for i := 0; i < len(evs); i += 6 {
		insert(t, s, evs[i:min(i+6, len(evs))])
	}
	insert(t, s, processEvents(4, "agent-2"))
	for _, asc := range []bool{false, true} {
		for _, limit := range []int{1, 4, 23, 40} {
			var got []event.Event
			cursor := ""
			for pages := 0; ; pages++ {
				page, next, err := s.Events().List(ctx(t), store.EventFilter{
					AgentID: "agent-1", Ascending: asc, Page: store.Page{Limit: limit, Cursor: cursor},
				})
				must(t, err)
				if pages > 30 || len(page) > limit {
					t.Fatalf("asc %v limit %d: page %d has %d events", asc, limit, pages, len(page))
				}
				got = append(got, page...)
				if next == "" {
					break
				}
				cursor = next
			}
			want := ids(evs)
			if !asc {
				want = reversed(want)
			}
			diff(t, fmt.Sprintf("ascending %v limit %d", asc, limit), want, ids(got))
		}
	}
	for _, c := range garbageCursors {
		_, _, err := s.Events().List(ctx(t), store.EventFilter{Page: store.Page{Cursor: c}})
		wantAnyErr(t, fmt.Sprintf("cursor %.20q", c), err)
	}
}

func testEventFollow(t *testing.T, s store.Store) {
	evs := processEvents(12, "agent-1")
	insert(t, s, evs[:5])
	page, cursor, err := s.Events().List(ctx(t), store.EventFilter{Ascending: true})
	must(t, err)
	if len(page) != 5 || cursor == "" {
		t.Fatalf("first read: %d events, cursor %q", len(page), cursor)
	}
	page, next, err := s.Events().List(ctx(t), store.EventFilter{Ascending: true, Page: store.Page{Cursor: cursor}})
	must(t, err)
	if len(page) != 0 || next != "" {
		t.Fatalf("caught up: %d events, cursor %q", len(page), next)
	}
	insert(t, s, evs[5:])
	page, next, err = s.Events().List(ctx(t), store.EventFilter{Ascending: true, Page: store.Page{Cursor: cursor}})
	must(t, err)
	diff(t, "followed", ids(evs[5:]), ids(page))
	if next == "" {
		t.Fatal("no cursor to follow on")
	}
}
