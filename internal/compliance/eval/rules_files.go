package eval

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/vigilsec/vigil/internal/compliance/eval/conf"
	"github.com/vigilsec/vigil/internal/compliance/policy"
)

// paths returns the host paths a rule's path (maybe a glob) names.
func (h *host) paths(p string) ([]string, error) {
	if !strings.ContainsAny(p, "*?[") {
		if _, err := h.fs.Lstat(p); err != nil {
			if isNotExist(err) {
				return nil, nil
			}
			return nil, err
		}
		return []string{p}, nil
	}
	return h.fs.Glob(p)
}

// fileMode is the permission bits with setuid, setgid and sticky.
func fileMode(info fs.FileInfo) uint32 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return st.Mode & 0o7777
	}
	m := uint32(info.Mode().Perm())
	if info.Mode()&fs.ModeSetuid != 0 {
		m |= 0o4000
	}
	if info.Mode()&fs.ModeSetgid != 0 {
		m |= 0o2000
	}
	if info.Mode()&fs.ModeSticky != 0 {
		m |= 0o1000
	}
	return m
}

func fileOwner(info fs.FileInfo) (uid, gid int) {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid), int(st.Gid)
	}
	return -1, -1
}

func fileType(info fs.FileInfo) string {
	switch {
	case info.Mode()&fs.ModeSymlink != 0:
		return "link"
	case info.IsDir():
		return "dir"
	case info.Mode().IsRegular():
		return "file"
	}
	return "special"
}

func parseMode(s string) uint32 {
	m, _ := strconv.ParseUint(s, 8, 32)
	return uint32(m)
}

// nameMatches reports whether the owner (uid and its name) is one of names.
func nameMatches(names policy.Names, id int, name string) bool {
	for _, n := range names {
		if n == name || n == strconv.Itoa(id) {
			return true
		}
	}
	return false
}

func (h *host) file(r *policy.FileRule) outcome {
	paths, err := h.paths(r.Path)
	if err != nil {
		return failed(err)
	}
	exists := policy.BoolOr(r.Exists, true)
	if len(paths) == 0 {
		return holds(!exists, r.Path+": does not exist")
	}
	if !exists {
		ev := make([]string, len(paths))
		for i, p := range paths {
			ev[i] = p + ": exists"
		}
		return holds(false, ev...)
	}
	ok := true
	var ev []string
	for _, p := range paths {
		var info fs.FileInfo
		if r.Type == "link" {
			info, err = h.fs.Lstat(p)
		} else {
			info, err = h.fs.Stat(p)
		}
		if err != nil {
			if isNotExist(err) {
				ok = false
				ev = append(ev, p+": does not exist (a dangling link)")
				continue
			}
			return failed(err, ev...)
		}
		uid, gid := fileOwner(info)
		owner, group, mode, typ := h.userName(uid), h.groupName(gid), fileMode(info), fileType(info)
		var why []string
		if r.Type != "" && r.Type != typ {
			why = append(why, "want type "+r.Type)
		}
		if len(r.Owner) > 0 && !nameMatches(r.Owner, uid, owner) {
			why = append(why, "want owner "+strings.Join(r.Owner, " or "))
		}
		if len(r.Group) > 0 && !nameMatches(r.Group, gid, group) {
			why = append(why, "want group "+strings.Join(r.Group, " or "))
		}
		if r.ModeMax != "" && mode&^parseMode(r.ModeMax) != 0 {
			why = append(why, fmt.Sprintf("want mode %s or less", r.ModeMax))
		}
		if r.ModeExact != "" && mode != parseMode(r.ModeExact) {
			why = append(why, "want mode "+r.ModeExact)
		}
		line := fmt.Sprintf("%s: %s %s:%s %04o", p, typ, owner, group, mode)
		if len(why) > 0 {
			ok = false
			line += " (" + strings.Join(why, ", ") + ")"
		}
		ev = append(ev, line)
	}
	return holds(ok, ev...)
}

// fileLines is one file's lines, split once per run.
type fileLines struct {
	lines []string
}

func (h *host) lines(p string) (*fileLines, error) {
	return cached(h, "lines\x00"+p, func() (*fileLines, error) {
		data, err := h.fs.ReadFile(p)
		if err != nil {
			return nil, err
		}
		data = bytes.TrimSuffix(data, []byte("\n"))
		fl := &fileLines{}
		if len(data) > 0 {
			fl.lines = strings.Split(string(data), "\n")
		}
		for i, l := range fl.lines {
			fl.lines[i] = strings.TrimSuffix(l, "\r")
		}
		return fl, nil
	})
}

// source is one set of lines to match: a file or a command's output.
type source struct {
	name  string
	lines []string
}

// matchLines applies a content or command rule's regexes, excludes,
// expect and compare to sources: a line matches when it matches every
// regex and no exclude. skipComments leaves out lines starting with #.
func (h *host) matchLines(srcs []source, exprs, excludes policy.Patterns, expect string, cmp *policy.Compare, skipComments bool, what string) outcome {
	var res, exs []*regexp.Regexp
	for _, e := range exprs {
		re, err := h.regex(e)
		if err != nil {
			return failed(err)
		}
		res = append(res, re)
	}
	for _, e := range excludes {
		re, err := h.regex(e)
		if err != nil {
			return failed(err)
		}
		exs = append(exs, re)
	}
	if len(res) == 0 {
		return failed(errors.New("no regex"))
	}
	expr := strings.Join(exprs, " and ")
	type hit struct {
		src  string
		n    int
		line string
		sub  []string
	}
	var hits []hit
	for _, s := range srcs {
	lines:
		for i, l := range s.lines {
			if skipComments && strings.HasPrefix(strings.TrimLeft(l, " \t"), "#") {
				continue
			}
			m := res[0].FindStringSubmatch(l)
			if m == nil {
				continue
			}
			for _, re := range res[1:] {
				if !re.MatchString(l) {
					continue lines
				}
			}
			for _, re := range exs {
				if re.MatchString(l) {
					continue lines
				}
			}
			hits = append(hits, hit{s.name, i + 1, l, m})
		}
	}
	show := func(x hit) string { return fmt.Sprintf("%s:%d: %s", x.src, x.n, redactLine(x.src, x.line)) }
	if cmp != nil {
		if len(hits) == 0 {
			return holds(false, "no line of "+what+" matches "+expr)
		}
		w, _ := cmpOptions{}.num(cmp.Value)
		for _, x := range hits {
			v := ""
			if len(x.sub) > 1 {
				v = x.sub[1]
			}
			a, ok := cmpOptions{}.num(v)
			if !ok || !compareNumbers(a, cmp.Op, w) {
				return holds(false, show(x)+fmt.Sprintf(" (want %s %s)", opSymbol(cmp.Op), cmp.Value))
			}
		}
		ev := []string{show(hits[0])}
		if len(hits) > 1 {
			ev = append(ev, fmt.Sprintf("and %d more matching lines compare", len(hits)-1))
		}
		return holds(true, ev...)
	}
	if expect == policy.ExpectNoMatch {
		if len(hits) > 0 {
			return holds(false, show(hits[0]))
		}
		return holds(true, "no line of "+what+" matches "+expr)
	}
	if len(hits) == 0 {
		return holds(false, "no line of "+what+" matches "+expr)
	}
	return holds(true, show(hits[0]))
}

func (h *host) content(r *policy.ContentRule) outcome {
	paths, err := h.paths(r.Path)
	if err != nil {
		return failed(err)
	}
	var srcs []source
	for _, p := range paths {
		fl, err := h.lines(p)
		if err != nil {
			if isNotExist(err) || errors.Is(err, syscall.EISDIR) {
				continue
			}
			return failed(err)
		}
		srcs = append(srcs, source{p, fl.lines})
	}
	what := r.Path
	if len(srcs) == 0 {
		what = r.Path + " (no such file)"
	}
	return h.matchLines(srcs, r.Regex, r.Exclude, r.Expect, r.Compare, !r.Comments, what)
}

// sshdCanon maps sshd's synonyms to one word.
func sshdCanon(s string) string {
	if strings.EqualFold(s, "without-password") {
		return "prohibit-password"
	}
	return s
}

func (h *host) config(r *policy.ConfigRule) outcome {
	paths, err := h.paths(r.Path)
	if err != nil {
		return failed(err)
	}
	switch r.Format {
	case policy.FormatSSHD:
		return h.eachFile(r, paths, h.sshdFile)
	case policy.FormatPAM:
		return h.eachFile(r, paths, h.pamFile)
	case policy.FormatSysctl:
		s := conf.NewSysctl()
		var files []string
		for _, p := range paths {
			if info, err := h.fs.Stat(p); err == nil && info.IsDir() {
				m, _ := h.fs.Glob(path.Join(p, "*.conf"))
				files = append(files, m...)
				continue
			}
			files = append(files, p)
		}
		for _, f := range conf.SysctlOrder(files) {
			data, err := h.readOptional(f)
			if err != nil {
				return failed(err)
			}
			s.Add(f, data)
		}
		e, ok := s.Get(r.Key)
		return h.setting(r, e, ok, "", cmpOptions{}, r.Path)
	}
	// keyvalue and ini: files in name order, the last value wins.
	var e conf.Entry
	found := false
	for _, p := range paths {
		data, err := h.readOptional(p)
		if err != nil {
			return failed(err)
		}
		var x conf.Entry
		var ok bool
		if r.Format == policy.FormatINI {
			x, ok = cached2(h, "ini\x00"+p, func() *conf.INI { return conf.ParseINI(p, data) }).Get(r.Key)
		} else {
			x, ok = cached2(h, "kv\x00"+r.Separator+"\x00"+p, func() *conf.KeyValue { return conf.ParseKeyValue(p, data, r.Separator) }).Get(r.Key)
		}
		if ok {
			e, found = x, true
		}
	}
	return h.setting(r, e, found, "", cmpOptions{}, r.Path)
}

// cached2 caches a value whose making cannot fail.
func cached2[T any](h *host, key string, fn func() T) T {
	v, _ := cached(h, key, func() (T, error) { return fn(), nil })
	return v
}

// eachFile evaluates a per-file format on every path: all must hold; no
// file at all is evaluated as an empty configuration.
func (h *host) eachFile(r *policy.ConfigRule, paths []string, fn func(*policy.ConfigRule, string) outcome) outcome {
	if len(paths) == 0 {
		return fn(r, "")
	}
	var ev []string
	for _, p := range paths {
		o := fn(r, p)
		ev = append(ev, o.evidence...)
		if o.err != nil || !o.holds {
			o.evidence = ev
			return o
		}
	}
	return holds(true, ev...)
}

func (h *host) sshdFile(r *policy.ConfigRule, p string) outcome {
	cfg := &conf.SSHD{Settings: map[string]conf.Entry{}}
	if p != "" {
		var err error
		cfg, err = cached(h, "sshd\x00"+p, func() (*conf.SSHD, error) { return conf.ParseSSHD(h.fs, p) })
		if err != nil {
			if !isNotExist(err) {
				return failed(err)
			}
			cfg = &conf.SSHD{Settings: map[string]conf.Entry{}}
		}
	}
	e, ok := cfg.Get(r.Key)
	def, _ := conf.SSHDDefault(r.Key)
	return h.setting(r, e, ok, def, cmpOptions{fold: true, number: conf.SSHDNumber, canon: sshdCanon}, r.Path)
}

// setting compares one key's entry (ok: a file sets it) with the
// rule; def is the program's default for a key not set ("" for none).
func (h *host) setting(r *policy.ConfigRule, e conf.Entry, ok bool, def string, o cmpOptions, where string) outcome {
	if !ok {
		switch {
		case r.Op == policy.OpAbsent:
			return holds(true, fmt.Sprintf("%s: %s not set", where, r.Key))
		case r.Op == policy.OpPresent:
			return holds(false, fmt.Sprintf("%s: %s not set", where, r.Key))
		case def != "":
			ok, why := h.compare(def, r.Op, r.Value, o)
			ev := fmt.Sprintf("%s: %s not set (default %s)", where, r.Key, def)
			if !ok {
				ev += " (" + why + ")"
			}
			return holds(ok, ev)
		}
		return holds(unset(r.Op), fmt.Sprintf("%s: %s not set", where, r.Key))
	}
	held, why := h.compare(e.Value, r.Op, r.Value, o)
	ev := fmt.Sprintf("%s:%d: %s %s", e.File, e.Line, e.Key, e.Value)
	if !held {
		ev += " (" + why + ")"
	}
	return holds(held, ev)
}

func (h *host) pamFile(r *policy.ConfigRule, p string) outcome {
	stack := &conf.PAM{}
	if p != "" {
		var err error
		stack, err = cached(h, "pam\x00"+p, func() (*conf.PAM, error) { return conf.ParsePAM(h.fs, p) })
		if err != nil {
			if !isNotExist(err) {
				return failed(err)
			}
			stack = &conf.PAM{}
		}
	}
	where := p
	if where == "" {
		where = r.Path
	}
	sel := stack.Select(r.Type, r.Module)
	show := func(l conf.PAMLine) string { return fmt.Sprintf("%s:%d: %s", l.File, l.Line, l.String()) }
	if r.Arg == "" {
		want := policy.BoolOr(r.Present, true)
		if len(sel) == 0 {
			return holds(!want, fmt.Sprintf("%s: no %s line with %s", where, r.Type, r.Module))
		}
		return holds(want, show(sel[0]))
	}
	if len(sel) == 0 {
		return holds(r.Op == policy.OpAbsent, fmt.Sprintf("%s: no %s line with %s", where, r.Type, r.Module))
	}
	var ev []string
	for _, l := range sel {
		v, has := l.Arg(r.Arg)
		var ok bool
		why := ""
		switch {
		case r.Op == policy.OpPresent:
			ok, why = has, r.Arg+" not given"
		case r.Op == policy.OpAbsent:
			ok, why = !has, r.Arg+" given"
		case !has:
			ok, why = unset(r.Op), r.Arg+" not given"
		default:
			ok, why = h.compare(v, r.Op, r.Value, cmpOptions{})
		}
		line := show(l)
		if !ok {
			return holds(false, append(ev, line+" ("+why+")")...)
		}
		ev = append(ev, line)
	}
	return holds(true, ev...)
}

func (h *host) command(r *policy.CommandRule) outcome {
	argv, err := policy.ParseCommand(r.Run)
	if err != nil {
		return failed(err)
	}
	out, err := h.run(argv)
	if err != nil {
		return failed(err)
	}
	text := string(out.Stdout)
	if r.Stderr {
		text += string(out.Stderr)
	}
	if out.ExitCode != 0 && strings.TrimSpace(text) == "" {
		msg := strings.TrimSpace(string(out.Stderr))
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i]
		}
		return failed(fmt.Errorf("%s: exit status %d: %s", r.Run, out.ExitCode, msg))
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if text == "" {
		lines = nil
	}
	o := h.matchLines([]source{{r.Run, lines}}, r.Regex, r.Exclude, r.Expect, r.Compare, false, "the output of "+r.Run)
	if out.Truncated {
		o.evidence = append(o.evidence, "the output was cut at its bound")
	}
	return o
}

func (h *host) sysctl(r *policy.SysctlRule) outcome {
	key := conf.SysctlKey(r.Key)
	p := "/proc/sys/" + strings.ReplaceAll(key, ".", "/")
	data, err := h.fs.ReadFile(p)
	if err != nil {
		if isNotExist(err) {
			return holds(r.Op == policy.OpAbsent, key+": not in the running kernel")
		}
		return failed(fmt.Errorf("%s: %w", key, err))
	}
	running := strings.Join(strings.Fields(string(data)), " ")
	ok, why := h.compare(running, r.Op, r.Value, cmpOptions{})
	ev := []string{fmt.Sprintf("%s = %s (running)", key, running)}
	if !ok {
		ev[0] += " (" + why + ")"
	}
	if !r.Persistent {
		return holds(ok, ev...)
	}
	s, err := cached(h, "sysctl-standard", func() (*conf.Sysctl, error) {
		s := conf.NewSysctl()
		for _, f := range conf.SysctlStandardFiles(h.fs) {
			data, err := h.readOptional(f)
			if err != nil {
				return nil, err
			}
			s.Add(f, data)
		}
		return s, nil
	})
	if err != nil {
		return failed(err, ev...)
	}
	e, set := s.Get(key)
	if !set {
		return holds(false, append(ev, key+": not set in the sysctl configuration files")...)
	}
	pok, pwhy := h.compare(e.Value, r.Op, r.Value, cmpOptions{})
	line := fmt.Sprintf("%s:%d: %s = %s", e.File, e.Line, key, e.Value)
	if !pok {
		line += " (" + pwhy + ")"
	}
	return holds(ok && pok, append(ev, line)...)
}

func (h *host) pkg(r *policy.PackageRule) outcome {
	db, err := h.packages(r.Name)
	if err != nil {
		return failed(err)
	}
	want := policy.BoolOr(r.Installed, true)
	ok := true
	var ev []string
	for _, name := range r.Name {
		pkgs := db.Lookup(name)
		if len(pkgs) == 0 {
			ev = append(ev, name+": not installed")
			ok = ok && !want
			continue
		}
		if !want {
			ok = false
			ev = append(ev, fmt.Sprintf("%s %s: installed", name, pkgs[0].Version))
			continue
		}
		if r.Version == nil {
			ev = append(ev, fmt.Sprintf("%s %s: installed", name, pkgs[0].Version))
			continue
		}
		vok := false
		for _, p := range pkgs {
			if compareNumbers(float64(db.Compare(p.Version, r.Version.Value)), r.Version.Op, 0) {
				vok = true
			}
		}
		line := fmt.Sprintf("%s %s: installed", name, pkgs[0].Version)
		if !vok {
			line += fmt.Sprintf(" (want version %s %s)", opSymbol(r.Version.Op), r.Version.Value)
			ok = false
		}
		ev = append(ev, line)
	}
	return holds(ok, ev...)
}

// osRule matches /etc/os-release's ID or ID_LIKE and VERSION_ID.
func (h *host) os(r *policy.OSRule) outcome {
	rel, err := h.osRelease()
	if err != nil {
		return failed(err)
	}
	id, like, ver := rel["ID"], strings.Fields(rel["ID_LIKE"]), rel["VERSION_ID"]
	ev := fmt.Sprintf("ID=%s ID_LIKE=%s VERSION_ID=%s", id, strings.Join(like, " "), ver)
	if id != r.ID && !slices.Contains(like, r.ID) {
		return holds(false, ev)
	}
	if r.Version == "" {
		return holds(true, ev)
	}
	return holds(ver == r.Version || strings.HasPrefix(ver, r.Version+"."), ev)
}

func (h *host) process(r *policy.ProcessRule) outcome {
	pids, err := h.runningNamed(r.Name)
	if err != nil {
		return failed(err)
	}
	want := policy.BoolOr(r.Running, true)
	if len(pids) == 0 {
		return holds(!want, r.Name+": no process runs")
	}
	return holds(want, fmt.Sprintf("%s: runs (pid %d)", r.Name, pids[0]))
}
