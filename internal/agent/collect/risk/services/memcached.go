package services

import (
	"bufio"
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

func (r *run) memcached() []check {
	if !r.s.Checks.Memcached {
		return nil
	}
	var out []check
	for _, in := range r.d.of(ProductMemcached) {
		out = append(out, check{
			scope: ProductMemcached + ":" + fmt.Sprint(in.pid),
			run:   func(ctx context.Context) ([]finding, error) { return r.checkMemcached(ctx, in) },
		})
	}
	return out
}

// MemcachedOptions is what memcached's command line says of its
// exposure.
type MemcachedOptions struct {
	// SASL: -S or --enable-sasl, which makes clients authenticate.
	SASL bool
	// Listen are the -l / --listen values, as written (each may list
	// several addresses separated by commas).
	Listen []string
	// TCPPort and UDPPort are -p and -U, as written ("" when not set).
	TCPPort, UDPPort string
}

// ParseMemcachedArgs reads memcached's options from its arguments (the
// first is the program). Debian's wrapper turns /etc/memcached.conf
// into such options, so the running process shows what the file set.
func ParseMemcachedArgs(args []string) MemcachedOptions {
	var o MemcachedOptions
	value := func(i *int, a, short, long string) (string, bool) {
		switch {
		case a == short || a == long:
			if *i+1 < len(args) {
				*i++
				return args[*i], true
			}
			return "", false
		case strings.HasPrefix(a, long+"="):
			return a[len(long)+1:], true
		case len(short) == 2 && strings.HasPrefix(a, short) && len(a) > 2 && !strings.HasPrefix(a, "--"):
			return a[2:], true
		}
		return "", false
	}
	for i := 1; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		if a == "-S" || a == "--enable-sasl" {
			o.SASL = true
			continue
		}
		if v, ok := value(&i, a, "-l", "--listen"); ok {
			o.Listen = append(o.Listen, v)
			continue
		}
		if v, ok := value(&i, a, "-p", "--port"); ok {
			o.TCPPort = v
			continue
		}
		if v, ok := value(&i, a, "-U", "--udp-port"); ok {
			o.UDPPort = v
			continue
		}
		// Bundled single-letter flags ("-vS", "-dS") may hold S.
		if len(a) > 2 && a[0] == '-' && a[1] != '-' && strings.IndexFunc(a[1:], func(r rune) bool {
			return !strings.ContainsRune("dvhirLkMRbS", r)
		}) < 0 && strings.ContainsRune(a[1:], 'S') {
			o.SASL = true
		}
	}
	return o
}

// checkMemcached reports a memcached that listens beyond loopback
// without SASL: anyone who reaches it reads and writes its cache, and
// its UDP port, when open, amplifies reflected traffic. When it can be
// reached on loopback, "version" is asked to confirm it answers without
// authentication.
func (r *run) checkMemcached(ctx context.Context, in *instance) ([]finding, error) {
	opts := ParseMemcachedArgs(in.args)
	exp := append(exposed(in.tcp), exposed(in.udp)...)
	if opts.SASL || len(exp) == 0 {
		return nil, nil
	}
	f := finding{target: ProductMemcached, typ: TypeNoAuth, severity: SeverityHigh}
	f.onInstance(in)
	f.reason = "memcached listens beyond loopback without SASL: anyone who reaches it reads and changes the cache"
	var where []string
	where = append(where, addrStrings(exposed(in.tcp), "tcp")...)
	where = append(where, addrStrings(exposed(in.udp), "udp")...)
	f.evidence = "listens on " + strings.Join(where, ", ") + "; the command line has no -S (--enable-sasl)"
	if len(opts.Listen) == 0 {
		f.evidence += " and no -l, so it listens on every address"
	}
	first := exp[0]
	if len(exposed(in.tcp)) > 0 {
		first = exposed(in.tcp)[0]
	}
	f.addr = first
	f.key = fmt.Sprintf("%s:%s:%s", ProductMemcached, first, TypeNoAuth)
	if r.live {
		if targets := r.targets(in, []uint16{11211}); len(targets) > 0 {
			answer, err := r.memcachedVersion(ctx, targets[0])
			switch {
			case err != nil && ctx.Err() != nil:
				return nil, ctx.Err()
			case err != nil:
				r.errorf("memcached: version not asked", "address", targets[0], "error", err)
			default:
				f.evidence += fmt.Sprintf("; %s answered %q to \"version\" without authentication", targets[0], answer)
			}
		}
	}
	return []finding{f}, nil
}

// memcachedVersion asks a memcached its version (text protocol).
func (r *run) memcachedVersion(ctx context.Context, target netip.AddrPort) (string, error) {
	p := r.c.newProber(r.s)
	if err := p.attempt(ctx); err != nil {
		return "", err
	}
	nc, err := p.dial(ctx, target)
	if err != nil {
		return "", err
	}
	defer nc.Close()
	if err := nc.SetDeadline(time.Now().Add(p.timeout)); err != nil {
		return "", err
	}
	if _, err := nc.Write([]byte("version\r\n")); err != nil {
		return "", err
	}
	raw, err := bufio.NewReaderSize(nc, 512).ReadSlice('\n')
	if err != nil {
		return "", fmt.Errorf("reply to version: %w", err)
	}
	line := strings.TrimRight(string(raw), "\r\n")
	if !strings.HasPrefix(line, "VERSION ") {
		return "", fmt.Errorf("reply to version: %q", clip(line, 64))
	}
	return clip(line, 64), nil
}
