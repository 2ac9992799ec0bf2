package storetest

import (
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

var apiTokenCases = []testCase{
	{"APITokens/CRUD", testAPITokenCRUD},
	{"APITokens/List", testAPITokenList},
}

func apiToken(id, userID string, created time.Time) store.APIToken {
	h := sha256.Sum256([]byte("secret-" + id))
	return store.APIToken{
		ID: id, Name: "ci-" + id, Kind: "api", UserID: userID, Role: store.RoleResponder,
		Hash: h[:], CreatedAt: created, ExpiresAt: created.Add(30 * 24 * time.Hour),
	}
}

func storedAPIToken(tk store.APIToken) store.APIToken {
	tk.CreatedAt, tk.ExpiresAt, tk.LastUsedAt = stored(tk.CreatedAt), stored(tk.ExpiresAt), stored(tk.LastUsedAt)
	return tk
}

func testAPITokenCRUD(t *testing.T, s store.Store) {
	ts := s.APITokens()
	tk := apiToken("t1", "u1", at(0))
	must(t, ts.Create(ctx(t), tk))
	got, err := ts.GetByHash(ctx(t), tk.Hash)
	must(t, err)
	diff(t, "GetByHash", storedAPIToken(tk), got)
	wantUTC(t, "GetByHash", got.CreatedAt, got.ExpiresAt)

	forever := apiToken("t2", "", at(0))
	forever.ExpiresAt, forever.Kind = time.Time{}, "session"
	must(t, ts.Create(ctx(t), forever))
	got, err = ts.GetByHash(ctx(t), forever.Hash)
	must(t, err)
	if !got.ExpiresAt.IsZero() || !got.LastUsedAt.IsZero() {
		t.Fatalf("zero times came back as %v, %v", got.ExpiresAt, got.LastUsedAt)
	}

	wantErr(t, "taken id", ts.Create(ctx(t), apiToken("t1", "u2", at(0))), store.ErrAlreadyExists)
	sameHash := apiToken("t3", "u1", at(0))
	sameHash.Hash = tk.Hash
	wantErr(t, "taken hash", ts.Create(ctx(t), sameHash), store.ErrAlreadyExists)
	_, err = ts.GetByHash(ctx(t), []byte("nope"))
	wantErr(t, "GetByHash missing", err, store.ErrNotFound)

	must(t, ts.Touch(ctx(t), "t1", at(time.Hour)))
	got, err = ts.GetByHash(ctx(t), tk.Hash)
	must(t, err)
	if !got.LastUsedAt.Equal(stored(at(time.Hour))) {
		t.Fatalf("LastUsedAt %v", got.LastUsedAt)
	}
	wantErr(t, "Touch missing", ts.Touch(ctx(t), "missing", at(0)), store.ErrNotFound)

	must(t, ts.Create(ctx(t), apiToken("t4", "u1", at(0))))
	must(t, ts.Create(ctx(t), apiToken("t5", "u2", at(0))))
	must(t, ts.DeleteByUser(ctx(t), "u1"))
	must(t, ts.DeleteByUser(ctx(t), "u-none"))
	must(t, ts.DeleteByUser(ctx(t), ""))
	left := collect(t, 10, func(p store.Page) ([]store.APIToken, string, error) { return ts.List(ctx(t), p) })
	var leftIDs []string
	for _, l := range left {
		leftIDs = append(leftIDs, l.ID)
	}
	diff(t, "after DeleteByUser", []string{"t5", "t2"}, leftIDs)

	must(t, ts.Delete(ctx(t), "t5"))
	wantErr(t, "Delete twice", ts.Delete(ctx(t), "t5"), store.ErrNotFound)
	_, err = ts.GetByHash(ctx(t), apiToken("t5", "", at(0)).Hash)
	wantErr(t, "GetByHash deleted", err, store.ErrNotFound)
}

func testAPITokenList(t *testing.T, s store.Store) {
	ts := s.APITokens()
	var want []string
	for i := range 9 {
		tk := apiToken(fmt.Sprintf("t%d", i), "u1", at(time.Duration(i/3)*time.Minute))
		must(t, ts.Create(ctx(t), tk))
		want = append([]string{tk.ID}, want...)
	}
	for _, limit := range []int{1, 4, 9, 20} {
		got := collect(t, limit, func(p store.Page) ([]store.APIToken, string, error) { return ts.List(ctx(t), p) })
		gotIDs := make([]string, len(got))
		for i, tk := range got {
			gotIDs[i] = tk.ID
		}
		diff(t, fmt.Sprintf("limit %d", limit), want, gotIDs)
	}
	for _, c := range garbageCursors {
		_, _, err := ts.List(ctx(t), store.Page{Cursor: c})
		wantAnyErr(t, fmt.Sprintf("cursor %.20q", c), err)
	}
}
