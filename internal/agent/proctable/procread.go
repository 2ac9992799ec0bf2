package proctable

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/vigilsec/vigil/internal/agent/proctable/exehash"
	"github.com/vigilsec/vigil/internal/agent/proctable/procparse"
)

// ErrGone is returned by ReadProc for a process that no longer exists.
var ErrGone = errors.New("the process is gone")

// Bounds of the /proc files read.
const (
	maxSmallFile = 64 << 10
	maxNetTable  = 16 << 20
)

// isGone reports whether err says the process no longer exists.
func isGone(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH)
}

// readFile reads at most limit bytes of a /proc file of pid.
func (t *Table) readFile(pid int, name string, limit int) ([]byte, error) {
	f, err := os.Open(t.procPath(pid, name))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, int64(limit)))
}

// readStat reads and parses /proc/PID/stat.
func (t *Table) readStat(pid int) (procparse.Stat, error) {
	b, err := t.readFile(pid, "stat", maxSmallFile)
	if err != nil {
		return procparse.Stat{}, err
	}
	st, err := procparse.ParseStat(b)
	if err != nil {
		t.parseErrors.Add(1)
	}
	return st, err
}

// ReadProc reads process pid from /proc. The process's stat must be
// readable (else ErrGone or the read error); every other field that
// cannot be read is named in Process.Missing. ParentEntityID comes from
// the table, or from the parent's /proc/PID/stat.
func (t *Table) ReadProc(pid int) (*Process, error) {
	p, err := t.readProc(pid)
	if err != nil {
		return nil, err
	}
	if p.PPID > 0 {
		if q, ok := t.Get(p.PPID); ok {
			p.ParentEntityID = q.EntityID
		} else if st, err := t.readStat(p.PPID); err == nil {
			p.ParentEntityID = t.EntityID(p.PPID, st.StartTicks)
		}
	}
	return p, nil
}

// readProc reads process pid without its parent's entity id.
func (t *Table) readProc(pid int) (*Process, error) {
	st, err := t.readStat(pid)
	if err != nil {
		if isGone(err) {
			return nil, fmt.Errorf("read process %d: %w", pid, ErrGone)
		}
		return nil, fmt.Errorf("read process %d: %w", pid, err)
	}
	p := &Process{
		PID: pid, PPID: st.PPID, Name: st.Comm, StartTicks: st.StartTicks,
		EntityID: t.EntityID(pid, st.StartTicks), Start: t.clock.FromTicks(st.StartTicks),
		TTY: procparse.TTYName(st.TTYNr), AUID: NoID, SessionID: NoID,
	}
	if st.IsKernelThread() {
		p.KernelThread = true
		return p, nil
	}
	t.FillFromProc(p)
	return p, nil
}

// FillFromProc reads what /proc tells of process p.PID besides its stat:
// ids, arguments, executable, working directory, login uid, audit
// session, cgroup and stdio. What cannot be read is added to p.Missing.
func (t *Table) FillFromProc(p *Process) {
	pid := p.PID
	missing := func(f string) {
		if !p.IsMissing(f) {
			p.Missing = append(p.Missing, f)
		}
	}
	if b, err := t.readFile(pid, "status", maxSmallFile); err != nil {
		missing(FieldUser)
	} else if s, err := procparse.ParseStatus(b); err != nil {
		t.parseErrors.Add(1)
		missing(FieldUser)
	} else {
		p.UID, p.EUID, p.GID, p.EGID = s.UID[0], s.UID[1], s.GID[0], s.GID[1]
	}
	if b, err := t.readFile(pid, "cmdline", t.cfg.MaxArgsBytes+1); err != nil {
		missing(FieldArgs)
	} else {
		cut := len(b) > t.cfg.MaxArgsBytes
		if cut {
			b = b[:t.cfg.MaxArgsBytes]
		}
		p.Args, _ = procparse.ParseArgs(b, 0)
		p.ArgsTruncated = cut
		if len(b) == 0 { // a zombie, or a process that is exiting
			missing(FieldArgs)
		}
	}
	if exe, err := os.Readlink(t.procPath(pid, "exe")); err != nil {
		missing(FieldExecutable)
	} else {
		p.Executable = exe
		if fi, err := os.Stat(t.procPath(pid, "exe")); err == nil {
			p.Exe, _ = exehash.KeyOf(fi)
		}
	}
	if cwd, err := os.Readlink(t.procPath(pid, "cwd")); err != nil {
		missing(FieldCwd)
	} else {
		p.WorkingDir = cwd
	}
	p.AUID, p.SessionID = NoID, NoID
	if b, err := t.readFile(pid, "loginuid", 64); err == nil {
		p.AUID, _ = procparse.ParseID(b)
	} else if isGone(err) {
		missing(FieldLoginUser)
	}
	if b, err := t.readFile(pid, "sessionid", 64); err == nil {
		p.SessionID, _ = procparse.ParseID(b)
	}
	if b, err := t.readFile(pid, "cgroup", maxSmallFile); err != nil {
		missing(FieldCgroup)
	} else {
		c, _, err := procparse.ContainerFromCgroup(b)
		if err != nil {
			t.parseErrors.Add(1)
		}
		p.Container = c
	}
	stdio, ok := t.readStdio(pid)
	if !ok {
		missing(FieldStdio)
	}
	p.Stdio = stdio
	if p.IsMissing(FieldExecutable) && p.IsMissing(FieldArgs) {
		// A zombie: its files and directory are gone with its image.
		missing(FieldCwd)
		missing(FieldStdio)
	}
}

// readStdio reads fds 0-2 of pid and resolves the sockets among them; ok
// is false when the fds could not be read.
func (t *Table) readStdio(pid int) ([]Stdio, bool) {
	var out []Stdio
	tables := netTables{t: t, pid: pid}
	for fd := range 3 {
		target, err := os.Readlink(t.procPath(pid, filepath.Join("fd", strconv.Itoa(fd))))
		if err != nil {
			if isGone(err) && fd == 0 {
				if _, serr := os.Stat(t.procPath(pid, "fd")); serr != nil {
					return nil, false
				}
			}
			continue // a closed fd
		}
		kind, ino := procparse.ParseFDLink(target)
		switch kind {
		case procparse.FDPipe:
			out = append(out, Stdio{FD: fd, Type: "pipe", Inode: ino})
		case procparse.FDSocket:
			s := Stdio{FD: fd, Type: "socket", Inode: ino}
			tables.resolve(&s)
			out = append(out, s)
		}
	}
	return out, true
}

// netTables reads the socket tables of one process's network namespace,
// each at most once.
type netTables struct {
	t    *Table
	pid  int
	read [5][]byte
	done [5]bool
}

var netTableNames = [5]struct {
	file, transport string
	v6, unix        bool
}{
	{"tcp", "tcp", false, false}, {"tcp6", "tcp", true, false},
	{"udp", "udp", false, false}, {"udp6", "udp", true, false},
	{"unix", "unix", false, true},
}

// resolve fills the transport and endpoints of socket s.
func (n *netTables) resolve(s *Stdio) {
	for i, tab := range netTableNames {
		if !n.done[i] {
			n.done[i] = true
			b, err := n.t.readFile(n.pid, filepath.Join("net", tab.file), maxNetTable)
			if err == nil {
				n.read[i] = b
			}
		}
		if n.read[i] == nil {
			continue
		}
		if tab.unix {
			u, ok, err := procparse.FindUnixSocket(n.read[i], s.Inode)
			if err != nil {
				n.t.parseErrors.Add(1)
			}
			if ok {
				s.Transport, s.Local = "unix", u.Path
				return
			}
			continue
		}
		in, ok, err := procparse.FindInetSocket(n.read[i], tab.v6, s.Inode)
		if err != nil {
			n.t.parseErrors.Add(1)
		}
		if ok {
			s.Transport, s.Local, s.Remote = tab.transport, in.Local.String(), in.Remote.String()
			if !in.Remote.Addr().IsUnspecified() || in.Remote.Port() != 0 {
				return
			}
			s.Remote = ""
			return
		}
	}
}

// Seed reads every process in /proc into the table. Processes the table
// already knows with the same entity id keep what the table has (a
// sensor's record is better than a later read of /proc). It returns the
// number of processes read.
func (t *Table) Seed() (int, error) {
	dir := filepath.Join(t.cfg.Root, "proc")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("seed the process table: %w", err)
	}
	read := make(map[int]*Process, len(ents))
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 {
			continue
		}
		p, err := t.readProc(pid)
		if err != nil {
			continue // gone meanwhile, or unreadable
		}
		read[pid] = p
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, p := range read {
		if q, ok := read[p.PPID]; ok {
			p.ParentEntityID = q.EntityID
		} else if q, ok := t.live[p.PPID]; ok {
			p.ParentEntityID = q.EntityID
		}
	}
	for pid, p := range read {
		if cur, ok := t.live[pid]; ok && cur.EntityID == p.EntityID {
			continue
		}
		t.putLocked(p)
	}
	t.seeded = len(read)
	return len(read), nil
}
