package vulndbcmd

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/center/vuln"
	"github.com/vigilsec/vigil/internal/cli/clikit"
)

// maxConflicts bounds how often a job is refused because another runs
// (409) although none showed as running when asked before.
const maxConflicts = 10

// maxPollFailures is how many polls of a job in a row may fail to reach
// the center before following it is given up (the job goes on).
const maxPollFailures = 5

// startJob starts a job with begin (an upload, a sync) once no other
// import or sync runs; when the center refuses it because one started
// meanwhile, it waits for that one and tries again. what names the job
// in messages.
func (a *app) startJob(ctx context.Context, c *apiclient.Client, what string, begin func() (vuln.Job, error)) (vuln.Job, error) {
	conflicts := 0
	for {
		if err := a.waitIdle(ctx, c, what); err != nil {
			return vuln.Job{}, err
		}
		j, err := begin()
		if !apiclient.IsStatus(err, http.StatusConflict) {
			return j, err
		}
		conflicts++
		if conflicts >= maxConflicts {
			return j, fmt.Errorf("%s: refused %d times: %w", what, conflicts, err)
		}
		fmt.Fprintf(a.Env.Stderr, "vigil: %s: %s; waiting to try again\n", clikit.Clean(what), clikit.Clean(apiMessage(err)))
		if err := a.sleep(ctx); err != nil {
			return vuln.Job{}, err
		}
	}
}

// apiMessage is the center's message of an *APIError, else the error.
func apiMessage(err error) string {
	var ae *apiclient.APIError
	if errors.As(err, &ae) {
		return ae.Message
	}
	return err.Error()
}

// waitIdle returns once the center runs no import or sync, saying once
// per job which one it waits for.
func (a *app) waitIdle(ctx context.Context, c *apiclient.Client, what string) error {
	announced := ""
	for {
		st, err := c.VulnDB(ctx)
		if err != nil {
			return err
		}
		j, running := st.Running()
		if !running {
			return nil
		}
		if j.ID != announced {
			announced = j.ID
			fmt.Fprintf(a.Env.Stderr, "vigil: %s: waiting for %s to end\n", clikit.Clean(what), clikit.Clean(jobName(j)))
		}
		if err := a.sleep(ctx); err != nil {
			return err
		}
	}
}

// jobName is "sync job 1a2b3c4d5e6f7a8b (Debian)".
func jobName(j vuln.Job) string {
	s := j.Kind + " job " + j.ID
	if j.Source != "" {
		s += " (" + j.Source + ")"
	}
	return s
}

// sleep waits for the poll interval, or until ctx ends.
func (a *app) sleep(ctx context.Context) error {
	t := time.NewTimer(a.Env.PollInterval)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// follow polls j until it ends and returns it as it ended, showing its
// phase and progress on stderr under label (not with -o json).
func (a *app) follow(ctx context.Context, c *apiclient.Client, j vuln.Job, label string) (vuln.Job, error) {
	var jm *jobMeter
	if !a.JSON() {
		jm = newJobMeter(newMeter(a.Env.Stderr, clikit.IsTerminal(a.Env.Stderr)), label)
		defer jm.done()
	}
	failures := 0
	for j.State == vuln.JobRunning {
		if jm != nil {
			jm.update(j)
		}
		if err := a.sleep(ctx); err != nil {
			return j, err
		}
		next, err := c.VulnDBJob(ctx, j.ID)
		var ne *apiclient.NetError
		if errors.As(err, &ne) && failures+1 < maxPollFailures {
			failures++
			continue
		}
		if err != nil {
			return j, fmt.Errorf("follow %s: %w (it goes on at the center: see vigil vulndb status)", jobName(j), err)
		}
		failures = 0
		j = next
	}
	return j, nil
}

// printJob writes how a job ended: its counts, message, problems and
// error.
func (a *app) printJob(label string, j vuln.Job) {
	out := a.Env.Stdout
	line := fmt.Sprintf("%s: %s", label, j.State)
	if j.State != vuln.JobRunning {
		line += fmt.Sprintf(": %d added, %d updated, %d unchanged, %d rejected", j.Added, j.Updated, j.Unchanged, j.Rejected)
	}
	line += " (job " + j.ID
	if !j.EndedAt.IsZero() {
		line += ", " + j.EndedAt.Sub(j.StartedAt).Round(time.Second).String()
	}
	fmt.Fprintln(out, clikit.Clean(line+")"))
	if j.Message != "" {
		fmt.Fprintln(out, "  "+clikit.Clean(j.Message))
	}
	for _, p := range j.Problems {
		fmt.Fprintln(out, "  problem: "+clikit.Clean(p))
	}
	if j.Error != "" {
		fmt.Fprintln(out, "  error: "+clikit.Clean(j.Error))
	}
}

// failedError is the error that ends a run whose jobs failed.
func failedError(what string, failed []string) error {
	if len(failed) == 0 {
		return nil
	}
	return clikit.Exitf("%s failed: %s", what, clikit.Clean(strings.Join(failed, ", ")))
}
