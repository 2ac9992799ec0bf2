package services

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/vigilsec/vigil/internal/agent/collect/risk/services/mysqlprobe"
)

// mysqlDefaults are well-known passwords of MySQL's and MariaDB's root.
var mysqlDefaults = []string{"root", "mysql", "mariadb", "password", "123456", "toor", "admin"}

// MySQL's X protocol port, which does not speak the classic protocol.
const mysqlXPort = 33060

func (r *run) mysql() []check {
	if !r.s.Checks.MySQL || !r.live {
		return nil
	}
	var out []check
	for _, in := range r.d.of(ProductMySQL) {
		targets := r.targets(in, []uint16{3306}, mysqlXPort)
		if len(targets) == 0 {
			continue
		}
		out = append(out, check{
			scope: in.name + ":" + targets[0].String(),
			run:   func(ctx context.Context) ([]finding, error) { return r.checkMySQL(ctx, in, targets) },
		})
	}
	return out
}

// login is one account and password to try.
type login struct {
	user string
	pw   candidate
}

// checkMySQL logs in as root with an empty password, as the anonymous
// user (the empty user name) with an empty one, then as root with each candidate, until
// one is accepted. An account that asks for a plugin the check does not
// speak is not tried further. MariaDB's unix_socket answers error 1698,
// which is no reason to stop: the server gives the error of the last
// plugin of a chain ("mysql_native_password USING PASSWORD(...) OR
// unix_socket" answers 1698 to a wrong password too), so guessing goes
// on, within max_attempts.
func (r *run) checkMySQL(ctx context.Context, in *instance, targets []netip.AddrPort) ([]finding, error) {
	p := r.c.newProber(r.s)
	plan := []login{{"root", candidate{}}, {"", candidate{}}}
	for _, c := range r.candidates(max(0, p.max-2), fromWords(SourceDefault, mysqlDefaults...)) {
		if c.word != "" {
			plan = append(plan, login{"root", c})
		}
	}
	target := targets[0]
	found := false // a handshake came from target
	skipUser := map[string]string{}
	for _, l := range plan {
		if _, skip := skipUser[l.user]; skip {
			continue
		}
		if err := p.attempt(ctx); errors.Is(err, errMaxAttempts) {
			break
		} else if err != nil {
			return nil, err
		}
		res, err := r.mysqlLogin(ctx, p, target, l)
		for err != nil && !found && len(targets) > 1 && ctx.Err() == nil {
			// No handshake yet: this port may not speak the classic
			// protocol; the next one, as a new attempt.
			targets = targets[1:]
			target = targets[0]
			if aerr := p.attempt(ctx); aerr != nil {
				break
			}
			res, err = r.mysqlLogin(ctx, p, target, l)
		}
		if err != nil {
			if !found && ctx.Err() == nil && !isTimeout(err) {
				// No port sent a handshake: not the classic protocol.
				r.log.Info("no MySQL handshake on its ports", "product", in.name, "pid", in.pid, "error", err)
				return nil, nil
			}
			return nil, fmt.Errorf("%s %s: %w", in.name, target, err)
		}
		found = true
		if strings.Contains(res.ServerVersion, "MariaDB") {
			in.name = ProductMariaDB
		}
		switch res.Outcome {
		case mysqlprobe.Accepted:
			return []finding{mysqlFinding(in, target, l, res, p.made)}, nil
		case mysqlprobe.Denied:
		case mysqlprobe.Inconclusive:
			if res.Err != nil || res.Plugin == "" {
				// Refused apart from the password (too many
				// connections, a blocked host, TLS required): the
				// server, not the account, says no.
				return nil, fmt.Errorf("%s %s: %s: %v", in.name, target, res.Reason, res.Err)
			}
			skipUser[l.user] = res.Reason
		}
	}
	for user, why := range skipUser {
		r.log.Debug("account not guessed further", "product", in.name, "account", user, "reason", why)
	}
	return nil, nil
}

func (r *run) mysqlLogin(ctx context.Context, p *prober, target netip.AddrPort, l login) (mysqlprobe.Result, error) {
	nc, err := p.dial(ctx, target)
	if err != nil {
		return mysqlprobe.Result{}, err
	}
	defer nc.Close()
	return mysqlprobe.Login(ctx, nc, p.timeout, l.user, l.pw.word)
}

func mysqlFinding(in *instance, target netip.AddrPort, l login, res mysqlprobe.Result, attempts int) finding {
	f := finding{target: in.name, addr: target}
	f.onInstance(in)
	who := "root"
	if l.user == "" {
		f.typ, f.anonymous, who = TypeAnonymous, true, "the anonymous user ('')"
		f.key = fmt.Sprintf("%s:%s:anonymous:%s", in.name, target, f.typ)
	} else {
		f.typ, f.account = l.pw.typeOf(), l.user
		f.setPassword(l.pw)
		f.key = fmt.Sprintf("%s:%s:%s:%s", in.name, target, l.user, f.typ)
	}
	version := strings.TrimPrefix(res.ServerVersion, "5.5.5-")
	f.evidence = fmt.Sprintf("%s (%s) accepted %s with %s over %s after %d attempts",
		target, version, who, describePassword(l.pw.word, f.typ), res.Plugin, attempts)
	what := map[string]string{
		TypeAnonymous:          "anyone logs in as the anonymous user without a password",
		TypeEmptyPassword:      "root logs in with an empty password",
		TypeDefaultPassword:    "root's password is a well-known default",
		TypeDictionaryPassword: "root's password is a dictionary word",
	}[f.typ]
	if exp := exposed(in.tcp); len(exp) > 0 {
		f.severity = SeverityCritical
		f.reason = fmt.Sprintf("%s: %s, and the server listens beyond loopback", in.name, what)
		f.evidence += "; listens on " + strings.Join(addrStrings(exp, ""), ", ")
	} else {
		f.severity = SeverityMedium
		f.reason = fmt.Sprintf("%s: %s (the server listens on loopback only)", in.name, what)
	}
	return f
}

// describePassword says which password was accepted without giving it.
func describePassword(pw, typ string) string {
	switch typ {
	case TypeEmptyPassword, TypeAnonymous:
		return "an empty password"
	case TypeDefaultPassword:
		return "a default password (" + Mask(pw) + ")"
	}
	return "a dictionary password (" + Mask(pw) + ")"
}
