package services

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path"
	"path/filepath"
	"slices"

	"github.com/vigilsec/vigil/internal/agent/collect/app/middleware"
	"github.com/vigilsec/vigil/internal/agent/collect/net/listeners"
)

// Products the checks know, as they name them (vigil.weak_password.target
// and the item's Name).
const (
	ProductRedis         = "redis"
	ProductMySQL         = "mysql"
	ProductMariaDB       = "mariadb"
	ProductPostgreSQL    = "postgresql"
	ProductSSH           = "ssh"
	ProductTomcat        = "tomcat"
	ProductMemcached     = "memcached"
	ProductMongoDB       = "mongodb"
	ProductElasticsearch = "elasticsearch"
	ProductOpenSearch    = "opensearch"
)

// instance is one running service: its first process, and the
// addresses its processes listen on in the agent's network namespace.
type instance struct {
	// product is the Product* constant (ProductMySQL for MariaDB too,
	// ProductElasticsearch for OpenSearch too; name tells them apart).
	product, name string
	pid           int
	exe           string
	// args are normalised (middleware.NormalizeArgs).
	args      []string
	cwd       string
	container string
	java      *middleware.JavaCommand
	// files reads the files as the process sees them.
	files view
	// tcp and udp are the listening addresses, sorted.
	tcp, udp []netip.AddrPort
}

// classify returns the product of a process ("" for none), recognised as
// the app/middleware collector does.
func classify(p *middleware.Process, args []string) (product, name string, java *middleware.JavaCommand) {
	exeBase, arg0Base := "", ""
	if p.Executable != "" {
		exeBase = path.Base(p.Executable)
	}
	if len(args) > 0 {
		arg0Base = path.Base(args[0])
	}
	base := exeBase
	if base == "" {
		base = arg0Base
	}
	switch {
	case exeBase == "redis-server" || arg0Base == "redis-server" || p.Name == "redis-server":
		return ProductRedis, ProductRedis, nil
	case base == "mysqld":
		return ProductMySQL, ProductMySQL, nil
	case base == "mariadbd":
		return ProductMySQL, ProductMariaDB, nil
	case base == "postgres" || base == "postmaster":
		return ProductPostgreSQL, ProductPostgreSQL, nil
	case base == "memcached":
		return ProductMemcached, ProductMemcached, nil
	case base == "mongod":
		return ProductMongoDB, ProductMongoDB, nil
	case base == "sshd":
		return ProductSSH, ProductSSH, nil
	case exeBase == "java" || exeBase == "jsvc" || arg0Base == "java" || arg0Base == "jsvc":
		jc := middleware.ParseJava(args)
		switch main := jc.MainClass(); {
		case main == "org.elasticsearch.bootstrap.Elasticsearch":
			return ProductElasticsearch, ProductElasticsearch, &jc
		case main == "org.opensearch.bootstrap.OpenSearch":
			return ProductElasticsearch, ProductOpenSearch, &jc
		case jc.Props["catalina.home"] != "" || jc.Props["catalina.base"] != "" || main == "org.apache.catalina.startup.Bootstrap":
			return ProductTomcat, ProductTomcat, &jc
		}
	}
	return "", "", nil
}

// discovery is what one run knows of the host's services.
type discovery struct {
	instances []*instance
	// unreadable counts the processes whose files could not be read.
	unreadable int
}

// discover finds the running services of the host at root: its
// processes classified (a process whose parent is of the same product
// is part of its parent's instance) and the listening sockets of the
// agent's network namespace joined to them. On a root without /proc (a
// fixture tree, a mounted image) it finds none.
func discover(ctx context.Context, root string) (*discovery, error) {
	if _, err := os.Stat(filepath.Join(root, "proc", "net")); errors.Is(err, fs.ErrNotExist) && root != "/" {
		return &discovery{}, nil
	}
	src := middleware.NewProcFS(root)
	procs, err := src.Processes(ctx)
	if err != nil {
		return nil, fmt.Errorf("processes: %w", err)
	}
	snap, err := listeners.Scan(ctx, root)
	if err != nil {
		return nil, err
	}
	byPID := map[int][]*listeners.Listener{}
	for i := range snap.Listeners {
		l := &snap.Listeners[i]
		for _, pid := range l.PIDs {
			byPID[pid] = append(byPID[pid], l)
		}
	}
	type classified struct {
		p       *middleware.Process
		args    []string
		product string
		name    string
		java    *middleware.JavaCommand
	}
	cls := map[int]*classified{}
	for i := range procs {
		p := &procs[i]
		args := middleware.NormalizeArgs(p.Args)
		if prod, name, jc := classify(p, args); prod != "" {
			cls[p.PID] = &classified{p: p, args: args, product: prod, name: name, java: jc}
		}
	}
	rootOf := func(pid int) int {
		for range 64 {
			c := cls[pid]
			parent, ok := cls[c.p.PPID]
			if !ok || parent.product != c.product || parent.p.Container != c.p.Container || c.p.PPID == pid {
				return pid
			}
			pid = c.p.PPID
		}
		return pid
	}
	insts := map[int]*instance{}
	pids := make([]int, 0, len(cls))
	for pid := range cls {
		pids = append(pids, pid)
	}
	slices.Sort(pids)
	d := &discovery{unreadable: src.Unreadable}
	for _, pid := range pids {
		r := rootOf(pid)
		in, ok := insts[r]
		if !ok {
			c := cls[r]
			in = &instance{
				product: c.product, name: c.name, pid: r, exe: c.p.Executable, args: c.args,
				cwd: c.p.Cwd, container: c.p.Container, java: c.java, files: view{top: root},
			}
			if c.p.Container != "" {
				if top, ok := src.View(r); ok {
					in.files = view{top: top}
				}
			}
			insts[r] = in
		}
		for _, l := range byPID[pid] {
			switch l.Transport {
			case listeners.TCP:
				in.tcp = append(in.tcp, l.Addr)
			case listeners.UDP:
				in.udp = append(in.udp, l.Addr)
			}
		}
	}
	for _, in := range insts {
		in.tcp = sortAddrs(in.tcp)
		in.udp = sortAddrs(in.udp)
		d.instances = append(d.instances, in)
	}
	slices.SortFunc(d.instances, func(a, b *instance) int {
		return cmp.Or(cmp.Compare(a.product, b.product), cmp.Compare(a.pid, b.pid))
	})
	return d, nil
}

func sortAddrs(a []netip.AddrPort) []netip.AddrPort {
	slices.SortFunc(a, func(x, y netip.AddrPort) int {
		return cmp.Or(cmp.Compare(x.Port(), y.Port()), x.Addr().Compare(y.Addr()))
	})
	return slices.Compact(a)
}

// of returns the instances of product.
func (d *discovery) of(product string) []*instance {
	var out []*instance
	for _, in := range d.instances {
		if in.product == product {
			out = append(out, in)
		}
	}
	return out
}

// isLoopback reports whether a is a loopback address (127.0.0.0/8, ::1,
// and their IPv4-mapped forms).
func isLoopback(a netip.Addr) bool { return a.Unmap().IsLoopback() }

// exposed returns the addresses of addrs that are not loopback ones:
// the wildcard and the host's other addresses, reachable from other
// hosts.
func exposed(addrs []netip.AddrPort) []netip.AddrPort {
	var out []netip.AddrPort
	for _, a := range addrs {
		if !isLoopback(a.Addr()) {
			out = append(out, a)
		}
	}
	return out
}

// loopbackTarget returns the loopback address to reach a service on
// port at, given the addresses it listens on: a loopback address it
// listens on (127.0.0.1 first), else the loopback address of a wildcard
// (0.0.0.0 gives 127.0.0.1, :: gives ::1). false when the service
// listens on port only on other addresses: it cannot be reached on
// loopback.
func loopbackTarget(addrs []netip.AddrPort, port uint16) (netip.AddrPort, bool) {
	v4 := netip.AddrFrom4([4]byte{127, 0, 0, 1})
	var best netip.AddrPort
	rank := 99
	consider := func(a netip.AddrPort, r int) {
		if r < rank {
			best, rank = a, r
		}
	}
	for _, a := range addrs {
		if a.Port() != port {
			continue
		}
		ip := a.Addr().Unmap()
		switch {
		case ip == v4:
			consider(netip.AddrPortFrom(v4, port), 0)
		case ip.Is4() && ip.IsLoopback():
			consider(netip.AddrPortFrom(ip, port), 1)
		case ip == netip.IPv6Loopback():
			consider(netip.AddrPortFrom(ip, port), 2)
		case ip == netip.IPv4Unspecified():
			consider(netip.AddrPortFrom(v4, port), 3)
		case ip == netip.IPv6Unspecified():
			consider(netip.AddrPortFrom(netip.IPv6Loopback(), port), 4)
		}
	}
	return best, rank < 99
}

// ports returns the distinct ports of addrs: those of preferred first
// (in their order), then the others ascending, without those of avoid.
func ports(addrs []netip.AddrPort, preferred []uint16, avoid ...uint16) []uint16 {
	var out []uint16
	has := func(p uint16) bool {
		for _, a := range addrs {
			if a.Port() == p {
				return true
			}
		}
		return false
	}
	for _, p := range preferred {
		if has(p) && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	for _, a := range addrs {
		if p := a.Port(); !slices.Contains(out, p) && !slices.Contains(avoid, p) {
			out = append(out, p)
		}
	}
	return out
}

// addrStrings returns addrs as "127.0.0.1:6379" strings, with the
// transport when given ("udp/0.0.0.0:11211").
func addrStrings(addrs []netip.AddrPort, transport string) []string {
	out := make([]string, len(addrs))
	for i, a := range addrs {
		s := a.String()
		if transport != "" {
			s = transport + "/" + s
		}
		out[i] = s
	}
	return out
}
