package persist

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/passwd"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/rootfs"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/textfile"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/tracker"
	"github.com/vigilsec/vigil/internal/agent/sense/persist/crontab"
	"github.com/vigilsec/vigil/internal/agent/sense/persist/ldso"
	"github.com/vigilsec/vigil/internal/agent/sense/persist/udev"
)

// Source kinds: the parser each source needs.
const (
	kindPasswd      = "passwd"
	kindCronSystem  = "crontab-system"
	kindCronUser    = "crontab-user"
	kindFiles       = "files"
	kindUnits       = "systemd-units"
	kindPreload     = "ld.so.preload"
	kindLdConf      = "ld.so.conf"
	kindUdev        = "udev-rules"
	passwdPath      = "/etc/passwd"
	userUnitsSubdir = ".config/systemd/user"
)

// Persistence mechanisms (vigil.persistence.mechanism), also the Tag of
// the sources of whole files.
const (
	MechCron    = "cron"
	MechSystemd = "systemd"
	MechRcLocal = "rc.local"
	MechPreload = "ld.so.preload"
	MechLdConf  = "ld.so.conf"
	MechShell   = "shell-startup"
	MechInitd   = "init.d"
	MechUdev    = "udev"
)

// Scopes of systemd units, the Tag of their sources.
const (
	scopeSystem = "system"
	scopeUser   = "user"
)

// systemUnitDirs are the system-wide unit directories; the same directory
// reached through two names (/lib -> usr/lib) is read once.
var systemUnitDirs = []struct{ dir, scope string }{
	{"/etc/systemd/system", scopeSystem},
	{"/usr/lib/systemd/system", scopeSystem},
	{"/lib/systemd/system", scopeSystem},
	{"/etc/systemd/user", scopeUser},
}

// periodic maps the run-parts directories of cron to their schedules.
var periodic = map[string]string{
	"/etc/cron.hourly": "@hourly", "/etc/cron.daily": "@daily", "/etc/cron.weekly": "@weekly", "/etc/cron.monthly": "@monthly",
}

// model is the sensor's tracker model.
type model struct {
	settings Settings
	// fs resolves the unit directories in Sources; readings use the
	// pass's view (tracker.ScanEnv).
	fs *rootfs.FS
}

// reader reads the sources of one pass.
type reader struct {
	settings Settings
	fs       *rootfs.FS
}

// Sources implements tracker.Model.
func (m *model) Sources(v tracker.View) []tracker.Source {
	out := []tracker.Source{
		{ID: "passwd", Kind: kindPasswd, Paths: []string{passwdPath}},
		{ID: "cron-system", Kind: kindCronSystem, Tag: MechCron, Paths: []string{"/etc/crontab", "/etc/cron.d"}},
		{ID: "cron-spool", Kind: kindCronUser, Tag: MechCron, Paths: []string{"/var/spool/cron/crontabs", "/var/spool/cron"}},
		{ID: "cron-periodic", Kind: kindFiles, Tag: MechCron, Paths: []string{"/etc/cron.hourly", "/etc/cron.daily", "/etc/cron.weekly", "/etc/cron.monthly"}},
	}
	seen := map[string]bool{}
	for _, d := range systemUnitDirs {
		r, _, err := m.fs.Resolve(d.dir)
		if err != nil || seen[r] {
			continue
		}
		seen[r] = true
		out = append(out, tracker.Source{ID: "systemd:" + r, Kind: kindUnits, Tag: d.scope, Paths: []string{r}, Depth: 1})
	}
	out = append(out,
		tracker.Source{ID: "rc.local", Kind: kindFiles, Tag: MechRcLocal, Paths: []string{"/etc/rc.local"}},
		tracker.Source{ID: "ld.so.preload", Kind: kindPreload, Tag: MechPreload, Paths: []string{"/etc/ld.so.preload"}},
		tracker.Source{ID: "ld.so.conf", Kind: kindLdConf, Tag: MechLdConf, Paths: []string{"/etc/ld.so.conf", "/etc/ld.so.conf.d"}},
		tracker.Source{ID: "shell-system", Kind: kindFiles, Tag: MechShell, Paths: []string{"/etc/profile", "/etc/profile.d", "/etc/bash.bashrc", "/etc/environment"}},
		tracker.Source{ID: "init.d", Kind: kindFiles, Tag: MechInitd, Paths: []string{"/etc/init.d"}},
		tracker.Source{ID: "udev", Kind: kindUdev, Tag: MechUdev, Paths: []string{"/etc/udev/rules.d"}},
	)
	homes := map[string]bool{}
	for _, r := range v.Records("passwd") {
		home := rootfs.Clean(r.Fields["home"])
		if r.Info["compat"] == "true" || !strings.HasPrefix(r.Fields["home"], "/") || homes[home] {
			continue
		}
		homes[home] = true
		var files []string
		for _, f := range m.settings.UserStartupFiles {
			files = append(files, path.Join(home, f))
		}
		out = append(out,
			tracker.Source{ID: "shell:" + home, Kind: kindFiles, Tag: MechShell, User: r.Key, Paths: files},
			tracker.Source{ID: "systemd-user:" + home, Kind: kindUnits, Tag: scopeUser, User: r.Key,
				Paths: []string{path.Join(home, userUnitsSubdir)}, Depth: 1},
		)
	}
	return out
}

// Scan implements tracker.Model.
func (m *model) Scan(env tracker.ScanEnv, src tracker.Source) (tracker.Result, error) {
	rd := reader{settings: m.settings, fs: env.FS}
	var res tracker.Result
	var err error
	switch src.Kind {
	case kindPasswd:
		err = rd.scanPasswd(&res)
	case kindCronSystem, kindCronUser:
		err = rd.eachFile(src.Paths, src.Kind == kindCronUser, func(p string, data []byte, in rootfs.Info) {
			rd.cron(&res, src, p, data, in)
		})
	case kindFiles:
		err = rd.eachFile(src.Paths, false, func(p string, data []byte, in rootfs.Info) {
			rd.wholeFile(&res, p, data, in)
		})
	case kindPreload:
		err = rd.eachFile(src.Paths, false, func(p string, data []byte, in rootfs.Info) {
			libs := ldso.ParsePreload(data)
			for _, lib := range libs {
				res.Records = append(res.Records, tracker.Record{Key: p + "\x00" + lib, Path: p, At: in.CTime,
					Info: map[string]string{"library": lib, "libraries": strings.Join(libs, "\n")}})
			}
		})
	case kindLdConf:
		err = rd.eachFile(src.Paths, false, func(p string, data []byte, in rootfs.Info) {
			c := ldso.ParseConf(data)
			note(&res, p, c.Problems)
			for _, e := range c.Entries {
				res.Records = append(res.Records, tracker.Record{Key: p + "\x00" + e.Kind + "\x00" + e.Value, Path: p, At: in.CTime,
					Info: map[string]string{"kind": e.Kind, "value": e.Value, "line": strconv.Itoa(e.Line)}})
			}
		})
	case kindUdev:
		err = rd.eachFile(src.Paths, false, func(p string, data []byte, in rootfs.Info) {
			f := udev.Parse(data)
			note(&res, p, f.Problems)
			for _, r := range f.Rules {
				res.Records = append(res.Records, tracker.Record{Key: p + "\x00" + r.Text, Path: p, At: in.CTime,
					Info: map[string]string{"rule": r.Text, "commands": strings.Join(r.Commands(), "\n"), "line": strconv.Itoa(r.Line)}})
			}
		})
	case kindUnits:
		err = rd.scanUnits(&res, src)
	default:
		err = fmt.Errorf("persist: unknown source kind %q", src.Kind)
	}
	if err != nil {
		return tracker.Result{}, err
	}
	return res, nil
}

// note adds a file's skipped lines to a result.
func note(res *tracker.Result, file string, p textfile.Problems) {
	res.Malformed += p.Skipped
	for _, m := range p.List {
		res.Problems = append(res.Problems, fmt.Sprintf("%s:%d: %s", file, m.Line, m.Reason))
	}
}

// scanPasswd reads the accounts' homes.
func (rd reader) scanPasswd(res *tracker.Result) error {
	data, info, err := rd.fs.ReadFile(passwdPath, rd.settings.MaxFileBytes)
	if rootfs.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	f := passwd.Parse(data, nil)
	note(res, passwdPath, f.Problems)
	for _, e := range f.Entries {
		r := tracker.Record{Key: e.Name, Path: passwdPath, At: info.CTime, Fields: map[string]string{"home": e.Home}}
		if e.Compat {
			r.Info = map[string]string{"compat": "true"}
		}
		res.Records = append(res.Records, r)
	}
	return nil
}

// eachFile reads the files at paths: a file itself, or the files of a
// directory (dot files skipped: shells' globs, run-parts and cron skip
// them too; with spool, crontab's temporary "tmp.*" files too). Links are
// followed; what is not a regular file is skipped.
func (rd reader) eachFile(paths []string, spool bool, fn func(p string, data []byte, in rootfs.Info)) error {
	for _, p := range paths {
		in, err := rd.fs.Stat(p)
		if rootfs.IsNotExist(err) {
			continue
		}
		if err != nil {
			return err
		}
		files := []string{p}
		if in.Mode.IsDir() {
			ents, _, err := rd.fs.ReadDir(p)
			if rootfs.IsNotExist(err) {
				continue
			}
			if err != nil {
				return err
			}
			files = files[:0]
			for _, e := range ents {
				name := e.Name()
				if strings.HasPrefix(name, ".") || spool && strings.HasPrefix(name, "tmp.") {
					continue
				}
				files = append(files, path.Join(p, name))
			}
		}
		for _, f := range files {
			data, in, err := rd.fs.ReadFile(f, rd.settings.MaxFileBytes)
			if rootfs.IsNotExist(err) || errors.Is(err, rootfs.ErrNotFile) {
				continue
			}
			if err != nil {
				return err
			}
			fn(f, data, in)
		}
	}
	return nil
}

// cron reads one crontab. In the spool the file's name is the user.
func (rd reader) cron(res *tracker.Result, src tracker.Source, p string, data []byte, in rootfs.Info) {
	format, user := crontab.System, ""
	if src.Kind == kindCronUser {
		format, user = crontab.User, path.Base(p)
	}
	f := crontab.Parse(data, format)
	note(res, p, f.Problems)
	for _, e := range f.Entries {
		info := map[string]string{"line": strconv.Itoa(e.Line)}
		var key string
		if e.Env {
			info["environment"] = e.Name + "=" + e.Value
			key = p + "\x00env\x00" + info["environment"]
		} else {
			if e.User != "" {
				user = e.User
			}
			info["schedule"], info["user"], info["command"] = e.Schedule, user, e.Command
			key = p + "\x00" + e.Schedule + "\x00" + user + "\x00" + e.Command
		}
		res.Records = append(res.Records, tracker.Record{Key: key, Path: p, At: in.CTime, Info: info})
	}
}

// wholeFile describes a file compared as a whole.
func (rd reader) wholeFile(res *tracker.Result, p string, data []byte, in rootfs.Info) {
	sum := sha256.Sum256(data)
	fields := map[string]string{
		"sha256": hex.EncodeToString(sum[:]),
		"mode":   mode(in.Mode),
		"uid":    strconv.FormatUint(uint64(in.UID), 10),
		"gid":    strconv.FormatUint(uint64(in.GID), 10),
	}
	if l, err := rd.fs.Lstat(p); err == nil && l.Mode&fs.ModeSymlink != 0 {
		if target, err := rd.fs.Readlink(p); err == nil {
			fields["link"] = target
		}
	}
	r := tracker.Record{Key: p, Path: p, At: in.CTime, Fields: fields, Info: map[string]string{"size": strconv.FormatInt(in.Size, 10)}}
	if isText(data) {
		r.Info["lines"] = encodeLines(data)
		if len(data) <= maxBodyBytes {
			r.Body = string(data)
		}
	}
	res.Records = append(res.Records, r)
}

// mode formats a file's permission bits in octal ("0755", "4755").
func mode(m fs.FileMode) string {
	perm := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		perm |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		perm |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		perm |= 0o1000
	}
	return fmt.Sprintf("%04o", perm)
}
