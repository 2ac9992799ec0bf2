package sqlstore_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/storetest"
)

// compareAdvisories is the listing order of advisories: by id.
func compareAdvisories(a, b store.Advisory) int { return strings.Compare(a.ID, b.ID) }

// FuzzVulnListings feeds arbitrary cursors and free text, as API clients
// send them, to the listings of the vulnerability store on a real
// database: each must list or reject them with ErrBadCursor or
// ErrInvalid, never fail otherwise, and a listing that starts from an
// accepted cursor must page on without repeating it.
func FuzzVulnListings(f *testing.F) {
	vs := openSQLite(f).Vulns()
	var advs []store.Advisory
	for i := range 20 {
		advs = append(advs, storetest.BenchAdvisory(i, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	}
	if _, err := vs.PutAdvisories(f.Context(), advs); err != nil {
		f.Fatal(err)
	}
	for a := range 3 {
		var fs []store.VulnFinding
		for j := range 10 {
			fs = append(fs, storetest.BenchFinding(a, j, 15))
		}
		if _, err := vs.ReplaceFindings(f.Context(), fmt.Sprintf("agent-%d", a), fs, time.Now()); err != nil {
			f.Fatal(err)
		}
	}
	one := store.Page{Limit: 1}
	_, c1, err := vs.ListAdvisories(f.Context(), store.AdvisoryFilter{Page: one})
	if err != nil {
		f.Fatal(err)
	}
	_, c2, err := vs.ListFindings(f.Context(), store.VulnFindingFilter{Page: one})
	if err != nil {
		f.Fatal(err)
	}
	_, c3, err := vs.VulnSummaries(f.Context(), store.VulnFindingFilter{Page: one})
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []struct{ cursor, q string }{
		{c1, ""}, {c2, "cve"}, {c3, "lib0000"}, {"", "%_\\"}, {"e30", "\x00"}, {"eyJrIjoiZmluZGluZ3MifQ", "\xff"},
	} {
		f.Add(seed.cursor, seed.q)
	}
	f.Fuzz(func(t *testing.T, cursor, q string) {
		page := store.Page{Limit: 3, Cursor: cursor}
		advs, next, err := vs.ListAdvisories(t.Context(), store.AdvisoryFilter{Q: q, Page: page})
		if listingAccepted(t, "ListAdvisories", err) && next != "" {
			more, _, err := vs.ListAdvisories(t.Context(), store.AdvisoryFilter{Q: q, Page: store.Page{Limit: 3, Cursor: next}})
			listingAccepted(t, "ListAdvisories after its cursor", err)
			checkPagedOn(t, advs[len(advs)-1], more, compareAdvisories)
		}
		_, _, err = vs.ListFindings(t.Context(), store.VulnFindingFilter{Q: q, Page: page})
		listingAccepted(t, "ListFindings", err)
		_, _, err = vs.VulnSummaries(t.Context(), store.VulnFindingFilter{Q: q, Page: page})
		listingAccepted(t, "VulnSummaries", err)
	})
}
