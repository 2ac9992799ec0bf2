package accounts

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/authkeys"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/group"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/passwd"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/rootfs"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/shadow"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/sudoers"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/textfile"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/tracker"
)

// Files the sensor reads.
const (
	passwdPath  = "/etc/passwd"
	groupPath   = "/etc/group"
	shadowPath  = "/etc/shadow"
	gshadowPath = "/etc/gshadow"
	sudoersPath = "/etc/sudoers"
	hostname    = "/etc/hostname"
)

// Source kinds.
const (
	kindPasswd   = "passwd"
	kindGroup    = "group"
	kindShadow   = "shadow"
	kindGshadow  = "gshadow"
	kindSudoers  = "sudoers"
	kindAuthKeys = "authkeys"
)

// model is the sensor's tracker model.
type model struct {
	settings Settings
}

// Sources implements tracker.Model: the account files, then one source
// of authorized keys per account.
func (m *model) Sources(v tracker.View) []tracker.Source {
	out := []tracker.Source{
		{ID: kindPasswd, Kind: kindPasswd, Paths: []string{passwdPath}},
		{ID: kindGroup, Kind: kindGroup, Paths: []string{groupPath}},
		{ID: kindShadow, Kind: kindShadow, Paths: []string{shadowPath}},
		{ID: kindGshadow, Kind: kindGshadow, Paths: []string{gshadowPath}},
		{ID: kindSudoers, Kind: kindSudoers, Paths: []string{sudoersPath}},
	}
	for _, r := range v.Records(kindPasswd) {
		name, home := r.Key, r.Fields["home"]
		if r.Info["compat"] == "true" || !strings.HasPrefix(home, "/") {
			continue
		}
		var paths []string
		for _, p := range m.settings.AuthorizedKeysFiles {
			if x := expandKeysPattern(p, name, home, r.Fields["uid"]); x != "" && !slices.Contains(paths, x) {
				paths = append(paths, x)
			}
		}
		if len(paths) > 0 {
			out = append(out, tracker.Source{ID: kindAuthKeys + ":" + name, Kind: kindAuthKeys, User: name, Paths: paths})
		}
	}
	return out
}

// Scan implements tracker.Model.
func (m *model) Scan(env tracker.ScanEnv, src tracker.Source) (tracker.Result, error) {
	switch src.Kind {
	case kindSudoers:
		return m.scanSudoers(env.FS)
	case kindAuthKeys:
		return m.scanKeys(env.FS, src)
	}
	var res tracker.Result
	p := src.Paths[0]
	data, info, err := env.FS.ReadFile(p, m.settings.MaxFileBytes)
	if rootfs.IsNotExist(err) {
		return res, nil
	}
	if err != nil {
		return res, err
	}
	var problems textfile.Problems
	switch src.Kind {
	case kindPasswd:
		f := passwd.Parse(data, env.Secret)
		problems = f.Problems
		for _, e := range f.Entries {
			fields := map[string]string{
				"uid": id(e.UID), "gid": id(e.GID), "gecos": e.GECOS, "home": e.Home, "shell": e.Shell,
			}
			storePassword(fields, e.Password)
			r := tracker.Record{Key: e.Name, Path: p, Fields: fields, At: info.CTime}
			if e.Compat {
				r.Info = map[string]string{"compat": "true"}
			}
			res.Records = append(res.Records, r)
		}
	case kindGroup:
		f := group.Parse(data, env.Secret)
		problems = f.Problems
		for _, e := range f.Entries {
			fields := map[string]string{"gid": id(e.GID), "members": strings.Join(e.Members, ",")}
			storePassword(fields, e.Password)
			res.Records = append(res.Records, tracker.Record{Key: e.Name, Path: p, Fields: fields, At: info.CTime})
		}
	case kindShadow:
		f := shadow.Parse(data, env.Secret)
		problems = f.Problems
		for _, e := range f.Entries {
			fields := map[string]string{
				"last_change": days(e.LastChange), "min": days(e.MinDays), "max": days(e.MaxDays),
				"warn": days(e.WarnDays), "inactive": days(e.InactiveDays), "expire": days(e.Expire),
			}
			storePassword(fields, e.Password)
			res.Records = append(res.Records, tracker.Record{Key: e.Name, Path: p, Fields: fields, At: info.CTime})
		}
	case kindGshadow:
		f := shadow.ParseGroups(data, env.Secret)
		problems = f.Problems
		for _, e := range f.Entries {
			fields := map[string]string{"admins": strings.Join(e.Admins, ","), "members": strings.Join(e.Members, ",")}
			storePassword(fields, e.Password)
			res.Records = append(res.Records, tracker.Record{Key: e.Name, Path: p, Fields: fields, At: info.CTime})
		}
	default:
		return res, fmt.Errorf("accounts: unknown source kind %q", src.Kind)
	}
	noteProblems(&res, p, problems)
	return res, nil
}

// storePassword stores a classified password field.
func storePassword(fields map[string]string, p shadow.Password) {
	fields["password"] = p.State
	fields["password_scheme"] = p.Scheme
	fields["password_locked"] = strconv.FormatBool(p.Locked)
	fields["password_digest"] = p.Digest
}

// noteProblems adds a file's skipped lines to a result.
func noteProblems(res *tracker.Result, file string, p textfile.Problems) {
	res.Malformed += p.Skipped
	for _, m := range p.List {
		res.Problems = append(res.Problems, fmt.Sprintf("%s:%d: %s", file, m.Line, m.Reason))
	}
}

func id(v int64) string {
	if v < 0 {
		return ""
	}
	return strconv.FormatInt(v, 10)
}

func days(v int64) string {
	if v < 0 {
		return ""
	}
	return strconv.FormatInt(v, 10)
}

// scanSudoers reads /etc/sudoers and what it includes, as sudo does.
func (m *model) scanSudoers(fsys *rootfs.FS) (tracker.Result, error) {
	var res tracker.Result
	host := ""
	if data, _, err := fsys.ReadFile(hostname, 4096); err == nil {
		host, _, _ = strings.Cut(strings.TrimSpace(string(data)), ".")
	}
	skipped, err := sudoers.Walk(fsys, sudoersPath, host, m.settings.MaxFileBytes, func(v sudoers.Visit) {
		in := map[string]string{"kind": v.Kind, "text": v.Text, "line": strconv.Itoa(v.Line)}
		if v.NoPasswd {
			in["nopasswd"] = "true"
		}
		if len(v.Principals) > 0 {
			in["principals"] = strings.Join(v.Principals, "\n")
		}
		if v.AliasType == "User_Alias" {
			var defs []string
			for _, a := range v.Aliases {
				defs = append(defs, a.Name+"="+strings.Join(a.Members, ","))
			}
			in["user_aliases"] = strings.Join(defs, "\n")
		}
		if v.Target != "" {
			in["include"] = v.Target
			res.Paths = append(res.Paths, v.Target)
		}
		res.Records = append(res.Records, tracker.Record{Key: v.File + "\x00" + v.Text, Path: v.File, Info: in, At: v.Info.CTime})
	})
	if err != nil {
		return tracker.Result{}, err
	}
	res.Malformed += skipped.Count
	res.Problems = append(res.Problems, skipped.List...)
	return res, nil
}

// scanKeys reads one account's authorized_keys files.
func (m *model) scanKeys(fsys *rootfs.FS, src tracker.Source) (tracker.Result, error) {
	var res tracker.Result
	for _, p := range src.Paths {
		data, info, err := fsys.ReadFile(p, m.settings.MaxFileBytes)
		if rootfs.IsNotExist(err) {
			continue
		}
		if err != nil {
			return tracker.Result{}, err
		}
		f := authkeys.Parse(data)
		noteProblems(&res, p, f.Problems)
		for _, k := range f.Keys {
			opts := k.OptionsText()
			var optList []string
			for _, o := range k.Options {
				optList = append(optList, o.String())
			}
			in := map[string]string{
				"type": k.Type, "fingerprint": k.Fingerprint, "comment": k.Comment, "line": strconv.Itoa(k.Line),
			}
			if opts != "" {
				in["options"] = strings.Join(optList, "\n")
			}
			if k.Bits > 0 {
				in["bits"] = strconv.Itoa(k.Bits)
			}
			if v, ok := k.Option("command"); ok {
				in["command"] = v
			}
			if v, ok := k.Option("from"); ok {
				in["from"] = v
			}
			res.Records = append(res.Records, tracker.Record{
				Key: p + "\x00" + k.Fingerprint + "\x00" + opts, Path: p, Info: in, At: info.CTime,
			})
		}
	}
	return res, nil
}
