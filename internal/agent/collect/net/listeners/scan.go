package listeners

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/vigilsec/vigil/internal/agent/proctable/procparse"
)

// Listener is one address a process listens on: the sockets of one
// transport bound to one address and port (several when SO_REUSEPORT
// spreads them over processes), with the processes holding them.
type Listener struct {
	// Transport is TCP or UDP.
	Transport string
	Addr      netip.AddrPort
	// UID is the user that created the socket (the lowest of several).
	UID uint32
	// PIDs are the processes holding one of the sockets, sorted; empty
	// when none could be found (a socket of the kernel, or of a process
	// whose descriptors cannot be read).
	PIDs []int
}

// Key returns the listener's inventory key: "tcp/0.0.0.0:22",
// "udp/[::]:53".
func (l *Listener) Key() string { return l.Transport + "/" + l.Addr.String() }

// Snapshot is the listening sockets of the host's network namespace (the
// one the agent runs in) and the processes holding them.
type Snapshot struct {
	// Listeners are sorted by key.
	Listeners []Listener
	// UnreadableProcesses counts the processes whose descriptors could
	// not be read (the kernel refused; not those that exited meanwhile).
	UnreadableProcesses int
	// MalformedLines counts the lines of the socket tables skipped.
	MalformedLines int
	// byPID maps a pid to the indices of the listeners it holds.
	byPID map[int][]int
}

// Ports returns the keys of the listeners process pid holds, sorted.
func (s *Snapshot) Ports(pid int) []string {
	idx := s.byPID[pid]
	out := make([]string, 0, len(idx))
	for _, i := range idx {
		out = append(out, s.Listeners[i].Key())
	}
	return out
}

// tables are the socket tables of /proc/net.
var tables = []struct {
	file, transport string
	ipv6            bool
}{
	{"tcp", TCP, false}, {"tcp6", TCP, true}, {"udp", UDP, false}, {"udp6", UDP, true},
}

// Scan reads the listening sockets from <root>/proc/net and finds the
// processes holding them through the links of <root>/proc/PID/fd. An
// error means the set cannot be trusted: a socket table could not be
// read (a missing IPv6 table is no error: the kernel has no IPv6).
func Scan(ctx context.Context, root string) (*Snapshot, error) {
	if root == "" {
		root = "/"
	}
	proc := filepath.Join(root, "proc")
	snap := &Snapshot{byPID: map[int][]int{}}
	byKey := map[string]int{}
	byInode := map[uint64]int{}
	found := 0
	for _, t := range tables {
		f, err := os.Open(filepath.Join(proc, "net", t.file))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("listeners: %w", err)
		}
		found++
		probs, err := scanNetTable(f, t.transport, t.ipv6, func(s Socket) {
			if !s.Listening() {
				return
			}
			key := s.Transport + "/" + s.Local.String()
			i, ok := byKey[key]
			if !ok {
				i = len(snap.Listeners)
				byKey[key] = i
				snap.Listeners = append(snap.Listeners, Listener{Transport: s.Transport, Addr: s.Local, UID: s.UID})
			}
			l := &snap.Listeners[i]
			l.UID = min(l.UID, s.UID)
			if s.Inode != 0 {
				byInode[s.Inode] = i
			}
		})
		_ = f.Close()
		snap.MalformedLines += probs.Skipped
		if err != nil {
			return nil, fmt.Errorf("listeners: /proc/net/%s: %w", t.file, err)
		}
	}
	if found == 0 {
		return nil, fmt.Errorf("listeners: no socket table in %s", filepath.Join(proc, "net"))
	}
	if err := snap.findHolders(ctx, proc, byInode); err != nil {
		return nil, err
	}
	// Sort, and renumber the index by pid.
	order := make([]int, len(snap.Listeners))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		return cmp.Compare(snap.Listeners[a].Key(), snap.Listeners[b].Key())
	})
	newIndex := make([]int, len(order))
	sorted := make([]Listener, len(order))
	for n, i := range order {
		sorted[n] = snap.Listeners[i]
		newIndex[i] = n
	}
	snap.Listeners = sorted
	for pid, idx := range snap.byPID {
		for k, i := range idx {
			idx[k] = newIndex[i]
		}
		slices.Sort(idx)
		snap.byPID[pid] = slices.Compact(idx)
	}
	for i := range snap.Listeners {
		l := &snap.Listeners[i]
		slices.Sort(l.PIDs)
		l.PIDs = slices.Compact(l.PIDs)
	}
	return snap, nil
}

// findHolders reads the descriptors of every process and records those
// that hold a listening socket.
func (s *Snapshot) findHolders(ctx context.Context, proc string, byInode map[uint64]int) error {
	if len(byInode) == 0 {
		return nil
	}
	pids, err := ListPIDs(proc)
	if err != nil {
		return fmt.Errorf("listeners: %w", err)
	}
	for _, pid := range pids {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("listeners: %w", err)
		}
		fdDir := filepath.Join(proc, strconv.Itoa(pid), "fd")
		d, err := os.Open(fdDir)
		if err != nil {
			if !gone(err) {
				s.UnreadableProcesses++
			}
			continue
		}
		fds, err := d.Readdirnames(-1)
		_ = d.Close()
		if err != nil && !gone(err) {
			s.UnreadableProcesses++
			continue
		}
		denied := false
		for _, fd := range fds {
			target, err := os.Readlink(filepath.Join(fdDir, fd))
			if err != nil {
				denied = denied || !gone(err)
				continue
			}
			kind, ino := procparse.ParseFDLink(target)
			if kind != procparse.FDSocket {
				continue
			}
			if i, ok := byInode[ino]; ok {
				s.Listeners[i].PIDs = append(s.Listeners[i].PIDs, pid)
				s.byPID[pid] = append(s.byPID[pid], i)
			}
		}
		if denied {
			s.UnreadableProcesses++
		}
	}
	return nil
}

// ListPIDs returns the pids of the processes in proc (a /proc directory),
// sorted.
func ListPIDs(proc string) ([]int, error) {
	d, err := os.Open(proc)
	if err != nil {
		return nil, err
	}
	names, err := d.Readdirnames(-1)
	_ = d.Close()
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", proc, err)
	}
	pids := make([]int, 0, len(names))
	for _, n := range names {
		if pid, err := strconv.Atoi(n); err == nil && pid > 0 {
			pids = append(pids, pid)
		}
	}
	slices.Sort(pids)
	return pids, nil
}

// gone reports whether err says that the process exited.
func gone(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH)
}

// deletedSuffix is what the kernel appends to the link of a file that
// was removed or replaced since it was opened.
const deletedSuffix = " (deleted)"

// Executable splits the target of a /proc/PID/exe link into the path
// and whether the file was deleted (or replaced, as a package upgrade
// does) since the process started it. A process running from a memfd
// gives "/memfd:NAME" and deleted.
func Executable(link string) (path string, deleted bool) {
	if p, ok := strings.CutSuffix(link, deletedSuffix); ok {
		return p, true
	}
	return link, false
}
