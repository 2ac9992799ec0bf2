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
	fail := t.Skipf
	if os.Getenv("VIGIL_REQUIRE_KERNEL") == "1" {
		fail = t.Fatalf
	}
	if os.Geteuid() != 0 {
		fail("needs root: it mounts in a private mount namespace and runs sshd")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			fail("needs %s: %v", tool, err)
		}
	}
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
	user string
	pass string
	uid  string

	holder *exec.Cmd
	pid    int
}

// newSandbox prepares the files and starts the process that holds the
// namespace. devLog is what /dev/log points to inside, relative to the
// sandbox's directory (dir) unless absolute.
func newSandbox(t *testing.T, devLog string) *sandbox {
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
	sb.addUser(t)
	sb.start(t, devLog)
	return sb
}

// addUser creates the test user in copies of the account files.
func (sb *sandbox) addUser(t *testing.T) {
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
	home := filepath.Join(sb.dir, "home", sb.user)
	run(t, "useradd", "--prefix", sb.dir, "--no-create-home", "--home-dir", home, "--shell", "/bin/sh", sb.user)
	hash := strings.TrimSpace(run(t, "openssl", "passwd", "-6", sb.pass))
	shadowPath := filepath.Join(sb.dir, "etc/shadow")
	shadow, err := os.ReadFile(shadowPath)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(strings.TrimSuffix(string(shadow), "\n"), "\n") {
		if fields := strings.Split(line, ":"); fields[0] == sb.user && len(fields) > 2 {
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
	for _, line := range strings.Split(string(passwd), "\n") {
		if fields := strings.Split(line, ":"); fields[0] == sb.user && len(fields) > 3 {
			sb.uid = fields[2]
		}
	}
	if sb.uid == "" {
		t.Fatalf("useradd --prefix did not add %s", sb.user)
	}
	uid, _ := strconv.Atoi(sb.uid)
	if err := os.MkdirAll(home, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(home, uid, uid); err != nil {
		t.Fatal(err)
	}
}

// setupScript builds the namespace: D is the test's directory, L the
// target of /dev/log.
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
for f in passwd shadow group gshadow; do
	mount --bind "$D/etc/$f" "/etc/$f"
done
echo ready
exec sleep infinity
`

// start runs the namespace holder and waits until the namespace is set.
func (sb *sandbox) start(t *testing.T, devLog string) {
	t.Helper()
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", setupScript)
	cmd.Env = append(os.Environ(), "D="+sb.dir, "L="+devLog)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("unshare: %v", err)
	}
	sb.holder, sb.pid = cmd, cmd.Process.Pid
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
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

// command returns a command that runs inside the namespace.
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
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
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
