package authlog_test

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/testkit/hostlock"
)

// requireHost skips the test (fails it under VIGIL_REQUIRE_KERNEL=1)
// unless it runs as root and the tools are installed.
func requireHost(t *testing.T, tools ...string) {
	t.Helper()
	fail := hostMissing(t)
	if os.Geteuid() != 0 {
		fail("needs root: it mounts in a private mount namespace and runs privileged programs")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			fail("needs %s: %v", tool, err)
		}
	}
}

// requireFile skips the test (fails it under VIGIL_REQUIRE_KERNEL=1)
// unless the host has the file.
func requireFile(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		hostMissing(t)("needs %s: %v", path, err)
	}
}

// hostMissing returns how a test reports that the host lacks what it
// needs: a skip, or a failure under VIGIL_REQUIRE_KERNEL=1.
func hostMissing(t *testing.T) func(format string, args ...any) {
	if os.Getenv("VIGIL_REQUIRE_KERNEL") == "1" {
		return t.Fatalf
	}
	return t.Skipf
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// sandbox is a private mount namespace in which programs run as on the
// host, except that:
//   - /dev/log leads to a socket the test chooses (a syslog receiver of
//     the test, or the sandbox's own journald);
//   - /run and /var/log are directories of the test (root/run,
//     root/var/log), so that utmp, wtmp, btmp and lastlog records, and
//     sshd's privilege separation directory, stay in the test;
//   - /etc/passwd, shadow, group and gshadow are copies with one more
//     user, made with useradd --prefix, so the host's accounts are
//     untouched.
//
// Nothing of it outlives the test: the namespace and its mounts go with
// its last process.
type sandbox struct {
	dir  string // the sandbox's directory
	root string // the host root as the sensor sees it
	// user, pass and uid are the test user's.
	user string
	pass string
	uid  string
	// others are the accounts asked for besides the test user.
	others []account

	holder *exec.Cmd
	pid    int
}

// account is a user of the sandbox's account files.
type account struct {
	name, pass, uid string
}

// sandboxConfig adds to what every sandbox has.
type sandboxConfig struct {
	// accounts is how many users to create besides the test user, each
	// with a password of its own.
	accounts int
	// etc gives, once the accounts exist, more files to put over
	// /etc/NAME inside the namespace (the host's must exist) and their
	// content; they are owned by root, mode 0440.
	etc func(sb *sandbox) map[string]string
}

// newSandbox prepares the files and starts the process that holds the
// namespace. devLog is what /dev/log points to inside, relative to the
// sandbox's directory (dir) unless absolute.
func newSandbox(t *testing.T, devLog string) *sandbox {
	t.Helper()
	return newSandboxWith(t, devLog, sandboxConfig{})
}

// newSandboxWith is newSandbox with more accounts or /etc files.
func newSandboxWith(t *testing.T, devLog string, cfg sandboxConfig) *sandbox {
	t.Helper()
	// sshd's PAM logs through kernel audit, which other test processes
	// turn on and off: not while this sshd runs.
	hostlock.Lock(t, hostlock.Audit)
	dir := t.TempDir()
	// Reachable by the test user and sshd's unprivileged processes, which
	// log through /dev/log too.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if !filepath.IsAbs(devLog) {
		devLog = filepath.Join(dir, devLog)
	}
	sb := &sandbox{dir: dir, root: filepath.Join(dir, "root"), user: "vigil" + randomHex(t, 3), pass: randomHex(t, 8)}
	for _, d := range []string{"root/run/sshd", "root/var/log", "etc/default", "hostdev", "home"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, mode := range map[string]os.FileMode{"wtmp": 0o664, "btmp": 0o660, "lastlog": 0o664} {
		if err := os.WriteFile(filepath.Join(sb.root, "var/log", name), nil, mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(sb.root, "run/utmp"), nil, 0o664); err != nil {
		t.Fatal(err)
	}
	sb.copyAccountFiles(t)
	sb.uid = sb.addUser(t, sb.user, sb.pass)
	for range cfg.accounts {
		a := account{name: "vigil" + randomHex(t, 3), pass: randomHex(t, 8)}
		a.uid = sb.addUser(t, a.name, a.pass)
		sb.others = append(sb.others, a)
	}
	etc := []string{"passwd", "shadow", "group", "gshadow"}
	var files map[string]string
	if cfg.etc != nil {
		files = cfg.etc(sb)
	}
	for name, content := range files {
		p := filepath.Join(dir, "etc", name)
		if err := os.WriteFile(p, []byte(content), 0o440); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, 0o440); err != nil { // whatever the umask
			t.Fatal(err)
		}
		etc = append(etc, name)
	}
	sb.start(t, devLog, etc)
	return sb
}

// copyAccountFiles copies the host's account files, in which addUser
// creates users.
func (sb *sandbox) copyAccountFiles(t *testing.T) {
	t.Helper()
	for _, f := range []string{"passwd", "shadow", "group", "gshadow", "login.defs", "default/useradd"} {
		data, err := os.ReadFile(filepath.Join("/etc", f))
		if errors.Is(err, os.ErrNotExist) && f == "default/useradd" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(sb.dir, "etc", f), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// addUser creates a user with a password and a home directory in the
// copies of the account files, and returns its uid.
func (sb *sandbox) addUser(t *testing.T, name, pass string) string {
	t.Helper()
	home := filepath.Join(sb.dir, "home", name)
	run(t, "useradd", "--prefix", sb.dir, "--no-create-home", "--home-dir", home, "--shell", "/bin/sh", name)
	hash := strings.TrimSpace(run(t, "openssl", "passwd", "-6", pass))
	shadowPath := filepath.Join(sb.dir, "etc/shadow")
	shadow, err := os.ReadFile(shadowPath)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(strings.TrimSuffix(string(shadow), "\n"), "\n") {
		if fields := strings.Split(line, ":"); fields[0] == name && len(fields) > 2 {
			fields[1] = hash
			line = strings.Join(fields, ":")
		}
		out = append(out, line)
	}
	if err := os.WriteFile(shadowPath, []byte(strings.Join(out, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	passwd, err := os.ReadFile(filepath.Join(sb.dir, "etc/passwd"))
	if err != nil {
		t.Fatal(err)
	}
	uid := ""
	for _, line := range strings.Split(string(passwd), "\n") {
		if fields := strings.Split(line, ":"); fields[0] == name && len(fields) > 3 {
			uid = fields[2]
		}
	}
	if uid == "" {
		t.Fatalf("useradd --prefix did not add %s", name)
	}
	n, _ := strconv.Atoi(uid)
	if err := os.MkdirAll(home, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(home, n, n); err != nil {
		t.Fatal(err)
	}
	return uid
}

// setupScript builds the namespace: D is the test's directory, L the
// target of /dev/log, ETC the files of D/etc put over /etc's.
const setupScript = `set -e
mount --bind "$D/root/run" /run
mount --bind "$D/root/var/log" /var/log
mount --bind /dev "$D/hostdev"
mount -t tmpfs -o mode=0755,size=1m tmpfs /dev
for n in null zero full random urandom tty; do
	touch "/dev/$n"
	mount --bind "$D/hostdev/$n" "/dev/$n"
done
mkdir /dev/pts /dev/shm
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts /dev/pts
ln -s pts/ptmx /dev/ptmx
ln -s /proc/self/fd /dev/fd
ln -s "$L" /dev/log
for f in $ETC; do
	mount --bind "$D/etc/$f" "/etc/$f"
done
echo ready
exec sleep infinity
`

// start runs the namespace holder and waits until the namespace is set.
func (sb *sandbox) start(t *testing.T, devLog string, etc []string) {
	t.Helper()
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", setupScript)
	cmd.Env = append(os.Environ(), "D="+sb.dir, "L="+devLog, "ETC="+strings.Join(etc, " "))
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	// A pipe of the test's own, which Wait leaves alone: Wait runs as
	// soon as the holder starts.
	stdout, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdout.Close()
	cmd.Stdout = w
	done, err := startLocked(cmd)
	_ = w.Close()
	if err != nil {
		t.Fatalf("unshare: %v", err)
	}
	sb.holder, sb.pid = cmd, cmd.Process.Pid
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
	ready := make(chan error, 1)
	go func() {
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err == nil && line != "ready\n" {
			err = fmt.Errorf("holder said %q", line)
		}
		ready <- err
	}()
	select {
	case err := <-ready:
		if err != nil {
			t.Fatalf("namespace setup: %v: %s", err, stderr.String())
		}
	case <-time.After(waitLimit):
		t.Fatalf("namespace setup did not finish: %s", stderr.String())
	}
}

// startLocked starts cmd from an OS thread locked to one goroutine for
// the child's whole life, and returns a channel that receives Wait's
// result. The sandbox's processes die with the test (their parent-death
// signal), and that signal belongs to the thread that started them: the
// Go runtime ends a thread whose locked goroutine returns (as the
// sensor's journal reader's does when it stops), which would kill every
// child started earlier from that thread by other goroutines.
func startLocked(cmd *exec.Cmd) (<-chan error, error) {
	started, done := make(chan error, 1), make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the child
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		done <- cmd.Wait()
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return done, nil
}

// combinedOutput runs cmd as exec.Cmd.CombinedOutput does, started by
// startLocked.
func combinedOutput(cmd *exec.Cmd) ([]byte, error) {
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	done, err := startLocked(cmd)
	if err != nil {
		return nil, err
	}
	err = <-done
	return out.Bytes(), err
}

// command returns a command that runs inside the namespace; start it
// with startLocked or combinedOutput.
func (sb *sandbox) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command("nsenter", append([]string{"--target", strconv.Itoa(sb.pid), "--mount", "--", name}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return cmd
}

// daemon starts a long-running command in the namespace and stops it
// (SIGTERM, then SIGKILL) at the end of the test.
func (sb *sandbox) daemon(t *testing.T, name string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := sb.command(name, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	waited, err := startLocked(cmd)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	done := make(chan struct{})
	go func() {
		<-waited
		close(done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", name, out.String())
		}
	})
	return cmd
}

// journalDevLog is journald's syslog socket, the target of /dev/log in
// a sandbox with a journald of its own.
const journalDevLog = "/run/systemd/journal/dev-log"

const journald = "/lib/systemd/systemd-journald"

// journald runs a journald of the sandbox's own, which keeps its journal
// in the sandbox's /run and receives what programs send to /dev/log when
// that leads to journalDevLog, and waits until it does.
func (sb *sandbox) journald(t *testing.T) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(sb.root, "run/systemd/journal"), 0o755); err != nil {
		t.Fatal(err)
	}
	// journald stamps entries with the machine id; the sensor matches it.
	if id, err := os.ReadFile("/etc/machine-id"); err == nil {
		if err := os.MkdirAll(filepath.Join(sb.root, "etc"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(sb.root, "etc/machine-id"), id, 0o444); err != nil {
			t.Fatal(err)
		}
	}
	sb.daemon(t, journald)
	deadline := time.Now().Add(waitLimit)
	for {
		files, _ := filepath.Glob(filepath.Join(sb.root, "run/log/journal/*/system.journal"))
		_, err := os.Stat(filepath.Join(sb.root, "run/systemd/journal/dev-log"))
		if len(files) > 0 && err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("journald did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// asUser runs script with sh in the namespace as the account a (its uid,
// gid and groups, and the environment setpriv gives a login: HOME, USER,
// SHELL, PATH), in the directory dir, with stdin as its input. It
// returns the combined output and the exit status.
func (sb *sandbox) asUser(t *testing.T, a account, dir, stdin, script string) (string, int) {
	t.Helper()
	cmd := sb.command("setpriv", "--reuid="+a.uid, "--regid="+a.uid, "--init-groups", "--reset-env",
		"sh", "-c", `cd "$0" && `+script, dir)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := combinedOutput(cmd)
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return string(out), ee.ExitCode()
	case err != nil:
		t.Fatalf("%s as %s: %v", script, a.name, err)
	}
	return string(out), 0
}

// sshd starts sshd in the namespace on a free loopback port and returns
// the port once it accepts connections.
func (sb *sandbox) sshd(t *testing.T) int {
	t.Helper()
	key := filepath.Join(sb.dir, "ssh_host_ed25519_key")
	run(t, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key)
	port := freePort(t)
	config := fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %s
PidFile none
UsePAM yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication no
PermitRootLogin no
AllowUsers %s
MaxAuthTries 3
LogLevel INFO
SyslogFacility AUTH
StrictModes no
UseDNS no
PrintMotd no
`, port, key, sb.user)
	cfg := filepath.Join(sb.dir, "sshd_config")
	if err := os.WriteFile(cfg, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	sb.daemon(t, "/usr/sbin/sshd", "-D", "-f", cfg)
	deadline := time.Now().Add(waitLimit)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			_ = c.Close()
			return port
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshd does not accept connections on port %d: %v", port, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// run runs a command on the host and returns its output.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("%s %v: %v: %s", name, args, err, ee.Stderr)
		}
		t.Fatalf("%s %v: %v", name, args, err)
	}
	return string(out)
}

// relay is a TCP relay to sshd whose outgoing connections the test
// makes, so that it knows the source port sshd sees for each.
type relay struct {
	ln    net.Listener
	ports chan int
	wg    sync.WaitGroup
}

func startRelay(t *testing.T, target string) *relay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{ln: ln, ports: make(chan int, 64)}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		for {
			down, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				_ = down.Close()
				continue
			}
			r.ports <- up.LocalAddr().(*net.TCPAddr).Port
			r.wg.Add(2)
			go func() { defer r.wg.Done(); _, _ = io.Copy(up, down); _ = up.(*net.TCPConn).CloseWrite() }()
			go func() {
				defer r.wg.Done()
				_, _ = io.Copy(down, up)
				_ = down.Close()
				_ = up.Close()
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		r.wg.Wait()
	})
	return r
}

func (r *relay) port() int { return r.ln.Addr().(*net.TCPAddr).Port }

// nextPort returns the source port of the next connection relayed.
func (r *relay) nextPort(t *testing.T) int {
	t.Helper()
	select {
	case p := <-r.ports:
		return p
	case <-time.After(waitLimit):
		t.Fatal("no connection was relayed")
		return 0
	}
}

// ssh logs in through the relay with sshpass and runs true; it returns
// ssh's exit status and the source port sshd saw.
func (r *relay) ssh(t *testing.T, user, password string, tty bool) (int, int) {
	t.Helper()
	args := []string{"-p", password, "ssh", "-F", "/dev/null",
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
		"-o", "PreferredAuthentications=password", "-o", "PubkeyAuthentication=no",
		"-o", "NumberOfPasswordPrompts=1", "-o", "ConnectTimeout=20",
		"-p", strconv.Itoa(r.port())}
	if tty {
		args = append(args, "-tt")
	}
	args = append(args, user+"@127.0.0.1", "true")
	cmd := exec.Command("sshpass", args...)
	out, err := cmd.CombinedOutput()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("sshpass: %v", err)
	}
	if code != 0 {
		t.Logf("ssh %s: exit %d: %s", user, code, bytes.TrimSpace(out))
	}
	return code, r.nextPort(t)
}
