package intelcmd_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/center/intel"
	"github.com/vigilsec/vigil/internal/cli/clikit/clikittest"
	"github.com/vigilsec/vigil/internal/cli/intelcmd/intelcmdtest"
	"github.com/vigilsec/vigil/internal/store"
)

// indicatorsOf lists the stored indicators of source, expired ones
// included.
func indicatorsOf(t *testing.T, e *intelcmdtest.Env, source string) map[string]store.Indicator {
	t.Helper()
	list, _, err := e.Store.Intel().List(context.Background(), store.IndicatorFilter{Source: source, Expired: true})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]store.Indicator{}
	for _, in := range list {
		out[in.Value] = in
	}
	return out
}

// TestGolden checks the listings, shows, sources and checks of the seeded
// indicators.
func TestGolden(t *testing.T) {
	e := intelcmdtest.Start(t, intelcmdtest.Options{})
	ins := e.SeedIndicators()
	c2, url := ins[intelcmdtest.C2Address].ID, ins[intelcmdtest.PhishURL].ID
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"list", []string{"intel", "list"}},
		{"list_expired", []string{"intel", "list", "--expired"}},
		{"list_filtered", []string{"intel", "ls", "--source", "phish-list", "-q", "LOGIN"}},
		{"list_limit", []string{"intel", "list", "--limit", "2"}},
		{"list_json", []string{"intel", "list", "--type", "ip", "-o", "json"}},
		{"show", []string{"intel", "show", c2}},
		{"show_json", []string{"intel", "show", url, "-o", "json"}},
		{"sources", []string{"intel", "sources"}},
		{"sources_json", []string{"intel", "sources", "-o", "json"}},
		{"check_network", []string{"intel", "check", "198.51.100.23"}},
		{"check_domain", []string{"intel", "check", "cdn.login-example[.]net"}},
		{"check_no_match", []string{"intel", "check", "192.0.2.1"}},
		{"check_json", []string{"intel", "check", "203.0.113.9", "-o", "json"}},
	} {
		t.Run(tc.name, func(t *testing.T) { clikittest.Golden(t, tc.name, e.OK(tc.args...)) })
	}

	// Every filter goes into the query; --q is -q's long form.
	e.OK("intel", "list", "--type", "IP", "--source", "feodo", "--q", "198", "--expired", "--limit", "5")
	if got, want := e.LastRequest(), "GET /api/v1/intel?expired=true&limit=5&q=198&source=feodo&type=ip"; got != want {
		t.Errorf("asked %s, want %s", got, want)
	}
	// --all walks every page.
	if out := e.OK("intel", "list", "--all", "--expired"); strings.Count(out, "\n") != 7 {
		t.Errorf("list --all:\n%s", out)
	}
	if got, want := e.LastRequest(), "GET /api/v1/intel?expired=true&limit=1000"; got != want {
		t.Errorf("asked %s, want %s", got, want)
	}
	// A viewer reads.
	if r := e.RunAs(context.Background(), e.ViewerToken, "", "intel", "check", intelcmdtest.C2Address); r.Code != 0 ||
		!strings.Contains(r.Stdout, "Matches:     1\n") {
		t.Errorf("viewer check: %+v", r)
	}
}

// sentLines are the upload bar's lines in stderr.
var sentLines = regexp.MustCompile(`(?m)^.*: sent .*$`)

func TestImport(t *testing.T) {
	e := intelcmdtest.Start(t, intelcmdtest.Options{})
	ctx := context.Background()
	feed := filepath.Join("testdata", "feed.txt")
	r := e.RunAs(ctx, e.AnalystToken, "", "intel", "import", feed, "--source", "tracker", "--severity", "high",
		"--tag", "botnet", "--tag", "tracker", "--expires-in", "30d")
	if r.Code != 0 {
		t.Fatalf("import: exit %d\n%s", r.Code, r.Stderr)
	}
	clikittest.Golden(t, "import_text", r.Stdout)
	fi, err := os.Stat(feed)
	if err != nil {
		t.Fatal(err)
	}
	sent := sentLines.FindAllString(r.Stderr, -1)
	size := bytesText(t, fi.Size())
	if want := feed + ": sent 100% (" + size + " of " + size + ")"; len(sent) != 1 || sent[0] != want {
		t.Errorf("upload bar lines %q, want [%q]", sent, want)
	}
	if strings.Contains(r.Stderr, "\r") {
		t.Errorf("stderr is no terminal but was drawn in place: %q", r.Stderr)
	}
	if got, want := e.LastRequest(), "POST /api/v1/intel/import?expires_in=720h0m0s&severity=high&source=tracker&tags=botnet%2Ctracker"; got != want {
		t.Errorf("asked %s, want %s", got, want)
	}
	stored := indicatorsOf(t, e, "tracker")
	c2 := stored[intelcmdtest.C2Address]
	if len(stored) != 5 || c2.Severity != "high" || c2.Confidence != intel.DefaultConfidence || c2.Description != "C2 of the March intrusion" ||
		!slices.Equal(c2.Tags, []string{"botnet", "tracker"}) || !c2.ExpiresAt.Equal(intelcmdtest.Now.AddDate(0, 0, 30)) ||
		c2.UpdatedBy != "token:analyst" {
		t.Errorf("stored %d indicators; %s: %+v", len(stored), intelcmdtest.C2Address, c2)
	}
	if _, ok := stored["d41d8cd98f00b204e9800998ecf8427e"]; !ok {
		t.Errorf("the hash was not stored in normalized form: %v", slices.Sorted(maps.Keys(stored)))
	}
	clikittest.Golden(t, "list_after_import", e.OK("intel", "list", "--source", "tracker"))
	// The imported indicators match at once.
	if out := e.OK("intel", "check", "hxxp://bad-download[.]example/payload.bin"); !strings.Contains(out, "tracker") {
		t.Errorf("check after the import:\n%s", out)
	}

	// The next day's list replaces the source: what it no longer lists
	// is removed. -o json prints the center's result and no bar.
	r = e.Run(ctx, "", "intel", "import", filepath.Join("testdata", "feed-next.txt"), "--source", "tracker", "--replace", "--format", "text", "-o", "json")
	var res intel.ImportResult
	if err := json.Unmarshal([]byte(r.Stdout), &res); r.Code != 0 || err != nil {
		t.Fatalf("import --replace: exit %d, %v\n%s%s", r.Code, err, r.Stdout, r.Stderr)
	}
	if res.Format != intel.FormatText || res.Source != "tracker" || res.Read != 2 || res.Added != 0 || res.Updated != 2 ||
		res.Removed != 3 || len(res.Problems) != 0 {
		t.Errorf("import --replace: %+v", res)
	}
	if r.Stderr != "" {
		t.Errorf("stderr with -o json: %q", r.Stderr)
	}
	if n := len(indicatorsOf(t, e, "tracker")); n != 2 {
		t.Errorf("%d indicators after the replace, want 2", n)
	}

	// STIX: the objects it cannot take are named by their id.
	stix := filepath.Join("testdata", "apt-report.json")
	r = e.Run(ctx, "", "intel", "import", stix, "--source", "apt-report", "--confidence", "70")
	if r.Code != 0 {
		t.Fatalf("import STIX: exit %d\n%s", r.Code, r.Stderr)
	}
	clikittest.Golden(t, "import_stix", r.Stdout)
	stored = indicatorsOf(t, e, "apt-report")
	domain := stored["c2.apt-example.net"]
	if len(stored) != 3 || domain.Confidence != 85 || !domain.ExpiresAt.Equal(time.Date(2099, 6, 1, 0, 0, 0, 0, time.UTC)) ||
		!slices.Contains(domain.Techniques, "T1071") || stored["192.0.2.200"].Confidence != 70 {
		t.Errorf("stored from STIX: %+v", stored)
	}

	// Standard input: the size is not known, the bar says what was sent.
	data, err := os.ReadFile(feed)
	if err != nil {
		t.Fatal(err)
	}
	r = e.Run(ctx, string(data), "intel", "import", "-", "--source", "piped")
	if r.Code != 0 || !strings.HasPrefix(r.Stdout, "stdin (source piped, format text): 8 read, 5 added") {
		t.Errorf("import from stdin: %+v", r)
	}
	if want := "stdin: sent " + bytesText(t, int64(len(data))) + "\n"; r.Stderr != want {
		t.Errorf("stderr %q, want %q", r.Stderr, want)
	}
}

// bytesText is how the bar writes the size of a file under 1 KiB.
func bytesText(t *testing.T, n int64) string {
	t.Helper()
	if n >= 1024 {
		t.Fatalf("%d bytes: the test wants a file under 1 KiB", n)
	}
	return fmt.Sprintf("%d B", n)
}

func TestAdd(t *testing.T) {
	e := intelcmdtest.Start(t, intelcmdtest.Options{})
	ctx := context.Background()
	r := e.RunAs(ctx, e.AnalystToken, "", "intel", "add", "203.0.113.77", "hxxps://update-check[.]example/agent.exe", "not-a-value",
		"--severity", "critical", "--confidence", "90", "--tag", "c2", "--tag", "q1 intrusion", "--technique", "T1071",
		"--technique", "T1105", "--description", "seen in the Q1 intrusion", "--reference", "https://intel.example.internal/r/21",
		"--expires-in", "30d")
	if r.Code != 0 {
		t.Fatalf("add: exit %d\n%s", r.Code, r.Stderr)
	}
	clikittest.Golden(t, "add", r.Stdout)
	stored := indicatorsOf(t, e, "manual")
	in := stored["https://update-check.example/agent.exe"]
	if len(stored) != 2 || in.Type != store.IndicatorURL || in.Severity != "critical" || in.Confidence != 90 ||
		!slices.Equal(in.Tags, []string{"c2", "q1 intrusion"}) || !slices.Equal(in.Techniques, []string{"T1071", "T1105"}) ||
		in.Description != "seen in the Q1 intrusion" || in.Reference != "https://intel.example.internal/r/21" ||
		!in.ExpiresAt.Equal(intelcmdtest.Now.AddDate(0, 0, 30)) || in.UpdatedBy != "token:analyst" {
		t.Errorf("stored %d; the URL: %+v", len(stored), in)
	}
	if out := e.OK("intel", "check", "203.0.113.77"); !strings.Contains(out, "Matches:     1\n") {
		t.Errorf("the added address does not match:\n%s", out)
	}

	// Again, typed, into another source, with -o json: updated, not added;
	// the center's defaults apply to what is not given.
	r = e.Run(ctx, "", "intel", "add", "203.0.113.77", "--type", "ip", "--source", "soc", "-o", "json")
	var res intel.ImportResult
	if err := json.Unmarshal([]byte(r.Stdout), &res); r.Code != 0 || err != nil || res.Source != "soc" || res.Added != 1 {
		t.Fatalf("add -o json: exit %d, %v, %+v\n%s", r.Code, err, res, r.Stderr)
	}
	if out := e.OK("intel", "add", "203.0.113.77", "--source", "soc"); out != "source soc: 1 read, 0 added, 1 updated, 0 skipped\n" {
		t.Errorf("add again printed %q", out)
	}
	soc := indicatorsOf(t, e, "soc")["203.0.113.77"]
	if soc.Severity != intel.DefaultSeverity || soc.Confidence != intel.DefaultConfidence || !soc.ExpiresAt.IsZero() {
		t.Errorf("defaults: %+v", soc)
	}
	// --confidence 0 is sent, not left to the default.
	e.OK("intel", "add", "192.0.2.50", "--confidence", "0", "--source", "soc")
	if in := indicatorsOf(t, e, "soc")["192.0.2.50"]; in.Confidence != 0 {
		t.Errorf("confidence 0 stored as %d", in.Confidence)
	}

	// No value is valid: nothing is stored and the exit status is 1.
	r = e.Run(ctx, "", "intel", "add", "not-a-value", "--source", "typos")
	if r.Code != 1 || !strings.HasPrefix(r.Stderr, "vigil: ") || !strings.Contains(r.Stderr, "no valid indicator") ||
		!strings.Contains(r.Stderr, "not-a-value") {
		t.Errorf("add of nothing valid: %+v", r)
	}
	if n := len(indicatorsOf(t, e, "typos")); n != 0 {
		t.Errorf("%d indicators stored from nothing valid", n)
	}
}

func TestDelete(t *testing.T) {
	e := intelcmdtest.Start(t, intelcmdtest.Options{})
	ctx := context.Background()
	ins := e.SeedIndicators()
	c2 := ins[intelcmdtest.C2Address].ID
	if out := e.OK("intel", "delete", c2); out != "indicator "+c2+" deleted\n" {
		t.Errorf("delete printed %q", out)
	}
	if out := e.OK("intel", "check", intelcmdtest.C2Address); !strings.Contains(out, "no match") {
		t.Errorf("the deleted indicator still matches:\n%s", out)
	}
	if r := e.Run(ctx, "", "intel", "delete", c2); r.Code != 1 || r.Stderr != "vigil: indicator "+c2+" not found\n" {
		t.Errorf("second delete: %+v", r)
	}

	// delete-source asks first, and says how many it removed.
	r := e.Run(ctx, "n\n", "intel", "delete-source", intelcmdtest.SourcePhish)
	if r.Code != 1 || !strings.Contains(r.Stderr, "Delete the 2 indicators of source phish-list? [y/N] ") ||
		!strings.HasSuffix(r.Stderr, "vigil: intelligence source phish-list not deleted (confirm with --yes)\n") {
		t.Errorf("delete-source answered no: %+v", r)
	}
	if n := len(indicatorsOf(t, e, intelcmdtest.SourcePhish)); n != 2 {
		t.Errorf("%d indicators left after no, want 2", n)
	}
	// Without an answer (stdin is no terminal, and empty): not deleted.
	if r := e.Run(ctx, "", "intel", "delete-source", intelcmdtest.SourcePhish); r.Code != 1 || !strings.Contains(r.Stderr, "confirm with --yes") {
		t.Errorf("delete-source without an answer: %+v", r)
	}
	r = e.Run(ctx, "y\n", "intel", "delete-source", intelcmdtest.SourcePhish)
	if r.Code != 0 || r.Stdout != "intelligence source phish-list deleted: 2 indicators removed\n" {
		t.Errorf("delete-source answered yes: %+v", r)
	}
	r = e.Run(ctx, "", "intel", "delete-source", intelcmdtest.SourceFeodo, "--yes", "-o", "json")
	var done struct {
		Name    string `json:"name"`
		Removed int    `json:"removed"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &done); r.Code != 0 || err != nil || done.Name != "feodo" || done.Removed != 1 {
		t.Errorf("delete-source --yes -o json: %+v (%v)", r, err)
	}
	if out := e.OK("intel", "sources"); strings.Contains(out, "phish-list") || strings.Contains(out, "feodo") {
		t.Errorf("deleted sources listed:\n%s", out)
	}
	for _, args := range [][]string{{"intel", "delete-source", "nope"}, {"intel", "delete-source", "nope", "--yes"}} {
		if r := e.Run(ctx, "y\n", args...); r.Code != 1 || !strings.HasPrefix(r.Stderr, "vigil: intelligence source nope not found") {
			t.Errorf("vigil %s: %+v", strings.Join(args, " "), r)
		}
	}
}

// TestErrors checks the messages of mistakes and refusals.
func TestErrors(t *testing.T) {
	e := intelcmdtest.Start(t, intelcmdtest.Options{})
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.txt")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	noValue := filepath.Join(dir, "comments.txt")
	if err := os.WriteFile(noValue, []byte("# nothing today\nnot-a-value\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	badBundle := filepath.Join(dir, "bundle.json")
	if err := os.WriteFile(badBundle, []byte(`{"type": "bundle", "objects": 5}`), 0o644); err != nil {
		t.Fatal(err)
	}
	large := filepath.Join(dir, "large.txt")
	if err := os.WriteFile(large, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(large, 64<<20+1); err != nil { // sparse: no room taken
		t.Fatal(err)
	}
	feed := filepath.Join("testdata", "feed.txt")
	for _, tc := range []struct {
		name   string
		viewer bool
		args   []string
		want   string // stderr but the upload bar, or its start when it ends in "..."
	}{
		{"unknown id", false, []string{"intel", "show", "0123456789abcdef01234567"}, "vigil: indicator 0123456789abcdef01234567 not found\n"},
		{"not a value", false, []string{"intel", "check", "no_such_thing"}, "vigil: value \"no_such_thing\": ..."},
		{"bad type", false, []string{"intel", "list", "--type", "hash"},
			"vigil: invalid argument \"hash\" for \"--type\" flag: want one of ip, domain, url, md5, sha1, sha256\nRun 'vigil intel list --help' for usage.\n"},
		{"bad limit", false, []string{"intel", "list", "--limit", "-1"}, "vigil: --limit -1: want 0 or more\nRun 'vigil intel list --help' for usage.\n"},
		{"no source", false, []string{"intel", "import", feed}, "vigil: --source is required: name the feed or list the file is\nRun 'vigil intel import --help' for usage.\n"},
		{"bad format", false, []string{"intel", "import", feed, "--source", "x", "--format", "yaml"},
			"vigil: --format \"yaml\": want text, csv, stix, misp or json\nRun 'vigil intel import --help' for usage.\n"},
		{"bad confidence", false, []string{"intel", "import", feed, "--source", "x", "--confidence", "101"},
			"vigil: --confidence 101: want 0 to 100\nRun 'vigil intel import --help' for usage.\n"},
		{"bad expiry", false, []string{"intel", "add", "192.0.2.1", "--expires-in", "soon"},
			"vigil: --expires-in \"soon\": want a positive duration such as 720h or 30d\nRun 'vigil intel add --help' for usage.\n"},
		{"comma in a tag", false, []string{"intel", "import", feed, "--source", "x", "--tag", "a,b"},
			"vigil: --tag \"a,b\": a tag of an import is not empty and holds no comma\nRun 'vigil intel import --help' for usage.\n"},
		{"missing file", false, []string{"intel", "import", filepath.Join(dir, "nope.txt"), "--source", "x"}, "vigil: " + filepath.Join(dir, "nope.txt") + ": no such file\n"},
		{"folder", false, []string{"intel", "import", dir, "--source", "x"}, "vigil: " + dir + ": not a regular file\n"},
		{"empty file", false, []string{"intel", "import", empty, "--source", "x"}, "vigil: " + empty + ": the file is empty\n"},
		{"large file", false, []string{"intel", "import", large, "--source", "x"}, "vigil: " + large + ": 67108865 bytes, more than the 64.0 MiB the center takes\n"},
		{"unreadable file", false, []string{"intel", "import", badBundle, "--source", "x"}, "vigil: " + badBundle + " not imported: ..."},
		{"replace with nothing valid", false, []string{"intel", "import", noValue, "--source", "x", "--replace"},
			"vigil: " + noValue + " not imported: ..."},
		{"no value", false, []string{"intel", "add"}, "vigil: intel add wants at least one VALUE\nRun 'vigil intel add --help' for usage.\n"},
		{"viewer adds", true, []string{"intel", "add", "192.0.2.1"},
			"vigil: role viewer may not do this (needs analyst) — ask an admin for a token with that role\n"},
		{"viewer imports", true, []string{"intel", "import", feed, "--source", "x"},
			"vigil: role viewer may not do this (needs analyst) — ask an admin for a token with that role\n"},
		{"viewer deletes", true, []string{"intel", "delete-source", "x", "--yes"},
			"vigil: role viewer may not do this (needs analyst) — ask an admin for a token with that role\n"},
		{"unknown subcommand", false, []string{"intel", "chek"}, "vigil: unknown command \"chek\" for \"vigil intel\"; did you mean check?\nRun 'vigil intel --help' for usage.\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			token := e.AdminToken
			if tc.viewer {
				token = e.ViewerToken
			}
			r := e.RunAs(context.Background(), token, "", tc.args...)
			// The upload bar of a file the center refused is no error.
			r.Stderr = sentLines.ReplaceAllString(r.Stderr, "")
			r.Stderr = strings.TrimPrefix(r.Stderr, "\n")
			ok := r.Stderr == tc.want
			if prefix, cut := strings.CutSuffix(tc.want, "..."); cut {
				ok = strings.HasPrefix(r.Stderr, prefix) && strings.Count(r.Stderr, "\n") == 1
			}
			if r.Code != 1 || !ok {
				t.Errorf("exit %d, stderr\n%q\nwant exit 1,\n%q", r.Code, r.Stderr, tc.want)
			}
		})
	}
	if n := len(indicatorsOf(t, e, "x")); n != 0 {
		t.Errorf("%d indicators stored by refused imports", n)
	}
}

// TestIntelOff: a center with threat intelligence off says so where the
// service is needed; the stored indicators are still listed.
func TestIntelOff(t *testing.T) {
	e := intelcmdtest.Start(t, intelcmdtest.Options{NoIntel: true})
	e.SeedIndicators()
	feed := filepath.Join("testdata", "feed.txt")
	for _, args := range [][]string{{"intel", "check", "192.0.2.1"}, {"intel", "add", "192.0.2.1"}, {"intel", "import", feed, "--source", "x"}} {
		r := e.Run(context.Background(), "", args...)
		if want := "vigil: threat intelligence is off on this center\n"; r.Code != 1 || r.Stderr != want {
			t.Errorf("vigil %s: exit %d, stderr %q; want %q", strings.Join(args, " "), r.Code, r.Stderr, want)
		}
	}
	if out := e.OK("intel", "list", "--source", "feodo"); !strings.Contains(out, intelcmdtest.BotnetNet) {
		t.Errorf("stored indicators not listed:\n%s", out)
	}
}
