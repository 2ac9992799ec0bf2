package fim_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/fim"
	"github.com/vigilsec/vigil/internal/agent/sense/fim/notify"
	"github.com/vigilsec/vigil/internal/event"
)

// collector keeps what a sensor emits.
type collector struct {
	mu     sync.Mutex
	events []event.Event
	lost   uint64
}

func (c *collector) Emit(e event.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, e)
}

func (c *collector) Lost(n uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lost += n
}

func (c *collector) all() []event.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]event.Event(nil), c.events...)
}

// waitFor polls for an event matching want, generously: the machine may
// be loaded.
func (c *collector) waitFor(t *testing.T, what string, want func(event.Event) bool) event.Event {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for _, e := range c.all() {
			if want(e) {
				return e
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, e := range c.all() {
		t.Logf("seen: %s %s", e.String(event.FieldAction), e.String(event.FieldFilePath))
	}
	t.Fatalf("no event: %s", what)
	return nil
}

func (c *collector) count(want func(event.Event) bool) int {
	n := 0
	for _, e := range c.all() {
		if want(e) {
			n++
		}
	}
	return n
}

func is(action, path string) func(event.Event) bool {
	return func(e event.Event) bool {
		return e.String(event.FieldAction) == action && e.String(event.FieldFilePath) == path
	}
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func write(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// host builds a small host tree: accounts, configs, a binary folder and a
// user's ~/.ssh.
func host(t *testing.T) string {
	root := t.TempDir()
	write(t, filepath.Join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n")
	write(t, filepath.Join(root, "etc/group"), "root:x:0:\nalice:x:1000:\n")
	write(t, filepath.Join(root, "etc/app.conf"), "# app\nlisten = 80\nuser = www\n")
	write(t, filepath.Join(root, "etc/ssh/sshd_config"), "PermitRootLogin no\n")
	write(t, filepath.Join(root, "etc/shadow"), "root:$6$secret:19000::::::\n")
	write(t, filepath.Join(root, "usr/bin/tool"), "#!/bin/sh\necho tool\n")
	write(t, filepath.Join(root, "home/alice/.ssh/authorized_keys"), "ssh-ed25519 AAAA alice\n")
	if err := os.MkdirAll(filepath.Join(root, "etc/skip"), 0o755); err != nil {
		t.Fatal(err)
	}
	return root
}

// running is a started sensor.
type running struct {
	s      *fim.Sensor
	c      *collector
	cancel context.CancelFunc
	done   chan error
}

func start(t *testing.T, root, data, mechanism string) *running {
	t.Helper()
	return startWith(t, root, data, mechanism, nil, nil)
}

// startWith starts the sensor with more settings (over the tests' usual
// ones), letting prepare adjust it before Configure.
func startWith(t *testing.T, root, data, mechanism string, more map[string]any, prepare func(*fim.Sensor, *plugin.Env)) *running {
	t.Helper()
	s := fim.New()
	set := map[string]any{
		"mechanism": mechanism, "merge_window": "1s", "max_file_size": 1024,
		"exclude": []string{"*.swp", "/etc/skip"}, "rescan_interval": "0",
	}
	maps.Copy(set, more)
	settings, _ := json.Marshal(set)
	if err := s.ApplySettings(settings); err != nil {
		t.Fatal(err)
	}
	env := plugin.Env{Root: root, DataDir: data, HostID: "host-1"}
	if prepare != nil {
		prepare(s, &env)
	}
	if err := s.Configure(env); err != nil {
		t.Fatal(err)
	}
	if got := s.Mechanism(); !strings.HasPrefix(got, mechanism) {
		t.Fatalf("mechanism %q, want %q (reason: %s)", got, mechanism, s.MechanismReason())
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{s: s, c: &collector{}, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- s.Run(ctx, r.c) }()
	r.c.waitFor(t, "baseline completed", func(e event.Event) bool {
		return e.String(event.FieldAction) == fim.ActionBaselineCompleted
	})
	return r
}

func (r *running) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("Run = %v after cancel", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func openFDs(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// needFanotifyGroup skips (or fails under VIGIL_REQUIRE_KERNEL=1) when
// the sensor's fanotify mode cannot run here at all.
func needFanotifyGroup(t *testing.T) {
	t.Helper()
	if err := notify.ProbeFanotify([]string{t.TempDir()}, notify.MarksInode); err != nil {
		if os.Getenv("VIGIL_REQUIRE_KERNEL") == "1" {
			t.Fatalf("fanotify required: %v", err)
		}
		t.Skipf("no fanotify here: %v", err)
	}
}

// needFanotify is needFanotifyGroup for tests that also check what only
// a privileged group gets: without CAP_SYS_ADMIN the kernel gives no pid
// of other processes' events and refuses filesystem marks.
func needFanotify(t *testing.T) {
	t.Helper()
	needFanotifyGroup(t)
	if !capSysAdmin(t) {
		if os.Getenv("VIGIL_REQUIRE_KERNEL") == "1" {
			t.Fatal("fanotify with acting processes and filesystem marks required, and this test runs without CAP_SYS_ADMIN")
		}
		t.Skip("fanotify reports acting processes and marks filesystems only with CAP_SYS_ADMIN (run as root)")
	}
}

// capSysAdmin reports whether this process has CAP_SYS_ADMIN in its
// effective set.
func capSysAdmin(t *testing.T) bool {
	t.Helper()
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if hex, ok := strings.CutPrefix(line, "CapEff:"); ok {
			caps, err := strconv.ParseUint(strings.TrimSpace(hex), 16, 64)
			return err == nil && caps&(1<<21) != 0 // CAP_SYS_ADMIN
		}
	}
	return false
}

func TestSensor(t *testing.T) {
	for _, tt := range []struct{ mech, marks string }{
		{fim.MechanismFanotify, fim.FanotifyMarksInode},
		{fim.MechanismFanotify, fim.FanotifyMarksFilesystem},
		{fim.MechanismInotify, ""},
	} {
		t.Run(strings.TrimSuffix(tt.mech+"-"+tt.marks, "-"), func(t *testing.T) {
			if tt.mech == fim.MechanismFanotify {
				needFanotify(t)
			}
			testSensor(t, tt.mech, tt.marks)
		})
	}
}

func testSensor(t *testing.T, mech, marks string) {
	root, data := host(t), t.TempDir()
	fds := openFDs(t)
	at := func(p string) string { return filepath.Join(root, p) }
	start := func(t *testing.T, root, data, mech string) *running {
		if marks == "" {
			return startWith(t, root, data, mech, nil, nil)
		}
		return startWith(t, root, data, mech, map[string]any{"fanotify_marks": marks}, nil)
	}
	r := start(t, root, data, mech)
	c := r.c
	first := c.waitFor(t, "baseline", func(e event.Event) bool { return e.String(event.FieldAction) == fim.ActionBaselineCompleted })
	if first.String("vigil.fim.first_baseline") != "true" || first.String("vigil.fim.mechanism") != mech ||
		first.String("vigil.fim.marks") != marks {
		t.Errorf("baseline event: %v", first)
	}

	// Creation.
	write(t, at("etc/new.conf"), "a = 1\n")
	e := c.waitFor(t, "created", is(fim.ActionCreated, "/etc/new.conf"))
	if e.String("file.hash.sha256") != sum([]byte("a = 1\n")) || e.String("file.size") != "6" || e.String("vigil.fim.mechanism") != mech {
		t.Errorf("created: %v", e)
	}
	if e.String("vigil.fim.marks") != marks {
		t.Errorf("created: vigil.fim.marks %q, want %q", e.String("vigil.fim.marks"), marks)
	}
	if wantReason := map[string]string{fim.FanotifyMarksFilesystem: "filesystem marks chosen by the fanotify_marks setting"}[marks]; mech == fim.MechanismFanotify && e.String("vigil.fim.mechanism_reason") != wantReason {
		t.Errorf("created: vigil.fim.mechanism_reason %q, want %q", e.String("vigil.fim.mechanism_reason"), wantReason)
	}

	// A config edit: one event for many writes, with its diff.
	f, err := os.OpenFile(at("etc/app.conf"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		fmt.Fprintf(f, "extra%d = yes\n", i)
	}
	f.Close()
	e = c.waitFor(t, "modified", is(fim.ActionModified, "/etc/app.conf"))
	diff := e.String("vigil.file.diff")
	if !strings.Contains(diff, "+extra0 = yes") || !strings.Contains(diff, "+extra4 = yes") || !strings.Contains(diff, " user = www") {
		t.Errorf("diff:\n%s", diff)
	}
	if e.String("vigil.file.previous.hash.sha256") != sum([]byte("# app\nlisten = 80\nuser = www\n")) {
		t.Errorf("previous hash: %v", e)
	}

	// Rename, chmod, chown, delete.
	if err := os.Rename(at("etc/new.conf"), at("etc/renamed.conf")); err != nil {
		t.Fatal(err)
	}
	e = c.waitFor(t, "renamed", is(fim.ActionRenamed, "/etc/renamed.conf"))
	if e.String("vigil.file.previous.path") != "/etc/new.conf" {
		t.Errorf("renamed: %v", e)
	}
	if err := os.Chmod(at("etc/renamed.conf"), 0o600); err != nil {
		t.Fatal(err)
	}
	e = c.waitFor(t, "chmod", is(fim.ActionAttributesChanged, "/etc/renamed.conf"))
	if e.String("file.mode") != "0600" || e.String("vigil.file.previous.mode") != "0644" {
		t.Errorf("chmod: %v", e)
	}
	if os.Geteuid() == 0 {
		if err := os.Chown(at("etc/renamed.conf"), 1000, 1000); err != nil {
			t.Fatal(err)
		}
		e = c.waitFor(t, "chown", func(e event.Event) bool {
			return is(fim.ActionAttributesChanged, "/etc/renamed.conf")(e) && e.String("file.uid") == "1000"
		})
		if e.String("file.owner") != "alice" || e.String("vigil.file.previous.uid") != "0" || e.String("file.gid") != "1000" {
			t.Errorf("chown: %v", e)
		}
	}
	if err := os.Remove(at("etc/renamed.conf")); err != nil {
		t.Fatal(err)
	}
	c.waitFor(t, "deleted", is(fim.ActionDeleted, "/etc/renamed.conf"))

	// A new nested directory with a file written at once.
	if err := os.MkdirAll(at("etc/newdir/sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, at("etc/newdir/sub/f.conf"), "x\n")
	c.waitFor(t, "file in new dir", is(fim.ActionCreated, "/etc/newdir/sub/f.conf"))
	write(t, at("etc/newdir/sub/g.conf"), "y\n")
	c.waitFor(t, "second file in new dir", is(fim.ActionCreated, "/etc/newdir/sub/g.conf"))

	// A file over max_file_size: recorded, not hashed.
	write(t, at("usr/bin/big"), strings.Repeat("z", 4096))
	e = c.waitFor(t, "large file", is(fim.ActionCreated, "/usr/bin/big"))
	if e.String("file.hash.sha256") != "" || e.String("vigil.fim.hash_skipped") != "too-large" || e.String("file.size") != "4096" {
		t.Errorf("large file: %v", e)
	}

	// A user's ~/.ssh.
	write(t, at("home/alice/.ssh/authorized_keys"), "ssh-ed25519 AAAA alice\nssh-rsa BBBB attacker\n")
	e = c.waitFor(t, "authorized_keys", is(fim.ActionModified, "/home/alice/.ssh/authorized_keys"))
	if !strings.Contains(e.String("vigil.file.diff"), "+ssh-rsa BBBB attacker") {
		t.Errorf("authorized_keys diff: %v", e)
	}

	// A secret file: the change is told, its content is not.
	write(t, at("etc/shadow"), "root:$6$other:19000::::::\n")
	e = c.waitFor(t, "shadow", is(fim.ActionModified, "/etc/shadow"))
	if e.String("vigil.file.diff") != "" {
		t.Errorf("shadow diffed: %v", e)
	}

	// The acting process.
	cmd := exec.Command("sh", "-c", "echo x >> "+at("etc/app.conf"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	e = c.waitFor(t, "shell append", func(e event.Event) bool {
		return is(fim.ActionModified, "/etc/app.conf")(e) && strings.Contains(e.String("vigil.file.diff"), "+x")
	})
	_ = cmd.Wait()
	if mech == fim.MechanismFanotify {
		if e.String("process.pid") != fmt.Sprint(cmd.Process.Pid) {
			t.Errorf("process.pid %q, want %d: %v", e.String("process.pid"), cmd.Process.Pid, e)
		}
		if n := e.String("process.name"); n != "sh" {
			t.Errorf("process.name %q, want sh", n)
		}
		if e.String("process.entity_id") == "" {
			t.Errorf("no process.entity_id: %v", e)
		}
	} else if _, ok := e.Get("process.pid"); ok {
		t.Errorf("inotify named a process: %v", e)
	}

	// Excluded paths stay silent; a last change marks the end.
	write(t, at("etc/x.swp"), "swap")
	write(t, at("etc/skip/file"), "skip")
	write(t, at("etc/last.conf"), "last\n")
	c.waitFor(t, "last", is(fim.ActionCreated, "/etc/last.conf"))
	for _, e := range c.all() {
		if p := e.String(event.FieldFilePath); strings.HasSuffix(p, ".swp") || strings.HasPrefix(p, "/etc/skip") {
			t.Errorf("event on an excluded path: %v", e)
		}
	}
	if n := c.count(is(fim.ActionModified, "/etc/app.conf")); n != 2 {
		t.Errorf("%d modified events for app.conf, want 2 (writes merged)", n)
	}
	r.stop(t)

	// Changes while stopped are told at the next start.
	write(t, at("etc/app.conf"), "# app\nlisten = 8080\n")
	if err := os.Remove(at("etc/ssh/sshd_config")); err != nil {
		t.Fatal(err)
	}
	write(t, at("etc/offline.conf"), "o\n")
	if err := os.Chmod(at("usr/bin/tool"), os.ModeSetuid|0o755); err != nil {
		t.Fatal(err)
	}
	r = start(t, root, data, mech)
	c = r.c
	for _, w := range []struct{ action, path string }{
		{fim.ActionModified, "/etc/app.conf"}, {fim.ActionDeleted, "/etc/ssh/sshd_config"},
		{fim.ActionCreated, "/etc/offline.conf"}, {fim.ActionAttributesChanged, "/usr/bin/tool"},
	} {
		e := c.waitFor(t, "offline "+w.action+" "+w.path, is(w.action, w.path))
		if e.String("vigil.fim.offline") != "true" {
			t.Errorf("%s %s: not marked offline: %v", w.action, w.path, e)
		}
	}
	e = c.waitFor(t, "offline diff", is(fim.ActionModified, "/etc/app.conf"))
	if d := e.String("vigil.file.diff"); !strings.Contains(d, "+listen = 8080") || !strings.Contains(d, "-listen = 80") {
		t.Errorf("offline diff:\n%s", d)
	}
	if e := c.waitFor(t, "tool mode", is(fim.ActionAttributesChanged, "/usr/bin/tool")); e.String("file.mode") != "4755" {
		t.Errorf("setuid: %v", e)
	}
	r.stop(t)
	if got := openFDs(t); got != fds {
		t.Errorf("%d open files after stop, %d before", got, fds)
	}
	c.mu.Lock()
	if c.lost != 0 {
		t.Errorf("lost %d", c.lost)
	}
	c.mu.Unlock()
}

// TestRenameOverConfig: the usual way of replacing a config (write a
// temporary file, rename it over) is one event with the diff.
func TestRenameOverConfig(t *testing.T) {
	for _, mech := range []string{fim.MechanismFanotify, fim.MechanismInotify} {
		t.Run(mech, func(t *testing.T) {
			if mech == fim.MechanismFanotify {
				needFanotifyGroup(t)
			}
			root, data := host(t), t.TempDir()
			r := start(t, root, data, mech)
			defer r.stop(t)
			tmp := filepath.Join(root, "etc/ssh/.sshd_config.tmp")
			write(t, tmp, "PermitRootLogin yes\n")
			if err := os.Rename(tmp, filepath.Join(root, "etc/ssh/sshd_config")); err != nil {
				t.Fatal(err)
			}
			e := r.c.waitFor(t, "replaced", is(fim.ActionRenamed, "/etc/ssh/sshd_config"))
			if e.String("vigil.fim.replaced") != "true" || !strings.Contains(e.String("vigil.file.diff"), "+PermitRootLogin yes") ||
				e.String("vigil.file.previous.hash.sha256") != sum([]byte("PermitRootLogin no\n")) {
				t.Errorf("replace: %v", e)
			}
			if n := r.c.count(is(fim.ActionCreated, "/etc/ssh/.sshd_config.tmp")); n != 0 {
				t.Errorf("temporary file reported %d times", n)
			}
		})
	}
}

func TestMissingRootAppears(t *testing.T) {
	root, data := host(t), t.TempDir()
	r := start(t, root, data, fim.MechanismInotify)
	defer r.stop(t)
	// alice's ~/.ssh did exist; bob gets one created after the start.
	write(t, filepath.Join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n")
	if err := os.MkdirAll(filepath.Join(root, "root/.ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(root, "root/.ssh/authorized_keys"), "ssh-rsa X\n")
	r.c.waitFor(t, "root's authorized_keys", func(e event.Event) bool {
		return e.String(event.FieldFilePath) == "/root/.ssh/authorized_keys" && e.String(event.FieldAction) == fim.ActionCreated
	})
}

func TestConfigure(t *testing.T) {
	if err := fim.New().Configure(plugin.Env{Root: t.TempDir()}); err == nil {
		t.Error("Configure without a data directory: no error")
	}
	if err := fim.New().Run(context.Background(), &collector{}); err == nil {
		t.Error("Run before Configure: no error")
	}
}

// TestProbeThroughSymlinkedRoot: a default path that is a symlink to a
// directory (/bin -> usr/bin on merged-/usr systems) leaves fanotify in
// use.
func TestProbeThroughSymlinkedRoot(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"usr/bin", "etc"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("usr/bin", filepath.Join(root, "bin")); err != nil {
		t.Fatal(err)
	}
	needFanotifyGroup(t)
	s := fim.New()
	if err := s.ApplySettings(json.RawMessage(`{"paths": ["/bin", "/usr/bin", "/etc"]}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.Configure(plugin.Env{Root: root, DataDir: t.TempDir(), HostID: "h"}); err != nil {
		t.Fatal(err)
	}
	if m := s.Mechanism(); !strings.HasPrefix(m, "fanotify") {
		t.Errorf("mechanism %q with a symlinked root, want fanotify", m)
	}
}
