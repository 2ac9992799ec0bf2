package client

import (
	"math/rand/v2"
	"time"
)

// Reconnect backoff bounds.
const (
	BackoffBase = 250 * time.Millisecond
	BackoffMax  = 30 * time.Second
)

// Backoff returns the wait before reconnect attempt number attempts (from
// 1): a uniformly random duration up to min(BackoffMax, BackoffBase *
// 2^(attempts-1)), "full jitter", so that thousands of agents cut off at
// once do not come back at once.
func Backoff(attempts int) time.Duration {
	return time.Duration(rand.Int64N(int64(backoffCap(attempts)) + 1))
}

// backoffCap is the largest wait for the attempt.
func backoffCap(attempts int) time.Duration {
	d := BackoffBase
	for i := 1; i < attempts && d < BackoffMax; i++ {
		d *= 2
	}
	return min(d, BackoffMax)
}
