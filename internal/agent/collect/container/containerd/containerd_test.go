package containerd

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/vigilsec/vigil/internal/agent/collect/internal/collecttest"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/event"
)

// The fixture tree testdata/root holds:
//
//   - run/containerd/io.containerd.runtime.v2.task/default/{tools1,hostie,priv}:
//     the task directories of a real containerd 1.6.20 for containers run
//     with ctr (plain; --net-host with CAP_SYS_ADMIN and / bound; and
//     --privileged), the containerd root rewritten to the default.
//   - .../k8s.io/: a pod's sandbox, its nginx container and a privileged
//     host-network, host-pid agent, as the CRI plugin of containerd 1.7
//     writes their runtime specs.
//   - .../moby/: a task of Docker's namespace, which is left out.
//   - var/lib/containerd/io.containerd.content.v1.content: the manifest and
//     config of the ctr image (as containerd stored them) and an nginx
//     index and manifest.
//   - proc/<pid>/cgroup of the running tasks' processes; priv's pid is
//     another process's now (its task is stopped).
//
// The metadata database (meta.db) is written by the tests with bbolt in
// containerd's schema (see writeMeta): a binary file is no fixture to
// review.

// Ids of the fixture's Kubernetes containers and images.
const (
	podSandbox  = "a3f5c8e1d2b47f6091e3c5a7b9d1f3e5a7c9b1d3f5e7a9c1b3d5f7e9a1c3b5d7"
	podNginx    = "0f9e8d7c6b5a49382716f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0"
	podAgent    = "9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b"
	nginxIndex  = "sha256:4909dcc612c43a4dda47a94cb36c0403371d5eb78fa55ff2a40d8aac34add697"
	nginxConfig = "sha256:eb55562b8ed9d3bdf95c599d04ee362079249a896e92458c465677ebf905fd1d"
	bbManifest  = "sha256:8d1e514ac8b3c1f4c08b452901a720924f23a05557881bb746832b59aebb527a"
	bbConfig    = "sha256:96c1f5915c0cdd85b4c0a18b71499945cf5486b3f8802ff6624a04278badebdd"
	pauseIndex  = "sha256:7031c1b283388d2c2e09b57badb803c05ebed362dc88d84b480cc47f72a21097"
	pauseID     = "sha256:e6f1816883972d4be47bd48879a08919b96afcd344132622e4d444987919323c"
	agentDigest = "sha256:2c8e5f1a9b7d3c6e4f0a8b2d1c9e7f5a3b6d4c2e0f8a1b9c7d5e3f1a0b2c4d6e"
	mobyID      = "4f5a9d218c45542e2be8f8ab3a4eac55880f6cc7e7c61133aa9bfb5f11e3a2b0"
)

// metaFixture is the content of a metadata database.
type metaFixture struct {
	containers map[string]map[string]metaContainer // ns, id
	images     map[string][]metaImage              // ns
}

var epoch = time.Date(2024, 6, 12, 8, 58, 0, 0, time.UTC)

// fixtureMeta is the database of the fixture tree.
func fixtureMeta(t *testing.T, root string) metaFixture {
	t.Helper()
	taskSpec := func(ns, id string) []byte {
		b, err := os.ReadFile(filepath.Join(root, "run/containerd", taskDir, ns, id, "config.json"))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	idle := strings.Replace(string(taskSpec("default", "tools1")), `"args":["sleep","100000"]`, `"args":["/bin/sh","-c","exec sleep 1000"]`, 1)
	cri := func(pod, ns, uid, name, kind string) map[string]string {
		return map[string]string{"io.cri-containerd.kind": kind, "io.kubernetes.container.name": name,
			"io.kubernetes.pod.name": pod, "io.kubernetes.pod.namespace": ns, "io.kubernetes.pod.uid": uid}
	}
	stop := map[string]string{"io.containerd.image.config.stop-signal": "SIGTERM"}
	managed := map[string]string{"io.cri-containerd.image": "managed"}
	return metaFixture{
		containers: map[string]map[string]metaContainer{
			"default": {
				"tools1": {Image: "registry.example.com/tools/busybox:1.35", Runtime: "io.containerd.runc.v2", Created: epoch, Spec: taskSpec("default", "tools1"),
					Labels: map[string]string{"app": "tools", "io.containerd.image.config.stop-signal": "SIGTERM"}},
				"hostie": {Image: "registry.example.com/tools/busybox:1.35", Runtime: "io.containerd.runc.v2", Created: epoch.Add(time.Second), Spec: taskSpec("default", "hostie"), Labels: stop},
				"priv":   {Image: "registry.example.com/tools/busybox:1.35", Runtime: "io.containerd.runc.v2", Created: epoch.Add(2 * time.Second), Spec: taskSpec("default", "priv"), Labels: stop},
				"idle":   {Image: "registry.example.com/tools/busybox:1.35", Runtime: "io.containerd.runc.v2", Created: epoch.Add(3 * time.Second), Spec: []byte(idle), Labels: stop},
			},
			"k8s.io": {
				podSandbox: {Image: "registry.k8s.io/pause:3.9", Runtime: "io.containerd.runc.v2", Created: epoch, Spec: taskSpec("k8s.io", podSandbox),
					Labels: cri("web-7c9d8b6f5-x2x9k", "shop", "6f1c2b0e-8a7d-4c39-9e2b-3d5f7a1b9c04", "POD", "sandbox")},
				podNginx: {Image: "docker.io/library/nginx:1.25.5", Runtime: "io.containerd.runc.v2", Created: epoch.Add(time.Minute), Spec: taskSpec("k8s.io", podNginx),
					Labels: cri("web-7c9d8b6f5-x2x9k", "shop", "6f1c2b0e-8a7d-4c39-9e2b-3d5f7a1b9c04", "nginx", "container")},
				podAgent: {Image: "registry.example.com/security/node-agent:2.4.1", Runtime: "io.containerd.runc.v2", Created: epoch.Add(2 * time.Minute), Spec: taskSpec("k8s.io", podAgent),
					Labels: cri("node-agent-7xk2p", "monitoring", "c2d4e6f8-1a3b-4c5d-8e7f-9a0b1c2d3e4f", "agent", "container")},
			},
			"moby": {mobyID: {Image: "sha256:46d713a29c7d7d99058ee25f98562a94c09ba8e558ef692735873ff7e9c87e6e", Runtime: "io.containerd.runc.v2", Created: epoch, Spec: taskSpec("moby", mobyID)}},
		},
		images: map[string][]metaImage{
			"default": {{Name: "registry.example.com/tools/busybox:1.35", Digest: bbManifest, MediaType: "application/vnd.oci.image.manifest.v1+json", Size: 417, Created: epoch.Add(-time.Hour)}},
			"k8s.io": {
				{Name: "docker.io/library/nginx:1.25.5", Digest: nginxIndex, MediaType: "application/vnd.oci.image.index.v1+json", Size: 507, Created: epoch.Add(-2 * time.Hour), Labels: managed},
				{Name: "docker.io/library/nginx@" + nginxIndex, Digest: nginxIndex, MediaType: "application/vnd.oci.image.index.v1+json", Size: 507, Created: epoch.Add(-2 * time.Hour), Labels: managed},
				{Name: nginxConfig, Digest: nginxIndex, MediaType: "application/vnd.oci.image.index.v1+json", Size: 507, Created: epoch.Add(-2 * time.Hour), Labels: managed},
				{Name: "registry.k8s.io/pause:3.9", Digest: pauseIndex, MediaType: "application/vnd.oci.image.index.v1+json", Size: 2405, Created: epoch.Add(-3 * time.Hour),
					Labels: map[string]string{"io.cri-containerd.image": "managed", "io.cri-containerd.pinned": "pinned"}},
				{Name: "registry.k8s.io/pause@" + pauseIndex, Digest: pauseIndex, MediaType: "application/vnd.oci.image.index.v1+json", Size: 2405, Created: epoch.Add(-3 * time.Hour), Labels: managed},
				{Name: pauseID, Digest: pauseIndex, MediaType: "application/vnd.oci.image.index.v1+json", Size: 2405, Created: epoch.Add(-3 * time.Hour), Labels: managed},
				{Name: "registry.example.com/security/node-agent:2.4.1", Digest: agentDigest, MediaType: "application/vnd.docker.distribution.manifest.v2+json", Size: 1372, Created: epoch.Add(-90 * time.Minute), Labels: managed},
			},
			"moby": {{Name: "docker.io/library/busybox:latest", Digest: bbManifest, MediaType: "application/vnd.oci.image.manifest.v1+json", Size: 417, Created: epoch}},
		},
	}
}

// writeMeta writes a metadata database in containerd's schema
// (core/metadata/buckets.go): v1/<ns>/containers/<id>/{createdat, image,
// runtime/name, labels/, spec} and v1/<ns>/images/<name>/{createdat,
// labels/, target/{digest, mediatype, size}}.
func writeMeta(t testing.TB, file string, m metaFixture) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(file, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tm := func(x time.Time) []byte {
		b, _ := x.MarshalBinary()
		return b
	}
	err = db.Update(func(tx *bolt.Tx) error {
		v1, err := tx.CreateBucketIfNotExists([]byte("v1"))
		if err != nil {
			return err
		}
		if err := v1.Put([]byte("version"), binary.AppendUvarint(nil, 3)); err != nil {
			return err
		}
		labels := func(b *bolt.Bucket, l map[string]string) error {
			if len(l) == 0 {
				return nil
			}
			lb, err := b.CreateBucket([]byte("labels"))
			if err != nil {
				return err
			}
			for k, v := range l {
				if err := lb.Put([]byte(k), []byte(v)); err != nil {
					return err
				}
			}
			return nil
		}
		ns := func(name string) (*bolt.Bucket, error) { return v1.CreateBucketIfNotExists([]byte(name)) }
		for n, cs := range m.containers {
			nb, err := ns(n)
			if err != nil {
				return err
			}
			cb, err := nb.CreateBucketIfNotExists([]byte("containers"))
			if err != nil {
				return err
			}
			for id, c := range cs {
				b, err := cb.CreateBucket([]byte(id))
				if err != nil {
					return err
				}
				b.Put([]byte("createdat"), tm(c.Created))
				b.Put([]byte("updatedat"), tm(c.Created))
				b.Put([]byte("image"), []byte(c.Image))
				b.Put([]byte("snapshotter"), []byte("overlayfs"))
				b.Put([]byte("snapshotKey"), []byte(id))
				rb, _ := b.CreateBucket([]byte("runtime"))
				rb.Put([]byte("name"), []byte(c.Runtime))
				rb.Put([]byte("options"), []byte("\n\x1acontainerd.runc.v1.Options"))
				if c.Spec != nil {
					any := protowire.AppendTag(nil, 1, protowire.BytesType)
					any = protowire.AppendString(any, specTypeURL)
					any = protowire.AppendTag(any, 2, protowire.BytesType)
					any = protowire.AppendBytes(any, c.Spec)
					b.Put([]byte("spec"), any)
				}
				if err := labels(b, c.Labels); err != nil {
					return err
				}
			}
		}
		for n, ims := range m.images {
			nb, err := ns(n)
			if err != nil {
				return err
			}
			ib, err := nb.CreateBucketIfNotExists([]byte("images"))
			if err != nil {
				return err
			}
			for _, im := range ims {
				b, err := ib.CreateBucket([]byte(im.Name))
				if err != nil {
					return err
				}
				b.Put([]byte("createdat"), tm(im.Created))
				b.Put([]byte("updatedat"), tm(im.Created))
				if err := labels(b, im.Labels); err != nil {
					return err
				}
				tb, _ := b.CreateBucket([]byte("target"))
				tb.Put([]byte("digest"), []byte(im.Digest))
				tb.Put([]byte("mediatype"), []byte(im.MediaType))
				tb.Put([]byte("size"), binary.AppendVarint(nil, im.Size))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// fixtureRoot copies testdata/root to a new directory, gives the task
// files fixed times, and writes its metadata database.
func fixtureRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	err := filepath.WalkDir("testdata/root", func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("testdata/root", p)
		dst := filepath.Join(root, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	pids, _ := filepath.Glob(filepath.Join(root, "run/containerd", taskDir, "*/*/init.pid"))
	for i, p := range pids {
		at := epoch.Add(time.Duration(i) * time.Minute)
		if err := os.Chtimes(p, at, at); err != nil {
			t.Fatal(err)
		}
	}
	writeMeta(t, filepath.Join(root, "var/lib/containerd", metaFile), fixtureMeta(t, root))
	return root
}

func item(t *testing.T, assets []event.Asset, kind, key string) event.Event {
	t.Helper()
	for _, a := range assets {
		if a.Kind == kind && a.Key == key {
			return a.Fields
		}
	}
	t.Fatalf("no %s %s", kind, key)
	return nil
}

func strs(f event.Event, p string) []string {
	v, _ := f.Get(p)
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

func TestFixtureGolden(t *testing.T) {
	root := fixtureRoot(t)
	c := New()
	env := plugin.Env{Root: root, DataDir: t.TempDir()}
	if err := c.Configure(env); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	assets := collecttest.Assets(t, c, env)
	collecttest.Golden(t, "testdata/golden/root.json", assets)

	var keys []string
	for _, a := range assets {
		keys = append(keys, a.Kind+" "+a.Key+" "+a.Name+" "+a.Version)
	}
	want := []string{
		"container default/hostie hostie ",
		"container default/idle idle ",
		"container default/priv priv ",
		"container default/tools1 tools1 ",
		"container k8s.io/" + podNginx + " web-7c9d8b6f5-x2x9k/nginx ",
		"container k8s.io/" + podAgent + " node-agent-7xk2p/agent ",
		"image default/" + bbManifest + " registry.example.com/tools/busybox 1.35",
		"image k8s.io/" + agentDigest + " registry.example.com/security/node-agent 2.4.1",
		"image k8s.io/" + nginxIndex + " docker.io/library/nginx 1.25.5",
		"image k8s.io/" + pauseIndex + " registry.k8s.io/pause 3.9",
	}
	if d := cmp.Diff(want, keys); d != "" {
		t.Errorf("items (-want +got):\n%s", d)
	}
	out, _ := json.Marshal(assets)
	if strings.Contains(string(out), "hunter2") || strings.Contains(string(out), "KUBERNETES_SERVICE_HOST") {
		t.Error("a container's environment leaked into the inventory")
	}
	for key, state := range map[string]string{"default/tools1": "running", "default/hostie": "running", "default/priv": "stopped",
		"default/idle": "no_task", "k8s.io/" + podNginx: "running"} {
		if got := item(t, assets, event.AssetContainer, key).String("vigil.container.state"); got != state {
			t.Errorf("%s: state %q, want %q", key, got, state)
		}
	}
	nginx := item(t, assets, event.AssetContainer, "k8s.io/"+podNginx)
	for p, want := range map[string]string{
		"container.image.name": "docker.io/library/nginx:1.25.5", "container.image.id": nginxConfig,
		"vigil.container.user": "101:101", "vigil.container.runs_as_root": "false", "vigil.container.seccomp": "true",
		"vigil.container.namespaces.pid": "private", "vigil.container.namespaces.network": "joined",
		"orchestrator.namespace": "shop", "orchestrator.resource.name": "web-7c9d8b6f5-x2x9k", "vigil.kubernetes.container_name": "nginx",
		"container.security_context.privileged": "false",
	} {
		if got := nginx.String(p); got != want {
			t.Errorf("nginx %s = %q, want %q", p, got, want)
		}
	}
	if r := strs(nginx, "vigil.container.risks"); len(r) != 0 {
		t.Errorf("nginx risks %v", r)
	}
	agent := item(t, assets, event.AssetContainer, "k8s.io/"+podAgent)
	if d := cmp.Diff([]string{"apparmor_unconfined", "host_network", "host_pid", "host_root_mounted", "host_uts", "privileged",
		"runtime_socket_mounted", "seccomp_unconfined"}, strs(agent, "vigil.container.risks")); d != "" {
		t.Errorf("agent risks (-want +got):\n%s", d)
	}
	hostie := item(t, assets, event.AssetContainer, "default/hostie")
	if d := cmp.Diff([]string{"cap_sys_admin", "host_network", "host_root_mounted", "seccomp_unconfined"}, strs(hostie, "vigil.container.risks")); d != "" {
		t.Errorf("hostie risks (-want +got):\n%s", d)
	}
	if item(t, assets, event.AssetContainer, "default/priv").String("container.security_context.privileged") != "true" {
		t.Error("ctr --privileged not recognised")
	}
	img := item(t, assets, event.AssetImage, "k8s.io/"+nginxIndex)
	if size, _ := img.Get("vigil.image.size"); img.String("container.image.id") != nginxConfig || size.(int64) <= 29150750+41836436 {
		t.Errorf("nginx image id %q size %q", img.String("container.image.id"), img.String("vigil.image.size"))
	}
	if pause := item(t, assets, event.AssetImage, "k8s.io/"+pauseIndex); pause.String("container.image.id") != pauseID {
		t.Errorf("pause image id %q (its blobs are not in the store: the id name is used)", pause.String("container.image.id"))
	}
	if bb := item(t, assets, event.AssetImage, "default/"+bbManifest); bb.String("container.image.id") != bbConfig || bb.String("vigil.image.size") != "2007293" {
		t.Errorf("busybox image id %q size %q", bb.String("container.image.id"), bb.String("vigil.image.size"))
	}
	if n := c.Counters()["malformed_records"]; n != 0 {
		t.Errorf("malformed_records %d", n)
	}
}

// TestRunsOnUnchanged: a second run over the same state gives the same
// items, and the copy of the database is removed.
func TestRunsOnUnchanged(t *testing.T) {
	root := fixtureRoot(t)
	data := t.TempDir()
	c := New()
	env := plugin.Env{Root: root, DataDir: data}
	a1, err := c.Assets(context.Background(), env)
	if err != nil {
		t.Fatal(err)
	}
	a2, err := c.Assets(context.Background(), env)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(a1, a2); d != "" {
		t.Errorf("second run differs:\n%s", d)
	}
	left, _ := filepath.Glob(filepath.Join(data, "state", "container", "containerd", "*"))
	if len(left) != 0 {
		t.Errorf("copies left behind: %v", left)
	}
}

func TestNoContainerd(t *testing.T) {
	root := t.TempDir()
	c := New()
	if err := c.Configure(plugin.Env{Root: root}); !errors.Is(err, plugin.ErrUnsupported) || !errors.Is(err, ErrNoContainerd) {
		t.Errorf("Configure: %v", err)
	}
	if _, err := c.Assets(context.Background(), plugin.Env{Root: root}); !errors.Is(err, ErrNoContainerd) {
		t.Errorf("Assets: %v", err)
	}
	// Tasks without a database (a state directory alone) are read.
	os.MkdirAll(filepath.Join(root, "run/containerd", taskDir, "default/web"), 0o755)
	os.WriteFile(filepath.Join(root, "run/containerd", taskDir, "default/web/config.json"), []byte(`{"ociVersion":"1.0.2","process":{"args":["sh"]},"linux":{}}`), 0o644)
	if err := c.Configure(plugin.Env{Root: root}); err != nil {
		t.Errorf("Configure with a task directory: %v", err)
	}
	assets, err := c.Assets(context.Background(), plugin.Env{Root: root})
	if err != nil || len(assets) != 1 || assets[0].Key != "default/web" {
		t.Fatalf("Assets without a database: %+v, %v", assets, err)
	}
	if s := event.Event(assets[0].Fields).String("vigil.container.state"); s != "stopped" {
		t.Errorf("a task without init.pid: state %q", s)
	}
}

func TestDamagedDatabase(t *testing.T) {
	for _, tt := range []struct {
		name  string
		write func(file string)
	}{
		{"garbage", func(f string) { os.WriteFile(f, []byte(strings.Repeat("not a bolt file ", 1024)), 0o644) }},
		{"truncated", func(f string) {
			b, _ := os.ReadFile(f)
			os.WriteFile(f, b[:len(b)/3], 0o644)
		}},
		{"zeroed pages", func(f string) {
			b, _ := os.ReadFile(f)
			for i := 4096 * 2; i < len(b); i++ {
				b[i] = 0xff
			}
			os.WriteFile(f, b, 0o644)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			root := fixtureRoot(t)
			tt.write(filepath.Join(root, "var/lib/containerd", metaFile))
			_, err := New().Assets(context.Background(), plugin.Env{Root: root, DataDir: t.TempDir()})
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("Assets: %v, want ErrMalformed", err)
			}
		})
	}
}

// TestLockedDatabase: containerd holds an exclusive lock on its database
// while it runs; the collector reads a copy.
func TestLockedDatabase(t *testing.T) {
	root := fixtureRoot(t)
	db, err := bolt.Open(filepath.Join(root, "var/lib/containerd", metaFile), 0o644, nil) // exclusive lock
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	assets, err := New().Assets(context.Background(), plugin.Env{Root: root, DataDir: t.TempDir()})
	if err != nil || len(assets) != 10 {
		t.Fatalf("Assets on a locked database: %d items, %v", len(assets), err)
	}
}

func TestSettings(t *testing.T) {
	c := New()
	for _, bad := range []string{`{"instance": []}`, `{"instances": [{"state": "run/x", "root": "/x"}]}`, `{"instances": {}}`, `{} []`} {
		if err := c.ApplySettings(json.RawMessage(bad)); err == nil {
			t.Errorf("settings %s accepted", bad)
		}
	}
	root := fixtureRoot(t)
	moved := filepath.Join(root, "run/k3s")
	os.MkdirAll(moved, 0o755)
	if err := os.Rename(filepath.Join(root, "run/containerd"), filepath.Join(moved, "containerd")); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(root, "var/lib/rancher/k3s/agent"), 0o755)
	if err := os.Rename(filepath.Join(root, "var/lib/containerd"), filepath.Join(root, "var/lib/rancher/k3s/agent/containerd")); err != nil {
		t.Fatal(err)
	}
	// k3s's directories are among the defaults.
	assets, err := c.Assets(context.Background(), plugin.Env{Root: root, DataDir: t.TempDir()})
	if err != nil || len(assets) != 10 {
		t.Fatalf("k3s layout: %d items, %v", len(assets), err)
	}
	if err := c.ApplySettings(json.RawMessage(`{"instances": [{"state": "/run/containerd", "root": "/var/lib/containerd"}]}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Assets(context.Background(), plugin.Env{Root: root}); !errors.Is(err, ErrNoContainerd) {
		t.Errorf("instances setting ignored: %v", err)
	}
}

func TestDecodeSpec(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		ok       bool
	}{
		{"minimal", `{"ociVersion":"1.0.2","process":{},"linux":{}}`, true},
		{"no process", `{"ociVersion":"1.0.2","linux":{}}`, false},
		{"windows spec", `{"ociVersion":"1.0.2","process":{},"windows":{}}`, false},
		{"wrong type", `{"ociVersion":"1.0.2","process":{"args":"sh"},"linux":{}}`, false},
		{"two documents", `{"ociVersion":"1","process":{},"linux":{}}{}`, false},
		{"not UTF-8", "{\"ociVersion\":\"\xff\"}", false},
	} {
		_, err := decodeSpec([]byte(tt.in))
		if (err == nil) != tt.ok || err != nil && !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
	anyOf := func(url string, v []byte) []byte {
		b := protowire.AppendTag(nil, 1, protowire.BytesType)
		b = protowire.AppendString(b, url)
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		return protowire.AppendBytes(b, v)
	}
	if js, err := decodeSpecAny(anyOf(specTypeURL, []byte("{}"))); err != nil || string(js) != "{}" {
		t.Errorf("spec record: %q %v", js, err)
	}
	for name, b := range map[string][]byte{
		"other type": anyOf("types.containerd.io/x", []byte("{}")),
		"truncated":  anyOf(specTypeURL, []byte("{}"))[:10],
		"empty":      nil,
	} {
		if _, err := decodeSpecAny(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestPrivilegedRule(t *testing.T) {
	caps := func(n int) []string {
		all := []string{"CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
			"LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER", "SYS_MODULE",
			"SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME",
			"SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
			"WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE"}
		return all[:n]
	}
	for _, tt := range []struct {
		caps       []string
		privileged bool
	}{
		{caps(41), true}, {caps(38), true}, {caps(37), false},
		{append(slices.Clone(defaultCaps), "SYS_ADMIN"), false},
		{caps(21), false}, // everything up to SYS_PACCT: no SYS_ADMIN
	} {
		b, _ := json.Marshal(map[string]any{"ociVersion": "1", "process": map[string]any{"capabilities": map[string]any{"bounding": tt.caps}}, "linux": map[string]any{}})
		s, err := decodeSpec(b)
		if err != nil {
			t.Fatal(err)
		}
		f := event.Event{}
		s.facts(f)
		if got := f.String("container.security_context.privileged"); got != fmt.Sprint(tt.privileged) {
			t.Errorf("%d capabilities: privileged %s, want %v", len(tt.caps), got, tt.privileged)
		}
	}
}

func seedFiles(f *testing.F, pattern string) {
	files, _ := filepath.Glob(pattern)
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func FuzzDecodeSpec(f *testing.F) {
	seedFiles(f, "testdata/root/run/containerd/"+taskDir+"/*/*/config.json")
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := decodeSpec(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v is not ErrMalformed", err)
			}
			return
		}
		a, ok := containerAsset("default", "x", nil, nil, s, nil)
		if ok && a.Key != "default/x" {
			t.Fatalf("key %q", a.Key)
		}
	})
}

func FuzzDecodeSpecAny(f *testing.F) {
	b := protowire.AppendTag(nil, 1, protowire.BytesType)
	b = protowire.AppendString(b, specTypeURL)
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	f.Add(protowire.AppendBytes(b, []byte(`{"ociVersion":"1.0.2"}`)))
	f.Add([]byte("\n\x1acontainerd.runc.v1.Options"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := decodeSpecAny(b); err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("error %v is not ErrMalformed", err)
		}
	})
}

func FuzzDecodeManifest(f *testing.F) {
	seedFiles(f, "testdata/root/var/lib/containerd/"+contentDir+"/sha256/*")
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := decodeManifest(b); err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("error %v is not ErrMalformed", err)
		}
	})
}

// FuzzReadMetaFile feeds damaged databases to the reader: bbolt may panic
// on them, which must come out as an error.
func FuzzReadMetaFile(f *testing.F) {
	dir := f.TempDir()
	file := filepath.Join(dir, "seed.db")
	m := metaFixture{containers: map[string]map[string]metaContainer{"default": {"c": {Image: "x", Created: epoch,
		Spec: []byte(`{"ociVersion":"1"}`)}}}, images: map[string][]metaImage{"default": {{Name: "x:1", Digest: bbManifest, MediaType: "m", Size: 1}}}}
	writeMeta(f, file, m)
	seed, err := os.ReadFile(file)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed, uint32(0), byte(0))
	f.Add(seed, uint32(4096*2+100), byte(0xff))
	f.Add(seed, uint32(24), byte(7))
	f.Fuzz(func(t *testing.T, db []byte, at uint32, v byte) {
		if len(db) > 1<<20 {
			return
		}
		db = slices.Clone(db)
		if len(db) > 0 {
			db[int(at)%len(db)] ^= v
		}
		p := filepath.Join(t.TempDir(), "meta.db")
		if err := os.WriteFile(p, db, 0o600); err != nil {
			t.Fatal(err)
		}
		m, err := readMetaFile(p)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v is not ErrMalformed", err)
			}
			return
		}
		imageAssets(t.TempDir(), m)
	})
}
