package sqlstore_test

import (
	"cmp"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// compareIndicators is the listing order of indicators.
func compareIndicators(a, b store.Indicator) int {
	return cmp.Or(strings.Compare(string(a.Type), string(b.Type)), strings.Compare(a.Value, b.Value),
		strings.Compare(a.Source, b.Source))
}

// compareProfiles is the listing order of login profiles.
func compareProfiles(a, b store.LoginProfile) int {
	return cmp.Or(strings.Compare(a.AgentID, b.AgentID), strings.Compare(a.User, b.User))
}

// FuzzIntelListings feeds arbitrary cursors, types, sources, free text,
// agent ids and user names, as API clients send them, to the listings
// of indicators and login profiles on a real database: each must list or
// reject them with ErrBadCursor or ErrInvalid, never fail otherwise;
// what it lists must match the filter, in order, and a listing that
// starts from an accepted cursor must page on after it.
func FuzzIntelListings(f *testing.F) {
	s := openSQLite(f)
	now := time.Now()
	var ins []store.Indicator
	sources := []string{"feodo", "Feodo", "otx", "manual"}
	descriptions := []string{"Emotet C2", "ÄRGER dropper", "100% match_rate", ""}
	for i := range 60 {
		typ := store.IndicatorTypes[i%len(store.IndicatorTypes)]
		value := fmt.Sprintf("Value-%02d.example", i%13)
		src := sources[i/len(store.IndicatorTypes)%len(sources)]
		in := store.Indicator{ID: store.IndicatorID(typ, value, src), Type: typ, Value: value, Source: src,
			Description: descriptions[i%len(descriptions)], Severity: "medium", Confidence: 50, UpdatedAt: now}
		if i%4 == 1 {
			in.ExpiresAt = now.Add(-time.Hour)
		}
		ins = append(ins, in)
	}
	if _, _, err := s.Intel().Put(f.Context(), ins); err != nil {
		f.Fatal(err)
	}
	var ps []store.LoginProfile
	for a := range 6 {
		for _, u := range []string{"root", "Root", "ann", "_svc", "ännchen", "x"} {
			ps = append(ps, store.LoginProfile{AgentID: fmt.Sprintf("agent-%d", a), User: u, Logins: int64(a)})
		}
	}
	if err := s.Baselines().PutLoginProfiles(f.Context(), ps); err != nil {
		f.Fatal(err)
	}
	_, c1, err := s.Intel().List(f.Context(), store.IndicatorFilter{Page: store.Page{Limit: 2}})
	if err != nil {
		f.Fatal(err)
	}
	_, c2, err := s.Baselines().ListLoginProfiles(f.Context(), store.LoginProfileFilter{Page: store.Page{Limit: 2}})
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []struct {
		cursor, typ, source, q, agent, user string
		expired                             bool
	}{
		{c1, "", "", "", "", "", false}, {c1, "ip", "feodo", "value", "agent-1", "", true},
		{c2, "url", "", "ärger", "", "root", false}, {c2, "", "otx", "%", "agent-2", "Root", true},
		{"", "domain", "manual", "_", "agent-\x00", "", false}, {"e30", "IP", "\xff", "\x00", "", "\xc3", true},
		{"eyJrIjoiaW5kaWNhdG9ycyIsInMiOiJcdTAwMDAifQ", "sha256", "Feodo", "100%", "", "", false},
	} {
		f.Add(seed.cursor, seed.typ, seed.source, seed.q, seed.agent, seed.user, seed.expired)
	}
	f.Fuzz(func(t *testing.T, cursor, typ, source, q, agentID, user string, expired bool) {
		filter := store.IndicatorFilter{Type: store.IndicatorType(typ), Source: source, Q: q, Expired: expired,
			Page: store.Page{Limit: 3, Cursor: cursor}}
		list, next, err := s.Intel().List(t.Context(), filter)
		if listingAccepted(t, "List", err) {
			fq := strings.ToLower(q)
			checkListed(t, "indicator", list, filter, func(in store.Indicator) bool {
				return !(typ != "" && string(in.Type) != typ || source != "" && in.Source != source ||
					q != "" && !strings.Contains(strings.ToLower(in.Value), fq) && !strings.Contains(strings.ToLower(in.Description), fq) ||
					!expired && !in.ExpiresAt.IsZero() && !in.ExpiresAt.After(now))
			}, compareIndicators)
			if next != "" {
				filter.Cursor = next
				more, _, err := s.Intel().List(t.Context(), filter)
				if listingAccepted(t, "List after its cursor", err) {
					checkPagedOn(t, list[len(list)-1], more, compareIndicators)
				}
			}
		}
		pf := store.LoginProfileFilter{AgentID: agentID, User: user, Page: store.Page{Limit: 4, Cursor: cursor}}
		profiles, next, err := s.Baselines().ListLoginProfiles(t.Context(), pf)
		if listingAccepted(t, "ListLoginProfiles", err) {
			checkListed(t, "profile", profiles, pf, func(p store.LoginProfile) bool {
				return !(agentID != "" && p.AgentID != agentID || user != "" && p.User != user)
			}, compareProfiles)
			if next != "" {
				pf.Cursor = next
				more, _, err := s.Baselines().ListLoginProfiles(t.Context(), pf)
				if listingAccepted(t, "ListLoginProfiles after its cursor", err) {
					checkPagedOn(t, profiles[len(profiles)-1], more, compareProfiles)
				}
			}
		}
	})
}
