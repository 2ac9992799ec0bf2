package listeners

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigilsec/vigil/internal/agent/collect/internal/pkgowner"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/proctable/procparse"
	"github.com/vigilsec/vigil/internal/agent/proctable/userdb"
	"github.com/vigilsec/vigil/internal/event"
)

// Name is the collector's name.
const Name = "net/listeners"

// Collector is the net/listeners collector.
type Collector struct {
	mu        sync.Mutex
	users     *userdb.DB
	usersRoot string

	malformed, indexErrors atomic.Uint64
	unreadable             atomic.Uint64 // of the last run
}

var (
	_ plugin.AssetCollector = (*Collector)(nil)
	_ plugin.Counted        = (*Collector)(nil)
)

// New returns the collector.
func New() *Collector { return &Collector{} }

// Name implements plugin.Plugin.
func (*Collector) Name() string { return Name }

// Requirements implements plugin.Plugin: the descriptors of other users'
// processes can be read by root only.
func (*Collector) Requirements() plugin.Requirements {
	return plugin.Requirements{OS: []string{"linux"}, Root: true}
}

// DefaultInterval implements plugin.Collector.
func (*Collector) DefaultInterval() time.Duration { return 5 * time.Minute }

// Kinds implements plugin.AssetCollector.
func (*Collector) Kinds() []string { return []string{event.AssetPort} }

// Counters implements plugin.Counted: malformed_lines (socket table
// lines skipped, total), unreadable_processes (processes whose
// descriptors could not be read in the last run) and package_index_errors
// (failures to read the package database, total).
func (c *Collector) Counters() map[string]uint64 {
	return map[string]uint64{
		"malformed_lines":      c.malformed.Load(),
		"unreadable_processes": c.unreadable.Load(),
		"package_index_errors": c.indexErrors.Load(),
	}
}

// Assets implements plugin.AssetCollector: one port asset per listening
// address.
func (c *Collector) Assets(ctx context.Context, env plugin.Env) ([]event.Asset, error) {
	root := env.Root
	if root == "" {
		root = "/"
	}
	snap, err := Scan(ctx, root)
	if err != nil {
		return nil, err
	}
	c.malformed.Add(uint64(snap.MalformedLines))
	c.unreadable.Store(uint64(snap.UnreadableProcesses))
	ix := pkgowner.Current(root, &c.indexErrors)
	users := c.userDB(root)
	proc := filepath.Join(root, "proc")
	owners := map[int]*owner{}
	out := make([]event.Asset, 0, len(snap.Listeners))
	for i := range snap.Listeners {
		l := &snap.Listeners[i]
		f := event.Event{}
		f.Set("network.transport", l.Transport)
		typ := "ipv4"
		if l.Addr.Addr().Is6() {
			typ = "ipv6"
		}
		f.Set("network.type", typ)
		f.Set("server.ip", l.Addr.Addr().String())
		f.Set("server.port", int(l.Addr.Port()))
		f.Set("user.id", strconv.FormatUint(uint64(l.UID), 10))
		if name := users.UserName(l.UID); name != "" {
			f.Set("user.name", name)
		}
		if o := chooseOwner(proc, l.PIDs, owners); o != nil {
			o.annotate(f, ix)
		}
		out = append(out, event.Asset{
			Kind: event.AssetPort, Key: l.Key(), Name: strconv.Itoa(int(l.Addr.Port())), Fields: f,
		})
	}
	return out, nil
}

// userDB returns the user names of root, made once.
func (c *Collector) userDB(root string) *userdb.DB {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.users == nil || c.usersRoot != root {
		c.users, c.usersRoot = userdb.New(root), root
	}
	return c.users
}

// owner is the process shown as a listener's owner.
type owner struct {
	PID        int
	StartTicks uint64
	// Name is the command name (comm).
	Name string
	// Executable is "" when it could not be read.
	Executable string
	Deleted    bool
	// Container is the id of the container the process runs in, "" for
	// the host's.
	Container string
}

// annotate sets the owner's process.*, container.id and package.* fields.
// The package is looked up in ix for an executable of the host only: a
// container's files are not the host's packages'.
func (o *owner) annotate(f event.Event, ix *pkgowner.Index) {
	f.Set("process.name", o.Name)
	if o.Executable != "" {
		f.Set("process.executable", o.Executable)
		if o.Deleted {
			f.Set("vigil.process.executable_deleted", true)
		}
	}
	if o.Container != "" {
		f.Set("container.id", o.Container)
		return
	}
	ix.Annotate(f, o.Executable)
}

// chooseOwner picks the process shown for a listener among those holding
// it: not the init process (pid 1 holds the sockets of socket-activated
// services and passes them on) unless it is the only one, then the one
// that started first, then the lowest pid: the master of a pre-forking
// server rather than a worker. nil when no holder can be read.
func chooseOwner(proc string, pids []int, cache map[int]*owner) *owner {
	var best *owner
	for _, pid := range pids {
		o, ok := cache[pid]
		if !ok {
			o = readOwner(proc, pid)
			cache[pid] = o
		}
		if o == nil {
			continue
		}
		if best == nil || better(o, best) {
			best = o
		}
	}
	return best
}

func better(a, b *owner) bool {
	if (a.PID == 1) != (b.PID == 1) {
		return b.PID == 1
	}
	if a.StartTicks != b.StartTicks {
		return a.StartTicks < b.StartTicks
	}
	return a.PID < b.PID
}

// readOwner reads what a listener shows of process pid; nil when it is
// gone.
func readOwner(proc string, pid int) *owner {
	dir := filepath.Join(proc, strconv.Itoa(pid))
	b, err := readSmall(filepath.Join(dir, "stat"))
	if err != nil {
		return nil
	}
	st, err := procparse.ParseStat(b)
	if err != nil {
		return nil
	}
	o := &owner{PID: pid, StartTicks: st.StartTicks, Name: st.Comm}
	if link, err := os.Readlink(filepath.Join(dir, "exe")); err == nil {
		o.Executable, o.Deleted = Executable(link)
	}
	if b, err := readSmall(filepath.Join(dir, "cgroup")); err == nil {
		if ct, ok, _ := procparse.ContainerFromCgroup(b); ok {
			o.Container = ct.ID
		}
	}
	return o
}

// readSmall reads at most 64 KiB of a /proc file.
func readSmall(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, 64<<10))
}
