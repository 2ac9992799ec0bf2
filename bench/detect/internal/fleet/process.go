package fleet

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
)

// Process is a running fleet, seen from the center's side.
type Process struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser

	ready chan struct{}
	done  chan struct{}

	mu        sync.Mutex
	published []Published
	summary   *Summary
	err       error
}

// Result is what a fleet did.
type Result struct {
	Summary
	// Published are the alert events and when they went out.
	Published []Published
}

// Spawn starts the fleet: command (the benchmark's binary) with RoleEnv
// set to RoleFleet, job on its standard input. Its standard error is
// this process's. Call Ready, then Go, then Wait.
func Spawn(ctx context.Context, command []string, job Job) (*Process, error) {
	if err := job.Check(); err != nil {
		return nil, err
	}
	if len(command) == 0 {
		return nil, errors.New("fleet: no command")
	}
	cmd := exec.CommandContext(ctx, command[0], command[1:]...)
	cmd.Env = append(os.Environ(), RoleEnv+"="+RoleFleet)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("fleet: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("fleet: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("fleet: start %s: %w", command[0], err)
	}
	p := &Process{cmd: cmd, stdin: stdin, ready: make(chan struct{}), done: make(chan struct{})}
	go p.read(stdout)
	b, err := json.Marshal(job)
	if err == nil {
		_, err = stdin.Write(append(b, '\n'))
	}
	if err != nil {
		p.kill()
		return nil, fmt.Errorf("fleet: send job: %w", err)
	}
	return p, nil
}

// read collects the reports until the output ends, then waits for the
// process.
func (p *Process) read(stdout io.Reader) {
	// done closes before ready when the fleet ends early: Ready then
	// sees why.
	var readyOnce sync.Once
	defer readyOnce.Do(func() { close(p.ready) })
	defer close(p.done)
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var failure error
	for sc.Scan() {
		r, err := ParseReport(sc.Bytes())
		if err != nil {
			failure = err
			break
		}
		p.mu.Lock()
		switch {
		case r.Ready:
			readyOnce.Do(func() { close(p.ready) })
		case r.Alert != nil:
			p.published = append(p.published, *r.Alert)
		case r.Done != nil:
			p.summary = r.Done
		}
		p.mu.Unlock()
	}
	if failure == nil {
		failure = sc.Err()
	}
	if failure != nil {
		_ = p.cmd.Process.Kill()
	}
	werr := p.cmd.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case failure != nil:
		p.err = fmt.Errorf("fleet: %w", failure)
	case werr != nil:
		p.err = fmt.Errorf("fleet: %w", werr)
	case p.summary == nil:
		p.err = errors.New("fleet: ended without a summary")
	}
}

// Ready waits until the fleet made its batches.
func (p *Process) Ready(ctx context.Context) error {
	select {
	case <-ctx.Done():
		p.kill()
		return ctx.Err()
	case <-p.ready:
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.done:
		if p.err != nil {
			return p.err
		}
		return errors.New("fleet: ended before it was ready")
	default:
	}
	return nil
}

// Go starts the publication.
func (p *Process) Go() error {
	if _, err := io.WriteString(p.stdin, goLine+"\n"); err != nil {
		return fmt.Errorf("fleet: %w", err)
	}
	return nil
}

// Wait waits for the end of the publication.
func (p *Process) Wait(ctx context.Context) (Result, error) {
	select {
	case <-ctx.Done():
		p.kill()
		return Result{}, ctx.Err()
	case <-p.done:
	}
	_ = p.stdin.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return Result{}, p.err
	}
	return Result{Summary: *p.summary, Published: p.published}, nil
}

// Abort stops the fleet and waits for it.
func (p *Process) Abort() { p.kill() }

// kill stops the fleet and waits for it.
func (p *Process) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}
