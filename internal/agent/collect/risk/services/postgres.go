package services

import (
	"context"
	"fmt"
	"net/netip"
	"path"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/agent/collect/app/middleware"
	"github.com/vigilsec/vigil/internal/agent/collect/risk/services/pghba"
)

// pgCluster is one PostgreSQL server whose pg_hba.conf is checked: a
// running one, or a Debian cluster under /etc/postgresql.
type pgCluster struct {
	in   *instance // nil for a cluster that does not run
	hba  string
	conf *pghba.Conf
	// files reads its files.
	files view
}

func (r *run) postgres() []check {
	if !r.s.Checks.PostgreSQL {
		return nil
	}
	var clusters []*pgCluster
	seen := map[string]bool{}
	add := func(cl *pgCluster) {
		cl.hba = cl.files.Resolve(cl.hba)
		key := cl.files.top + "\x00" + cl.hba
		if !seen[key] {
			seen[key] = true
			clusters = append(clusters, cl)
		}
	}
	for _, in := range r.d.of(ProductPostgreSQL) {
		dataDir, confFile, hbaFile := pgCommandLine(in)
		hba, conf, err := pghba.Locate(in.files, dataDir, confFile, hbaFile)
		if err != nil {
			r.errorf("PostgreSQL: no pg_hba.conf found", "pid", in.pid, "error", err)
			continue
		}
		add(&pgCluster{in: in, hba: hba, conf: conf, files: in.files})
	}
	// Debian's clusters: /etc/postgresql/VERSION/CLUSTER/postgresql.conf.
	for _, ver := range r.host.glob("/etc/postgresql", "*") {
		for _, dir := range r.host.glob(ver, "*") {
			confFile := path.Join(dir, "postgresql.conf")
			if !r.host.exists(confFile) {
				continue
			}
			hba, conf, err := pghba.Locate(r.host, "", confFile, "")
			if err != nil {
				r.errorf("PostgreSQL: no pg_hba.conf found", "config", confFile, "error", err)
				continue
			}
			add(&pgCluster{hba: hba, conf: conf, files: r.host})
		}
	}
	out := make([]check, 0, len(clusters))
	for _, cl := range clusters {
		out = append(out, check{
			scope: ProductPostgreSQL + ":" + cl.hba,
			run:   func(ctx context.Context) ([]finding, error) { return r.checkPgHba(cl) },
		})
	}
	return out
}

// pgCommandLine returns what a postmaster's command line says of its
// files: the data directory (-D, else the working directory, which the
// server changes to), and the config_file and hba_file settings (-c
// name=value or --name=value).
func pgCommandLine(in *instance) (dataDir, confFile, hbaFile string) {
	if d, ok := middleware.OptionValue(in.args, true, "-D"); ok {
		dataDir = absFrom(in.cwd, d)
	} else {
		dataDir = in.cwd
	}
	settings := middleware.OptionValues(in.args, "-c")
	for _, a := range in.args {
		if s, ok := strings.CutPrefix(a, "--"); ok && strings.Contains(s, "=") {
			settings = append(settings, s)
		}
	}
	for _, s := range settings {
		name, val, _ := strings.Cut(s, "=")
		switch strings.ReplaceAll(strings.ToLower(name), "-", "_") {
		case "config_file":
			confFile = absFrom(in.cwd, val)
		case "hba_file":
			hbaFile = absFrom(in.cwd, val)
		}
	}
	return dataDir, confFile, hbaFile
}

// absFrom returns p made absolute against dir.
func absFrom(dir, p string) string {
	if p == "" || path.IsAbs(p) {
		return path.Clean(p)
	}
	if dir == "" {
		dir = "/"
	}
	return path.Join(dir, p)
}

// checkPgHba reports the records of pg_hba.conf that let clients in
// without a password (trust) or have them send it in clear text
// (password) from other hosts.
func (r *run) checkPgHba(cl *pgCluster) ([]finding, error) {
	res, err := pghba.Load(cl.files, cl.hba)
	if err != nil {
		if isNotExist(err) && cl.in == nil {
			return nil, nil // a cluster removed but for its configuration
		}
		return nil, err
	}
	if res.Problems.Skipped > 0 {
		r.errorf("PostgreSQL: lines of pg_hba.conf skipped", "file", cl.hba, "lines", res.Malformed)
	}
	exposedTo, listening := pgExposure(cl)
	var out []finding
	for i := range res.Entries {
		e := &res.Entries[i]
		f := finding{target: ProductPostgreSQL, file: e.File}
		f.onInstance(cl.in)
		if cl.in != nil && len(cl.in.tcp) > 0 {
			f.addr = cl.in.tcp[0]
		} else if port, ok := pgPort(cl.conf); ok {
			f.addr = netip.AddrPortFrom(netip.IPv4Unspecified(), port)
			if len(listening) > 0 {
				f.addr = netip.AddrPortFrom(listening[0], port)
			}
		}
		scope := e.Scope()
		switch {
		case e.Method == "trust" && scope == pghba.ScopeRemote:
			f.typ = TypeTrustRemote
			if exposedTo != "" {
				f.severity = SeverityCritical
				f.reason = "PostgreSQL lets clients of other hosts in without a password (trust)"
			} else {
				f.severity = SeverityMedium
				f.reason = "PostgreSQL's pg_hba.conf trusts clients of other hosts; the server listens on loopback only for now"
			}
		case e.Method == "trust":
			f.typ = TypeTrustLocal
			f.severity = SeverityLow
			f.reason = "PostgreSQL lets every local user in as any database user without a password (trust)"
		case e.Method == "password" && scope == pghba.ScopeRemote && e.Type != pghba.TypeHostSSL:
			f.typ = TypeCleartextPassword
			f.severity = SeverityMedium
			f.reason = "PostgreSQL has clients of other hosts send their password in clear text (password method without TLS)"
			if exposedTo == "" {
				f.severity = SeverityLow
			}
		default:
			continue
		}
		f.key = fmt.Sprintf("%s:%s:%s:%s", ProductPostgreSQL, e.File, f.typ, e.Text())
		f.evidence = fmt.Sprintf("%s:%d: %s (%s connections)", e.File, e.Line, e.Text(), scope)
		if exposedTo != "" && scope == pghba.ScopeRemote {
			f.evidence += "; " + exposedTo
		}
		out = append(out, f)
	}
	return out, nil
}

// pgExposure says whether the server listens beyond loopback ("" when
// it does not): from its sockets when it runs, else from
// listen_addresses (localhost by default). listening are the addresses
// listen_addresses names.
func pgExposure(cl *pgCluster) (exposedTo string, listening []netip.Addr) {
	if cl.in != nil {
		if exp := exposed(cl.in.tcp); len(exp) > 0 {
			return "the server listens on " + strings.Join(addrStrings(exp, ""), ", "), nil
		}
		return "", nil
	}
	val := "localhost"
	if cl.conf != nil {
		if v, ok := cl.conf.Get("listen_addresses"); ok {
			val = v
		}
	}
	var beyond []string
	for _, a := range strings.Split(val, ",") {
		a = strings.TrimSpace(a)
		switch a {
		case "", "localhost":
			continue
		case "*":
			beyond = append(beyond, a)
			continue
		}
		ip, err := netip.ParseAddr(a)
		if err == nil {
			listening = append(listening, ip)
			if isLoopback(ip) {
				continue
			}
		}
		beyond = append(beyond, a)
	}
	if len(beyond) == 0 {
		return "", listening
	}
	return "listen_addresses = '" + val + "' (the server does not run now)", listening
}

// pgPort returns the port postgresql.conf sets (5432 by default).
func pgPort(conf *pghba.Conf) (uint16, bool) {
	if conf == nil {
		return 5432, true
	}
	v, ok := conf.Get("port")
	if !ok {
		return 5432, true
	}
	n, err := strconv.ParseUint(v, 10, 16)
	if err != nil || n == 0 {
		return 0, false
	}
	return uint16(n), true
}
