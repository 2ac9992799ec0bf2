package storetest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

var ruleCases = []testCase{
	{"Rules/Files", testRuleFiles},
	{"Rules/PutFileConcurrent", testRulePutFileConcurrent},
	{"Rules/Settings", testRuleSettings},
}

func ruleFile(name, content string, when time.Time) store.RuleFile {
	return store.RuleFile{Name: name, Content: []byte(content), Author: "ann", CreatedAt: when, UpdatedAt: when}
}

// storedRuleFile is f as the store gives it back.
func storedRuleFile(f store.RuleFile) store.RuleFile {
	sum := sha256.Sum256(f.Content)
	f.SHA256 = hex.EncodeToString(sum[:])
	f.CreatedAt, f.UpdatedAt = stored(f.CreatedAt), stored(f.UpdatedAt)
	if f.Content == nil {
		f.Content = []byte{}
	}
	return f
}

func testRuleFiles(t *testing.T, s store.Store) {
	rs := s.Rules()
	files, err := rs.Files(ctx(t))
	must(t, err)
	if files == nil || len(files) != 0 {
		t.Fatalf("empty Files: %#v", files)
	}
	curl := ruleFile("linux/process_creation/proc_creation_lnx_susp_curl.yml",
		"title: Suspicious curl\nlogsource:\n  category: process_creation\n", at(0))
	curl.SHA256 = "not the digest" // computed by the store
	upper := ruleFile("Z_custom.yml", "title: Z\n", at(time.Minute))
	empty := ruleFile("empty.yml", "", at(2*time.Minute))
	empty.Content = nil
	for _, f := range []store.RuleFile{curl, upper, empty} {
		isNew, err := rs.PutFile(ctx(t), f)
		must(t, err)
		if !isNew {
			t.Fatalf("PutFile %s: not new", f.Name)
		}
	}
	// By name in byte order: upper case before lower case.
	files, err = rs.Files(ctx(t))
	must(t, err)
	diff(t, "Files", []store.RuleFile{storedRuleFile(upper), storedRuleFile(empty), storedRuleFile(curl)}, files)
	wantUTC(t, "Files", files[0].CreatedAt, files[0].UpdatedAt)

	// Replacing keeps the creation time.
	changed := ruleFile(curl.Name, "title: Suspicious curl v2\n", at(time.Hour))
	changed.Author = "bob"
	isNew, err := rs.PutFile(ctx(t), changed)
	must(t, err)
	if isNew {
		t.Fatal("replacing PutFile is new")
	}
	want := storedRuleFile(changed)
	want.CreatedAt = stored(curl.CreatedAt)
	files, err = rs.Files(ctx(t))
	must(t, err)
	diff(t, "replaced file", want, files[2])

	// Zero times mean now.
	before := time.Now().Add(-time.Second)
	_, err = rs.PutFile(ctx(t), store.RuleFile{Name: "now.yml", Content: []byte("x")})
	must(t, err)
	files, err = rs.Files(ctx(t))
	must(t, err)
	if now := files[3]; now.Name != "now.yml" || now.CreatedAt.Before(before) || !now.UpdatedAt.Equal(now.CreatedAt) {
		t.Fatalf("default times: %+v", now)
	}

	_, err = rs.PutFile(ctx(t), ruleFile("", "x", at(0)))
	wantErr(t, "PutFile without name", err, store.ErrInvalid)
	must(t, rs.DeleteFile(ctx(t), curl.Name))
	wantErr(t, "DeleteFile twice", rs.DeleteFile(ctx(t), curl.Name), store.ErrNotFound)
	files, err = rs.Files(ctx(t))
	must(t, err)
	if len(files) != 3 {
		t.Fatalf("%d files after delete, want 3", len(files))
	}
	// A deleted name is new again.
	isNew, err = rs.PutFile(ctx(t), curl)
	must(t, err)
	if !isNew {
		t.Fatal("PutFile after delete is not new")
	}
}

func testRulePutFileConcurrent(t *testing.T, s store.Store) {
	const workers = 12
	news := countNew(t, workers, func(i int) (bool, error) {
		return s.Rules().PutFile(ctx(t), ruleFile("same.yml", fmt.Sprintf("title: %d\n", i), at(0)))
	})
	files, err := s.Rules().Files(ctx(t))
	must(t, err)
	if news != 1 || len(files) != 1 {
		t.Fatalf("%d new and %d files, want 1 and 1", news, len(files))
	}
}

func testRuleSettings(t *testing.T, s store.Store) {
	rs := s.Rules()
	settings, err := rs.Settings(ctx(t))
	must(t, err)
	if settings == nil || len(settings) != 0 {
		t.Fatalf("empty Settings: %#v", settings)
	}
	off := store.RuleSetting{RuleID: "e2072cab-8c9a-459b-b63c-40ae79e27031", Disabled: true, Author: "ann", UpdatedAt: at(0)}
	louder := store.RuleSetting{RuleID: "5f6e8a6c-0f3c-4b7a-9d3e-2f1b2c3d4e5f", Severity: store.SeverityCritical,
		Author: "bob", UpdatedAt: at(time.Minute)}
	for _, rs0 := range []store.RuleSetting{off, louder} {
		must(t, rs.PutSetting(ctx(t), rs0))
	}
	storedSetting := func(s store.RuleSetting) store.RuleSetting {
		s.UpdatedAt = stored(s.UpdatedAt)
		return s
	}
	settings, err = rs.Settings(ctx(t))
	must(t, err)
	diff(t, "Settings", []store.RuleSetting{storedSetting(louder), storedSetting(off)}, settings)
	wantUTC(t, "Settings", settings[0].UpdatedAt)

	// Replacing.
	on := off
	on.Disabled, on.Severity, on.Author, on.UpdatedAt = false, store.SeverityLow, "carl", at(time.Hour)
	must(t, rs.PutSetting(ctx(t), on))
	settings, err = rs.Settings(ctx(t))
	must(t, err)
	diff(t, "replaced setting", []store.RuleSetting{storedSetting(louder), storedSetting(on)}, settings)

	before := time.Now().Add(-time.Second)
	must(t, rs.PutSetting(ctx(t), store.RuleSetting{RuleID: "0-now"}))
	settings, err = rs.Settings(ctx(t))
	must(t, err)
	if settings[0].RuleID != "0-now" || settings[0].UpdatedAt.Before(before) {
		t.Fatalf("default time: %+v", settings[0])
	}

	wantErr(t, "PutSetting without rule", rs.PutSetting(ctx(t), store.RuleSetting{Disabled: true}), store.ErrInvalid)
	wantErr(t, "PutSetting unknown severity",
		rs.PutSetting(ctx(t), store.RuleSetting{RuleID: "x", Severity: "urgent"}), store.ErrInvalid)
	must(t, rs.DeleteSetting(ctx(t), off.RuleID))
	wantErr(t, "DeleteSetting twice", rs.DeleteSetting(ctx(t), off.RuleID), store.ErrNotFound)
	settings, err = rs.Settings(ctx(t))
	must(t, err)
	if len(settings) != 2 {
		t.Fatalf("%d settings after delete, want 2", len(settings))
	}
}
