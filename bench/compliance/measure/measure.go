// Package measure runs the two sides of the compliance benchmark and
// measures them: Vigil's evaluation of the shipped CIS Debian 12 policy
// in a child process of its own (so that its peak memory is the
// evaluation's alone), and a Lynis audit of the same host. It also
// starts a loopback-only sshd on request, because Lynis runs its SSH
// tests only while an sshd process runs.
package measure

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os/exec"
	"runtime"
	"syscall"
	"time"

	"github.com/vigilsec/vigil/internal/compliance/eval"
	"github.com/vigilsec/vigil/internal/compliance/eval/hostfs"
	"github.com/vigilsec/vigil/internal/compliance/policy"
	"github.com/vigilsec/vigil/policies"
)

// Usage is what a finished child process used.
type Usage struct {
	Wall time.Duration `json:"wall_ns"`
	User time.Duration `json:"user_ns"`
	Sys  time.Duration `json:"sys_ns"`
	// MaxRSS is the ru_maxrss of wait4, in bytes: the largest resident
	// set of the child and of every descendant it waited for.
	MaxRSS int64 `json:"max_rss_bytes"`
}

// CPU is user plus system time.
func (u Usage) CPU() time.Duration { return u.User + u.Sys }

// Run runs cmd to its end and returns its standard output and usage;
// its standard error goes to stderr when not nil. A non-zero exit is
// an error carrying the end of the error output.
func Run(cmd *exec.Cmd, stderr io.Writer) ([]byte, Usage, error) {
	var out, errBuf bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &errBuf
	if stderr != nil {
		cmd.Stderr = io.MultiWriter(&errBuf, stderr)
	}
	start := time.Now()
	err := cmd.Run()
	u := Usage{Wall: time.Since(start)}
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			u.User = time.Duration(ru.Utime.Nano())
			u.Sys = time.Duration(ru.Stime.Nano())
			u.MaxRSS = ru.Maxrss * 1024
		}
	}
	if err != nil {
		tail := errBuf.Bytes()
		if len(tail) > 2000 {
			tail = tail[len(tail)-2000:]
		}
		return out.Bytes(), u, fmt.Errorf("%s: %w: %s", cmd.Path, err, bytes.TrimSpace(tail))
	}
	return out.Bytes(), u, nil
}

// LoadShipped parses the shipped policy id (cis_debian12) from the
// policies Vigil embeds.
func LoadShipped(id string) (*policy.Policy, error) {
	name := id + ".yml"
	data, err := fs.ReadFile(policies.FS(), name)
	if err != nil {
		return nil, fmt.Errorf("shipped policy %s: %w", id, err)
	}
	p, err := policy.Parse(name, data)
	if err != nil {
		return nil, fmt.Errorf("shipped policy %s: %w", id, err)
	}
	return p, nil
}

// Env is the evaluation environment for root, as `vigil policy check`
// builds it: this host with the allowed commands run for "/", else the
// files below root and no commands.
func Env(root string) (eval.Env, error) {
	if root == "" || root == "/" {
		return eval.Env{Root: "/", Runner: eval.ExecRunner{}}, nil
	}
	fsys, err := hostfs.NewAt(root)
	if err != nil {
		return eval.Env{}, fmt.Errorf("root %s: %w", root, err)
	}
	return eval.Env{Root: fsys.Root()}, nil
}

// EvalStats is what an evaluation child reports about itself.
type EvalStats struct {
	Report eval.Report `json:"report"`
	// Load is the time to parse the policy, Eval that of eval.Run.
	Load time.Duration `json:"load_ns"`
	Eval time.Duration `json:"eval_ns"`
	// Self is the child's own CPU and peak resident set (RUSAGE_SELF):
	// the evaluation process alone.
	SelfUser   time.Duration `json:"self_user_ns"`
	SelfSys    time.Duration `json:"self_sys_ns"`
	SelfMaxRSS int64         `json:"self_max_rss_bytes"`
	// Commands is the CPU of the commands the evaluation ran
	// (RUSAGE_CHILDREN) and the largest resident set among them.
	CommandsUser   time.Duration `json:"commands_user_ns"`
	CommandsSys    time.Duration `json:"commands_sys_ns"`
	CommandsMaxRSS int64         `json:"commands_max_rss_bytes"`
	// Alloc and Mallocs are the bytes and objects allocated by
	// eval.Run; HeapInuse the heap in use right after it.
	Alloc     uint64 `json:"alloc_bytes"`
	Mallocs   uint64 `json:"mallocs"`
	HeapInuse uint64 `json:"heap_inuse_bytes"`
}

// EvalChild is the child's side: it loads the shipped policy, evaluates
// it once on root and writes its EvalStats as JSON to w.
func EvalChild(ctx context.Context, policyID, root string, w io.Writer) error {
	t0 := time.Now()
	p, err := LoadShipped(policyID)
	if err != nil {
		return err
	}
	env, err := Env(root)
	if err != nil {
		return err
	}
	st := EvalStats{Load: time.Since(t0)}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	t1 := time.Now()
	st.Report = eval.Run(ctx, p, env)
	st.Eval = time.Since(t1)
	runtime.ReadMemStats(&after)
	st.Alloc = after.TotalAlloc - before.TotalAlloc
	st.Mallocs = after.Mallocs - before.Mallocs
	st.HeapInuse = after.HeapInuse
	var self, children syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &self); err != nil {
		return fmt.Errorf("getrusage self: %w", err)
	}
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children); err != nil {
		return fmt.Errorf("getrusage children: %w", err)
	}
	st.SelfUser, st.SelfSys = time.Duration(self.Utime.Nano()), time.Duration(self.Stime.Nano())
	st.SelfMaxRSS = self.Maxrss * 1024
	st.CommandsUser, st.CommandsSys = time.Duration(children.Utime.Nano()), time.Duration(children.Stime.Nano())
	st.CommandsMaxRSS = children.Maxrss * 1024
	return json.NewEncoder(w).Encode(&st)
}

// EvalRun is one measured evaluation in a child process.
type EvalRun struct {
	// Usage is the child process as its parent sees it (wait4).
	Usage Usage     `json:"usage"`
	Stats EvalStats `json:"stats"`
}

// EvalInChild runs self with args (which must make it call EvalChild)
// and returns the child's figures.
func EvalInChild(ctx context.Context, self string, args []string) (EvalRun, error) {
	out, u, err := Run(exec.CommandContext(ctx, self, args...), nil)
	if err != nil {
		return EvalRun{}, fmt.Errorf("evaluation child: %w", err)
	}
	var st EvalStats
	if err := json.Unmarshal(out, &st); err != nil {
		return EvalRun{}, fmt.Errorf("evaluation child output: %w", err)
	}
	if st.Report.Counts.Total == 0 {
		return EvalRun{}, errors.New("evaluation child: the report has no check")
	}
	return EvalRun{Usage: u, Stats: st}, nil
}
