package osv

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParseLog4jAdvisory(t *testing.T) {
	r, err := Parse(readTestdata(t, "GHSA-jfh8-c2jp-5v3q.json"))
	if err != nil {
		t.Fatal(err)
	}
	if r.ID != "GHSA-jfh8-c2jp-5v3q" {
		t.Errorf("id = %q", r.ID)
	}
	if want := time.Date(2021, 12, 10, 0, 40, 56, 0, time.UTC); !r.Published.Equal(want) {
		t.Errorf("published = %v, want %v", r.Published, want)
	}
	if !r.Withdrawn.IsZero() {
		t.Errorf("withdrawn = %v, want zero", r.Withdrawn)
	}
	if diff := cmp.Diff([]string{"CVE-2021-44228"}, r.CVEs()); diff != "" {
		t.Errorf("CVEs (-want +got):\n%s", diff)
	}
	if len(r.Affected) != 3 {
		t.Fatalf("affected = %d entries, want 3", len(r.Affected))
	}
	a := r.Affected[1]
	if a.Package.Ecosystem != "Maven" || a.Package.Name != "org.apache.logging.log4j:log4j-core" {
		t.Errorf("package = %+v", a.Package)
	}
	wantEvents := []Event{{Introduced: "2.0-beta9"}, {Fixed: "2.3.1"}}
	if diff := cmp.Diff(wantEvents, a.Ranges[0].Events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if got := a.Ranges[0].Events[1].Kind(); got != EventFixed {
		t.Errorf("kind = %v, want fixed", got)
	}
}

func TestParseRejects(t *testing.T) {
	const ok = `"id":"X-1","modified":"2024-01-01T00:00:00Z"`
	tests := []struct {
		name, json, field string
	}{
		{"not json", `{`, ""},
		{"not an object", `[1]`, ""},
		{"no id", `{"modified":"2024-01-01T00:00:00Z"}`, "id: missing"},
		{"blank id", `{"id":"  ","modified":"2024-01-01T00:00:00Z"}`, "id: missing"},
		{"no modified", `{"id":"X-1"}`, "X-1: modified: missing"},
		{"bad modified", `{"id":"X-1","modified":"yesterday"}`, "X-1: modified: not an RFC 3339 timestamp"},
		{"bad published", `{` + ok + `,"published":"2024-13-01T00:00:00Z"}`, "X-1: published: not an RFC 3339"},
		{"bad withdrawn", `{` + ok + `,"withdrawn":"2024-01-01"}`, "X-1: withdrawn: not an RFC 3339"},
		{"id of wrong type", `{"id":1,"modified":"2024-01-01T00:00:00Z"}`, "id: number where string is expected"},
		{"affected without package", `{` + ok + `,"affected":[{}]}`, "X-1: affected[0].package: missing, and the entry has no ranges or versions"},
		{"package without name", `{` + ok + `,"affected":[{"package":{"ecosystem":"PyPI"},"versions":["1"]}]}`, "affected[0].package.name: missing"},
		{"package without ecosystem", `{` + ok + `,"affected":[{"package":{"name":"x"},"versions":["1"]}]}`, "affected[0].package.ecosystem: missing"},
		{"unknown range type", `{` + ok + `,"affected":[{"package":{"ecosystem":"PyPI","name":"x"},"ranges":[{"type":"DATE","events":[{"introduced":"0"}]}]}]}`, `affected[0].ranges[0].type: unknown range type "DATE"`},
		{"range without type", `{` + ok + `,"affected":[{"package":{"ecosystem":"PyPI","name":"x"},"ranges":[{"events":[{"introduced":"0"}]}]}]}`, "affected[0].ranges[0].type: missing"},
		{"range without events", `{` + ok + `,"affected":[{"package":{"ecosystem":"PyPI","name":"x"},"ranges":[{"type":"ECOSYSTEM"}]}]}`, "affected[0].ranges[0].events: missing or empty"},
		{"range with empty events", `{` + ok + `,"affected":[{"package":{"ecosystem":"PyPI","name":"x"},"ranges":[{"type":"ECOSYSTEM","events":[]}]}]}`, "affected[0].ranges[0].events: missing or empty"},
		{"event without key", `{` + ok + `,"affected":[{"package":{"ecosystem":"PyPI","name":"x"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{}]}]}]}`, "affected[0].ranges[0].events[1]: no introduced, fixed, last_affected or limit key"},
		{"event with unknown key only", `{` + ok + `,"affected":[{"package":{"ecosystem":"PyPI","name":"x"},"ranges":[{"type":"ECOSYSTEM","events":[{"patched":"1"}]}]}]}`, "events[0]: no introduced"},
		{"event with two keys", `{` + ok + `,"affected":[{"package":{"ecosystem":"PyPI","name":"x"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0","fixed":"1.0"}]}]}]}`, "events[0]: has 2 keys (introduced, fixed), want exactly one"},
		{"event with empty value", `{` + ok + `,"affected":[{"package":{"ecosystem":"PyPI","name":"x"},"ranges":[{"type":"ECOSYSTEM","events":[{"fixed":""}]}]}]}`, "events[0]: fixed is empty"},
		{"empty listed version", `{` + ok + `,"affected":[{"package":{"ecosystem":"PyPI","name":"x"},"versions":["1.0",""]}]}`, "affected[0].versions[1]: empty"},
		{"severity without type", `{` + ok + `,"severity":[{"score":"x"}]}`, "severity[0].type: missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Parse([]byte(tt.json))
			if err == nil {
				t.Fatalf("Parse accepted it: %+v", r)
			}
			if !errors.Is(err, ErrInvalidRecord) {
				t.Errorf("error %v does not wrap ErrInvalidRecord", err)
			}
			if !strings.Contains(err.Error(), tt.field) {
				t.Errorf("error %q does not name %q", err, tt.field)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name, json string
		check      func(t *testing.T, r *Record)
	}{
		{
			"unknown fields and ranges of every type",
			`{"id":"X-1","modified":"2024-01-01T00:00:00.123456Z","new_field":{"a":1},
			  "affected":[{"package":{"ecosystem":"Go","name":"example.com/m"},"ranges":[
			    {"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.2.3"}],"new":"x"},
			    {"type":"ECOSYSTEM","events":[{"introduced":"1.0"},{"last_affected":"1.1"}]},
			    {"type":"GIT","repo":"https://example.com/m","events":[{"introduced":"abc"},{"limit":"def"}]}]}]}`,
			func(t *testing.T, r *Record) {
				if got := len(r.Affected[0].Ranges); got != 3 {
					t.Errorf("ranges = %d, want 3", got)
				}
				if got := r.Affected[0].Ranges[2].Events[1].Kind(); got != EventLimit {
					t.Errorf("kind = %v, want limit", got)
				}
			},
		},
		{
			"git-only entry without package",
			`{"id":"OSV-2020-1","modified":"2024-01-01T00:00:00Z","affected":[{"ranges":[{"type":"GIT","repo":"https://example.com/r","events":[{"introduced":"0"},{"fixed":"abc"}]}]}]}`,
			func(t *testing.T, r *Record) {
				if r.Affected[0].Package != nil {
					t.Errorf("package = %+v, want nil", r.Affected[0].Package)
				}
			},
		},
		{
			"offset timestamps become UTC, withdrawn kept",
			`{"id":"X-2","modified":"2024-01-01T08:00:00+08:00","withdrawn":"2024-02-01T00:00:00Z","database_specific":null}`,
			func(t *testing.T, r *Record) {
				if want := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC); !r.Modified.Equal(want) || r.Modified.Location() != time.UTC {
					t.Errorf("modified = %v, want %v", r.Modified, want)
				}
				if r.Withdrawn.IsZero() {
					t.Error("withdrawn lost")
				}
				if r.DatabaseSpecific != nil {
					t.Errorf("database_specific = %s, want nil for null", r.DatabaseSpecific)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Parse([]byte(tt.json))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, r)
		})
	}
}

func TestIsCVE(t *testing.T) {
	for s, want := range map[string]bool{
		"CVE-2021-44228": true, "cve-2021-44228": true, "CVE-2021-1234567": true,
		"CVE-2021-123": false, "CVE-21-44228": false, "GHSA-jfh8-c2jp-5v3q": false,
		"DEBIAN-CVE-2021-44228": false, "CVE-2021-4422x": false, "": false,
	} {
		if got := IsCVE(s); got != want {
			t.Errorf("IsCVE(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestCVEsOf(t *testing.T) {
	got := CVEsOf("DSA-5532-1", []string{"cve-2023-5363", "CVE-2023-5678"}, []string{"CVE-2023-5363", "DEBIAN-CVE-2023-5363"})
	if diff := cmp.Diff([]string{"CVE-2023-5363", "CVE-2023-5678"}, got); diff != "" {
		t.Errorf("CVEsOf (-want +got):\n%s", diff)
	}
}
