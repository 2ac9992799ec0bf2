package containerd

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/agent/collect/internal/collecttest"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/event"
)

// TestLiveContainerd compares the collector with ctr on a real
// containerd: a private one the test starts with its state and root in a
// temporary host root (its database locked as containerd always holds
// it), in a namespace of its own, with containers run from an image made
// of the host's static busybox. The host's own containerd, when it runs
// one, is compared likewise, read only.
func TestLiveContainerd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts containerd")
	}
	if os.Getuid() != 0 {
		t.Skip("containerd needs root")
	}
	ctrBin, err := exec.LookPath("ctr")
	if err != nil {
		t.Skip("no ctr command (Debian package containerd)")
	}
	if _, err := os.Stat("/run/containerd/containerd.sock"); err == nil {
		t.Run("host", func(t *testing.T) { compareHost(t, ctrBin) })
	}
	daemon, err := exec.LookPath("containerd")
	if err != nil {
		t.Skip("no containerd to start (Debian package containerd)")
	}
	bb, err := exec.LookPath("busybox")
	if err != nil || !static(bb) {
		t.Skip("no static busybox to build an image from (Debian package busybox-static)")
	}

	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	for _, d := range []string{"run", "var/lib"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	if err := os.Symlink("/proc", filepath.Join(root, "proc")); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "c.sock")
	cfg := fmt.Sprintf("version = 2\nroot = %q\nstate = %q\ndisabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n[grpc]\n  address = %q\n",
		filepath.Join(root, "var/lib/containerd"), filepath.Join(root, "run/containerd"), sock)
	os.WriteFile(filepath.Join(dir, "config.toml"), []byte(cfg), 0o644)
	// The shims keep runc's state and ctr its FIFOs under the host's
	// /run/containerd whatever the state directory: what did not exist
	// before is removed again when empty.
	// A namespace of this run's own: runc keeps its state per namespace
	// under the host's /run/containerd/runc, shared by every run.
	ns := fmt.Sprintf("vigil-test-%d", os.Getpid())
	var fresh []string
	for _, d := range []string{"/run/containerd", "/run/containerd/s", "/run/containerd/fifo", "/run/containerd/runc", "/run/containerd/runc/" + ns} {
		if _, err := os.Stat(d); err != nil {
			fresh = append(fresh, d)
		}
	}
	logf, _ := os.Create(filepath.Join(dir, "containerd.log"))
	cmd := exec.Command(daemon, "--config", filepath.Join(dir, "config.toml"))
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start containerd: %v", err)
	}
	ctr := func(args ...string) (string, error) {
		c := exec.Command(ctrBin, append([]string{"--address", sock, "-n", ns}, args...)...)
		var stderr bytes.Buffer
		c.Stderr = &stderr
		out, err := c.Output()
		if err != nil {
			return string(out), fmt.Errorf("ctr %s: %v: %s", strings.Join(args, " "), err, stderr.String())
		}
		return string(out), nil
	}
	must := func(args ...string) string {
		t.Helper()
		out, err := ctr(args...)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	t.Cleanup(func() {
		for _, id := range []string{"web", "hostie", "priv"} {
			ctr("task", "kill", "-s", "SIGKILL", id)
		}
		for _, id := range []string{"web", "hostie", "priv"} {
			for i := 0; i < 50; i++ {
				if _, err := ctr("task", "delete", id); err == nil || strings.Contains(err.Error(), "not found") {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
		for _, id := range []string{"web", "hostie", "priv", "idle"} {
			ctr("container", "delete", id)
		}
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		logf.Close()
		unmountBelow(t, dir)
		for i := len(fresh) - 1; i >= 0; i-- {
			os.Remove(fresh[i])
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := ctr("version"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "containerd.log"))
			t.Fatalf("containerd did not come up:\n%s", log)
		}
		time.Sleep(100 * time.Millisecond)
	}

	const ref = "registry.example.com/vigil-test/busybox:1.36"
	tarball := filepath.Join(dir, "image.tar")
	ociArchive(t, bb, ref, tarball)
	must("image", "import", tarball)
	must("run", "-d", "--label", "app=web", ref, "web", "sleep", "1000")
	must("run", "-d", "--net-host", "--cap-add", "CAP_SYS_ADMIN", "--mount", "type=bind,src=/,dst=/host,options=rbind:ro", ref, "hostie", "sleep", "1000")
	must("run", "-d", "--privileged", ref, "priv", "sleep", "1000")
	must("container", "create", ref, "idle", "sleep", "1000")

	c := New()
	env := plugin.Env{Root: root, DataDir: t.TempDir()}
	if err := c.Configure(env); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	assets := collecttest.Assets(t, c, env)
	var cts, refs []string
	state := map[string]string{}
	risks := map[string][]string{}
	for _, a := range assets {
		f := event.Event(a.Fields)
		switch a.Kind {
		case event.AssetContainer:
			cts = append(cts, a.Key)
			state[a.Name] = f.String("vigil.container.state")
			risks[a.Name] = strs(f, "vigil.container.risks")
		case event.AssetImage:
			refs = append(refs, strs(f, "vigil.image.references")...)
		}
	}
	var want []string
	for _, id := range lines(must("container", "list", "-q")) {
		want = append(want, ns+"/"+id)
	}
	if d := cmp.Diff(want, cts); d != "" {
		t.Errorf("containers (-ctr +collector):\n%s", d)
	}
	if d := cmp.Diff(lines(must("image", "list", "-q")), refs); d != "" {
		t.Errorf("images (-ctr +collector):\n%s", d)
	}
	tasks := map[string]string{"idle": "no_task"}
	for _, l := range lines(must("task", "list")) {
		if f := strings.Fields(l); len(f) == 3 && f[0] != "TASK" {
			tasks[f[0]] = strings.ToLower(f[2])
		}
	}
	if d := cmp.Diff(tasks, state); d != "" {
		t.Errorf("states (-ctr +collector):\n%s", d)
	}
	if d := cmp.Diff(map[string][]string{
		"web":    {"seccomp_unconfined"},
		"hostie": {"cap_sys_admin", "host_network", "host_root_mounted", "seccomp_unconfined"},
		"priv":   {"privileged", "seccomp_unconfined"},
		"idle":   {"seccomp_unconfined"},
	}, risks); d != "" {
		t.Errorf("risks (-want +got):\n%s", d)
	}

	// A task whose process died is "stopped" until it is deleted.
	must("task", "kill", "-s", "SIGKILL", "web")
	for i := 0; ; i++ {
		if out := must("task", "list"); strings.Contains(out, "web") && strings.Contains(out, "STOPPED") {
			break
		}
		if i > 100 {
			t.Fatal("web did not stop")
		}
		time.Sleep(50 * time.Millisecond)
	}
	assets, err = c.Assets(context.Background(), env)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range assets {
		if a.Key == ns+"/web" {
			if s := event.Event(a.Fields).String("vigil.container.state"); s != "stopped" {
				t.Errorf("killed web: state %q", s)
			}
		}
	}
}

// compareHost compares the collector on the host's own containerd with
// ctr's listings.
func compareHost(t *testing.T, ctrBin string) {
	run := func(args ...string) string {
		out, err := exec.Command(ctrBin, args...).Output()
		if err != nil {
			t.Skipf("ctr %v: %v", args, err)
		}
		return string(out)
	}
	assets, err := New().Assets(context.Background(), plugin.Env{Root: "/", DataDir: t.TempDir()})
	if err != nil {
		t.Fatalf("Assets: %v", err)
	}
	got := map[string]bool{}
	for _, a := range assets {
		if a.Kind == event.AssetContainer {
			got[a.Key] = true
		}
	}
	for _, ns := range lines(run("namespaces", "list", "-q")) {
		if slices.Contains(SkippedNamespaces, ns) {
			continue
		}
		for _, id := range lines(run("-n", ns, "containers", "list", "-q")) {
			k := ns + "/" + id
			if !got[k] {
				// CRI sandboxes are left out on purpose.
				info := run("-n", ns, "containers", "info", id)
				if !strings.Contains(info, `"io.cri-containerd.kind": "sandbox"`) {
					t.Errorf("container %s not in the inventory", k)
				}
			}
		}
	}
}

func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	slices.Sort(out)
	return out
}

// ociArchive writes an OCI image archive of one layer holding the static
// busybox at bb, named ref.
func ociArchive(t *testing.T, bb, ref, out string) {
	t.Helper()
	bin, err := os.ReadFile(bb)
	if err != nil {
		t.Fatal(err)
	}
	var layer bytes.Buffer
	tw := tar.NewWriter(&layer)
	for _, d := range []string{"bin/", "etc/", "tmp/"} {
		tw.WriteHeader(&tar.Header{Name: d, Typeflag: tar.TypeDir, Mode: 0o755})
	}
	tw.WriteHeader(&tar.Header{Name: "bin/busybox", Mode: 0o755, Size: int64(len(bin))})
	tw.Write(bin)
	for _, l := range []string{"sh", "sleep"} {
		tw.WriteHeader(&tar.Header{Name: "bin/" + l, Typeflag: tar.TypeSymlink, Linkname: "busybox"})
	}
	passwd := []byte("root:x:0:0:root:/root:/bin/sh\n")
	tw.WriteHeader(&tar.Header{Name: "etc/passwd", Mode: 0o644, Size: int64(len(passwd))})
	tw.Write(passwd)
	tw.Close()
	digest := func(b []byte) string {
		s := sha256.Sum256(b)
		return "sha256:" + hex.EncodeToString(s[:])
	}
	mustJSON := func(v any) []byte {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cfg := mustJSON(map[string]any{"architecture": runtime.GOARCH, "os": "linux", "config": map[string]any{"Env": []string{"PATH=/bin"}, "Cmd": []string{"/bin/sh"}},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{digest(layer.Bytes())}}})
	man := mustJSON(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest(cfg), "size": len(cfg)},
		"layers": []any{map[string]any{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": digest(layer.Bytes()), "size": layer.Len()}}})
	idx := mustJSON(map[string]any{"schemaVersion": 2, "manifests": []any{map[string]any{"mediaType": "application/vnd.oci.image.manifest.v1+json",
		"digest": digest(man), "size": len(man), "annotations": map[string]string{"io.containerd.image.name": ref}}}})
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	aw := tar.NewWriter(f)
	add := func(name string, b []byte) {
		aw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(b))})
		aw.Write(b)
	}
	add("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`))
	add("index.json", idx)
	for _, b := range [][]byte{layer.Bytes(), cfg, man} {
		add("blobs/sha256/"+strings.TrimPrefix(digest(b), "sha256:"), b)
	}
	if err := aw.Close(); err != nil {
		t.Fatal(err)
	}
}

// static reports whether the ELF file at p has no interpreter.
func static(p string) bool {
	f, err := elf.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			return false
		}
	}
	return true
}

// unmountBelow detaches what containerd left mounted below dir, deepest
// first.
func unmountBelow(t *testing.T, dir string) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return
	}
	var points []string
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) > 4 && (f[4] == dir || strings.HasPrefix(f[4], dir+"/")) {
			points = append(points, f[4])
		}
	}
	slices.SortFunc(points, func(a, b string) int { return len(b) - len(a) })
	for _, p := range points {
		if err := syscall.Unmount(p, syscall.MNT_DETACH); err != nil {
			t.Logf("unmount %s: %v", p, err)
		}
	}
}
