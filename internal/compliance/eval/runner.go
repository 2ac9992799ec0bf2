package eval

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"gopkg.in/yaml.v3"
)

// Runner runs an allowed command line on the host and returns its
// output. An error means the command could not give an answer (not
// installed, timed out); a non-zero exit status is not an error.
type Runner interface {
	Run(ctx context.Context, argv []string) (Output, error)
}

// Output is what a command printed and how it ended.
type Output struct {
	Stdout   []byte
	Stderr   []byte
	ExitCode int
	// Truncated reports that the output was cut at the runner's bound.
	Truncated bool
}

// ErrNotInstalled is returned for a command that is not on the host.
var ErrNotInstalled = errors.New("command not installed")

// Bounds of ExecRunner's defaults.
const (
	DefaultCommandTimeout = 10 * time.Second
	DefaultMaxOutput      = 1 << 20
)

// commandDirs are the only folders commands are looked up in.
var commandDirs = []string{"/usr/sbin", "/usr/bin", "/sbin", "/bin"}

// ExecRunner runs commands with os/exec: no shell, a clean environment
// (PATH of the system folders, LC_ALL=C), no standard input, a timeout
// and a bound on each output. Zero fields take the defaults.
type ExecRunner struct {
	Timeout   time.Duration
	MaxOutput int
}

// Run runs argv; argv[0] is looked up in /usr/sbin, /usr/bin, /sbin and /bin.
func (r ExecRunner) Run(ctx context.Context, argv []string) (Output, error) {
	if len(argv) == 0 {
		return Output{}, errors.New("empty command")
	}
	timeout, max := r.Timeout, r.MaxOutput
	if timeout <= 0 {
		timeout = DefaultCommandTimeout
	}
	if max <= 0 {
		max = DefaultMaxOutput
	}
	prog, err := lookCommand(argv[0])
	if err != nil {
		return Output{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, argv[1:]...)
	cmd.Env = []string{"PATH=" + strings.Join(commandDirs, ":"), "LC_ALL=C", "LANG=C"}
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	stdout, stderr := &boundedBuffer{max: max}, &boundedBuffer{max: max}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err = cmd.Run()
	out := Output{Stdout: stdout.Bytes(), Stderr: stderr.Bytes(), Truncated: stdout.cut || stderr.cut}
	if ctx.Err() == context.DeadlineExceeded {
		return out, fmt.Errorf("%s: timed out after %s", argv[0], timeout)
	}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		out.ExitCode = exitErr.ExitCode()
		if out.ExitCode < 0 {
			return out, fmt.Errorf("%s: %v", argv[0], exitErr)
		}
	default:
		return out, fmt.Errorf("%s: %w", argv[0], err)
	}
	return out, nil
}

func lookCommand(name string) (string, error) {
	if strings.Contains(name, "/") {
		return "", fmt.Errorf("%s: a command is named without a folder", name)
	}
	for _, d := range commandDirs {
		p := filepath.Join(d, name)
		if info, err := os.Stat(p); err == nil && !info.IsDir() && info.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: %w", name, ErrNotInstalled)
}

// boundedBuffer keeps the first max bytes written and drops the rest.
// (It has no ReadFrom, so io.Copy goes through Write.)
type boundedBuffer struct {
	buf bytes.Buffer
	max int
	cut bool
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.buf.Len(); room < len(p) {
		b.cut = true
		if room > 0 {
			b.buf.Write(p[:room])
		}
		return len(p), nil
	}
	return b.buf.Write(p)
}

// Bytes returns what was kept.
func (b *boundedBuffer) Bytes() []byte { return b.buf.Bytes() }

// Recorded is the recorded answer of one command.
type Recorded struct {
	Stdout string `yaml:"stdout"`
	Stderr string `yaml:"stderr"`
	Exit   int    `yaml:"exit"`
	// Missing records a command that is not installed.
	Missing bool `yaml:"missing"`
}

// RecordedRunner answers commands from recorded outputs, keyed by the
// command line with its words joined by one blank. A command not
// recorded is an error.
type RecordedRunner map[string]Recorded

// Run returns the recorded output of argv.
func (r RecordedRunner) Run(_ context.Context, argv []string) (Output, error) {
	key := strings.Join(argv, " ")
	rec, ok := r[key]
	if !ok {
		return Output{}, fmt.Errorf("%s: no recorded output", key)
	}
	if rec.Missing {
		return Output{}, fmt.Errorf("%s: %w", argv[0], ErrNotInstalled)
	}
	return Output{Stdout: []byte(rec.Stdout), Stderr: []byte(rec.Stderr), ExitCode: rec.Exit}, nil
}

// LoadRecorded reads a YAML map of command line to {stdout, stderr,
// exit, missing}.
func LoadRecorded(path string) (RecordedRunner, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("recorded commands: %w", err)
	}
	var r RecordedRunner
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("recorded commands %s: %w", path, err)
	}
	return r, nil
}
