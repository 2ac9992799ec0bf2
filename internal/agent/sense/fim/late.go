package fim

import (
	"sync"
	"time"

	"github.com/vigilsec/vigil/internal/agent/proctable"
)

// Bounds of lateProcesses.
const (
	// lateWait is the longest a change waits for the process sensor to
	// report the process that made it, once per process.
	lateWait = 300 * time.Millisecond
	// latePoll is how often the table is asked meanwhile.
	latePoll = 20 * time.Millisecond
	// lateAge is how long before a change is read its process may have
	// ended (the kernel queue's lag).
	lateAge = 30 * time.Second
	// lateKept bounds the processes remembered as waited for.
	lateKept = 1024
)

// lateProcesses names the process of a change read after the process
// left /proc: a short-lived program (a shell's echo, ransomware that
// exits when done). The process table knows it when the process sensor
// reported it: still live there, or ended lately. When the sensor is
// behind, the change waits for it a little, once per process id, so that
// a burst of changes by one program costs one wait.
type lateProcesses struct {
	mu     sync.Mutex
	waited map[int]time.Time
	sleep  func(time.Duration) // time.Sleep; tests may replace it
}

// entity returns the entity id of process pid, "" when the table does
// not know it within the wait.
func (l *lateProcesses) entity(t *proctable.Table, pid int) string {
	deadline := time.Now().Add(lateWait)
	for {
		if p, ok := t.Get(pid); ok {
			return p.EntityID // gone from /proc, not yet from the table
		}
		if p, ok := t.LastExited(pid, time.Now().Add(-lateAge)); ok {
			return p.EntityID // ended before the change was read
		}
		if !l.mayWait(pid) || time.Now().After(deadline) {
			return ""
		}
		l.pause(latePoll)
	}
}

// await waits, once per process id, for the table to learn of the
// process with entity id (the process sensor reports it after the
// change was read) and reports whether it did.
func (l *lateProcesses) await(t *proctable.Table, pid int, id string) bool {
	deadline := time.Now().Add(lateWait)
	for l.mayWait(pid) && !time.Now().After(deadline) {
		l.pause(latePoll)
		if knows(t, id) {
			return true
		}
	}
	return false
}

// knows reports whether the table holds the process with entity id,
// live or ended.
func knows(t *proctable.Table, id string) bool {
	_, ok := t.LookupEntity(id)
	return ok
}

// mayWait says whether a change of pid may wait for the table: not when
// an earlier change of the same pid waited already.
func (l *lateProcesses) mayWait(pid int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if at, ok := l.waited[pid]; ok {
		return now.Sub(at) < lateWait // the wait that is going on
	}
	if l.waited == nil || len(l.waited) >= lateKept {
		l.waited = map[int]time.Time{}
	}
	l.waited[pid] = now
	return true
}

func (l *lateProcesses) pause(d time.Duration) {
	if l.sleep != nil {
		l.sleep(d)
		return
	}
	time.Sleep(d)
}
