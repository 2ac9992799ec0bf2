package services

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/vigilsec/vigil/internal/agent/collect/risk/services/redisprobe"
)

// redisDefaults are Redis's well-known passwords: foobared is the
// example of redis.conf.
var redisDefaults = []string{"foobared", "redis", "password", "123456", "admin"}

// redisUser is the ACL user that AUTH with a password alone logs in as.
const redisUser = "default"

func (r *run) redis() []check {
	if !r.s.Checks.Redis || !r.live {
		return nil
	}
	var out []check
	for _, in := range r.d.of(ProductRedis) {
		targets := r.targets(in, []uint16{6379})
		if len(targets) == 0 {
			continue
		}
		out = append(out, check{
			scope: ProductRedis + ":" + targets[0].String(),
			run:   func(ctx context.Context) ([]finding, error) { return r.checkRedis(ctx, in, targets[0]) },
		})
	}
	return out
}

// checkRedis asks PING without AUTH; when a password is required, it
// tries AUTH with the candidates (a password alone: Redis 6 and later
// apply it to the ACL user "default", as AUTH default PASSWORD does).
func (r *run) checkRedis(ctx context.Context, in *instance, target netip.AddrPort) ([]finding, error) {
	p := r.c.newProber(r.s)
	var conn *redisprobe.Conn
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	do := func(args ...string) (redisprobe.Reply, error) {
		if conn == nil {
			nc, err := p.dial(ctx, target)
			if err != nil {
				return redisprobe.Reply{}, err
			}
			conn = redisprobe.NewConn(nc, p.timeout)
		}
		rep, err := conn.Do(ctx, args...)
		if err != nil {
			conn.Close()
			conn = nil
		}
		return rep, err
	}
	if err := p.attempt(ctx); err != nil {
		return nil, err
	}
	rep, err := do("PING")
	if err != nil {
		if ctx.Err() == nil && !isTimeout(err) {
			// Not RESP in the clear (a TLS port): nothing to probe.
			r.log.Info("no RESP answer to PING", "address", target, "pid", in.pid, "error", err)
			return nil, nil
		}
		return nil, fmt.Errorf("redis %s: %w", target, err)
	}
	f := finding{target: in.name, addr: target}
	f.onInstance(in)
	exp := exposed(in.tcp)
	switch redisprobe.ClassifyPing(rep) {
	case redisprobe.AccessOpen:
		f.key = fmt.Sprintf("%s:%s:%s", in.name, target, TypeNoAuth)
		f.typ = TypeNoAuth
		f.evidence = fmt.Sprintf("PING to %s answered %s without AUTH", target, rep.Short())
		protected := ""
		if cr, err := do("CONFIG", "GET", "protected-mode"); err == nil {
			protected, _ = redisprobe.ConfigValue(cr, "protected-mode")
		}
		switch {
		case len(exp) == 0:
			f.severity = SeverityMedium
			f.reason = "Redis runs commands without a password for every local user (it listens on loopback only)"
		case protected == "yes":
			f.severity = SeverityMedium
			f.reason = "Redis runs commands without a password; protected mode keeps clients of other hosts out"
			f.evidence += "; CONFIG GET protected-mode: yes"
		case protected == "no":
			f.severity = SeverityCritical
			f.reason = "Redis runs commands without a password for anyone who reaches it, protected mode off"
			f.evidence += "; CONFIG GET protected-mode: no; listens on " + strings.Join(addrStrings(exp, ""), ", ")
		default:
			f.severity = SeverityHigh
			f.reason = "Redis runs commands without a password and listens beyond loopback"
			f.evidence += "; listens on " + strings.Join(addrStrings(exp, ""), ", ")
		}
		return []finding{f}, nil
	case redisprobe.AccessAuthRequired:
	case redisprobe.AccessDenied:
		return nil, nil
	default:
		return nil, fmt.Errorf("redis %s: PING answered %s", target, rep.Short())
	}
	for _, c := range r.candidates(p.max-1, fromWords(SourceDefault, redisDefaults...)) {
		if err := p.attempt(ctx); errors.Is(err, errMaxAttempts) {
			break
		} else if err != nil {
			return nil, err
		}
		rep, err := do("AUTH", c.word)
		if err != nil {
			return nil, fmt.Errorf("redis %s: %w", target, err)
		}
		switch redisprobe.ClassifyAuth(rep) {
		case redisprobe.AuthRejected:
			continue
		case redisprobe.AuthNoPassword:
			return nil, nil
		case redisprobe.AuthAccepted:
			f.typ = c.typeOf()
			f.key = fmt.Sprintf("%s:%s:%s", in.name, target, f.typ)
			f.account = redisUser
			f.setPassword(c)
			f.evidence = fmt.Sprintf("AUTH to %s answered %s for the user %q after %d attempts", target, rep.Short(), redisUser, p.made)
			if len(exp) > 0 {
				f.severity = SeverityCritical
				f.reason = "Redis's password is guessable and it listens beyond loopback"
				f.evidence += "; listens on " + strings.Join(addrStrings(exp, ""), ", ")
			} else {
				f.severity = SeverityMedium
				f.reason = "Redis's password is guessable (it listens on loopback only)"
			}
			if f.typ == TypeDefaultPassword {
				f.reason = strings.Replace(f.reason, "guessable", "a well-known default", 1)
			}
			return []finding{f}, nil
		default:
			return nil, fmt.Errorf("redis %s: AUTH answered %s", target, rep.Short())
		}
	}
	return nil, nil
}
