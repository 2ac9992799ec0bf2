package vulndbcmd_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/vigilsec/vigil/internal/center/vuln"
	"github.com/vigilsec/vigil/internal/center/vuln/feed"
	"github.com/vigilsec/vigil/internal/cli/clikit/clikittest"
	"github.com/vigilsec/vigil/internal/cli/vulncmd/vulncmdtest"
	"github.com/vigilsec/vigil/internal/cli/vulndbcmd"
	"github.com/vigilsec/vigil/internal/store"
)

// feedServer serves OSV records over plain HTTP on loopback, as a
// mirror inside a closed network does; while held, the download waits
// until release is called, so that the sync job it belongs to runs as
// long as a test needs. It serves a JSON array of records: a zip export
// downloaded by a sync is stored under a name without its extension and
// read as JSON by the center's importer (see the report of this change).
type feedServer struct {
	url     string
	sum     string
	release func()
}

func startFeed(t *testing.T, held bool, records ...string) *feedServer {
	t.Helper()
	data := []byte("[" + strings.Join(records, ",") + "]")
	gate := make(chan struct{})
	var once sync.Once
	release := func() { once.Do(func() { close(gate) }) }
	if !held {
		release()
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/osv/records.json" {
			http.NotFound(w, r)
			return
		}
		select {
		case <-gate:
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(data)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(release)
	return &feedServer{url: srv.URL + "/osv/records.json", sum: vulncmdtest.SHA256(data), release: release}
}

// source is the center's configured source for the feed.
func (f *feedServer) source() feed.Source {
	return feed.Source{Name: "mirror", URL: f.url, SHA256: f.sum, AllowHTTP: true}
}

// masker replaces what changes from run to run in output: the test's
// folder and the jobs' ids.
type masker struct{ dir string }

func (m masker) mask(s string) string {
	return vulncmdtest.Mask(strings.ReplaceAll(s, m.dir, "DIR"))
}

// exportDir writes the layout osv.dev's exports are mirrored in:
// DIR/Debian/all.zip (two good records, one bad), DIR/GitHub/all.zip,
// DIR/known_exploited_vulnerabilities.json (with kevEntries entries), and
// files a folder import leaves out.
func exportDir(t *testing.T, kevEntries int) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"Debian", "GitHub", ".cache"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	vulncmdtest.WriteZip(t, filepath.Join(dir, "Debian", "all.zip"), vulncmdtest.DSAOpenSSL, vulncmdtest.BadRecord, vulncmdtest.DebianZlib)
	vulncmdtest.WriteZip(t, filepath.Join(dir, "GitHub", "all.zip"), vulncmdtest.GHSALog4Shell)
	vulncmdtest.WriteZip(t, filepath.Join(dir, ".cache", "old.zip"), vulncmdtest.GHSALog4Shell)
	for name, data := range map[string][]byte{
		"known_exploited_vulnerabilities.json": vulncmdtest.KEVCatalog(kevEntries),
		"README.md":                            []byte("OSV exports mirrored nightly\n"),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// sentLines are the upload bar's lines in stderr.
var sentLines = regexp.MustCompile(`(?m)^.*: sent \d+% \(.*\)$`)

func TestImportZipEndToEnd(t *testing.T) {
	e := vulncmdtest.Start(t, vulncmdtest.Options{})
	dir := exportDir(t, 3)
	m := masker{dir}
	zip := filepath.Join(dir, "Debian", "all.zip")

	r := e.Run(context.Background(), "", "vulndb", "import", zip)
	if r.Code != 0 {
		t.Fatalf("import: exit %d\n%s", r.Code, r.Stderr)
	}
	clikittest.Golden(t, "import_zip", m.mask(r.Stdout))
	sent := sentLines.FindAllString(r.Stderr, -1)
	fi, err := os.Stat(zip)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf(": sent 100%% (%d B of %d B)", fi.Size(), fi.Size()); len(sent) != 1 || !strings.HasSuffix(sent[0], want) {
		t.Errorf("upload bar lines %q", sent)
	}
	if strings.Contains(r.Stderr, "\r") {
		t.Errorf("stderr is no terminal but was drawn in place: %q", r.Stderr)
	}

	ctx := context.Background()
	advs, _, err := e.Store.Vulns().ListAdvisories(ctx, store.AdvisoryFilter{Source: "Debian"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range advs {
		ids = append(ids, a.ID)
	}
	if want := []string{"DEBIAN-CVE-2023-45853", "DSA-5532-1"}; !slices.Equal(ids, want) {
		t.Errorf("advisories of Debian %v, want %v", ids, want)
	}
	var posts []string
	for _, req := range e.Requests() {
		if strings.HasPrefix(req, "POST ") {
			posts = append(posts, req)
		}
	}
	if want := []string{"POST /api/v1/vulndb/import?source=Debian"}; !slices.Equal(posts, want) {
		t.Errorf("posts %v, want %v", posts, want)
	}

	// Again: nothing changes, and -o json prints the job without a bar.
	r = e.Run(ctx, "", "vulndb", "import", zip, "-o", "json")
	if r.Code != 0 {
		t.Fatalf("import again: exit %d\n%s", r.Code, r.Stderr)
	}
	var res []vulndbcmd.ImportResult
	if err := json.Unmarshal([]byte(r.Stdout), &res); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, r.Stdout)
	}
	if len(res) != 1 || res[0].Source != "Debian" || res[0].Job.State != vuln.JobDone || res[0].Job.Unchanged != 2 ||
		res[0].Job.Added != 0 || res[0].Job.Rejected != 1 {
		t.Errorf("second import %+v", res)
	}
	if r.Stderr != "" {
		t.Errorf("stderr with -o json: %q", r.Stderr)
	}

	clikittest.Golden(t, "advisories_after_import", e.OK("vulndb", "advisories", "--source", "Debian"))
	clikittest.Golden(t, "status_after_import", vulncmdtest.Mask(e.OK("vulndb", "status")))
}

func TestImportKEVEndToEnd(t *testing.T) {
	e := vulncmdtest.Start(t, vulncmdtest.Options{})
	dir := exportDir(t, 1400)
	kev := filepath.Join(dir, "known_exploited_vulnerabilities.json")
	r := e.Run(context.Background(), "", "vulndb", "import", kev)
	if r.Code != 0 {
		t.Fatalf("import: exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	clikittest.Golden(t, "import_kev", (masker{dir}).mask(r.Stdout))
	// The catalogue is over a megabyte: the bar moves in steps of 10 %.
	sent := sentLines.FindAllString(r.Stderr, -1)
	if len(sent) != 11 || !strings.Contains(sent[10], "sent 100%") {
		t.Errorf("upload bar lines, want 11:\n%s", strings.Join(sent, "\n"))
	}
	entries, err := e.Store.Vulns().KnownExploited(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1400 {
		t.Fatalf("%d known exploited entries stored, want 1400", len(entries))
	}
	i := slices.IndexFunc(entries, func(k store.KnownExploited) bool { return k.CVE == "CVE-2021-44228" })
	if i < 0 || !entries[i].Ransomware || entries[i].Vendor != "Apache" {
		t.Errorf("Log4Shell entry %+v", entries[max(i, 0)])
	}
}

func TestImportFolder(t *testing.T) {
	e := vulncmdtest.Start(t, vulncmdtest.Options{})
	dir := exportDir(t, 3)
	r := e.Run(context.Background(), "", "vulndb", "import", dir)
	if r.Code != 0 {
		t.Fatalf("import: exit %d\n%s", r.Code, r.Stderr)
	}
	clikittest.Golden(t, "import_folder", (masker{dir}).mask(r.Stdout))
	counts, err := e.Store.Vulns().CountAdvisories(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if counts["Debian"] != 2 || counts["GitHub"] != 1 || len(counts) != 2 {
		t.Errorf("advisories per source %v", counts)
	}
	// --source records every file under the name given.
	r = e.Run(context.Background(), "", "vulndb", "import", filepath.Join(dir, "GitHub", "all.zip"), "--source", "Mirror 2", "-o", "json")
	var res []vulndbcmd.ImportResult
	if err := json.Unmarshal([]byte(r.Stdout), &res); r.Code != 0 || err != nil || len(res) != 1 || res[0].Source != "Mirror 2" {
		t.Errorf("import --source: exit %d, %v\n%s%s", r.Code, err, r.Stdout, r.Stderr)
	}
}

func TestImportNoWait(t *testing.T) {
	e := vulncmdtest.Start(t, vulncmdtest.Options{})
	dir := exportDir(t, 3)
	out := e.OK("vulndb", "import", "--no-wait", filepath.Join(dir, "GitHub", "all.zip"))
	if got := (masker{dir}).mask(out); got != "DIR/GitHub/all.zip (source GitHub): running (job JOB-ID-XXXXXXXXX)\n" {
		t.Errorf("import --no-wait printed %q", got)
	}
	for _, req := range e.Requests() {
		if strings.HasPrefix(req, "GET /api/v1/vulndb/jobs/") {
			t.Errorf("--no-wait followed the job: %s", req)
		}
	}
}

// TestImportWaitsForRunningJob: while a sync runs, the import waits for
// it before sending anything.
func TestImportWaitsForRunningJob(t *testing.T) {
	fs := startFeed(t, true, vulncmdtest.GHSALog4Shell)
	var statusGets atomic.Int32
	e := vulncmdtest.Start(t, vulncmdtest.Options{Sources: []feed.Source{fs.source()}, Wrap: func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r)
			if r.Method == http.MethodGet && r.URL.Path == "/api/v1/vulndb" && statusGets.Add(1) == 2 {
				fs.release()
			}
		})
	}})
	sync, err := e.Vulns.Sync("", "test")
	if err != nil {
		t.Fatal(err)
	}
	dir := exportDir(t, 3)
	r := e.Run(context.Background(), "", "vulndb", "import", filepath.Join(dir, "Debian", "all.zip"))
	if r.Code != 0 {
		t.Fatalf("import: exit %d\n%s", r.Code, r.Stderr)
	}
	want := "vigil: import " + filepath.Join(dir, "Debian", "all.zip") + ": waiting for sync job " + sync.ID
	if !strings.HasPrefix(r.Stderr, want) || strings.Count(r.Stderr, "waiting for") != 1 {
		t.Errorf("stderr %q\nwant it to start with %q", r.Stderr, want)
	}
	if j, _ := e.Vulns.Job(sync.ID); j.State != vuln.JobDone || j.Added != 1 {
		t.Errorf("sync %+v", j)
	}
	if !strings.Contains(r.Stdout, "(source Debian): done: 2 added") {
		t.Errorf("stdout %q", r.Stdout)
	}
}

// TestImportRetriesConflict: a sync that starts while the file travels
// makes the center refuse the import (409); the command waits for the
// sync and sends the file again.
func TestImportRetriesConflict(t *testing.T) {
	fs := startFeed(t, true, vulncmdtest.GHSALog4Shell)
	var (
		e        *vulncmdtest.Env
		imports  atomic.Int32
		syncID   atomic.Value
		conflict atomic.Bool
	)
	e = vulncmdtest.Start(t, vulncmdtest.Options{Sources: []feed.Source{fs.source()}, Wrap: func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && r.URL.Path == "/api/v1/vulndb/import" && imports.Add(1) == 1 {
				j, err := e.Vulns.Sync("mirror", "test")
				if err != nil {
					http.Error(w, err.Error(), http.StatusInternalServerError)
					return
				}
				syncID.Store(j.ID)
				conflict.Store(true)
			}
			next.ServeHTTP(w, r)
			if r.Method == http.MethodGet && r.URL.Path == "/api/v1/vulndb" && conflict.Load() {
				fs.release()
			}
		})
	}})
	dir := exportDir(t, 3)
	file := filepath.Join(dir, "Debian", "all.zip")
	r := e.Run(context.Background(), "", "vulndb", "import", file)
	if r.Code != 0 {
		t.Fatalf("import: exit %d\n%s", r.Code, r.Stderr)
	}
	if n := imports.Load(); n != 2 {
		t.Errorf("%d uploads, want 2", n)
	}
	retry := "vigil: import " + file + ": another import or sync of the vulnerability database is running; waiting to try again\n"
	if !strings.Contains(r.Stderr, retry) {
		t.Errorf("stderr %q\nwant %q", r.Stderr, retry)
	}
	id, _ := syncID.Load().(string)
	if j, _ := e.Vulns.Job(id); j.State != vuln.JobDone {
		t.Errorf("sync %+v", j)
	}
	if !strings.Contains(r.Stdout, "(source Debian): done: 2 added") {
		t.Errorf("stdout %q", r.Stdout)
	}
}

func TestSync(t *testing.T) {
	fs := startFeed(t, false, vulncmdtest.DSAOpenSSL, vulncmdtest.BadRecord)
	e := vulncmdtest.Start(t, vulncmdtest.Options{Sources: []feed.Source{fs.source()}})
	r := e.Run(context.Background(), "", "vulndb", "sync")
	if r.Code != 0 {
		t.Fatalf("sync: exit %d\n%s", r.Code, r.Stderr)
	}
	clikittest.Golden(t, "sync", vulncmdtest.Mask(strings.ReplaceAll(r.Stdout, fs.sum, "SHA256")))
	// The feed did not change: nothing is downloaded again.
	r = e.Run(context.Background(), "", "vulndb", "sync", "--source", "mirror", "-o", "json")
	var j vuln.Job
	if err := json.Unmarshal([]byte(r.Stdout), &j); r.Code != 0 || err != nil || j.State != vuln.JobDone || j.Added != 0 {
		t.Errorf("second sync: exit %d, %v, %+v\n%s", r.Code, err, j, r.Stderr)
	}
	out := vulncmdtest.Mask(e.OK("vulndb", "status"))
	if !strings.Contains(out, "\nmirror ") || !strings.Contains(out, fs.url) {
		t.Errorf("status does not show the synced source:\n%s", out)
	}
	out = e.OK("vulndb", "sync", "--no-wait", "-o", "json")
	if err := json.Unmarshal([]byte(out), &j); err != nil || j.State != vuln.JobRunning || j.Kind != "sync" {
		t.Errorf("sync --no-wait printed %s", out)
	}
}

func TestJobFailure(t *testing.T) {
	e := vulncmdtest.Start(t, vulncmdtest.Options{})
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "Broken"), 0o755); err != nil {
		t.Fatal(err)
	}
	corrupt := filepath.Join(dir, "Broken", "all.zip")
	if err := os.WriteFile(corrupt, []byte("PK\x03\x04 not really a zip archive"), 0o644); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "GHSA-jfh8-c2jp-5v3q.json")
	if err := os.WriteFile(good, []byte(vulncmdtest.GHSALog4Shell), 0o644); err != nil {
		t.Fatal(err)
	}
	r := e.Run(context.Background(), "", "vulndb", "import", corrupt, good)
	if r.Code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.Code, r.Stderr)
	}
	m := masker{dir}
	clikittest.Golden(t, "import_failed", m.mask(r.Stdout))
	if want := "vigil: import failed: " + corrupt + "\n"; !strings.HasSuffix(r.Stderr, want) {
		t.Errorf("stderr %q\nwant it to end with %q", r.Stderr, want)
	}
	// The file after the failed one was imported.
	if _, err := e.Store.Vulns().GetAdvisory(context.Background(), "GHSA-jfh8-c2jp-5v3q"); err != nil {
		t.Errorf("advisory of the second file: %v", err)
	}
}

// TestErrors checks the messages of mistakes and refusals; none sends a
// file.
func TestErrors(t *testing.T) {
	e := vulncmdtest.Start(t, vulncmdtest.Options{})
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.json")
	noFeeds := filepath.Join(dir, "docs")
	for _, f := range []string{empty, filepath.Join(noFeeds, "README.md"), filepath.Join(noFeeds, ".hidden", "x.zip")} {
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	feeds := exportDir(t, 3)
	zip := filepath.Join(feeds, "Debian", "all.zip")
	for _, tc := range []struct {
		name   string
		viewer bool
		args   []string
		want   string
	}{
		{"missing file", false, []string{"vulndb", "import", filepath.Join(dir, "nope.zip")}, "vigil: " + filepath.Join(dir, "nope.zip") + ": no such file or folder\n"},
		{"folder without feeds", false, []string{"vulndb", "import", noFeeds}, "vigil: " + noFeeds + ": no .zip or .json file to import in it\n"},
		{"empty file", false, []string{"vulndb", "import", empty}, "vigil: " + empty + ": the file is empty\n"},
		{"no file", false, []string{"vulndb", "import"}, "vigil: vulndb import wants FILE or DIR\nRun 'vigil vulndb import --help' for usage.\n"},
		{"bad source", false, []string{"vulndb", "import", zip, "--source", "../etc"},
			"vigil: --source: name \"../etc\": letters, digits and . _ : + - and blanks, at most 64\nRun 'vigil vulndb import --help' for usage.\n"},
		{"unknown flag", false, []string{"vulndb", "import", zip, "--wait"}, "vigil: unknown flag: --wait\nRun 'vigil vulndb import --help' for usage.\n"},
		{"viewer imports", true, []string{"vulndb", "import", zip},
			"vigil: role viewer may not do this (needs responder) — ask an admin for a token with that role\n"},
		{"unknown source", false, []string{"vulndb", "sync", "--source", "nope"}, "vigil: no such vulnerability source: \"nope\"\n"},
		{"no source configured", false, []string{"vulndb", "sync"}, "vigil: no such vulnerability source: none is configured (see the --vulndb-sources file)\n"},
		{"sync arguments", false, []string{"vulndb", "sync", "Debian"}, "vigil: vulndb sync takes no arguments, got [\"Debian\"]\nRun 'vigil vulndb sync --help' for usage.\n"},
		{"unknown advisory", false, []string{"vulndb", "show", "GHSA-0000-0000-0000"}, "vigil: advisory GHSA-0000-0000-0000 not found\n"},
		{"unknown subcommand", false, []string{"vulndb", "stat"}, "vigil: unknown command \"stat\" for \"vigil vulndb\"; did you mean status?\nRun 'vigil vulndb --help' for usage.\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			token := e.AdminToken
			if tc.viewer {
				token = e.ViewerToken
			}
			r := e.RunAs(context.Background(), token, "", tc.args...)
			if r.Code != 1 || r.Stderr != tc.want {
				t.Errorf("exit %d, stderr\n%q\nwant exit 1,\n%q", r.Code, r.Stderr, tc.want)
			}
		})
	}
	var posts []string
	for _, req := range e.Requests() {
		if strings.HasPrefix(req, "POST /api/v1/vulndb/import") {
			posts = append(posts, req)
		}
	}
	if want := []string{"POST /api/v1/vulndb/import?source=Debian"}; !slices.Equal(posts, want) {
		t.Errorf("imports asked %v, want only the viewer's %v", posts, want)
	}
	if jobs := e.Vulns.Jobs(); len(jobs) != 0 {
		t.Errorf("jobs started: %+v", jobs)
	}
}

// TestGolden checks the listings and shows of the seeded database.
func TestGolden(t *testing.T) {
	e := vulncmdtest.Start(t, vulncmdtest.Options{})
	e.Seed()
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"advisories", []string{"vulndb", "advisories"}},
		{"advisories_filtered", []string{"vulndb", "advisories", "--ecosystem", "Debian:12", "--severity", "critical"}},
		{"advisories_json", []string{"vulndb", "advisories", "--id", "CVE-2021-44228", "-o", "json"}},
		{"show", []string{"vulndb", "show", "DSA-5532-1"}},
		{"show_json", []string{"vulndb", "show", "GHSA-jfh8-c2jp-5v3q", "-o", "json"}},
		{"status", []string{"vulndb", "status"}},
		{"status_json", []string{"vulndb", "status", "-o", "json"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clikittest.Golden(t, tc.name, e.OK(tc.args...))
		})
	}
	e.OK("vulndb", "advisories", "--id", "CVE-1", "--ecosystem", "Maven", "--source", "GitHub", "--severity", "high", "-q", "log4j", "--limit", "5")
	reqs := e.Requests()
	if got, want := reqs[len(reqs)-1], "GET /api/v1/vulndb/advisories?ecosystem=Maven&id=CVE-1&limit=5&q=log4j&severity=high&source=GitHub"; got != want {
		t.Errorf("asked %s, want %s", got, want)
	}
}

// TestMatchingOff: a center with vulnerability matching off says so; the
// findings it holds are still listed.
func TestMatchingOff(t *testing.T) {
	e := vulncmdtest.Start(t, vulncmdtest.Options{NoVulns: true})
	e.Seed()
	zip := filepath.Join(exportDir(t, 3), "Debian", "all.zip")
	for _, args := range [][]string{{"vulndb", "status"}, {"vulndb", "import", zip}, {"vulndb", "sync"}} {
		r := e.Run(context.Background(), "", args...)
		if want := "vigil: vulnerability matching is off on this center\n"; r.Code != 1 || r.Stderr != want {
			t.Errorf("vigil %s: exit %d, stderr %q; want %q", strings.Join(args, " "), r.Code, r.Stderr, want)
		}
	}
	if out := e.OK("vulns", "list", "--kev"); !strings.Contains(out, "CVE-2021-44228") {
		t.Errorf("findings not listed:\n%s", out)
	}
	if out := e.OK("vulndb", "advisories", "--source", "GitHub"); !strings.Contains(out, "GHSA-jfh8-c2jp-5v3q") {
		t.Errorf("advisories not listed:\n%s", out)
	}
}
