package main

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// argsVar carries the arguments of main when the test binary re-runs
// itself as vigil.
const argsVar = "VIGIL_MAIN_TEST_ARGS"

func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv(argsVar); ok {
		os.Args = append([]string{"vigil"}, strings.Split(args, "\x1f")...)
		main()
		return
	}
	os.Exit(m.Run())
}

// vigil starts this binary as the vigil command.
func vigil(t *testing.T, server string, args ...string) (*exec.Cmd, *lockedBuffer, *lockedBuffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), argsVar+"="+strings.Join(args, "\x1f"), "VIGIL_SERVER="+server, "VIGIL_TOKEN=t", "VIGIL_CA=")
	var stdout, stderr lockedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	return cmd, &stdout, &stderr
}

// lockedBuffer may be read while the child's output is copied into it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *lockedBuffer) Len() int { return len(l.String()) }

// refused is an address on loopback where nothing listens.
func refused(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return "https://" + ln.Addr().String()
}

func TestExitStatusAndMessage(t *testing.T) {
	server := refused(t)
	cmd, stdout, stderr := vigil(t, server, "agents", "list")
	err := cmd.Run()
	if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 1 {
		t.Fatalf("exit: %v", err)
	}
	want := "vigil: cannot reach center at " + server + ": connection refused — is vigil-center running? set VIGIL_SERVER\n"
	if stdout.Len() != 0 || stderr.String() != want {
		t.Errorf("stdout %q\nstderr %q\nwant   %q", stdout.String(), stderr.String(), want)
	}

	cmd, stdout, _ = vigil(t, server, "version")
	if err := cmd.Run(); err != nil || !strings.HasPrefix(stdout.String(), "vigil ") {
		t.Errorf("version: %v, %q", err, stdout.String())
	}
}

func TestInterruptStopsTail(t *testing.T) {
	cmd, _, stderr := vigil(t, refused(t), "events", "tail")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stderr.String(), "retrying") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("tail after SIGINT: %v, stderr %q", err, stderr.String())
	}
}
