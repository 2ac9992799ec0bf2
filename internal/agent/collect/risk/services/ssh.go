package services

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/agent/collect/app/middleware"
	"github.com/vigilsec/vigil/internal/agent/collect/risk/services/sshdconf"
)

// sshdConfig is the default configuration file of OpenSSH's server.
const sshdConfig = "/etc/ssh/sshd_config"

// sshServer is one sshd configuration to check: a running server's, or
// the installed one's.
type sshServer struct {
	in     *instance
	config string
	files  view
	// options are the -o options of the command line, which come before
	// the file.
	options []string
}

func (r *run) ssh() []check {
	if !r.s.Checks.SSH {
		return nil
	}
	var servers []*sshServer
	seen := map[string]bool{}
	add := func(s *sshServer) {
		s.config = s.files.Resolve(s.config)
		key := s.files.top + "\x00" + s.config + "\x00" + strings.Join(s.options, "\x00")
		if !seen[key] {
			seen[key] = true
			servers = append(servers, s)
		}
	}
	for _, in := range r.d.of(ProductSSH) {
		conf, ok := middleware.OptionValue(in.args, true, "-f")
		if !ok {
			conf = sshdConfig
		}
		add(&sshServer{in: in, config: absFrom(in.cwd, conf), files: in.files, options: sshdOptions(in.args)})
	}
	if len(servers) == 0 && r.host.exists(sshdConfig) {
		add(&sshServer{config: sshdConfig, files: r.host})
	}
	out := make([]check, 0, len(servers))
	for _, s := range servers {
		out = append(out, check{
			scope: ProductSSH + ":" + s.config + ":" + strings.Join(s.options, ","),
			run:   func(context.Context) ([]finding, error) { return r.checkSSH(s) },
		})
	}
	return out
}

// sshdOptions returns the -o options of sshd's command line
// ("-o PermitRootLogin=yes", "-oPermitRootLogin=yes").
func sshdOptions(args []string) []string {
	var out []string
	for i := 1; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-o" && i+1 < len(args):
			out = append(out, args[i+1])
			i++
		case strings.HasPrefix(a, "-o") && len(a) > 2:
			out = append(out, a[2:])
		}
	}
	return out
}

// checkSSH reads the server's effective configuration and reports
// PermitRootLogin yes, PermitEmptyPasswords yes and
// PasswordAuthentication yes, for every connection and in each Match
// block that turns them on.
func (r *run) checkSSH(s *sshServer) ([]finding, error) {
	cfg, err := sshdconf.Load(s.files, s.config)
	if err != nil {
		if isNotExist(err) && s.in == nil {
			return nil, nil
		}
		return nil, err
	}
	if cfg.Skipped > 0 {
		r.errorf("sshd_config: lines skipped", "file", s.config, "lines", cfg.Malformed)
	}
	var cmdline []sshdconf.Directive
	for _, o := range s.options {
		kw, args, err := sshdconf.ParseLine(o)
		if err != nil || kw == "" {
			continue
		}
		cmdline = append(cmdline, sshdconf.Directive{Keyword: kw, Args: args, File: "command line -o", Line: 0})
	}
	cfg.Global = append(cmdline, cfg.Global...)

	base := finding{target: ProductSSH, file: s.config}
	base.onInstance(s.in)
	base.addr = sshAddr(s, cfg)

	scopes := []string{""}
	for _, kw := range []string{"permitrootlogin", "permitemptypasswords", "passwordauthentication",
		"kbdinteractiveauthentication", "usepam"} {
		for _, st := range cfg.Conditional(kw) {
			if !slices.Contains(scopes, st.Match) {
				scopes = append(scopes, st.Match)
			}
		}
	}
	global := sshRisks(cfg, "")
	var out []finding
	for _, match := range scopes {
		risks := global
		if match != "" {
			risks = sshRisks(cfg, match)
		}
		for _, typ := range []string{TypePermitRootLogin, TypePermitEmptyPasswords, TypePasswordAuthentication} {
			rk, ok := risks[typ]
			if !ok {
				continue
			}
			if match != "" {
				// A Match block is reported for what it makes worse
				// than the settings every connection gets.
				if g, ok := global[typ]; ok && severityRank(g.severity) >= severityRank(rk.severity) {
					continue
				}
			}
			f := base
			f.typ, f.severity, f.reason, f.evidence = typ, rk.severity, rk.reason, rk.evidence
			f.key = fmt.Sprintf("%s:%s:%s", ProductSSH, s.config, typ)
			if match != "" {
				f.key += ":Match " + match
				f.evidence += "; for connections matching \"Match " + match + "\""
				f.reason += " (for the connections of a Match block)"
			}
			out = append(out, f)
		}
	}
	return out, nil
}

// sshRisk is one risky setting in one scope.
type sshRisk struct {
	severity, reason, evidence string
}

// sshRisks evaluates the settings a connection gets in one scope (""
// for every connection, else the Match block with these criteria):
// PermitRootLogin yes, PermitEmptyPasswords yes, PasswordAuthentication
// yes, each more severe when passwords are accepted (PasswordAuthentication,
// or keyboard-interactive through PAM).
func sshRisks(cfg *sshdconf.Config, match string) map[string]sshRisk {
	get := func(kw string) sshdconf.Setting {
		if match == "" {
			return cfg.Effective(kw)
		}
		return cfg.ForMatch(match, kw)
	}
	pa := get("passwordauthentication")
	pw, pwWhy := false, "PasswordAuthentication "+pa.Value+" ("+where(pa)+")"
	if pa.Value == "yes" {
		pw = true
	} else if kbd, pam := get("kbdinteractiveauthentication"), get("usepam"); kbd.Value == "yes" && pam.Value == "yes" {
		pw = true
		pwWhy = "KbdInteractiveAuthentication yes (" + where(kbd) + ") with UsePAM yes (" + where(pam) + ")"
	}
	out := map[string]sshRisk{}
	if st := get("permitrootlogin"); st.Value == "yes" {
		ev := "PermitRootLogin yes (" + where(st) + "); " + pwWhy
		if pw {
			out[TypePermitRootLogin] = sshRisk{SeverityHigh, "sshd lets root log in with a password", ev}
		} else {
			out[TypePermitRootLogin] = sshRisk{SeverityMedium, "sshd lets root log in (passwords are off, other methods are not restricted to keys)", ev}
		}
	}
	if st := get("permitemptypasswords"); st.Value == "yes" {
		ev := "PermitEmptyPasswords yes (" + where(st) + "); " + pwWhy
		if pw {
			out[TypePermitEmptyPasswords] = sshRisk{SeverityHigh, "sshd lets accounts with an empty password log in", ev}
		} else {
			out[TypePermitEmptyPasswords] = sshRisk{SeverityMedium, "sshd would let accounts with an empty password log in if passwords were on", ev}
		}
	}
	if pa.Value == "yes" {
		out[TypePasswordAuthentication] = sshRisk{SeverityLow, "sshd accepts passwords, which can be guessed",
			"PasswordAuthentication yes (" + where(pa) + ")"}
	}
	return out
}

// severityRank orders severities, low first.
func severityRank(s string) int {
	switch s {
	case SeverityCritical:
		return 4
	case SeverityHigh:
		return 3
	case SeverityMedium:
		return 2
	case SeverityLow:
		return 1
	}
	return 0
}

// sshAddr is the address sshd listens on: its first socket, else the
// configuration's first Port on the wildcard address.
func sshAddr(s *sshServer, cfg *sshdconf.Config) netip.AddrPort {
	if s.in != nil && len(s.in.tcp) > 0 {
		return s.in.tcp[0]
	}
	port := cfg.Effective("port").Value
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || n == 0 {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(netip.IPv4Unspecified(), uint16(n))
}

func where(s sshdconf.Setting) string {
	if s.Default {
		return "not set: OpenSSH's default"
	}
	if s.Line == 0 {
		return s.File
	}
	return s.Where()
}
