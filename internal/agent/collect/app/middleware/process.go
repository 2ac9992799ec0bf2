package middleware

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/vigilsec/vigil/internal/agent/proctable/procparse"
)

// Process is one process as the collector sees it.
type Process struct {
	PID, PPID int
	// StartTicks is the start time in clock ticks after boot.
	StartTicks uint64
	// Name is the command name (comm).
	Name string
	// Executable is the path of the running executable, "" when it could
	// not be read; Deleted says the file was removed or replaced since.
	Executable string
	Deleted    bool
	// Args are the arguments as /proc shows them.
	Args []string
	// UID and EUID are the real and effective user ids; IDs says they
	// were read.
	UID, EUID uint32
	IDs       bool
	// Cwd is the working directory, "" when unknown.
	Cwd string
	// Container is the id of the container the process runs in, "" for
	// the host's.
	Container string
}

// Source lists the host's processes and what the collector reads of
// them. ProcFS reads /proc; tests feed others.
type Source interface {
	// Processes returns the live user-space processes. An error means
	// the list could not be read at all.
	Processes(ctx context.Context) ([]Process, error)
	// Listening returns the addresses of the listening TCP sockets that
	// process pid holds.
	Listening(ctx context.Context, pid int) ([]netip.AddrPort, error)
	// View returns the directory below which the files of process pid
	// are read (its root and mount namespace), and false when the
	// process is gone.
	View(pid int) (string, bool)
	// OpenExecutable opens the file process pid runs (exe is its path as
	// the process sees it), which may have been deleted or replaced
	// since it started.
	OpenExecutable(pid int, exe string) (*os.File, error)
}

// ProcFS is the Source of a host root's /proc.
type ProcFS struct {
	// Root is the host root.
	Root string
	// Readlink reads a link of /proc; nil means os.Readlink. Fixture trees
	// stand in for /proc's links (exe, cwd, fd/N, ns/net) with regular
	// files holding the target, read by a Readlink of their own.
	Readlink func(name string) (string, error)

	// tables caches the listening sockets of each network namespace.
	tables map[string]map[uint64]netip.AddrPort
	// Malformed counts the socket table lines skipped.
	Malformed int
	// Unreadable counts the processes whose files could not be read
	// (not those that exited meanwhile).
	Unreadable int
}

// NewProcFS returns the Source of the host whose root is root.
func NewProcFS(root string) *ProcFS {
	if root == "" {
		root = "/"
	}
	return &ProcFS{Root: root}
}

func (p *ProcFS) proc(parts ...string) string {
	return filepath.Join(append([]string{p.Root, "proc"}, parts...)...)
}

func (p *ProcFS) readlink(name string) (string, error) {
	if p.Readlink != nil {
		return p.Readlink(name)
	}
	return os.Readlink(name)
}

// isGone reports whether err says the process no longer exists.
func isGone(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH)
}

// deletedSuffix is what the kernel appends to the link of a file that
// was removed.
const deletedSuffix = " (deleted)"

// Processes implements Source.
func (p *ProcFS) Processes(ctx context.Context) ([]Process, error) {
	ents, err := os.ReadDir(p.proc())
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	out := make([]Process, 0, len(ents))
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		pr, ok, err := p.read(pid)
		if err != nil {
			p.Unreadable++
			continue
		}
		if ok {
			out = append(out, pr)
		}
	}
	return out, nil
}

// read reads process pid; false for a kernel thread or a process that
// is gone.
func (p *ProcFS) read(pid int) (Process, bool, error) {
	id := strconv.Itoa(pid)
	b, err := readSmall(p.proc(id, "stat"))
	if err != nil {
		if isGone(err) {
			return Process{}, false, nil
		}
		return Process{}, false, err
	}
	st, err := procparse.ParseStat(b)
	if err != nil {
		return Process{}, false, err
	}
	if st.IsKernelThread() {
		return Process{}, false, nil
	}
	pr := Process{PID: pid, PPID: st.PPID, StartTicks: st.StartTicks, Name: st.Comm}
	if b, err := readSmall(p.proc(id, "cmdline")); err == nil {
		pr.Args, _ = procparse.ParseArgs(b, 0)
	}
	if link, err := p.readlink(p.proc(id, "exe")); err == nil {
		pr.Executable, pr.Deleted = strings.CutSuffix(link, deletedSuffix)
	}
	if b, err := readSmall(p.proc(id, "status")); err == nil {
		if s, err := procparse.ParseStatus(b); err == nil {
			pr.UID, pr.EUID, pr.IDs = s.UID[0], s.UID[1], true
		}
	}
	if cwd, err := p.readlink(p.proc(id, "cwd")); err == nil {
		pr.Cwd = strings.TrimSuffix(cwd, deletedSuffix)
	}
	if b, err := readSmall(p.proc(id, "cgroup")); err == nil {
		if ct, ok, _ := procparse.ContainerFromCgroup(b); ok {
			pr.Container = ct.ID
		}
	}
	return pr, true, nil
}

// readSmall reads at most 64 KiB of a /proc file.
func readSmall(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, 64<<10))
}

// View implements Source: /proc/PID/root where the kernel shows it,
// else the host root (a fixture tree).
func (p *ProcFS) View(pid int) (string, bool) {
	dir := p.proc(strconv.Itoa(pid), "root")
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		return dir, true
	}
	if _, err := os.Stat(p.proc(strconv.Itoa(pid))); err != nil {
		return "", false
	}
	return p.Root, true
}

// Listening implements Source: the socket inodes of the process's
// descriptors, looked up in the TCP tables of its network namespace.
func (p *ProcFS) Listening(ctx context.Context, pid int) ([]netip.AddrPort, error) {
	id := strconv.Itoa(pid)
	fds, err := os.ReadDir(p.proc(id, "fd"))
	if err != nil {
		if isGone(err) {
			return nil, nil
		}
		p.Unreadable++
		return nil, fmt.Errorf("process %d descriptors: %w", pid, err)
	}
	var inodes []uint64
	for _, fd := range fds {
		target, err := p.readlink(p.proc(id, "fd", fd.Name()))
		if err != nil {
			continue
		}
		if kind, ino := procparse.ParseFDLink(target); kind == procparse.FDSocket {
			inodes = append(inodes, ino)
		}
	}
	if len(inodes) == 0 {
		return nil, nil
	}
	table, err := p.table(ctx, pid)
	if err != nil {
		return nil, err
	}
	var out []netip.AddrPort
	for _, ino := range inodes {
		if a, ok := table[ino]; ok {
			out = append(out, a)
		}
	}
	return out, nil
}

// table returns the listening sockets of pid's network namespace: the
// tables under /proc/PID/net read once per namespace, or /proc/net's when
// the namespace cannot be told.
func (p *ProcFS) table(ctx context.Context, pid int) (map[uint64]netip.AddrPort, error) {
	ns, err := p.readlink(p.proc(strconv.Itoa(pid), "ns", "net"))
	dir := p.proc("net")
	if err == nil {
		dir = p.proc(strconv.Itoa(pid), "net")
	} else {
		ns = ""
	}
	if t, ok := p.tables[ns]; ok {
		return t, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	t := map[uint64]netip.AddrPort{}
	for _, f := range []struct {
		name string
		v6   bool
	}{{"tcp", false}, {"tcp6", true}} {
		fh, err := os.Open(filepath.Join(dir, f.name))
		if errors.Is(err, fs.ErrNotExist) && f.v6 {
			continue // a kernel without IPv6
		}
		if err != nil {
			return nil, fmt.Errorf("socket table: %w", err)
		}
		bad, err := ParseListenTable(io.LimitReader(fh, 256<<20), f.v6, t)
		fh.Close()
		p.Malformed += bad
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, f.name), err)
		}
	}
	if p.tables == nil {
		p.tables = map[string]map[uint64]netip.AddrPort{}
	}
	p.tables[ns] = t
	return t, nil
}

// OpenExecutable implements Source: /proc/PID/exe, the file the process
// runs even when its path now names another; with a Readlink of its own
// (a fixture tree) the path exe below Root.
func (p *ProcFS) OpenExecutable(pid int, exe string) (*os.File, error) {
	if p.Readlink == nil {
		return os.Open(p.proc(strconv.Itoa(pid), "exe"))
	}
	f, _, err := fsView{top: p.Root}.open(exe)
	return f, err
}
