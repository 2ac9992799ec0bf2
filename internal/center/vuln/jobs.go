package vuln

import (
	"crypto/rand"
	"encoding/hex"
	"slices"
	"sync"
	"time"
)

// Job states.
const (
	JobRunning = "running"
	JobDone    = "done"
	JobFailed  = "failed"
)

// maxJobs bounds the finished jobs remembered.
const maxJobs = 50

// Job is one import or sync of the vulnerability database, with its
// progress.
type Job struct {
	ID string `json:"id"`
	// Kind is "import" (a file sent to the center) or "sync" (the
	// configured sources).
	Kind   string `json:"kind"`
	Source string `json:"source,omitempty"`
	State  string `json:"state"`
	// Phase says what it is doing: "download", "read", "store",
	// "index", "match".
	Phase string `json:"phase,omitempty"`
	// Done and Total count the phase's steps (records, bytes, hosts);
	// Total is 0 when unknown.
	Done  int64 `json:"done"`
	Total int64 `json:"total"`
	// Added, Updated, Unchanged and Rejected count records.
	Added     int `json:"added"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Rejected  int `json:"rejected"`
	// Problems are the first reasons records were rejected, and the
	// sources that failed, for the operator to read.
	Problems  []string  `json:"problems,omitempty"`
	Message   string    `json:"message,omitempty"`
	Error     string    `json:"error,omitempty"`
	StartedAt time.Time `json:"started_at"`
	EndedAt   time.Time `json:"ended_at,omitzero"`
	// Author is who started it ("" for the schedule).
	Author string `json:"author,omitempty"`
}

// maxProblems bounds Job.Problems.
const maxProblems = 20

// jobs keeps the running and recent jobs.
type jobs struct {
	mu   sync.Mutex
	list []*Job // oldest first
	now  func() time.Time
}

// start records a new running job.
func (js *jobs) start(kind, source, author string) *Job {
	var b [8]byte
	_, _ = rand.Read(b[:])
	j := &Job{ID: hex.EncodeToString(b[:]), Kind: kind, Source: source, State: JobRunning,
		StartedAt: js.now().UTC(), Author: author}
	js.mu.Lock()
	defer js.mu.Unlock()
	js.list = append(js.list, j)
	if len(js.list) > maxJobs {
		// Forget the oldest finished job.
		for i, old := range js.list {
			if old.State != JobRunning {
				js.list = slices.Delete(js.list, i, i+1)
				break
			}
		}
	}
	return j
}

// update changes a job under the lock.
func (js *jobs) update(j *Job, fn func(*Job)) {
	js.mu.Lock()
	defer js.mu.Unlock()
	fn(j)
}

// finish ends a job: failed when err is not nil.
func (js *jobs) finish(j *Job, err error) {
	js.update(j, func(j *Job) {
		j.EndedAt = js.now().UTC()
		j.Phase = ""
		if err != nil {
			j.State, j.Error = JobFailed, err.Error()
			return
		}
		j.State = JobDone
	})
}

// problem adds a problem to a job, up to maxProblems.
func (js *jobs) problem(j *Job, p string) {
	js.update(j, func(j *Job) {
		if len(j.Problems) < maxProblems {
			j.Problems = append(j.Problems, p)
		}
	})
}

// get returns a copy of a job.
func (js *jobs) get(id string) (Job, bool) {
	js.mu.Lock()
	defer js.mu.Unlock()
	for _, j := range js.list {
		if j.ID == id {
			return copyJob(j), true
		}
	}
	return Job{}, false
}

// all returns copies of every job, newest first.
func (js *jobs) all() []Job {
	js.mu.Lock()
	defer js.mu.Unlock()
	out := make([]Job, 0, len(js.list))
	for i := len(js.list) - 1; i >= 0; i-- {
		out = append(out, copyJob(js.list[i]))
	}
	return out
}

// running reports whether a job of kind is running.
func (js *jobs) running(kind string) bool {
	js.mu.Lock()
	defer js.mu.Unlock()
	for _, j := range js.list {
		if j.Kind == kind && j.State == JobRunning {
			return true
		}
	}
	return false
}

// copyJob copies a job with its slices.
func copyJob(j *Job) Job {
	c := *j
	c.Problems = slices.Clone(j.Problems)
	return c
}
