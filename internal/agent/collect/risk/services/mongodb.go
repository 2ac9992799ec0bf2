package services

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/vigilsec/vigil/internal/agent/collect/app/middleware"
	"github.com/vigilsec/vigil/internal/agent/collect/risk/services/mongoprobe"
)

// Code of MongoDB's "Unauthorized" error.
const mongoUnauthorized = 13

func (r *run) mongodb() []check {
	if !r.s.Checks.MongoDB {
		return nil
	}
	var out []check
	for _, in := range r.d.of(ProductMongoDB) {
		var targets []netip.AddrPort
		if r.live {
			targets = r.targets(in, []uint16{27017})
		}
		scope := fmt.Sprintf("%s:%d", ProductMongoDB, in.pid)
		if len(targets) > 0 {
			scope = ProductMongoDB + ":" + targets[0].String()
		}
		out = append(out, check{
			scope: scope,
			run:   func(ctx context.Context) ([]finding, error) { return r.checkMongo(ctx, in, targets) },
		})
	}
	return out
}

// checkMongo asks a mongod reachable on loopback to list its databases
// without authenticating (OP_MSG hello, then listDatabases): an answer
// with ok: 1 is the finding, error 13 (Unauthorized) means authorization
// is on. A mongod that cannot be reached on loopback is judged by its
// command line (--auth, --noauth, --keyFile) and configuration file
// (security.authorization, off by default).
func (r *run) checkMongo(ctx context.Context, in *instance, targets []netip.AddrPort) ([]finding, error) {
	f := finding{target: ProductMongoDB, typ: TypeNoAuth}
	f.onInstance(in)
	exp := exposed(in.tcp)
	severity := func() {
		if len(exp) > 0 {
			f.severity = SeverityCritical
			f.reason = "MongoDB answers without authentication and listens beyond loopback"
			f.evidence += "; listens on " + strings.Join(addrStrings(exp, ""), ", ")
		} else {
			f.severity = SeverityMedium
			f.reason = "MongoDB answers every local user without authentication (it listens on loopback only)"
		}
	}
	if len(targets) > 0 {
		target := targets[0]
		f.addr = target
		f.key = fmt.Sprintf("%s:%s:%s", ProductMongoDB, target, TypeNoAuth)
		open, evidence, err := r.mongoProbe(ctx, target)
		switch {
		case err != nil && (ctx.Err() != nil || isTimeout(err)):
			return nil, fmt.Errorf("mongodb %s: %w", target, err)
		case err != nil:
			// No OP_MSG in the clear (TLS required): judged by the
			// configuration below.
			r.log.Info("no OP_MSG answer; judging by the configuration", "address", target, "error", err)
		case !open:
			return nil, nil
		default:
			f.evidence = evidence
			severity()
			return []finding{f}, nil
		}
	}
	enabled, why, err := mongoAuthorization(in)
	if err != nil {
		return nil, err
	}
	if enabled {
		return nil, nil
	}
	if len(in.tcp) > 0 {
		f.addr = in.tcp[0]
	}
	if len(targets) > 0 {
		f.addr = targets[0]
		f.evidence = why + " (no answer to OP_MSG in the clear on " + targets[0].String() + ")"
	} else {
		f.evidence = why + " (not probed: not reachable on loopback)"
	}
	f.key = fmt.Sprintf("%s:%s:%s", ProductMongoDB, f.addr, TypeNoAuth)
	severity()
	return []finding{f}, nil
}

// mongoProbe runs hello and listDatabases on target without
// credentials; open is true when the databases are listed.
func (r *run) mongoProbe(ctx context.Context, target netip.AddrPort) (open bool, evidence string, err error) {
	p := r.c.newProber(r.s)
	if err := p.attempt(ctx); err != nil {
		return false, "", err
	}
	nc, err := p.dial(ctx, target)
	if err != nil {
		return false, "", err
	}
	conn := mongoprobe.NewConn(nc, p.timeout)
	defer conn.Close()
	hello, err := conn.Run(ctx, "admin", mongoprobe.Doc{{Key: "hello", Value: int32(1)}})
	if err != nil {
		return false, "", err
	}
	if !hello.OK() {
		msg, _ := hello.String("errmsg")
		return false, "", fmt.Errorf("hello refused: %q", clip(msg, 80))
	}
	if err := p.attempt(ctx); errors.Is(err, errMaxAttempts) {
		return false, "", fmt.Errorf("max_attempts leaves no attempt for listDatabases")
	} else if err != nil {
		return false, "", err
	}
	list, err := conn.Run(ctx, "admin", mongoprobe.Doc{
		{Key: "listDatabases", Value: int32(1)}, {Key: "nameOnly", Value: true},
	})
	if err != nil {
		return false, "", err
	}
	if list.OK() {
		n := 0
		if dbs, ok := list.Get("databases"); ok {
			if arr, ok := dbs.([]any); ok {
				n = len(arr)
			}
		}
		version := ""
		if v, ok := hello.Number("maxWireVersion"); ok {
			version = fmt.Sprintf(" (wire version %d)", int(v))
		}
		return true, fmt.Sprintf("listDatabases on %s%s answered ok: 1 with %d databases without authentication", target, version, n), nil
	}
	if code, _ := list.Number("code"); code == mongoUnauthorized {
		return false, "", nil
	}
	msg, _ := list.String("errmsg")
	return false, "", fmt.Errorf("listDatabases answered %q", clip(msg, 80))
}

// mongoAuthorization tells whether a mongod runs with authorization on,
// from its command line and configuration file, and why.
func mongoAuthorization(in *instance) (bool, string, error) {
	switch {
	case slices.Contains(in.args, "--noauth"):
		return false, "the command line has --noauth", nil
	case slices.Contains(in.args, "--auth"):
		return true, "", nil
	}
	if _, ok := middleware.OptionValue(in.args, false, "--keyFile"); ok {
		return true, "", nil
	}
	conf, ok := middleware.OptionValue(in.args, false, "--config", "-f")
	if !ok {
		return false, "no --auth and no configuration file: MongoDB's default is no authorization", nil
	}
	conf = absFrom(in.cwd, conf)
	data, err := in.files.ReadFile(conf)
	if err != nil {
		return false, "", fmt.Errorf("mongod configuration: %w", err)
	}
	c, err := mongoprobe.ParseConf(data)
	if err != nil {
		return false, "", fmt.Errorf("%s: %w", conf, err)
	}
	enabled, setting := c.Authorization()
	if enabled {
		return true, "", nil
	}
	if setting == "" {
		return false, conf + " does not set security.authorization: MongoDB's default is disabled", nil
	}
	return false, fmt.Sprintf("%s:%d: %s: %s", conf, c.Lines[setting], setting, c.Values[setting]), nil
}
