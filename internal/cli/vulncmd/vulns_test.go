package vulncmd_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/cli/clikit/clikittest"
	"github.com/vigilsec/vigil/internal/cli/vulncmd/vulncmdtest"
	"github.com/vigilsec/vigil/internal/store"
)

// seeded starts a center holding the seeded fleet.
func seeded(t *testing.T) *vulncmdtest.Env {
	t.Helper()
	e := vulncmdtest.Start(t, vulncmdtest.Options{})
	e.Seed()
	return e
}

// TestGolden checks the table and JSON output of every listing and show.
func TestGolden(t *testing.T) {
	e := seeded(t)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"vulns_list", []string{"vulns", "list"}},
		{"vulns_list_filtered", []string{"vulns", "list", "--severity", "critical,high", "--running", "--agent", vulncmdtest.Web}},
		{"vulns_list_kev_json", []string{"vulns", "list", "--kev", "-o", "json"}},
		{"vulns_hosts", []string{"vulns", "hosts"}},
		{"vulns_hosts_json", []string{"vulns", "hosts", "-o", "json"}},
		{"vulns_cves", []string{"vulns", "cves"}},
		{"vulns_cves_json", []string{"vulns", "cves", "--fixable", "-o", "json"}},
		{"vulns_show_log4shell", []string{"vulns", "show", "CVE-2021-44228"}},
		{"vulns_show_log4shell_json", []string{"vulns", "show", "CVE-2021-44228", "-o", "json"}},
		{"vulns_show_openssl", []string{"vulns", "show", "CVE-2023-5363"}},
		{"vulns_patches_fleet", []string{"vulns", "patches"}},
		{"vulns_patches_host", []string{"vulns", "patches", "--agent", vulncmdtest.Web}},
		{"vulns_patches_host_json", []string{"vulns", "patches", "--agent", vulncmdtest.Web, "-o", "json"}},
		{"weak_list", []string{"weak-passwords", "list"}},
		{"weak_list_filtered", []string{"weak-passwords", "list", "--target", "account", "--severity", "critical"}},
		{"weak_list_json", []string{"weak-passwords", "list", "--agent", vulncmdtest.Web, "-o", "json"}},
		{"wordlists", []string{"weak-passwords", "wordlists"}},
		{"wordlists_json", []string{"weak-passwords", "wordlists", "-o", "json"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clikittest.Golden(t, tc.name, e.OK(tc.args...))
		})
	}
}

// TestFiltersReachTheAPI checks that each flag becomes its query
// parameter, and that a limit stops the listing.
func TestFiltersReachTheAPI(t *testing.T) {
	e := seeded(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"vulns", "list", "--agent", "a1", "--vuln", "CVE-1", "--package", "zlib", "--ecosystem", "Debian:12",
			"--severity", "Critical, high,critical", "--kev", "--running", "--fixable", "-q", "heap", "--limit", "0"},
			"GET /api/v1/vulns?agent_id=a1&ecosystem=Debian%3A12&fixable=true&known_exploited=true&limit=1000&package=zlib&q=heap&running=true&severity=critical%2Chigh&vuln_id=CVE-1"},
		{[]string{"vulns", "cves", "--severity", "low", "--limit", "2"}, "GET /api/v1/vulns/cves?limit=2&severity=low"},
		{[]string{"vulns", "hosts", "--agent", "b81d02"}, "GET /api/v1/vulns/hosts?agent_id=b81d02"},
		{[]string{"vulns", "patches", "--kev", "--ecosystem", "Maven"}, "GET /api/v1/patches?ecosystem=Maven&known_exploited=true"},
		{[]string{"weak-passwords", "list", "--agent", "a1", "--target", "redis", "--type", "no_auth", "--severity", "critical", "-q", "6379"},
			"GET /api/v1/weak-passwords?agent_id=a1&limit=100&q=6379&severity=critical&target=redis&type=no_auth"},
	} {
		e.OK(tc.args...)
		reqs := e.Requests()
		if got := reqs[len(reqs)-1]; got != tc.want {
			t.Errorf("vigil %s asked\n %s\nwant\n %s", strings.Join(tc.args, " "), got, tc.want)
		}
	}
	out := e.OK("vulns", "list", "--limit", "2", "-o", "json")
	if n := strings.Count(out, `"vuln_id"`); n != 2 {
		t.Errorf("--limit 2 listed %d findings", n)
	}
}

func TestWordlists(t *testing.T) {
	e := seeded(t)
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "words.txt")
	if err := os.WriteFile(file, []byte("# shop passwords\nShop2025!\n\nshop123\r\nShop2025!\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := e.OK("weak-passwords", "wordlist", "put", "shop", file); out != "word list shop created: 2 words\n" {
		t.Errorf("put = %q", out)
	}
	r := e.Run(ctx, "summer\nwinter\nspring\n", "weak-passwords", "wordlist", "put", "shop", "-", "-o", "json")
	if r.Code != 0 || !strings.Contains(r.Stdout, `"count": 3`) || !strings.Contains(r.Stdout, `"name": "shop"`) {
		t.Errorf("put from stdin = %+v", r)
	}
	lists, err := e.Store.Vulns().Wordlists(ctx)
	if err != nil {
		t.Fatal(err)
	}
	idx := slices.IndexFunc(lists, func(l store.Wordlist) bool { return l.Name == "shop" })
	if idx < 0 || !slices.Equal(lists[idx].Words, []string{"summer", "winter", "spring"}) {
		t.Fatalf("stored lists %+v", lists)
	}
	if out := e.OK("weak-passwords", "wordlists"); !strings.Contains(out, "shop  ") || !strings.Contains(out, "corp") {
		t.Errorf("wordlists after put:\n%s", out)
	}
	if out := e.OK("weak-passwords", "wordlist", "delete", "shop"); out != "word list shop deleted\n" {
		t.Errorf("delete = %q", out)
	}
	if out := e.OK("weak-passwords", "wordlists", "-o", "json"); strings.Contains(out, `"shop"`) {
		t.Errorf("shop still listed:\n%s", out)
	}
}

// TestErrors checks the messages of mistakes and refusals.
func TestErrors(t *testing.T) {
	e := seeded(t)
	big := filepath.Join(t.TempDir(), "big.txt")
	if err := os.WriteFile(big, []byte(strings.Repeat("password\n", apiclient.MaxWordlistSize/9+1)), 0o600); err != nil {
		t.Fatal(err)
	}
	long := filepath.Join(t.TempDir(), "long.txt")
	if err := os.WriteFile(long, []byte(strings.Repeat("x", 200)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		token string
		stdin string
		args  []string
		want  []string
	}{
		{"bad severity", "", "", []string{"vulns", "list", "--severity", "critical,urgent"},
			[]string{`vigil: --severity "urgent": want critical, high, medium, low, none, unknown, separated by commas`, "Run 'vigil vulns list --help' for usage."}},
		{"bad patches severity", "", "", []string{"vulns", "patches", "--severity", "bad"}, []string{`--severity "bad"`}},
		{"unknown flag", "", "", []string{"vulns", "hosts", "--kev"}, []string{"unknown flag: --kev", "Run 'vigil vulns hosts --help'"}},
		{"arguments", "", "", []string{"vulns", "list", "extra"}, []string{`vulns list takes no arguments, got ["extra"]`}},
		{"show without id", "", "", []string{"vulns", "show"}, []string{"vulns show wants ID, got 0 arguments"}},
		{"unknown vulnerability", "", "", []string{"vulns", "show", "CVE-1999-0001"}, []string{"vigil: vulnerability CVE-1999-0001 not found\n"}},
		{"unknown subcommand", "", "", []string{"vulns", "lst"}, []string{`unknown command "lst" for "vigil vulns"; did you mean list?`}},
		{"viewer lists word lists", "viewer", "", []string{"weak-passwords", "wordlists"},
			[]string{"vigil: role viewer may not do this (needs admin) — ask an admin for a token with that role"}},
		{"missing word list file", "", "", []string{"weak-passwords", "wordlist", "put", "x", "/nonexistent/words.txt"},
			[]string{"vigil: open /nonexistent/words.txt: no such file or directory"}},
		{"word list too large", "", "", []string{"weak-passwords", "wordlist", "put", "x", big}, []string{"larger than 262144 bytes"}},
		{"empty word list", "", "\n\n", []string{"weak-passwords", "wordlist", "put", "x", "-"}, []string{"vigil: -: no words (one word per line)"}},
		{"word too long", "", "", []string{"weak-passwords", "wordlist", "put", "x", long}, []string{"vigil: line 1: a word is at most 128 printable bytes"}},
		{"bad word list name", "", "w\n", []string{"weak-passwords", "wordlist", "put", "../x", "-"}, []string{`vigil: name "../x": want 1 to 64 letters`}},
		{"delete unknown word list", "", "", []string{"weak-passwords", "wordlist", "delete", "nope"}, []string{"vigil: word list nope not found"}},
		{"put wants two arguments", "", "", []string{"weak-passwords", "wordlist", "put", "x"}, []string{"weak-passwords wordlist put wants NAME FILE, got 1 arguments"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			token := e.AdminToken
			if tc.token == "viewer" {
				token = e.ViewerToken
			}
			r := e.RunAs(context.Background(), token, tc.stdin, tc.args...)
			if r.Code != 1 {
				t.Errorf("exit %d, want 1; stdout %q", r.Code, r.Stdout)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.Stderr, w) {
					t.Errorf("stderr %q\nwant %q", r.Stderr, w)
				}
			}
		})
	}
}

// TestViewerReads checks that a viewer may read findings and weak
// passwords.
func TestViewerReads(t *testing.T) {
	e := seeded(t)
	for _, args := range [][]string{{"vulns", "list"}, {"vulns", "cves"}, {"vulns", "hosts"}, {"vulns", "patches"}, {"weak-passwords", "list"}} {
		if r := e.RunAs(context.Background(), e.ViewerToken, "", args...); r.Code != 0 {
			t.Errorf("viewer: vigil %s: exit %d, %s", strings.Join(args, " "), r.Code, r.Stderr)
		}
	}
}
