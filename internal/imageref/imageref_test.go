package imageref

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestReferences(t *testing.T) {
	for _, tc := range []struct{ ref, repo, tag, registry string }{
		{"nginx:1.25", "nginx", "1.25", "docker.io"},
		{"library/nginx", "library/nginx", "", "docker.io"},
		{"registry:5000/team/app:v2", "registry:5000/team/app", "v2", "registry:5000"},
		{"registry:5000/team/app", "registry:5000/team/app", "", "registry:5000"},
		{"ghcr.io/org/tool:latest", "ghcr.io/org/tool", "latest", "ghcr.io"},
		{"localhost/app:dev", "localhost/app", "dev", "localhost"},
	} {
		repo, tag := SplitTag(tc.ref)
		if repo != tc.repo || tag != tc.tag || Registry(repo) != tc.registry {
			t.Errorf("%s: %q %q %q, want %q %q %q", tc.ref, repo, tag, Registry(repo), tc.repo, tc.tag, tc.registry)
		}
	}
	if got := Short("sha256:4c3d2e1f0a9b8c7d6e5f"); got != "sha256:4c3d2e1f0a9b" {
		t.Errorf("Short = %q", got)
	}
	if got := Short("4c3d2e1f0a9b8c7d6e5f"); got != "4c3d2e1f0a9b" {
		t.Errorf("Short without algorithm = %q", got)
	}
}

func TestBoundLabels(t *testing.T) {
	labels := map[string]string{"b": strings.Repeat("é", 10), "a": "x", "c": "y"}
	got, dropped := BoundLabels(labels, 2, 5)
	if dropped != 1 || len(got) != 2 || got["a"] != "x" || got["c"] != nil {
		t.Fatalf("labels %v, dropped %d", got, dropped)
	}
	if v := got["b"].(string); len(v) > 5 || !utf8.ValidString(v) {
		t.Errorf("value %q not cut on a UTF-8 boundary within 5 bytes", v)
	}
	if got, _ := BoundLabels(nil, 2, 5); got != nil {
		t.Errorf("no labels gave %v", got)
	}
}

func FuzzBoundLabels(f *testing.F) {
	f.Add("k", "vé", 1, 3)
	f.Fuzz(func(t *testing.T, k, v string, maxLabels, maxValue int) {
		if maxLabels < 0 || maxValue < 0 || maxLabels > 100 || maxValue > 1000 {
			return
		}
		got, _ := BoundLabels(map[string]string{k: v}, maxLabels, maxValue)
		for _, val := range got {
			if s := val.(string); len(s) > maxValue || (utf8.ValidString(v) && !utf8.ValidString(s)) {
				t.Fatalf("value %q from %q", s, v)
			}
		}
	})
}
