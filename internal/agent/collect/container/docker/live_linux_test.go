package docker

import (
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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

// TestLiveEngine compares the collector with the docker command on a
// real engine: the host's own when it runs one, else a private dockerd
// the test starts in a temporary directory (no bridge network, no
// iptables rules: the host's network is left alone) with containers run
// from an image made of the host's static busybox.
func TestLiveEngine(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Docker engine")
	}
	root := "/"
	var docker func(args ...string) string
	if sock, err := findSocket("/", ""); err == nil {
		cli, err := exec.LookPath("docker")
		if err != nil {
			t.Skip("the host runs an engine but has no docker command to compare with")
		}
		docker = cliRunner(t, cli, sock)
	} else {
		root, docker = privateEngine(t)
		populate(t, docker)
	}
	c := New()
	env := plugin.Env{Root: root}
	if err := c.Configure(env); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	assets := collecttest.Assets(t, c, env)

	var gotCt, gotIm []string
	items := map[string]event.Event{}
	for _, a := range assets {
		items[a.Key] = a.Fields
		if a.Kind == event.AssetContainer {
			gotCt = append(gotCt, a.Key)
		} else {
			gotIm = append(gotIm, a.Key)
		}
	}
	slices.Sort(gotCt)
	slices.Sort(gotIm)
	wantCt := lines(docker("ps", "-a", "-q", "--no-trunc"))
	wantIm := lines(docker("images", "-q", "--no-trunc"))
	slices.Sort(wantIm)
	wantIm = slices.Compact(wantIm)
	if d := cmp.Diff(wantCt, gotCt); d != "" {
		t.Errorf("containers (-docker ps +collector):\n%s", d)
	}
	if d := cmp.Diff(wantIm, gotIm); d != "" {
		t.Errorf("images (-docker images +collector):\n%s", d)
	}
	for _, id := range wantCt {
		out := docker("inspect", "--format", "{{.Name}}|{{.State.Status}}|{{.HostConfig.Privileged}}|{{.HostConfig.PidMode}}|{{.HostConfig.NetworkMode}}|{{.Config.User}}|{{.Image}}", id)
		f := items[id]
		got := fmt.Sprintf("/%s|%s|%s|%s|%s|%s|%s", f.String("container.name"), f.String("vigil.container.state"),
			f.String("container.security_context.privileged"), f.String("vigil.container.namespaces.pid"),
			f.String("vigil.container.network_mode"), f.String("vigil.container.user"), f.String("container.image.id"))
		if want := strings.TrimSpace(out); got != want {
			t.Errorf("container %s:\n got %s\nwant %s", id[:12], got, want)
		}
	}
	if root != "/" {
		// The private engine's containers, as populate made them.
		risks := map[string][]string{}
		for _, a := range assets {
			if a.Kind == event.AssetContainer {
				risks[a.Name] = strs(a.Fields, "vigil.container.risks")
			}
		}
		want := map[string][]string{
			"vigil-web":      nil,
			"vigil-agent":    {"runtime_socket_mounted"},
			"vigil-exporter": {"host_network", "host_pid", "host_root_mounted"},
			"vigil-debug":    {"host_ipc", "privileged", "seccomp_unconfined"},
			"vigil-job":      nil,
		}
		if d := cmp.Diff(want, risks); d != "" {
			t.Errorf("risks (-want +got):\n%s", d)
		}
		// A restart keeps the item: same key, only started_at changes.
		docker("restart", "-t", "0", "vigil-web")
		again, err := c.Assets(context.Background(), env)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range again {
			before, ok := items[a.Key]
			if !ok {
				t.Errorf("%s %s: new after a restart", a.Kind, a.Name)
				continue
			}
			after := event.Event(a.Fields)
			if a.Name == "vigil-web" {
				if after.String("vigil.container.started_at") == before.String("vigil.container.started_at") {
					t.Error("vigil-web: started_at unchanged by the restart")
				}
				after.Set("vigil.container.started_at", before.String("vigil.container.started_at"))
			}
			if d := cmp.Diff(before, after); d != "" {
				t.Errorf("%s %s changed (-before +after):\n%s", a.Kind, a.Name, d)
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

func cliRunner(t *testing.T, cli, sock string) func(args ...string) string {
	return func(args ...string) string {
		t.Helper()
		cmd := exec.Command(cli, args...)
		cmd.Env = append(os.Environ(), "DOCKER_HOST=unix://"+sock)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return string(out)
	}
}

// privateEngine starts dockerd with its data, exec root and socket in a
// temporary directory and returns the host root whose
// /var/run/docker.sock it listens on.
func privateEngine(t *testing.T) (string, func(args ...string) string) {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("a private Docker engine needs root")
	}
	dockerd, err := exec.LookPath("dockerd")
	if err != nil {
		t.Skip("no Docker engine here and no dockerd to start one (Debian package docker.io)")
	}
	cli, err := exec.LookPath("docker")
	if err != nil {
		t.Skip("no docker command")
	}
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	sock := filepath.Join(root, "var/run/docker.sock")
	if err := os.MkdirAll(filepath.Dir(sock), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "daemon.json"), []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The engine's containerd and shims leave directories under /run;
	// those that did not exist before are removed again when empty.
	var fresh []string
	for _, d := range []string{"/run/containerd", "/run/containerd/s", "/run/docker", "/run/docker/plugins"} {
		if _, err := os.Stat(d); err != nil {
			fresh = append(fresh, d)
		}
	}
	logf, err := os.Create(filepath.Join(dir, "dockerd.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(dockerd, "--data-root", filepath.Join(dir, "data"), "--exec-root", filepath.Join(dir, "exec"),
		"--host", "unix://"+sock, "--pidfile", filepath.Join(dir, "dockerd.pid"), "--config-file", filepath.Join(dir, "daemon.json"),
		"--bridge=none", "--iptables=false")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dockerd: %v", err)
	}
	docker := cliRunner(t, cli, sock)
	t.Cleanup(func() {
		if ids := lines(runQuiet(cli, sock, "ps", "-a", "-q")); len(ids) > 0 {
			runQuiet(cli, sock, append([]string{"rm", "-f"}, ids...)...)
		}
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		logf.Close()
		unmountBelow(t, dir)
		for i := len(fresh) - 1; i >= 0; i-- {
			os.Remove(fresh[i]) // only when empty
		}
	})
	deadline := time.Now().Add(90 * time.Second)
	for {
		if out := runQuiet(cli, sock, "version", "--format", "{{.Server.APIVersion}}"); strings.TrimSpace(out) != "" {
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "dockerd.log"))
			t.Fatalf("dockerd did not come up:\n%s", tail(log, 3000))
		}
		time.Sleep(200 * time.Millisecond)
	}
	return root, docker
}

// unmountBelow detaches what the engine left mounted below dir (its
// data root, bound onto itself, and the host network namespace's file),
// deepest first.
func unmountBelow(t *testing.T, dir string) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Log(err)
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

// runQuiet runs the docker command and returns its output, "" on error.
func runQuiet(cli, sock string, args ...string) string {
	cmd := exec.Command(cli, args...)
	cmd.Env = append(os.Environ(), "DOCKER_HOST=unix://"+sock)
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return string(out)
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// populate imports an image of the host's static busybox and makes the
// containers TestLiveEngine expects.
func populate(t *testing.T, docker func(args ...string) string) {
	t.Helper()
	bb, err := exec.LookPath("busybox")
	if err != nil || !static(bb) {
		t.Skip("no static busybox to build an image from (Debian package busybox-static)")
	}
	dir := t.TempDir()
	rootfs := filepath.Join(dir, "rootfs")
	for _, d := range []string{"bin", "etc", "tmp"} {
		os.MkdirAll(filepath.Join(rootfs, d), 0o755)
	}
	copyFile(t, bb, filepath.Join(rootfs, "bin/busybox"))
	for _, l := range []string{"sh", "sleep", "httpd", "true"} {
		if err := os.Symlink("busybox", filepath.Join(rootfs, "bin", l)); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(rootfs, "etc/passwd"), []byte("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n"), 0o644)
	tarball := filepath.Join(dir, "rootfs.tar")
	if out, err := exec.Command("tar", "-C", rootfs, "-cf", tarball, ".").CombinedOutput(); err != nil {
		t.Skipf("tar: %v %s", err, out)
	}
	docker("import", "-c", `CMD ["/bin/sh"]`, tarball, "vigil-test/busybox:1")
	docker("tag", "vigil-test/busybox:1", "registry.example.com:5000/vigil-test/busybox:latest")
	docker("run", "-d", "--name", "vigil-web", "--network", "none", "--restart", "unless-stopped", "vigil-test/busybox:1", "httpd", "-f", "-p", "80")
	docker("create", "--name", "vigil-agent", "--network", "none", "--mount", "type=bind,src=/tmp,dst=/var/run/docker.sock", "vigil-test/busybox:1", "sleep", "1000")
	docker("run", "-d", "--name", "vigil-exporter", "--pid", "host", "--network", "host", "-v", "/:/host:ro", "-u", "65534:65534", "vigil-test/busybox:1", "sleep", "1000")
	docker("create", "--name", "vigil-debug", "--network", "none", "--privileged", "--cap-add", "SYS_ADMIN", "--cap-add", "NET_ADMIN",
		"--ipc", "host", "--security-opt", "seccomp=unconfined", "vigil-test/busybox:1", "sleep", "1000")
	// A container that ran and exited.
	docker("run", "--name", "vigil-job", "--network", "none", "vigil-test/busybox:1", "true")
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
