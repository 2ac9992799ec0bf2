package storetest

import (
	"bytes"
	"testing"

	"github.com/vigilsec/vigil/internal/store"
)

var stateCases = []testCase{
	{"State/PutGetDelete", testStatePutGetDelete},
}

func testStatePutGetDelete(t *testing.T, s store.Store) {
	ss := s.State()
	_, err := ss.Get(ctx(t), "detect/windows")
	wantErr(t, "Get missing", err, store.ErrNotFound)

	blob := bytes.Repeat([]byte{0, 1, 2, 0xfe, 0xff}, 200_000) // 1 MB, not text
	must(t, ss.Put(ctx(t), "detect/windows", blob))
	got, err := ss.Get(ctx(t), "detect/windows")
	must(t, err)
	if !bytes.Equal(got, blob) {
		t.Fatalf("Get returned %d bytes, want the %d put", len(got), len(blob))
	}
	must(t, ss.Put(ctx(t), "detect/windows", []byte("v2")))
	must(t, ss.Put(ctx(t), "other", nil))
	got, err = ss.Get(ctx(t), "detect/windows")
	must(t, err)
	diff(t, "replaced", []byte("v2"), got)
	got, err = ss.Get(ctx(t), "other")
	must(t, err)
	if got == nil || len(got) != 0 {
		t.Fatalf("empty value: %#v", got)
	}

	wantErr(t, "Put without key", ss.Put(ctx(t), "", []byte("x")), store.ErrInvalid)
	must(t, ss.Delete(ctx(t), "detect/windows"))
	wantErr(t, "Delete twice", ss.Delete(ctx(t), "detect/windows"), store.ErrNotFound)
	_, err = ss.Get(ctx(t), "detect/windows")
	wantErr(t, "Get deleted", err, store.ErrNotFound)
	if _, err := ss.Get(ctx(t), "other"); err != nil {
		t.Fatalf("Delete removed another key: %v", err)
	}
}
