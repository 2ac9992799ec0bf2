package storetest

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

func kev(cve string, added time.Time) store.KnownExploited {
	return store.KnownExploited{CVE: cve, Vendor: "Apache", Product: "Log4j2", Name: "Apache Log4j2 Remote Code Execution",
		DateAdded: added, DueDate: added.Add(14 * 24 * time.Hour), Ransomware: true}
}

func storedKEV(k store.KnownExploited) store.KnownExploited {
	k.DateAdded, k.DueDate = stored(k.DateAdded), stored(k.DueDate)
	return k
}

func testKnownExploited(t *testing.T, s store.Store) {
	vs := s.Vulns()
	got, err := vs.KnownExploited(ctx(t))
	must(t, err)
	diff(t, "empty catalogue", []store.KnownExploited{}, got)

	log4j, xz, curl := kev("CVE-2021-44228", at(0)), kev("CVE-2024-3094", at(time.Hour)), store.KnownExploited{CVE: "CVE-2023-38545"}
	xz.Ransomware = false
	must(t, vs.ReplaceKnownExploited(ctx(t), []store.KnownExploited{xz, curl, log4j}))
	got, err = vs.KnownExploited(ctx(t))
	must(t, err)
	diff(t, "catalogue, by CVE", []store.KnownExploited{storedKEV(log4j), storedKEV(curl), storedKEV(xz)}, got)
	wantUTC(t, "catalogue", got[0].DateAdded, got[0].DueDate)

	// Replacing drops what the new catalogue lacks.
	webp := kev("CVE-2023-4863", at(2*time.Hour))
	xz.Vendor = "Tukaani"
	must(t, vs.ReplaceKnownExploited(ctx(t), []store.KnownExploited{webp, xz}))
	got, err = vs.KnownExploited(ctx(t))
	must(t, err)
	diff(t, "replaced catalogue", []store.KnownExploited{storedKEV(webp), storedKEV(xz)}, got)

	// A large catalogue, then an invalid one that changes nothing.
	var large []store.KnownExploited
	for i := range 1300 {
		large = append(large, kev("CVE-2020-"+strings.Repeat("0", 5-len(itoa(i)))+itoa(i), at(time.Duration(i)*time.Minute)))
	}
	must(t, vs.ReplaceKnownExploited(ctx(t), large))
	for name, bad := range map[string][]store.KnownExploited{
		"an entry without CVE": {webp, {Vendor: "x"}},
		"a CVE twice":          {webp, xz, webp},
		"NUL in a name":        {{CVE: "CVE-1", Name: "a\x00"}},
	} {
		wantErr(t, "ReplaceKnownExploited with "+name, vs.ReplaceKnownExploited(ctx(t), bad), store.ErrInvalid)
	}
	got, err = vs.KnownExploited(ctx(t))
	must(t, err)
	if len(got) != len(large) || got[0].CVE != "CVE-2020-00000" || got[len(got)-1].CVE != "CVE-2020-01299" {
		t.Fatalf("catalogue after rejected replaces: %d entries", len(got))
	}

	// An empty catalogue empties it.
	must(t, vs.ReplaceKnownExploited(ctx(t), nil))
	got, err = vs.KnownExploited(ctx(t))
	must(t, err)
	diff(t, "emptied catalogue", []store.KnownExploited{}, got)
}

// itoa formats a small non-negative integer.
func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

func testVulnSources(t *testing.T, s store.Store) {
	vs := s.Vulns()
	got, err := vs.Sources(ctx(t))
	must(t, err)
	diff(t, "no sources", []store.VulnSource{}, got)
	debian := store.VulnSource{Name: "Debian", URL: "https://osv-vulnerabilities.storage.googleapis.com/Debian/all.zip",
		ETag: `"0x8DC5B2"`, LastModified: "Tue, 10 Mar 2026 06:00:00 GMT", SHA256: strings.Repeat("ab", 32),
		Records: 48211, Rejected: 3, SyncedAt: at(0), UpdatedAt: at(time.Second)}
	upload := store.VulnSource{Name: "advisories-2026.zip", Records: 12, Error: "3 records are not OSV", UpdatedAt: at(time.Minute)}
	must(t, vs.PutSource(ctx(t), upload))
	must(t, vs.PutSource(ctx(t), debian))
	storedSource := func(v store.VulnSource) store.VulnSource {
		v.SyncedAt, v.UpdatedAt = stored(v.SyncedAt), stored(v.UpdatedAt)
		return v
	}
	got, err = vs.Sources(ctx(t))
	must(t, err)
	diff(t, "sources, by name in byte order", []store.VulnSource{storedSource(debian), storedSource(upload)}, got)
	wantUTC(t, "source", got[0].SyncedAt, got[0].UpdatedAt)

	// A put replaces every field.
	failed := store.VulnSource{Name: "Debian", URL: debian.URL, Error: "HTTP 503", UpdatedAt: at(time.Hour)}
	must(t, vs.PutSource(ctx(t), failed))
	got, err = vs.Sources(ctx(t))
	must(t, err)
	diff(t, "replaced source", storedSource(failed), got[0])

	before := time.Now().Add(-time.Second)
	must(t, vs.PutSource(ctx(t), store.VulnSource{Name: "now"}))
	got, err = vs.Sources(ctx(t))
	must(t, err)
	if got[2].Name != "now" || got[2].UpdatedAt.Before(before) {
		t.Fatalf("default time: %+v", got[2])
	}
	for name, bad := range map[string]store.VulnSource{
		"no name":           {Records: 1},
		"negative records":  {Name: "x", Records: -1},
		"negative rejected": {Name: "x", Rejected: -2},
		"NUL in the error":  {Name: "x", Error: "a\x00b"},
	} {
		wantErr(t, "PutSource with "+name, vs.PutSource(ctx(t), bad), store.ErrInvalid)
	}
}

// storedWordlist is w as Wordlists gives it back.
func storedWordlist(w store.Wordlist) store.Wordlist {
	sum := sha256.Sum256([]byte(strings.Join(w.Words, "\n")))
	w.SHA256 = hex.EncodeToString(sum[:])
	w.Count = len(w.Words)
	if w.Words == nil {
		w.Words = []string{}
	}
	w.CreatedAt, w.UpdatedAt = stored(w.CreatedAt), stored(w.UpdatedAt)
	return w
}

func testWordlists(t *testing.T, s store.Store) {
	vs := s.Vulns()
	got, err := vs.Wordlists(ctx(t))
	must(t, err)
	diff(t, "no lists", []store.Wordlist{}, got)

	top := store.Wordlist{Name: "top-passwords", Words: []string{"123456", "password", "qwerty", "Pa$$w0rd!", "pässwort"},
		Author: "ann", CreatedAt: at(0), UpdatedAt: at(0)}
	top.Count, top.SHA256 = 99, "not the digest" // computed by the store
	// Words that are not text, an empty password, a carriage return.
	odd := store.Wordlist{Name: "Odd", Words: []string{"", "\xff\xfelatin1", "nul\x00byte", "crlf\r", " "},
		Author: "bob", CreatedAt: at(time.Minute), UpdatedAt: at(time.Minute)}
	empty := store.Wordlist{Name: "empty", Author: "carl", CreatedAt: at(2 * time.Minute), UpdatedAt: at(2 * time.Minute)}
	only := store.Wordlist{Name: "one-empty-word", Words: []string{""}, CreatedAt: at(3 * time.Minute), UpdatedAt: at(3 * time.Minute)}
	for _, w := range []store.Wordlist{top, odd, empty, only} {
		isNew, err := vs.PutWordlist(ctx(t), w)
		must(t, err)
		if !isNew {
			t.Fatalf("PutWordlist %s: not new", w.Name)
		}
	}
	got, err = vs.Wordlists(ctx(t))
	must(t, err)
	diff(t, "lists, by name in byte order",
		[]store.Wordlist{storedWordlist(odd), storedWordlist(empty), storedWordlist(only), storedWordlist(top)}, got)
	wantUTC(t, "list", got[0].CreatedAt, got[0].UpdatedAt)

	// Replacing keeps the creation time.
	bigger := store.Wordlist{Name: top.Name, Author: "dave", UpdatedAt: at(time.Hour)}
	for i := range 20000 {
		bigger.Words = append(bigger.Words, "pw"+itoa(i))
	}
	isNew, err := vs.PutWordlist(ctx(t), bigger)
	must(t, err)
	if isNew {
		t.Fatal("replacing PutWordlist is new")
	}
	want := storedWordlist(bigger)
	want.CreatedAt = stored(top.CreatedAt)
	got, err = vs.Wordlists(ctx(t))
	must(t, err)
	diff(t, "replaced list", want, got[3])

	before := time.Now().Add(-time.Second)
	_, err = vs.PutWordlist(ctx(t), store.Wordlist{Name: "now", Words: []string{"x"}})
	must(t, err)
	got, err = vs.Wordlists(ctx(t))
	must(t, err)
	if now := got[2]; now.Name != "now" || now.CreatedAt.Before(before) || !now.UpdatedAt.Equal(now.CreatedAt) {
		t.Fatalf("default times: %+v", now)
	}

	_, err = vs.PutWordlist(ctx(t), store.Wordlist{Words: []string{"x"}})
	wantErr(t, "PutWordlist without name", err, store.ErrInvalid)
	_, err = vs.PutWordlist(ctx(t), store.Wordlist{Name: "x", Words: []string{"two\nwords"}})
	wantErr(t, "PutWordlist with a newline in a word", err, store.ErrInvalid)
	must(t, vs.DeleteWordlist(ctx(t), odd.Name))
	wantErr(t, "DeleteWordlist twice", vs.DeleteWordlist(ctx(t), odd.Name), store.ErrNotFound)
	wantErr(t, "DeleteWordlist of a name with NUL", vs.DeleteWordlist(ctx(t), "empty\x00"), store.ErrNotFound)
	got, err = vs.Wordlists(ctx(t))
	must(t, err)
	if len(got) != 4 {
		t.Fatalf("%d lists after delete, want 4", len(got))
	}
	isNew, err = vs.PutWordlist(ctx(t), odd)
	must(t, err)
	if !isNew {
		t.Fatal("PutWordlist after delete is not new")
	}
}
