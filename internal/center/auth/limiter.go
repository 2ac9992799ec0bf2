package auth

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// maxLimiterKeys bounds a Limiter's memory under a flood of distinct keys.
const maxLimiterKeys = 100_000

// Limiter counts failures per key (user and source address, or address
// alone) in a sliding window and blocks a key that reached the maximum
// until its oldest failure leaves the window. It is safe for concurrent use.
type Limiter struct {
	max    int
	window time.Duration

	mu       sync.Mutex
	failures map[string][]time.Time
}

// NewLimiter blocks a key after max failures within window.
func NewLimiter(max int, window time.Duration) *Limiter {
	return &Limiter{max: max, window: window, failures: map[string][]time.Time{}}
}

// Blocked reports whether key is blocked at now, and for how much longer.
func (l *Limiter) Blocked(key string, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	recent := l.recent(key, now)
	if len(recent) < l.max {
		return 0, false
	}
	return recent[0].Add(l.window).Sub(now), true
}

// Fail counts one failure of key at now.
func (l *Limiter) Fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.failures) >= maxLimiterKeys {
		l.sweep(now)
	}
	l.failures[key] = append(l.recent(key, now), now)
}

// Reset forgets key's failures (after a success).
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.failures, key)
}

// recent drops failures of key older than the window and returns the rest.
func (l *Limiter) recent(key string, now time.Time) []time.Time {
	list := l.failures[key]
	i := 0
	for i < len(list) && now.Sub(list[i]) >= l.window {
		i++
	}
	if i == len(list) {
		delete(l.failures, key)
		return nil
	}
	list = list[i:]
	l.failures[key] = list
	return list
}

// sweep removes expired keys and, when a flood left too many live ones,
// half of the rest.
func (l *Limiter) sweep(now time.Time) {
	for key := range l.failures {
		l.recent(key, now)
	}
	for key := range l.failures {
		if len(l.failures) < maxLimiterKeys/2 {
			break
		}
		delete(l.failures, key)
	}
}

// RemoteIP is the address of the peer of r, without the port. Forwarding
// headers are ignored: the center is reached directly, and a header is
// whatever the client wants it to be.
func RemoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
