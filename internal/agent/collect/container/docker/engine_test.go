package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/agent/collect/internal/collecttest"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/event"
)

// The engine answers in testdata/engine-* are recorded shapes, served by
// an httptest server on a unix socket; no live engine is involved:
//
//   - engine-20.10: answers of a real Docker Engine 20.10.24 (API 1.41),
//     recorded with curl on its socket; only the engine's private data
//     and exec roots were rewritten to the default /var/lib/docker and
//     /var/run/docker.
//   - engine-26.1: the same containers as Docker Engine 26.1 (API 1.45)
//     writes them: no VirtualSize in image listings, DNSNames on network
//     endpoints, no KernelMemory fields, plus a pulled image with its
//     repository digest, a health check and a running privileged
//     container.

// fakeEngine serves the recorded answers of dir.
type fakeEngine struct {
	dir string
	mu  sync.Mutex
	// paths are the request paths seen.
	paths []string
	// override answers a path (with query) instead of the recording.
	override map[string]func(w http.ResponseWriter)
}

var versionedPath = regexp.MustCompile(`^/v(\d+\.\d+)(/.*)$`)

func (f *fakeEngine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.paths = append(f.paths, r.URL.RequestURI())
	o := f.override[r.URL.RequestURI()]
	f.mu.Unlock()
	if o != nil {
		o(w)
		return
	}
	w.Header().Set("Api-Version", "1.45")
	w.Header().Set("Ostype", "linux")
	p := r.URL.Path
	if m := versionedPath.FindStringSubmatch(p); m != nil {
		p = m[2]
	}
	file := ""
	switch {
	case p == "/_ping":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprint(w, "OK")
		return
	case p == "/version":
		file = "version.json"
	case p == "/containers/json":
		if r.URL.Query().Get("all") != "1" {
			http.Error(w, `{"message":"test engine: all=1 expected"}`, http.StatusBadRequest)
			return
		}
		file = "containers.json"
	case p == "/images/json":
		file = "images.json"
	case strings.HasPrefix(p, "/containers/") && strings.HasSuffix(p, "/json"):
		id := strings.TrimSuffix(strings.TrimPrefix(p, "/containers/"), "/json")
		file = filepath.Join("containers", filepath.Base(id)+".json")
		if _, err := os.Stat(filepath.Join(f.dir, file)); err != nil {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintf(w, `{"message":"No such container: %s"}`+"\n", id)
			return
		}
	default:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"message":"page not found"}`+"\n")
		return
	}
	b, err := os.ReadFile(filepath.Join(f.dir, file))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

func (f *fakeEngine) seen() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.paths)
}

// serveEngine starts h on <root>/var/run/docker.sock of a new host root
// and returns the root.
func serveEngine(t *testing.T, h http.Handler) string {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "var/run")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", filepath.Join(dir, "docker.sock"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return root
}

// byName returns the asset of kind and name.
func byName(t *testing.T, assets []event.Asset, kind, name string) event.Event {
	t.Helper()
	for _, a := range assets {
		if a.Kind == kind && a.Name == name {
			return event.Event(a.Fields)
		}
	}
	t.Fatalf("no %s %q", kind, name)
	return nil
}

func strs(e event.Event, p string) []string {
	v, _ := e.Get(p)
	switch l := v.(type) {
	case []string:
		return l
	case []any:
		var out []string
		for _, x := range l {
			out = append(out, fmt.Sprint(x))
		}
		return out
	}
	return nil
}

func TestRecordedEngines(t *testing.T) {
	for _, tt := range []struct {
		set, api string
		images   int
	}{
		{"engine-20.10", "v1.41", 1},
		{"engine-26.1", "v1.45", 2},
	} {
		t.Run(tt.set, func(t *testing.T) {
			fe := &fakeEngine{dir: filepath.Join("testdata", tt.set)}
			root := serveEngine(t, fe)
			c := New()
			env := plugin.Env{Root: root}
			if err := c.Configure(env); err != nil {
				t.Fatalf("Configure: %v", err)
			}
			assets := collecttest.Assets(t, c, env)
			collecttest.Golden(t, filepath.Join("testdata/golden", tt.set+".json"), assets)

			for _, p := range fe.seen()[1:] {
				if !strings.HasPrefix(p, "/"+tt.api+"/") {
					t.Errorf("request %s does not use %s", p, tt.api)
				}
			}
			n := map[string]int{}
			for _, a := range assets {
				n[a.Kind]++
			}
			if n[event.AssetContainer] != 7 || n[event.AssetImage] != tt.images {
				t.Errorf("counts %v, want 7 containers and %d images", n, tt.images)
			}
			out, _ := json.Marshal(assets)
			if strings.Contains(string(out), "s3cr3t") || strings.Contains(string(out), "NGINX_VERSION") {
				t.Error("the environment of a container leaked into the inventory")
			}
			if strings.Contains(string(out), "Up ") {
				t.Error("the status text (\"Up 3 days\") is in the inventory")
			}

			wt := byName(t, assets, event.AssetContainer, "watchtower")
			if !slices.Contains(strs(wt, "vigil.container.risks"), "runtime_socket_mounted") {
				t.Errorf("watchtower risks %v: no runtime_socket_mounted", strs(wt, "vigil.container.risks"))
			}
			ne := byName(t, assets, event.AssetContainer, "node-exporter")
			if d := cmp.Diff([]string{"host_network", "host_pid", "host_root_mounted"}, strs(ne, "vigil.container.risks")); d != "" {
				t.Errorf("node-exporter risks (-want +got):\n%s", d)
			}
			if ne.String("vigil.container.runs_as_root") != "false" || ne.String("vigil.container.user") != "65534:65534" {
				t.Errorf("node-exporter user %q root %q", ne.String("vigil.container.user"), ne.String("vigil.container.runs_as_root"))
			}
			k8s := byName(t, assets, event.AssetContainer, "k8s_app_debug-7d9f_prod_1b2c3d4e-0000-4000-8000-00000000abcd_0")
			if d := cmp.Diff([]string{"apparmor_unconfined", "host_ipc", "privileged", "seccomp_unconfined"}, strs(k8s, "vigil.container.risks")); d != "" {
				t.Errorf("privileged container risks (-want +got):\n%s", d)
			}
			for p, want := range map[string]string{
				"orchestrator.type": "kubernetes", "orchestrator.namespace": "prod", "orchestrator.resource.name": "debug-7d9f",
				"orchestrator.resource.id": "1b2c3d4e-0000-4000-8000-00000000abcd", "vigil.kubernetes.container_name": "app",
				"container.security_context.privileged": "true",
			} {
				if got := k8s.String(p); got != want {
					t.Errorf("privileged container %s = %q, want %q", p, got, want)
				}
			}
			tb := byName(t, assets, event.AssetContainer, "toolbox")
			if d := cmp.Diff([]string{"cap_sys_ptrace", "seccomp_unconfined"}, strs(tb, "vigil.container.risks")); d != "" {
				t.Errorf("toolbox risks (-want +got):\n%s", d)
			}
			if tb.String("vigil.container.readonly_rootfs") != "true" {
				t.Error("toolbox: read-only root not seen")
			}
			mg := byName(t, assets, event.AssetContainer, "migrate")
			if mg.String("vigil.container.state") != "exited" || mg.String("vigil.container.exit_code") != "3" {
				t.Errorf("migrate state %q exit %q", mg.String("vigil.container.state"), mg.String("vigil.container.exit_code"))
			}
			web := byName(t, assets, event.AssetContainer, "web-nginx-1")
			ports, _ := web.Get("vigil.container.ports")
			pj, _ := json.Marshal(ports)
			want := `[{"container_port":80,"host_ip":"0.0.0.0","host_port":8080,"protocol":"tcp"},{"container_port":80,"host_ip":"::","host_port":8080,"protocol":"tcp"},{"container_port":443,"host_ip":"127.0.0.1","host_port":8443,"protocol":"tcp"}]`
			if string(pj) != want {
				t.Errorf("web ports %s, want %s", pj, want)
			}
		})
	}
}

// TestRestartKeepsItem: what changes while a container runs on (pid,
// restart count, status text, endpoint ids, health log) leaves its item
// unchanged; a restart changes started_at only.
func TestRestartKeepsItem(t *testing.T) {
	src := filepath.Join("testdata", "engine-26.1")
	dir := t.TempDir()
	copyTree(t, src, dir)
	run := func() map[string]event.Asset {
		root := serveEngine(t, &fakeEngine{dir: dir})
		assets, err := New().Assets(context.Background(), plugin.Env{Root: root})
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]event.Asset{}
		for _, a := range assets {
			m[a.ID()] = a
		}
		return m
	}
	before := run()
	const id = "c07418d47e1de08fb60a974e0f493d0c8786d9558167deb3449ffa17a6711e15"
	file := filepath.Join(dir, "containers", id+".json")
	edit(t, file, func(d map[string]any) {
		st := d["State"].(map[string]any)
		st["Pid"] = 999999
		st["Health"].(map[string]any)["Log"] = []any{map[string]any{"Start": "2024-06-15T00:00:00Z", "End": "2024-06-15T00:00:01Z", "ExitCode": 0, "Output": "ok"}}
		d["RestartCount"] = 7
		ns := d["NetworkSettings"].(map[string]any)
		ns["SandboxID"] = "0000"
		ns["Networks"].(map[string]any)["bridge"].(map[string]any)["EndpointID"] = "ffff"
	})
	b, _ := os.ReadFile(filepath.Join(dir, "containers.json"))
	os.WriteFile(filepath.Join(dir, "containers.json"), []byte(strings.ReplaceAll(string(b), "Up 3 days", "Up 4 days")), 0o644)
	after := run()
	if d := cmp.Diff(before, after); d != "" {
		t.Errorf("items changed while the containers ran on (-before +after):\n%s", d)
	}
	edit(t, file, func(d map[string]any) {
		d["State"].(map[string]any)["StartedAt"] = "2024-06-16T10:00:00.5Z"
	})
	restarted := run()
	var changed []string
	for k, a := range restarted {
		if d := cmp.Diff(before[k], a); d != "" {
			changed = append(changed, a.Name)
			if got := event.Event(a.Fields).String("vigil.container.started_at"); got != "2024-06-16T10:00:00.5Z" {
				t.Errorf("started_at %q after the restart", got)
			}
		}
	}
	if d := cmp.Diff([]string{"web-nginx-1"}, changed); d != "" {
		t.Errorf("changed items (-want +got):\n%s", d)
	}
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// edit rewrites a JSON file through fn.
func edit(t *testing.T, file string, fn func(map[string]any)) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var d map[string]any
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	fn(d)
	b, _ = json.Marshal(d)
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestChooseAPI(t *testing.T) {
	for _, tt := range []struct {
		server, min, want string
		err               error
	}{
		{"1.41", "1.12", "1.41", nil},
		{"1.45", "1.24", "1.45", nil},
		{"1.47", "1.24", "1.47", nil},
		{"1.52", "1.44", "1.47", nil},
		{"1.60", "1.50", "1.50", nil}, // an engine that dropped what we know
		{"1.23", "1.12", "", ErrAPIVersion},
		{"2.0", "", "1.47", nil},
		{"1.x", "", "", ErrMalformed},
		{"1.41", "one", "", ErrMalformed},
		{"", "", "", ErrMalformed},
	} {
		got, err := chooseAPI(tt.server, tt.min)
		if !errors.Is(err, tt.err) || err == nil && got.String() != tt.want {
			t.Errorf("chooseAPI(%q, %q) = %v, %v; want %s, %v", tt.server, tt.min, got, err, tt.want, tt.err)
		}
	}
}

func TestNoSocket(t *testing.T) {
	root := t.TempDir()
	c := New()
	err := c.Configure(plugin.Env{Root: root})
	if !errors.Is(err, plugin.ErrUnsupported) || !strings.Contains(err.Error(), "/var/run/docker.sock") {
		t.Errorf("Configure without a socket: %v, want ErrUnsupported naming the paths", err)
	}
	if _, err := c.Assets(context.Background(), plugin.Env{Root: root}); !errors.Is(err, ErrNoEngine) {
		t.Errorf("Assets without a socket: %v, want ErrNoEngine", err)
	}
	// A regular file where the socket should be is no engine either.
	os.MkdirAll(filepath.Join(root, "run"), 0o755)
	os.WriteFile(filepath.Join(root, "run/docker.sock"), nil, 0o644)
	if err := c.Configure(plugin.Env{Root: root}); !errors.Is(err, plugin.ErrUnsupported) {
		t.Errorf("Configure with a regular file: %v", err)
	}
}

// TestStaleSocket: the socket file of an engine that stopped.
func TestStaleSocket(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "run"), 0o755)
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: filepath.Join(root, "run/docker.sock"), Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	l.Close()
	c := New()
	if err := c.Configure(plugin.Env{Root: root}); err != nil {
		t.Fatalf("Configure with a socket file: %v", err)
	}
	_, err = c.Assets(context.Background(), plugin.Env{Root: root})
	if !errors.Is(err, ErrNoEngine) || !strings.Contains(err.Error(), "nothing listens") {
		t.Errorf("Assets on a stale socket: %v", err)
	}
}

// TestVarRunLink: /var/run is usually a link to /run; it is followed
// inside the host root.
func TestVarRunLink(t *testing.T) {
	fe := &fakeEngine{dir: filepath.Join("testdata", "engine-26.1")}
	root := serveEngine(t, fe) // <root>/var/run/docker.sock
	if err := os.Rename(filepath.Join(root, "var/run"), filepath.Join(root, "run")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/run", filepath.Join(root, "var/run")); err != nil {
		t.Fatal(err)
	}
	assets, err := New().Assets(context.Background(), plugin.Env{Root: root})
	if err != nil || len(assets) == 0 {
		t.Fatalf("Assets through /var/run -> /run: %d items, %v", len(assets), err)
	}
	wt := byName(t, assets, event.AssetContainer, "watchtower")
	if !slices.Contains(strs(wt, "vigil.container.risks"), "runtime_socket_mounted") {
		t.Error("watchtower: socket mount not recognised")
	}
}

func TestSettings(t *testing.T) {
	c := New()
	for _, bad := range []string{`{"sock": "/x"}`, `{"socket": "run/docker.sock"}`, `[1]`, `{"socket": 1}`, `{"socket": "/run/docker.sock"} {}`} {
		if err := c.ApplySettings(json.RawMessage(bad)); err == nil {
			t.Errorf("settings %s accepted", bad)
		}
	}
	fe := &fakeEngine{dir: filepath.Join("testdata", "engine-26.1")}
	root := serveEngine(t, fe)
	alt := filepath.Join(root, "run/user/1000")
	os.MkdirAll(alt, 0o755)
	if err := os.Rename(filepath.Join(root, "var/run/docker.sock"), filepath.Join(alt, "docker.sock")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Assets(context.Background(), plugin.Env{Root: root}); !errors.Is(err, ErrNoEngine) {
		t.Fatalf("default paths after the move: %v", err)
	}
	if err := c.ApplySettings(json.RawMessage(`{"socket": "/run/user/1000/docker.sock"}`)); err != nil {
		t.Fatal(err)
	}
	assets, err := c.Assets(context.Background(), plugin.Env{Root: root})
	if err != nil || len(assets) != 9 {
		t.Fatalf("rootless socket: %d items, %v", len(assets), err)
	}
	if err := c.ApplySettings(nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Assets(context.Background(), plugin.Env{Root: root}); !errors.Is(err, ErrNoEngine) {
		t.Errorf("settings cleared: %v", err)
	}
}

func TestEngineErrors(t *testing.T) {
	const web = "c07418d47e1de08fb60a974e0f493d0c8786d9558167deb3449ffa17a6711e15"
	status := func(code int, body string) func(http.ResponseWriter) {
		return func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(code)
			fmt.Fprint(w, body)
		}
	}
	allInspect := map[string]func(http.ResponseWriter){}
	b, _ := os.ReadFile("testdata/engine-26.1/containers.json")
	var list []containerSummary
	json.Unmarshal(b, &list)
	for _, c := range list {
		allInspect["/v1.45/containers/"+c.ID+"/json"] = status(500, `{"message":"Error response from daemon: boom"}`)
	}
	tests := []struct {
		name      string
		override  map[string]func(http.ResponseWriter)
		wantErr   error
		errText   string
		items     int
		skipped   uint64
		malformed uint64
	}{
		{name: "list 500", override: map[string]func(http.ResponseWriter){
			"/v1.45/containers/json?all=1": status(500, `{"message":"Error response from daemon: an error occurred"}`)},
			errText: "engine answered 500: Error response from daemon: an error occurred"},
		{name: "images 503 not JSON", override: map[string]func(http.ResponseWriter){
			"/v1.45/images/json": status(503, "upstream unavailable")},
			errText: "engine answered 503: upstream unavailable"},
		{name: "one inspection fails", override: map[string]func(http.ResponseWriter){
			"/v1.45/containers/" + web + "/json": status(500, `{"message":"boom"}`)},
			items: 8, skipped: 1},
		{name: "one inspection malformed", override: map[string]func(http.ResponseWriter){
			"/v1.45/containers/" + web + "/json": status(200, `{"Id": "`+web+`", "State": [`)},
			items: 8, skipped: 1, malformed: 1},
		{name: "one container gone", override: map[string]func(http.ResponseWriter){
			"/v1.45/containers/" + web + "/json": status(404, `{"message":"No such container: `+web+`"}`)},
			items: 8},
		{name: "every inspection fails", override: allInspect, errText: "every container's inspection failed"},
		{name: "malformed list", override: map[string]func(http.ResponseWriter){
			"/v1.45/containers/json?all=1": status(200, `[{"Id": "abc"}]`)},
			wantErr: ErrMalformed, malformed: 1},
		{name: "truncated list", override: map[string]func(http.ResponseWriter){
			"/v1.45/images/json": status(200, `[{"Id": "sha256:`)},
			wantErr: ErrMalformed, malformed: 1},
		{name: "old engine", override: map[string]func(http.ResponseWriter){
			"/version": status(200, `{"Version":"1.11.2","ApiVersion":"1.23","Os":"linux"}`)},
			wantErr: ErrAPIVersion},
		{name: "version without ApiVersion", override: map[string]func(http.ResponseWriter){
			"/version": status(200, `{"Version":"x"}`)},
			wantErr: ErrMalformed, malformed: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fe := &fakeEngine{dir: "testdata/engine-26.1", override: tt.override}
			root := serveEngine(t, fe)
			c := New()
			assets, err := c.Assets(context.Background(), plugin.Env{Root: root})
			if tt.wantErr != nil || tt.errText != "" {
				if err == nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.errText) {
					t.Fatalf("err = %v, want %v %q", err, tt.wantErr, tt.errText)
				}
			} else if err != nil {
				t.Fatalf("Assets: %v", err)
			}
			if len(assets) != tt.items {
				t.Errorf("%d items, want %d", len(assets), tt.items)
			}
			cnt := c.Counters()
			if cnt["skipped_items"] != tt.skipped || cnt["malformed_responses"] != tt.malformed {
				t.Errorf("counters %v, want skipped %d malformed %d", cnt, tt.skipped, tt.malformed)
			}
		})
	}
}

// TestHugeResponse: an answer larger than its bound fails the run
// without reading it all.
func TestHugeResponse(t *testing.T) {
	fe := &fakeEngine{dir: "testdata/engine-26.1", override: map[string]func(http.ResponseWriter){
		"/v1.45/images/json": func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte("["))
			item := []byte(`{"Id":"sha256:0000","RepoTags":["x:1"],"Size":1,"Created":1},`)
			for n := 0; n <= maxListing/len(item)+1; n++ {
				if _, err := w.Write(item); err != nil {
					return
				}
			}
		},
	}}
	root := serveEngine(t, fe)
	if _, err := New().Assets(context.Background(), plugin.Env{Root: root}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("huge image list: %v, want ErrTooLarge", err)
	}
}
