package eval

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigilsec/vigil/internal/compliance/eval/accounts"
	"github.com/vigilsec/vigil/internal/compliance/eval/hostfs"
	"github.com/vigilsec/vigil/internal/compliance/eval/pkgdb"
	"github.com/vigilsec/vigil/internal/compliance/eval/procfs"
	"github.com/vigilsec/vigil/internal/compliance/policy"
)

// host is one evaluation's view of the host: the file system and
// every table parsed from it, each read once.
type host struct {
	ctx    context.Context
	fs     *hostfs.FS
	runner Runner
	now    time.Time
	log    *slog.Logger
	memo   map[string]memoResult
	mu     sync.Mutex
}

type memoResult struct {
	v   any
	err error
}

func newHost(ctx context.Context, env Env) *host {
	h := &host{ctx: ctx, fs: hostfs.New(env.Root), runner: env.Runner, log: env.Logger, memo: map[string]memoResult{}}
	if env.Now != nil {
		h.now = env.Now()
	} else {
		h.now = time.Now()
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	return h
}

// cached returns what fn returns for key, calling it once per run.
func cached[T any](h *host, key string, fn func() (T, error)) (T, error) {
	h.mu.Lock()
	if r, ok := h.memo[key]; ok {
		h.mu.Unlock()
		v, _ := r.v.(T)
		return v, r.err
	}
	h.mu.Unlock()
	v, err := fn()
	h.mu.Lock()
	h.memo[key] = memoResult{v, err}
	h.mu.Unlock()
	return v, err
}

// regex compiles an expression once per run.
func (h *host) regex(expr string) (*regexp.Regexp, error) {
	return cached(h, "re\x00"+expr, func() (*regexp.Regexp, error) {
		re, err := regexp.Compile(expr)
		if err != nil {
			return nil, fmt.Errorf("regular expression %q: %w", expr, err)
		}
		return re, nil
	})
}

// isNotExist reports a path that is not there (also through a file
// where a folder was expected).
func isNotExist(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || strings.Contains(fmt.Sprint(err), "not a directory")
}

// readOptional reads a file that may be missing: (nil, nil) then.
func (h *host) readOptional(p string) ([]byte, error) {
	data, err := h.fs.ReadFile(p)
	if err != nil && isNotExist(err) {
		return nil, nil
	}
	return data, err
}

// accounts returns the accounts of /etc/passwd with /etc/shadow applied
// when readable; shadowErr says why not.
type accountTable struct {
	list      []accounts.Account
	shadowErr error
}

func (h *host) accounts() (*accountTable, error) {
	return cached(h, "accounts", func() (*accountTable, error) {
		data, err := h.fs.ReadFile("/etc/passwd")
		if err != nil {
			return nil, fmt.Errorf("read /etc/passwd: %w", err)
		}
		list, err := accounts.ParsePasswd(data)
		if err != nil {
			return nil, fmt.Errorf("/etc/passwd: %w", err)
		}
		t := &accountTable{list: list}
		shadow, err := h.fs.ReadFile("/etc/shadow")
		switch {
		case err != nil:
			t.shadowErr = fmt.Errorf("read /etc/shadow: %w", err)
		default:
			if err := accounts.ApplyShadow(t.list, shadow); err != nil {
				t.shadowErr = fmt.Errorf("/etc/shadow: %w", err)
			}
		}
		return t, nil
	})
}

func (h *host) groups() ([]accounts.Group, error) {
	return cached(h, "groups", func() ([]accounts.Group, error) {
		data, err := h.fs.ReadFile("/etc/group")
		if err != nil {
			return nil, fmt.Errorf("read /etc/group: %w", err)
		}
		g, err := accounts.ParseGroup(data)
		if err != nil {
			return nil, fmt.Errorf("/etc/group: %w", err)
		}
		return g, nil
	})
}

// userName names a uid by the host's /etc/passwd (the number when unknown).
func (h *host) userName(uid int) string {
	if t, err := h.accounts(); err == nil {
		for _, a := range t.list {
			if a.UID == uid {
				return a.Name
			}
		}
	}
	return strconv.Itoa(uid)
}

// groupName names a gid by the host's /etc/group.
func (h *host) groupName(gid int) string {
	if gs, err := h.groups(); err == nil {
		for _, g := range gs {
			if g.GID == gid {
				return g.Name
			}
		}
	}
	return strconv.Itoa(gid)
}

// uidMin is UID_MIN of /etc/login.defs (1000 when not set).
func (h *host) uidMin() int {
	v, _ := cached(h, "uid_min", func() (int, error) {
		data, _ := h.readOptional("/etc/login.defs")
		for _, line := range strings.Split(string(data), "\n") {
			f := strings.Fields(line)
			if len(f) >= 2 && f[0] == "UID_MIN" {
				if n, err := strconv.Atoi(f[1]); err == nil {
					return n, nil
				}
			}
		}
		return 1000, nil
	})
	return v
}

// packages returns the host's package database: dpkg, apk, or rpm
// (queried through `rpm -q` for the names asked).
func (h *host) packages(names []string) (*pkgdb.DB, error) {
	kind, err := cached(h, "pkgkind", func() (string, error) {
		switch {
		case h.fs.Exists("/var/lib/dpkg/status"):
			return "dpkg", nil
		case h.fs.Exists("/lib/apk/db/installed"):
			return "apk", nil
		case h.fs.Exists("/var/lib/rpm") || h.fs.Exists("/usr/lib/sysimage/rpm"):
			return "rpm", nil
		}
		return "", errors.New("no package database (dpkg, apk or rpm) on the host")
	})
	if err != nil {
		return nil, err
	}
	switch kind {
	case "dpkg":
		return cached(h, "dpkg", func() (*pkgdb.DB, error) {
			data, err := h.fs.ReadFile("/var/lib/dpkg/status")
			if err != nil {
				return nil, fmt.Errorf("read dpkg status: %w", err)
			}
			return pkgdb.ParseDpkgStatus(data)
		})
	case "apk":
		return cached(h, "apk", func() (*pkgdb.DB, error) {
			data, err := h.fs.ReadFile("/lib/apk/db/installed")
			if err != nil {
				return nil, fmt.Errorf("read apk database: %w", err)
			}
			return pkgdb.ParseAPKInstalled(data)
		})
	}
	argv := append([]string{"rpm", "-q", "--qf", `%{NAME} %{EPOCHNUM}:%{VERSION}-%{RELEASE} %{ARCH}\n`}, names...)
	out, err := h.run(argv)
	if err != nil {
		return nil, fmt.Errorf("query the rpm database: %w", err)
	}
	return pkgdb.ParseRPMQuery(out.Stdout), nil
}

// run runs an allowed command once per run.
func (h *host) run(argv []string) (Output, error) {
	if err := policy.CheckCommand(argv); err != nil {
		return Output{}, err
	}
	if h.runner == nil {
		return Output{}, errors.New("commands are not run in this evaluation (no runner)")
	}
	return cached(h, "cmd\x00"+strings.Join(argv, "\x00"), func() (Output, error) {
		return h.runner.Run(h.ctx, argv)
	})
}

func (h *host) mounts() ([]procfs.Mount, error) {
	return cached(h, "mountinfo", func() ([]procfs.Mount, error) {
		data, err := h.fs.ReadFile("/proc/self/mountinfo")
		if err != nil {
			return nil, fmt.Errorf("read mountinfo: %w", err)
		}
		return procfs.ParseMountinfo(data)
	})
}

func (h *host) fstab() ([]procfs.FstabEntry, error) {
	return cached(h, "fstab", func() ([]procfs.FstabEntry, error) {
		data, err := h.readOptional("/etc/fstab")
		if err != nil {
			return nil, fmt.Errorf("read /etc/fstab: %w", err)
		}
		return procfs.ParseFstab(data)
	})
}

func (h *host) loadedModules() (map[string]bool, error) {
	return cached(h, "modules", func() (map[string]bool, error) {
		data, err := h.fs.ReadFile("/proc/modules")
		if err != nil {
			if isNotExist(err) {
				// A kernel without loadable modules has no /proc/modules.
				return map[string]bool{}, nil
			}
			return nil, fmt.Errorf("read /proc/modules: %w", err)
		}
		return procfs.ParseModules(data), nil
	})
}

func (h *host) sockets() ([]procfs.Socket, error) {
	return cached(h, "sockets", func() ([]procfs.Socket, error) {
		var all []procfs.Socket
		for _, proto := range []string{"tcp", "tcp6", "udp", "udp6"} {
			data, err := h.readOptional("/proc/net/" + proto)
			if err != nil {
				return nil, fmt.Errorf("read /proc/net/%s: %w", proto, err)
			}
			s, err := procfs.ParseNet(proto, data)
			if err != nil {
				return nil, err
			}
			all = append(all, s...)
		}
		return all, nil
	})
}

// process is a running process's id and command name.
type process struct {
	pid  int
	comm string
}

func (h *host) processes() ([]process, error) {
	return cached(h, "processes", func() ([]process, error) {
		entries, err := h.fs.ReadDir("/proc")
		if err != nil {
			return nil, fmt.Errorf("list processes: %w", err)
		}
		var out []process
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			comm, err := h.fs.ReadFile("/proc/" + e.Name() + "/comm")
			if err != nil {
				continue // it ended meanwhile
			}
			out = append(out, process{pid: pid, comm: strings.TrimSpace(string(comm))})
		}
		return out, nil
	})
}

// commName is a command name as the kernel keeps it (15 bytes).
func commName(name string) string {
	name = path.Base(name)
	if len(name) > 15 {
		return name[:15]
	}
	return name
}

// runningNamed returns the pids of processes whose command name is name.
func (h *host) runningNamed(name string) ([]int, error) {
	ps, err := h.processes()
	if err != nil {
		return nil, err
	}
	want := commName(name)
	// The kernel cuts command names at 15 bytes: a longer name's cut
	// form is shared ("systemd-journal" is journald's and
	// journal-remote's), so the program's own name is read from its
	// command line.
	long := path.Base(name) != want
	var pids []int
	for _, p := range ps {
		if p.comm != want {
			continue
		}
		if long {
			args, err := h.fs.ReadFile("/proc/" + strconv.Itoa(p.pid) + "/cmdline")
			argv0, _, _ := strings.Cut(string(args), "\x00")
			// A process that set its title ("sshd: admin") keeps its
			// name before the first blank or colon.
			if i := strings.IndexAny(argv0, " :"); i >= 0 {
				argv0 = argv0[:i]
			}
			if err != nil || argv0 == "" || path.Base(argv0) != path.Base(name) {
				continue
			}
		}
		pids = append(pids, p.pid)
	}
	return pids, nil
}

// socketOwners maps socket inodes to the command names holding them,
// from /proc/*/fd; only for evidence, so failures leave names out.
func (h *host) socketOwners() map[uint64]string {
	m, _ := cached(h, "socketowners", func() (map[uint64]string, error) {
		out := map[uint64]string{}
		ps, err := h.processes()
		if err != nil {
			return out, nil
		}
		for _, p := range ps {
			dir := "/proc/" + strconv.Itoa(p.pid) + "/fd"
			fds, err := h.fs.ReadDir(dir)
			if err != nil {
				continue
			}
			for _, fd := range fds {
				t, err := h.fs.Readlink(dir + "/" + fd.Name())
				if err != nil || !strings.HasPrefix(t, "socket:[") {
					continue
				}
				if ino, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(t, "socket:["), "]"), 10, 64); err == nil {
					if _, ok := out[ino]; !ok {
						out[ino] = p.comm
					}
				}
			}
		}
		return out, nil
	})
	return m
}

// osRelease returns the fields of /etc/os-release (or /usr/lib/os-release).
func (h *host) osRelease() (map[string]string, error) {
	return cached(h, "osrelease", func() (map[string]string, error) {
		data, err := h.fs.ReadFile("/etc/os-release")
		if err != nil && isNotExist(err) {
			data, err = h.fs.ReadFile("/usr/lib/os-release")
		}
		if err != nil {
			return nil, fmt.Errorf("read os-release: %w", err)
		}
		m := map[string]string{}
		for _, line := range strings.Split(string(data), "\n") {
			k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
			if !ok || strings.HasPrefix(k, "#") {
				continue
			}
			m[k] = strings.Trim(v, `"'`)
		}
		return m, nil
	})
}

// hashPattern finds crypt hashes in evidence.
var hashPattern = regexp.MustCompile(`\$(?:y|gy|7|6|5|3|1|2[aby]?|sha1|md5(?:,[^$\s:]*)?)\$[^\s:,]*`)

// shadowLine matches a line shaped like a shadow file's ("name:field:"
// followed by day counts), whatever the file is called: the hash field
// of DES and BSDi hashes has no "$" to recognise.
var shadowLine = regexp.MustCompile(`^[^:\s]+:[^:\s]*:[0-9]*:[0-9]*:[0-9]*:`)

// shadowFiles are the files whose second field is a password hash.
var shadowFiles = []string{"shadow", "shadow-", "gshadow", "gshadow-", "opasswd"}

// redact removes password hashes from an evidence line.
func redact(s string) string {
	return hashPattern.ReplaceAllString(s, "[hash removed]")
}

// redactLine removes the hash field of a line of a shadow-like file.
func redactLine(file, line string) string {
	if slices.Contains(shadowFiles, path.Base(file)) || shadowLine.MatchString(line) {
		if f := strings.SplitN(line, ":", 3); len(f) == 3 {
			state, _ := accounts.State(f[1])
			return f[0] + ":[password " + state + "]:" + f[2]
		}
		return "[line of " + path.Base(file) + " not shown]"
	}
	return redact(line)
}
