package fim_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/fim"
	"github.com/vigilsec/vigil/internal/event"
)

// TestDiscoveredWebRoots: the web roots found are watched, and when the
// found set changes the new root is watched too.
func TestDiscoveredWebRoots(t *testing.T) {
	root, data := host(t), t.TempDir()
	for _, d := range []string{"var/www/shop", "srv/blog"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write(t, filepath.Join(root, "var/www/shop/index.php"), "<?php echo 'shop';\n")
	old := fim.WebRootsInterval
	fim.WebRootsInterval = 200 * time.Millisecond
	defer func() { fim.WebRootsInterval = old }()
	var mu sync.Mutex
	found := []string{"/var/www/shop"}
	r := startWith(t, root, data, fim.MechanismInotify, nil, func(s *fim.Sensor, env *plugin.Env) {
		s.DiscoverWebRoots = func(ctx context.Context, e plugin.Env) ([]string, error) {
			if e.Root != root {
				t.Errorf("discovery got root %q", e.Root)
			}
			mu.Lock()
			defer mu.Unlock()
			return slices.Clone(found), nil
		}
	})
	defer r.stop(t)
	write(t, filepath.Join(root, "var/www/shop/shell.php"), "<?php system($_GET['c']);\n")
	e := r.c.waitFor(t, "the new script in the found web root", func(e event.Event) bool {
		return e.String(event.FieldFilePath) == "/var/www/shop/shell.php" && e.String(event.FieldAction) == fim.ActionCreated
	})
	if got := e.String("vigil.fim.web_root"); got != "/var/www/shop" {
		t.Errorf("vigil.fim.web_root %q, want /var/www/shop", got)
	}
	if c := r.s.Counters(); c["web_roots"] != 1 {
		t.Errorf("web_roots counter %d, want 1", c["web_roots"])
	}

	// A site appears: its root is found at the next search and watched.
	mu.Lock()
	found = append(found, "/srv/blog")
	mu.Unlock()
	r.c.waitFor(t, "the baseline with the new root", func(e event.Event) bool {
		if e.String(event.FieldAction) != fim.ActionBaselineCompleted {
			return false
		}
		v, _ := e.Get("vigil.fim.paths")
		list, _ := v.([]any)
		return slices.Contains(list, any("/srv/blog"))
	})
	write(t, filepath.Join(root, "srv/blog/index.html"), "<h1>defaced</h1>\n")
	e = r.c.waitFor(t, "the change in the new web root", func(e event.Event) bool {
		return e.String(event.FieldFilePath) == "/srv/blog/index.html" && e.String(event.FieldAction) == fim.ActionCreated
	})
	if got := e.String("vigil.fim.web_root"); got != "/srv/blog" {
		t.Errorf("vigil.fim.web_root %q, want /srv/blog", got)
	}
}

// TestWebRootField: the events of files served by a web server name the
// document root they lie in (the deepest, as configured even when it is a
// symlink); other files' events name none.
func TestWebRootField(t *testing.T) {
	root, data := host(t), t.TempDir()
	for _, d := range []string{"var/www/shop/static", "data/site", "srv"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("/data/site", filepath.Join(root, "srv/site")); err != nil {
		t.Fatal(err)
	}
	r := startWith(t, root, data, fim.MechanismInotify, map[string]any{"web_roots": []string{"/srv/site"}},
		func(s *fim.Sensor, env *plugin.Env) {
			s.DiscoverWebRoots = func(context.Context, plugin.Env) ([]string, error) {
				return []string{"/var/www/shop", "/var/www/shop/static"}, nil
			}
		})
	defer r.stop(t)
	for _, tt := range []struct{ path, webRoot string }{
		{"/var/www/shop/upload.php", "/var/www/shop"},
		{"/var/www/shop/static/app.js", "/var/www/shop/static"},
		{"/data/site/index.html", "/srv/site"},
		{"/etc/web.conf", ""},
	} {
		write(t, filepath.Join(root, tt.path), "x\n")
		e := r.c.waitFor(t, tt.path, is(fim.ActionCreated, tt.path))
		if got, ok := e.Get("vigil.fim.web_root"); ok != (tt.webRoot != "") || ok && got != tt.webRoot {
			t.Errorf("%s: vigil.fim.web_root %v, want %q", tt.path, got, tt.webRoot)
		}
	}
}

// TestWebRootsDiscoveryOff: with discover_web_roots off, the search is
// not even made.
func TestWebRootsDiscoveryOff(t *testing.T) {
	root, data := host(t), t.TempDir()
	called := false
	r := startWith(t, root, data, fim.MechanismInotify, map[string]any{"discover_web_roots": false}, func(s *fim.Sensor, env *plugin.Env) {
		s.DiscoverWebRoots = func(context.Context, plugin.Env) ([]string, error) {
			called = true
			return []string{"/var/www"}, nil
		}
	})
	r.stop(t)
	if called {
		t.Error("web roots were looked for with discover_web_roots off")
	}
}
