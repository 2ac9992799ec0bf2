package docker

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/imageref"
)

const id64 = "c07418d47e1de08fb60a974e0f493d0c8786d9558167deb3449ffa17a6711e15"

func TestDecodeContainer(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"minimal", `{"Id":"` + id64 + `","State":{"Status":"running"},"HostConfig":{},"Config":{}}`, true},
		{"cmd as a string", `{"Id":"` + id64 + `","State":{},"HostConfig":{},"Config":{"Cmd":"sleep 1","Entrypoint":null}}`, true},
		{"short id", `{"Id":"c07418d47e1d","State":{},"HostConfig":{},"Config":{}}`, false},
		{"upper-case id", `{"Id":"` + strings.ToUpper(id64) + `","State":{},"HostConfig":{},"Config":{}}`, false},
		{"no state", `{"Id":"` + id64 + `","HostConfig":{},"Config":{}}`, false},
		{"wrong type", `{"Id":"` + id64 + `","State":{"Running":"yes"},"HostConfig":{},"Config":{}}`, false},
		{"two documents", `{"Id":"` + id64 + `","State":{},"HostConfig":{},"Config":{}} {}`, false},
		{"not UTF-8", "{\"Id\":\"\xff\"}", false},
		{"empty", ``, false},
		{"array", `[]`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := decodeContainer([]byte(tt.in))
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok %v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrMalformed) {
				t.Errorf("error %v is not ErrMalformed", err)
			}
			if err == nil && c.ID != id64 {
				t.Errorf("id %q", c.ID)
			}
		})
	}
	c, err := decodeContainer([]byte(`{"Id":"` + id64 + `","State":{},"HostConfig":{"CapAdd":"SYS_ADMIN"},"Config":{"Cmd":"sleep 1"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(strSlice{"sleep 1"}, c.Config.Cmd); d != "" {
		t.Errorf("Cmd as a string (-want +got):\n%s", d)
	}
}

func TestDecodeLists(t *testing.T) {
	if l, err := decodeContainerList([]byte(`[]`)); err != nil || len(l) != 0 {
		t.Errorf("empty list: %v %v", l, err)
	}
	if l, err := decodeContainerList([]byte(`null`)); err != nil || len(l) != 0 {
		t.Errorf("null list: %v %v", l, err)
	}
	if _, err := decodeContainerList([]byte(`[{"Id":"` + id64 + `"},{"Id":"` + id64 + `"}]`)); !errors.Is(err, ErrMalformed) {
		t.Errorf("duplicate id: %v", err)
	}
	if _, err := decodeContainerList([]byte(`{"Id":"` + id64 + `"}`)); !errors.Is(err, ErrMalformed) {
		t.Errorf("object for a list: %v", err)
	}
	if _, err := decodeImages([]byte(`[{"Id":""}]`)); !errors.Is(err, ErrMalformed) {
		t.Errorf("image without id: %v", err)
	}
	if _, err := decodeImages([]byte(`[{"Id":"sha256:1"},{"Id":"sha256:1"}]`)); !errors.Is(err, ErrMalformed) {
		t.Errorf("duplicate image: %v", err)
	}
	if _, err := decodeImages([]byte(`[{"Id":"sha256:1","Size":"big"}]`)); !errors.Is(err, ErrMalformed) {
		t.Errorf("size as a string: %v", err)
	}
}

func TestImageNames(t *testing.T) {
	for _, tt := range []struct {
		tags, digests       []string
		name, version, reg  string
		tagsOfName, hashAll []string
	}{
		{[]string{"nginx:1.25.5", "nginx:1.25"}, []string{"nginx@sha256:aa"}, "nginx", "1.25", "docker.io", []string{"1.25", "1.25.5"}, []string{"sha256:aa"}},
		{[]string{"registry.example.com:5000/team/app:2.1", "app:latest"}, nil, "app", "latest", "docker.io", []string{"latest"}, nil},
		{[]string{"localhost:5000/app"}, nil, "localhost:5000/app", "", "localhost:5000", nil, nil},
		{[]string{"<none>:<none>"}, []string{"quay.io/prometheus/node-exporter@sha256:bb"}, "quay.io/prometheus/node-exporter", "", "quay.io", nil, []string{"sha256:bb"}},
		{nil, []string{"<none>@<none>"}, "sha256:46d713a29c7d", "", "", nil, nil},
	} {
		a := imageAsset(imageSummary{ID: "sha256:46d713a29c7d7d99058ee25f98562a94c09ba8e558ef692735873ff7e9c87e6e", RepoTags: tt.tags, RepoDigests: tt.digests, Size: 1})
		f := a.Fields
		if a.Name != tt.name || a.Version != tt.version {
			t.Errorf("%v: name %q version %q, want %q %q", tt.tags, a.Name, a.Version, tt.name, tt.version)
		}
		if got := event.Event(f).String("vigil.image.registry"); got != tt.reg {
			t.Errorf("%v: registry %q, want %q", tt.tags, got, tt.reg)
		}
		if d := cmp.Diff(tt.tagsOfName, strs(f, "container.image.tag")); d != "" {
			t.Errorf("%v: tags (-want +got):\n%s", tt.tags, d)
		}
		if d := cmp.Diff(tt.hashAll, strs(f, "container.image.hash.all")); d != "" {
			t.Errorf("%v: hashes (-want +got):\n%s", tt.tags, d)
		}
		if err := a.Validate(); err != nil {
			t.Error(err)
		}
	}
}

func TestBoundLabels(t *testing.T) {
	labels := map[string]string{}
	for i := 0; i < 150; i++ {
		labels[strings.Repeat("k", 3)+string(rune('a'+i%26))+strings.Repeat("x", i)] = strings.Repeat("é", 400)
	}
	got, dropped := imageref.BoundLabels(labels, maxLabels, maxLabelValue)
	if len(got) != maxLabels || dropped != 50 {
		t.Errorf("%d labels kept, %d dropped", len(got), dropped)
	}
	for _, v := range got {
		s := v.(string)
		if len(s) > maxLabelValue || !strings.HasPrefix(strings.Repeat("é", 400), s) {
			t.Fatalf("value cut badly: %d bytes", len(s))
		}
	}
}

func TestRunsAsRoot(t *testing.T) {
	for user, want := range map[string]bool{"": true, "root": true, "0": true, "0:0": true, "root:wheel": true,
		"nobody": false, "1000": false, "65534:65534": false, "0100": false} {
		if got := runsAsRoot(user); got != want {
			t.Errorf("runsAsRoot(%q) = %v", user, got)
		}
	}
}

// seeds returns the recorded answers of kind ("containers/*.json" ...)
// as fuzz seeds.
func seeds(f *testing.F, pattern string) {
	files, _ := filepath.Glob(filepath.Join("testdata", "engine-*", pattern))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`[null]`))
}

func FuzzDecodeContainer(f *testing.F) {
	seeds(f, "containers/*.json")
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := decodeContainer(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v is not ErrMalformed", err)
			}
			return
		}
		a := containerAsset(c, "/var/run/docker.sock")
		if a.Key != c.ID || a.Name == "" {
			t.Fatalf("key %q name %q", a.Key, a.Name)
		}
		_ = a.Validate()
	})
}

func FuzzDecodeContainerList(f *testing.F) {
	seeds(f, "containers.json")
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := decodeContainerList(b)
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("error %v is not ErrMalformed", err)
		}
		for _, c := range l {
			if !validContainerID(c.ID) {
				t.Fatalf("invalid id %q accepted", c.ID)
			}
		}
	})
}

func FuzzDecodeImages(f *testing.F) {
	seeds(f, "images.json")
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := decodeImages(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v is not ErrMalformed", err)
			}
			return
		}
		for _, im := range l {
			a := imageAsset(im)
			if a.Key != im.ID || a.Name == "" {
				t.Fatalf("key %q name %q", a.Key, a.Name)
			}
			_ = a.Validate()
		}
	})
}

func FuzzDecodeVersion(f *testing.F) {
	seeds(f, "version.json")
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := decodeVersion(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v is not ErrMalformed", err)
			}
			return
		}
		if _, err := chooseAPI(v.APIVersion, v.MinAPIVersion); err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrAPIVersion) {
			t.Fatalf("chooseAPI: %v", err)
		}
	})
}
