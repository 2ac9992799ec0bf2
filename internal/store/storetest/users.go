package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

var userCases = []testCase{
	{"Users/CRUD", testUserCRUD},
	{"Users/List", testUserList},
}

func user(id, name string) store.User {
	return store.User{
		ID: id, Name: name, Role: store.RoleAnalyst,
		PasswordHash: "$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$aGFzaA",
		CreatedAt:    at(0), UpdatedAt: at(time.Second),
	}
}

func storedUser(u store.User) store.User {
	u.CreatedAt, u.UpdatedAt = stored(u.CreatedAt), stored(u.UpdatedAt)
	return u
}

func testUserCRUD(t *testing.T, s store.Store) {
	us := s.Users()
	u := user("u1", "ann")
	must(t, us.Create(ctx(t), u))
	got, err := us.Get(ctx(t), "u1")
	must(t, err)
	diff(t, "Get", storedUser(u), got)
	wantUTC(t, "Get", got.CreatedAt, got.UpdatedAt)
	got, err = us.GetByName(ctx(t), "ann")
	must(t, err)
	diff(t, "GetByName", storedUser(u), got)

	wantErr(t, "taken name", us.Create(ctx(t), user("u2", "ann")), store.ErrAlreadyExists)
	wantErr(t, "taken id", us.Create(ctx(t), user("u1", "bob")), store.ErrAlreadyExists)
	_, err = us.Get(ctx(t), "missing")
	wantErr(t, "Get missing", err, store.ErrNotFound)
	_, err = us.GetByName(ctx(t), "missing")
	wantErr(t, "GetByName missing", err, store.ErrNotFound)

	must(t, us.Create(ctx(t), user("u2", "bob")))
	u.Name, u.Role, u.Disabled, u.PasswordHash, u.UpdatedAt = "anne", store.RoleAdmin, true, "new", at(time.Hour)
	must(t, us.Update(ctx(t), u))
	got, err = us.GetByName(ctx(t), "anne")
	must(t, err)
	diff(t, "after Update", storedUser(u), got)
	_, err = us.GetByName(ctx(t), "ann")
	wantErr(t, "old name", err, store.ErrNotFound)
	u.Name = "bob"
	wantErr(t, "rename to taken", us.Update(ctx(t), u), store.ErrAlreadyExists)
	wantErr(t, "Update missing", us.Update(ctx(t), user("u9", "zed")), store.ErrNotFound)

	must(t, us.Delete(ctx(t), "u1"))
	wantErr(t, "Delete twice", us.Delete(ctx(t), "u1"), store.ErrNotFound)
	must(t, us.Create(ctx(t), user("u3", "anne"))) // the name is free again
}

func testUserList(t *testing.T, s store.Store) {
	us := s.Users()
	names := []string{"carol", "ann", "dave", "bob", "erin", "frank", "alice"}
	for i, n := range names {
		must(t, us.Create(ctx(t), user(fmt.Sprintf("u%d", i), n)))
	}
	want := []string{"alice", "ann", "bob", "carol", "dave", "erin", "frank"}
	for _, limit := range []int{1, 2, 7, 10} {
		got := collect(t, limit, func(p store.Page) ([]store.User, string, error) {
			return us.List(ctx(t), p)
		})
		gotNames := make([]string, len(got))
		for i, u := range got {
			gotNames[i] = u.Name
		}
		diff(t, fmt.Sprintf("limit %d", limit), want, gotNames)
	}
	for _, c := range garbageCursors {
		_, _, err := us.List(ctx(t), store.Page{Cursor: c})
		wantAnyErr(t, fmt.Sprintf("cursor %.20q", c), err)
	}
}
