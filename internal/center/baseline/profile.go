package baseline

import (
	"fmt"
	"math"
	"net/netip"
	"slices"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// profileKey names a profile: one user on one host.
type profileKey struct {
	agentID, user string
}

// profile is the in-memory form of a store.LoginProfile: times as Unix
// nanoseconds and addresses parsed, which keeps a profile small.
type profile struct {
	first, last int64 // Unix nanoseconds of the first and last login learned
	logins      int64
	// countedAt is the time (Unix nanoseconds) of the login that brought
	// logins to the minimum count; 0 before, or unknown.
	countedAt int64
	revision  int64 // the stored revision (0: never stored)
	hours     [24]int64
	// sources are the addresses learned, most recently seen first, at
	// most Config.MaxSources.
	sources []source
	// changes counts the changes since the profile was created or
	// loaded; flushed is the value of changes last written to the store.
	// The profile is dirty while they differ.
	changes, flushed uint64
	// stored says that the store holds the profile (it was loaded or
	// flushed).
	stored bool
}

// source is one address a user logged in from.
type source struct {
	addr        netip.Addr
	first, last int64 // Unix nanoseconds
	count       int64
}

// judgment is what a login looks like against its profile before it is
// learned.
type judgment struct {
	hour         int
	logins       int64
	knownSources int
	learned      bool
	hasSource    bool
	newSource    bool
	newNetwork   bool
	unusualHour  bool
}

// login is one successful login taken from an event.
type login struct {
	at        int64 // Unix nanoseconds
	hour      int   // in the baseline's time zone
	addr      netip.Addr
	hasSource bool
}

func (p *profile) dirty() bool { return p.changes != p.flushed }

// learnedAt is when the profile leaves (or left) learning: the learning
// period after its first login or the login that completed its count,
// whichever is later; zero before that login.
func (p *profile) learnedAt(period time.Duration) time.Time {
	if p.countedAt == 0 {
		return time.Time{}
	}
	return fromNanos(max(p.first+int64(period), p.countedAt))
}

// isLearned says whether the profile is past learning at time at: at
// least minLogins logins and the learning period since the first.
func (p *profile) isLearned(at int64, minLogins int, period time.Duration) bool {
	// The difference as unsigned cannot overflow when at > p.first.
	return p.logins >= int64(minLogins) && at > p.first && uint64(at)-uint64(p.first) >= uint64(period)
}

// judge compares l with what p learned.
func (p *profile) judge(l login, cfg *Config) judgment {
	j := judgment{
		hour:         l.hour,
		logins:       p.logins,
		knownSources: len(p.sources),
		learned:      p.isLearned(l.at, cfg.MinLogins, cfg.LearningPeriod),
		hasSource:    l.hasSource,
	}
	if !j.learned {
		return j
	}
	around := p.hours[(l.hour+23)%24] + p.hours[l.hour] + p.hours[(l.hour+1)%24]
	// A learned profile has at least one login. The share is computed
	// by a division, correctly rounded: 2 of 100 is exactly 0.02.
	j.unusualHour = float64(around)/float64(p.logins) < cfg.UnusualHourShare
	if l.hasSource {
		j.newSource, j.newNetwork = true, true
		for i := range p.sources {
			if p.sources[i].addr == l.addr {
				j.newSource, j.newNetwork = false, false
				break
			}
			if sameNetwork(p.sources[i].addr, l.addr) {
				j.newNetwork = false
			}
		}
	}
	return j
}

// learn adds l to p, keeping at most maxSources addresses.
func (p *profile) learn(l login, maxSources int) {
	if p.logins == 0 || l.at < p.first {
		p.first = l.at
	}
	if p.logins == 0 || l.at > p.last {
		p.last = l.at
	}
	p.logins++
	p.hours[l.hour]++
	p.changes++
	if !l.hasSource {
		return
	}
	i := slices.IndexFunc(p.sources, func(s source) bool { return s.addr == l.addr })
	if i >= 0 {
		s := &p.sources[i]
		s.count++
		s.first = min(s.first, l.at)
		s.last = max(s.last, l.at)
	} else {
		s := source{addr: l.addr, first: l.at, last: l.at, count: 1}
		n := len(p.sources)
		switch {
		case n < maxSources:
			if n == cap(p.sources) {
				// Grow by doubling, but never past maxSources.
				grown := make([]source, n, min(max(2*n, 2), maxSources))
				copy(grown, p.sources)
				p.sources = grown
			}
			p.sources = append(p.sources, s)
		case n > 0 && p.sources[n-1].last <= l.at:
			// Full: the least recently seen makes room.
			p.sources[n-1] = s
		default:
			// Full, and the login is older than every address kept (an
			// event that arrived late): its address is not kept.
			return
		}
		i = len(p.sources) - 1
	}
	// Move the source up to its place among the most recently seen;
	// the others stay in order.
	for ; i > 0 && p.sources[i-1].last < p.sources[i].last; i-- {
		p.sources[i-1], p.sources[i] = p.sources[i], p.sources[i-1]
	}
}

// sameNetwork says whether a and b share their /24 (IPv4) or /64
// (IPv6).
func sameNetwork(a, b netip.Addr) bool {
	if a.Is4() != b.Is4() {
		return false
	}
	if a.Is4() {
		x, y := a.As4(), b.As4()
		return x[0] == y[0] && x[1] == y[1] && x[2] == y[2]
	}
	x, y := a.As16(), b.As16()
	return [8]byte(x[:8]) == [8]byte(y[:8])
}

// toStore returns the store's form of p.
func (p *profile) toStore(k profileKey, period time.Duration) store.LoginProfile {
	out := store.LoginProfile{
		LearnedAt: p.learnedAt(period),
		AgentID:   k.agentID,
		User:      k.user,
		FirstSeen: fromNanos(p.first),
		LastSeen:  fromNanos(p.last),
		Logins:    p.logins,
		Hours:     p.hours,
		Sources:   make([]store.LoginSource, len(p.sources)),
		Revision:  p.revision,
	}
	for i, s := range p.sources {
		out.Sources[i] = store.LoginSource{
			IP:        s.addr.String(),
			FirstSeen: fromNanos(s.first),
			LastSeen:  fromNanos(s.last),
			Count:     s.count,
		}
	}
	return out
}

// fromStore returns the in-memory form of a stored profile. Addresses
// that do not parse are left out and reported in skipped; beyond
// maxSources, the least recently seen are dropped.
func fromStore(sp store.LoginProfile, maxSources int) (p *profile, skipped []string) {
	p = &profile{
		first:    nanos(sp.FirstSeen),
		last:     nanos(sp.LastSeen),
		logins:   sp.Logins,
		revision: sp.Revision,
		hours:    sp.Hours,
		stored:   true,
		// The stored time it left learning is never before the login
		// that completed its count: judged again, it gives the same.
		countedAt: nanos(sp.LearnedAt),
	}
	for _, s := range sp.Sources {
		addr, err := parseAddr(s.IP)
		if err != nil {
			skipped = append(skipped, s.IP)
			continue
		}
		p.sources = append(p.sources, source{addr: addr, first: nanos(s.FirstSeen), last: nanos(s.LastSeen), count: s.Count})
	}
	slices.SortStableFunc(p.sources, func(a, b source) int {
		switch {
		case a.last > b.last:
			return -1
		case a.last < b.last:
			return 1
		}
		return 0
	})
	if len(p.sources) > maxSources {
		p.sources = slices.Clip(p.sources[:maxSources])
	}
	return p, skipped
}

// parseAddr parses an address, IPv4-mapped IPv6 addresses as IPv4 and
// without a zone, so that one host has one form.
func parseAddr(s string) (netip.Addr, error) {
	addr, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("source address: %w", err)
	}
	return addr.Unmap().WithZone(""), nil
}

// Bounds of the times a profile holds: what Unix nanoseconds in an
// int64 can say.
var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// nanos returns t as Unix nanoseconds, clamped to what an int64 holds
// (years 1678 to 2262).
func nanos(t time.Time) int64 {
	switch {
	case t.Before(minTime):
		return math.MinInt64
	case t.After(maxTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// fromNanos returns the UTC time of Unix nanoseconds n.
func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }
