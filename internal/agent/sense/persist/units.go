package persist

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"path"
	"strings"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/rootfs"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/tracker"
	"github.com/vigilsec/vigil/internal/agent/sense/persist/unit"
)

// unitKeys are the settings kept from unit files, whose changes
// unit-changed names ("ExecStart"); any other change is "content".
var unitKeys = []struct{ section, key string }{
	{"Service", "ExecStart"}, {"Service", "ExecStartPre"}, {"Service", "ExecStartPost"},
	{"Service", "ExecStop"}, {"Service", "ExecReload"}, {"Service", "User"}, {"Service", "Group"},
	{"Service", "Type"}, {"Service", "Environment"}, {"Service", "EnvironmentFile"},
	{"Timer", "OnCalendar"}, {"Timer", "OnBootSec"}, {"Timer", "OnStartupSec"}, {"Timer", "OnActiveSec"},
	{"Timer", "OnUnitActiveSec"}, {"Timer", "OnUnitInactiveSec"}, {"Timer", "Unit"},
	{"Path", "PathChanged"}, {"Path", "PathModified"}, {"Path", "PathExists"}, {"Path", "PathExistsGlob"},
	{"Path", "DirectoryNotEmpty"}, {"Path", "Unit"},
	{"Socket", "ListenStream"}, {"Socket", "ListenDatagram"}, {"Socket", "Service"},
	{"Install", "WantedBy"}, {"Install", "RequiredBy"}, {"Install", "Alias"},
}

// dependencyDirs are the suffixes of the directories whose links enable
// units.
var dependencyDirs = []string{".wants", ".requires", ".upholds"}

// unitFields reads a unit file into record fields: its hash and the
// settings of unitKeys ("Service.ExecStart", values joined by '\n').
func unitFields(res *tracker.Result, p string, data []byte) map[string]string {
	f := unit.Parse(data)
	note(res, p, f.Problems)
	sum := sha256.Sum256(data)
	fields := map[string]string{"sha256": hex.EncodeToString(sum[:])}
	for _, k := range unitKeys {
		if v := f.Values(k.section, k.key); len(v) > 0 {
			fields[k.section+"."+k.key] = strings.Join(v, "\n")
		}
	}
	return fields
}

// scanUnits reads a unit directory: unit files and links, drop-in
// directories (NAME.d/*.conf) and dependency directories (TARGET.wants/).
func (rd reader) scanUnits(res *tracker.Result, src tracker.Source) error {
	for _, p := range src.Paths {
		ents, dir, err := rd.fs.ReadDir(p)
		if rootfs.IsNotExist(err) {
			continue
		}
		if err != nil {
			return err
		}
		for _, e := range ents {
			name, full := e.Name(), path.Join(dir, e.Name())
			if !e.IsDir() {
				if unit.IsUnitName(name) {
					if err := rd.unitFile(res, full, name); err != nil {
						return err
					}
				}
				continue
			}
			for _, suffix := range dependencyDirs {
				if target, ok := strings.CutSuffix(name, suffix); ok && unit.IsUnitName(target) {
					if err := rd.dependencies(res, full, target, suffix[1:]); err != nil {
						return err
					}
				}
			}
			if u, ok := strings.CutSuffix(name, ".d"); ok && unit.IsUnitName(u) {
				if err := rd.dropins(res, full, u); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// readUnit reads a unit file through links; ok is false when there is
// none to read (missing, a link to /dev/null, not a regular file).
func (rd reader) readUnit(p string) ([]byte, rootfs.Info, bool, error) {
	data, in, err := rd.fs.ReadFile(p, rd.settings.MaxFileBytes)
	if rootfs.IsNotExist(err) || errors.Is(err, rootfs.ErrNotFile) {
		return nil, in, false, nil
	}
	return data, in, err == nil, err
}

// unitFile reads a unit, a regular file or a link (an alias, a linked
// unit, a mask: a link to /dev/null).
func (rd reader) unitFile(res *tracker.Result, p, name string) error {
	lin, err := rd.fs.Lstat(p)
	if err != nil {
		return nil // gone since the listing
	}
	r := tracker.Record{Key: "unit:" + p, Path: p, At: lin.CTime, Info: map[string]string{"unit": name}}
	fields := map[string]string{}
	if lin.Mode&fs.ModeSymlink != 0 {
		target, err := rd.fs.Readlink(p)
		if err != nil {
			return nil
		}
		fields["link"] = target
		if resolved, _, err := rd.fs.Resolve(p); err == nil && (resolved == "/dev/null" || target == "/dev/null") {
			fields["masked"] = "true"
			r.Fields = fields
			res.Records = append(res.Records, r)
			return nil
		}
	}
	data, _, ok, err := rd.readUnit(p)
	if err != nil {
		return err
	}
	if ok {
		for k, v := range unitFields(res, p, data) {
			fields[k] = v
		}
	}
	r.Fields = fields
	res.Records = append(res.Records, r)
	return nil
}

// dependencies reads TARGET.wants/ (or .requires/, .upholds/): each link
// there enables a unit.
func (rd reader) dependencies(res *tracker.Result, dir, target, kind string) error {
	ents, _, err := rd.fs.ReadDir(dir)
	if rootfs.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range ents {
		name := e.Name()
		if !unit.IsUnitName(name) {
			continue
		}
		p := path.Join(dir, name)
		lin, err := rd.fs.Lstat(p)
		if err != nil {
			continue
		}
		link := ""
		if lin.Mode&fs.ModeSymlink != 0 {
			link, _ = rd.fs.Readlink(p)
		}
		info := map[string]string{"unit": name, "target": target, "dependency": kind}
		// What the enabled unit runs, for the event; not compared: a
		// change of the unit itself is reported where the unit is.
		data, _, ok, err := rd.readUnit(p)
		if err != nil {
			return err
		}
		if ok {
			var scratch tracker.Result
			for k, v := range unitFields(&scratch, p, data) {
				if k != "sha256" {
					info[k] = v
				}
			}
		}
		res.Records = append(res.Records, tracker.Record{Key: "want:" + p, Path: p, At: lin.CTime,
			Fields: map[string]string{"link": link}, Info: info})
	}
	return nil
}

// dropins reads UNIT.d/*.conf.
func (rd reader) dropins(res *tracker.Result, dir, unitName string) error {
	ents, _, err := rd.fs.ReadDir(dir)
	if rootfs.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".conf") {
			continue
		}
		p := path.Join(dir, e.Name())
		data, in, ok, err := rd.readUnit(p)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		res.Records = append(res.Records, tracker.Record{Key: "dropin:" + p, Path: p, At: in.CTime,
			Fields: unitFields(res, p, data), Info: map[string]string{"unit": unitName}})
	}
	return nil
}
