// Package fleet is the simulated agents of the detection benchmark. They
// run in a process of their own, so that the center's process measures
// only the center: the benchmark starts its own binary again in the fleet
// role (RoleEnv), hands it a Job on its standard input, and reads Reports
// from its standard output, one JSON document a line.
//
// The fleet connects each agent to the bus as vigil-agent does (TLS
// with the pinned CA, the agent's user JWT and seed), makes every batch of
// the job before it reports ready (so that making events does not compete
// with the center for the cores while it is measured), and on "go"
// publishes them to the events stream as the agent's sender does
// (zstd-compressed event batches with a message id, a few batches in
// flight per agent).
package fleet

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/vigilsec/vigil/internal/bus"
)

// Modes of a Job.
const (
	// Backlog publishes Events events as fast as the stream takes them.
	Backlog = "backlog"
	// Steady publishes Rate events per second for Duration, each agent
	// one batch every Interval.
	Steady = "steady"
)

// Job is what the fleet is asked to do.
type Job struct {
	Mode   string         `json:"mode"`
	Agents []bus.Identity `json:"agents"`
	// Seed and AlertEvery make the events (workload.NewAgent).
	Seed       uint64 `json:"seed"`
	AlertEvery int    `json:"alert_every"`
	// Events is the size of a backlog.
	Events int `json:"events,omitempty"`
	// Rate, Duration and Interval shape a steady publication.
	Rate     float64       `json:"rate,omitempty"`
	Duration time.Duration `json:"duration,omitempty"`
	Interval time.Duration `json:"interval,omitempty"`
	// Run goes into the message ids, so that runs never meet in the
	// stream's duplicate window.
	Run string `json:"run"`
}

// Check says what is wrong with a job.
func (j Job) Check() error {
	switch {
	case len(j.Agents) == 0:
		return errors.New("fleet job: no agents")
	case j.Run == "":
		return errors.New("fleet job: no run name")
	case j.AlertEvery < 0:
		return errors.New("fleet job: negative alert_every")
	}
	switch j.Mode {
	case Backlog:
		if j.Events <= 0 {
			return errors.New("fleet job: a backlog needs events")
		}
	case Steady:
		if j.Rate <= 0 || j.Duration <= 0 || j.Interval <= 0 || j.Interval > j.Duration {
			return errors.New("fleet job: a steady publication needs a rate, a duration and an interval within it")
		}
	default:
		return fmt.Errorf("fleet job: unknown mode %q", j.Mode)
	}
	return nil
}

// Report is one line of the fleet's output: exactly one field is set.
type Report struct {
	// Ready says that every batch is made and the fleet waits for "go".
	Ready bool `json:"ready,omitempty"`
	// Alert is the publication of a batch holding an alert event.
	Alert *Published `json:"alert,omitempty"`
	// Done ends the output.
	Done *Summary `json:"done,omitempty"`
}

// Published says when an alert event was published.
type Published struct {
	EventID string `json:"event_id"`
	// At is the wall clock (Unix nanoseconds) just before its batch was
	// handed to the connection.
	At int64 `json:"at"`
}

// Summary is what the fleet published.
type Summary struct {
	Events  int   `json:"events"`
	Batches int   `json:"batches"`
	Bytes   int64 `json:"bytes"`
	Alerts  int   `json:"alerts"`
	// Seconds is the time from "go" to the last acknowledgement.
	Seconds float64 `json:"seconds"`
	// MaxLag is how far the latest batch of a steady publication went
	// out behind its schedule; LateBatches counts those more than one
	// interval late.
	MaxLag      time.Duration `json:"max_lag"`
	LateBatches int           `json:"late_batches"`
	// Failed counts batches the stream did not acknowledge.
	Failed int `json:"failed"`
	// MakeSeconds is the time it took to make the batches.
	MakeSeconds float64 `json:"make_seconds"`
	// CPUSeconds is the fleet process's CPU time from "go" to the end.
	CPUSeconds float64 `json:"cpu_seconds"`
}

// ParseReport reads one line of the fleet's output.
func ParseReport(line []byte) (Report, error) {
	var r Report
	if err := json.Unmarshal(line, &r); err != nil {
		return r, fmt.Errorf("fleet report %.80q: %w", line, err)
	}
	n := 0
	if r.Ready {
		n++
	}
	if r.Alert != nil {
		n++
		if r.Alert.EventID == "" || r.Alert.At <= 0 {
			return r, fmt.Errorf("fleet report %.80q: an alert needs an event id and a time", line)
		}
	}
	if r.Done != nil {
		n++
		d := r.Done
		if d.Events < 0 || d.Batches < 0 || d.Bytes < 0 || d.Alerts < 0 || d.Failed < 0 || d.LateBatches < 0 || d.Seconds < 0 || d.CPUSeconds < 0 {
			return r, fmt.Errorf("fleet report %.80q: negative counts", line)
		}
	}
	if n != 1 {
		return r, fmt.Errorf("fleet report %.80q: %d fields set, want one", line, n)
	}
	return r, nil
}
