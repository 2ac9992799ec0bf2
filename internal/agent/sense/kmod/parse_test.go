package kmod

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/agent/plugin"
)

func TestParseModuleLine(t *testing.T) {
	tests := []struct {
		name, line string
		want       Module
		err        bool
	}{
		{"plain", "nf_tables 307200 0 - Live 0xffffffffc0a41000",
			Module{Name: "nf_tables", Size: 307200, Refs: 0, State: "Live", Address: 0xffffffffc0a41000}, false},
		{"used by", "fat 86016 1 vfat, Live 0xffffffffc0300000",
			Module{Name: "fat", Size: 86016, Refs: 1, UsedBy: []string{"vfat"}, State: "Live", Address: 0xffffffffc0300000}, false},
		{"several users and taints", "vboxdrv 593920 2 vboxnetadp,vboxnetflt, Live 0x0000000000000000 (OE)",
			Module{Name: "vboxdrv", Size: 593920, Refs: 2, UsedBy: []string{"vboxnetadp", "vboxnetflt"}, State: "Live", Taints: "OE"}, false},
		{"loading", "rootkit 16384 1 - Loading 0xffffffffc0400000 (OE+)",
			Module{Name: "rootkit", Size: 16384, Refs: 1, State: "Loading", Address: 0xffffffffc0400000, Taints: "OE"}, false},
		{"unloading", "dummy 16384 0 - Unloading 0xffffffffc0410000 (-)",
			Module{Name: "dummy", Size: 16384, State: "Unloading", Address: 0xffffffffc0410000}, false},
		{"permanent", "perm 4096 0 [permanent], Live 0xffffffffc0420000",
			Module{Name: "perm", Size: 4096, State: "Live", Address: 0xffffffffc0420000, Permanent: true}, false},
		{"no unload support", "nounload 4096 - - Live 0xffffffffc0430000",
			Module{Name: "nounload", Size: 4096, Refs: -1, State: "Live", Address: 0xffffffffc0430000}, false},
		{"too few fields", "x 1 0 - Live", Module{}, true},
		{"too many fields", "x 1 0 - Live 0x0 (O) extra", Module{}, true},
		{"bad size", "x big 0 - Live 0x0", Module{}, true},
		{"bad refs", "x 1 many - Live 0x0", Module{}, true},
		{"bad state", "x 1 0 - Dead 0x0", Module{}, true},
		{"bad address", "x 1 0 - Live ffff", Module{}, true},
		{"bad taints", "x 1 0 - Live 0x0 OE", Module{}, true},
		{"lower-case taints", "x 1 0 - Live 0x0 (oe)", Module{}, true},
		{"slash in name", "a/b 1 0 - Live 0x0", Module{}, true},
		{"name too long", strings.Repeat("a", 56) + " 1 0 - Live 0x0", Module{}, true},
		{"bad user", "x 1 0 a/b, Live 0x0", Module{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseModuleLine(tt.line)
			if tt.err {
				if err == nil {
					t.Fatalf("accepted %q as %+v", tt.line, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestParseProcModules(t *testing.T) {
	in := "fat 86016 1 vfat, Live 0xffffffffc0300000\n" +
		"garbage\n" +
		"\n" +
		"vfat 20480 0 - Live 0xffffffffc0310000\n"
	mods, bad, err := ParseProcModules(strings.NewReader(in))
	if err != nil || bad != 1 || len(mods) != 2 || mods[1].Name != "vfat" {
		t.Errorf("mods %+v bad %d err %v", mods, bad, err)
	}
	_, _, err = ParseProcModules(strings.NewReader(strings.Repeat("x", maxModuleLine+10)))
	if err == nil {
		t.Error("an endless line was accepted")
	}
}

func FuzzParseProcModules(f *testing.F) {
	f.Add("nf_tables 307200 0 - Live 0xffffffffc0a41000\nfat 86016 1 vfat, Live 0xffffffffc0300000\n")
	f.Add("vboxdrv 593920 2 vboxnetadp,vboxnetflt, Live 0x0000000000000000 (OE)\n")
	f.Add("rootkit 16384 1 - Loading 0xffffffffc0400000 (OE+)\nperm 4096 0 [permanent], Live 0x0\n")
	f.Add("x 1 - - Live 0x0 ()\n\x00\xff")
	f.Fuzz(func(t *testing.T, in string) {
		mods, bad, err := ParseProcModules(strings.NewReader(in))
		if err != nil {
			return
		}
		lines := 0
		for _, l := range strings.Split(in, "\n") {
			if strings.TrimSpace(l) != "" {
				lines++
			}
		}
		if len(mods)+bad != lines {
			t.Fatalf("%d modules and %d bad lines of %d lines", len(mods), bad, lines)
		}
		for _, m := range mods {
			if !validModuleName(m.Name) || strings.Trim(m.Taints, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
				t.Fatalf("accepted bad module %+v", m)
			}
		}
	})
}

func TestParseModulesDep(t *testing.T) {
	in := "# comment\n" +
		"kernel/fs/fat/fat.ko.xz:\n" +
		"kernel/fs/fat/vfat.ko.xz: kernel/fs/fat/fat.ko.xz\n" +
		"kernel/drivers/net/dummy.ko.zst:\n" +
		"updates/dkms/vboxdrv.ko:\n" +
		"/opt/vendor/modules/acme-driver.ko.gz:\n" +
		"extra/fat.ko: \n" + // a second fat: depmod's first choice wins
		"no colon here\n" +
		"kernel/readme.txt:\n"
	files, bad, err := ParseModulesDep(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"fat":         "kernel/fs/fat/fat.ko.xz",
		"vfat":        "kernel/fs/fat/vfat.ko.xz",
		"dummy":       "kernel/drivers/net/dummy.ko.zst",
		"vboxdrv":     "updates/dkms/vboxdrv.ko",
		"acme_driver": "/opt/vendor/modules/acme-driver.ko.gz",
	}
	if d := cmp.Diff(want, files); d != "" || bad != 2 {
		t.Errorf("bad %d (want 2), (-want +got):\n%s", bad, d)
	}
}

func FuzzParseModulesDep(f *testing.F) {
	f.Add("kernel/fs/fat/vfat.ko.xz: kernel/fs/fat/fat.ko.xz\nkernel/fs/fat/fat.ko.xz:\n")
	f.Add("# c\n/abs/x-y.ko.zst:\nbad\n")
	f.Add(":\n.ko:\n")
	f.Fuzz(func(t *testing.T, in string) {
		files, _, err := ParseModulesDep(strings.NewReader(in))
		if err != nil {
			return
		}
		for name, file := range files {
			if !validModuleName(name) || ModuleName(file) != name {
				t.Fatalf("module %q with file %q", name, file)
			}
		}
	})
}

func TestModuleName(t *testing.T) {
	for in, want := range map[string]string{
		"kernel/fs/fat/vfat.ko.xz":      "vfat",
		"/tmp/evil-rootkit.ko":          "evil_rootkit",
		"a/b/c.ko.zst":                  "c",
		"x.ko.gz":                       "x",
		"kernel/readme.txt":             "",
		".ko":                           "",
		"kernel/x.ko.bz2":               "",
		strings.Repeat("a", 60) + ".ko": "",
	} {
		if got := ModuleName(in); got != want {
			t.Errorf("ModuleName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestUnusualPath(t *testing.T) {
	for in, want := range map[string]bool{
		"/lib/modules/6.1.0-13-amd64/kernel/fs/fat/vfat.ko.xz": false,
		"/usr/lib/modules/6.1.0/extra/x.ko":                    false,
		"/tmp/rootkit.ko":                                      true,
		"/memfd:fileless":                                      true,
		"/lib/modules/../../tmp/x.ko":                          true,
		"/lib/modulesX/x.ko":                                   true,
		"/home/user/lib/modules/x.ko":                          true,
	} {
		if got := UnusualPath(in); got != want {
			t.Errorf("UnusualPath(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestTaints(t *testing.T) {
	if got := TaintString(1<<12 | 1<<13); got != "OE" {
		t.Errorf("TaintString = %q", got)
	}
	if got := TaintString(1 | 1<<1 | 1<<10); got != "PFC" {
		t.Errorf("TaintString = %q", got)
	}
	if got := TaintString(1 << 40); got != "" {
		t.Errorf("TaintString of an unknown bit = %q", got)
	}
	if d := cmp.Diff([]string{"out-of-tree", "unsigned", "W"}, taintDescriptions("OEW")); d != "" {
		t.Error(d)
	}
}

func TestModuleDiff(t *testing.T) {
	old := map[string]Module{
		"fat":  {Name: "fat", Address: 0x1000},
		"vfat": {Name: "vfat", Address: 0x2000},
		"gone": {Name: "gone", Address: 0x3000},
		"hid":  {Name: "hid"},
	}
	cur := map[string]Module{
		"fat":  {Name: "fat", Address: 0x1000},
		"vfat": {Name: "vfat", Address: 0x9000}, // reloaded
		"new":  {Name: "new", Address: 0x4000},
		"hid":  {Name: "hid"},
	}
	names := func(ms []Module) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.Name)
		}
		return out
	}
	loaded, unloaded := moduleDiff(old, cur, true)
	if d := cmp.Diff([]string{"new", "vfat"}, names(loaded)); d != "" {
		t.Errorf("loaded: %s", d)
	}
	if d := cmp.Diff([]string{"gone", "vfat"}, names(unloaded)); d != "" {
		t.Errorf("unloaded: %s", d)
	}
	// Across runs addresses mean nothing.
	loaded, unloaded = moduleDiff(old, cur, false)
	if d := cmp.Diff([]string{"new"}, names(loaded)); d != "" {
		t.Errorf("loaded across runs: %s", d)
	}
	if d := cmp.Diff([]string{"gone"}, names(unloaded)); d != "" {
		t.Errorf("unloaded across runs: %s", d)
	}
}

func TestDecodeSnapshot(t *testing.T) {
	good := `{"version":1,"boot_id":"b","modules":[{"name":"fat","size":86016,"address":4096,"taints":"OE"}]}`
	s, err := DecodeSnapshot([]byte(good))
	if err != nil || len(s.Modules) != 1 || s.Modules[0].Taints != "OE" {
		t.Fatalf("%+v %v", s, err)
	}
	for _, bad := range []string{
		`{`, `{"version":2}`, `{"version":1,"modules":[{"name":""}]}`,
		`{"version":1,"modules":[{"name":"a"},{"name":"a"}]}`, `{"version":1,"modules":[{"name":"a","taints":"oe"}]}`,
		`{"version":1,"other":1}`, `{"version":1} []`,
	} {
		if _, err := DecodeSnapshot([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func FuzzDecodeSnapshot(f *testing.F) {
	f.Add([]byte(`{"version":1,"boot_id":"b","modules":[{"name":"fat","size":86016,"address":4096,"taints":"OE"}]}`))
	f.Add([]byte(`{"version":1,"modules":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := DecodeSnapshot(data)
		if err != nil {
			return
		}
		for _, m := range s.Modules {
			if !validModuleName(m.Name) {
				t.Fatalf("accepted module %q", m.Name)
			}
		}
	})
}

// recordBytes builds a record as the eBPF program writes it.
func recordBytes(kind, call uint32, name, params string, pathParts ...string) []byte {
	b := make([]byte, recordSize)
	le := binary.LittleEndian
	le.PutUint64(b[0:], 123)
	le.PutUint64(b[8:], 1<<12|1<<13)
	le.PutUint64(b[32:], uint64(^uint64(0)-37)) // -38, ENOSYS
	le.PutUint32(b[48:], kind)
	le.PutUint32(b[52:], call)
	le.PutUint32(b[56:], 812)
	le.PutUint32(b[60:], 813)
	le.PutUint32(b[88:], 3)
	copy(b[offComm:], "insmod\x00")
	copy(b[offParent:], "bash\x00")
	copy(b[offName:], name+"\x00")
	copy(b[offParams:], params+"\x00")
	off := 0
	for i := len(pathParts) - 1; i >= 0; i-- {
		off += copy(b[offPath+off:], pathParts[i]+"\x00")
	}
	le.PutUint32(b[100:], uint32(off))
	return b
}

func TestDecodeRecord(t *testing.T) {
	r, err := decodeRecord(recordBytes(kindFailed, callFinit, "", "hide=1", "tmp", "rootkit.ko"))
	if err != nil {
		t.Fatal(err)
	}
	want := record{KtimeNS: 123, Taints: 1<<12 | 1<<13, Ret: -38, Kind: kindFailed, Syscall: callFinit, TGID: 812, PID: 813,
		FD: 3, Comm: "insmod", ParentComm: "bash", Params: "hide=1", Path: "/tmp/rootkit.ko"}
	if d := cmp.Diff(want, r); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	r, err = decodeRecord(recordBytes(kindLoad, callInit, "vfat", ""))
	if err != nil || r.Name != "vfat" || r.Path != "" {
		t.Errorf("%+v %v", r, err)
	}
	for name, b := range map[string][]byte{
		"short":        make([]byte, 100),
		"kind 0":       recordBytes(0, callInit, "x", ""),
		"kind 9":       recordBytes(9, callInit, "x", ""),
		"syscall 7":    recordBytes(kindLoad, 7, "x", ""),
		"load unnamed": recordBytes(kindLoad, callInit, "", ""),
		"path too long": func() []byte {
			b := recordBytes(kindFailed, callFinit, "", "")
			binary.LittleEndian.PutUint32(b[100:], pathBufLen+1)
			return b
		}(),
	} {
		if _, err := decodeRecord(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzDecodeRecord(f *testing.F) {
	f.Add(recordBytes(kindFailed, callFinit, "", "hide=1", "tmp", "rootkit.ko"))
	f.Add(recordBytes(kindLoad, callInit, "vfat", ""))
	f.Add(recordBytes(kindFree, callDelete, "vfat", "", "memfd:x"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeRecord(b)
		if err != nil {
			return
		}
		if r.Path != "" && !strings.HasPrefix(r.Path, "/") {
			t.Fatalf("path %q", r.Path)
		}
		if _, err := json.Marshal(r); err != nil {
			t.Fatal(err)
		}
	})
}

func TestParseSettings(t *testing.T) {
	def := DefaultSettings()
	tests := []struct {
		name, raw string
		want      Settings
		err       string
	}{
		{"empty", "", def, ""},
		{"poll", `{"mechanism":"poll","poll_interval":"1s"}`, Settings{Mechanism: ChoosePoll, PollInterval: plugin.Duration(1e9)}, ""},
		{"attempts", `{"failed_attempts":true}`, Settings{Mechanism: ChooseAuto, PollInterval: def.PollInterval, FailedAttempts: true}, ""},
		{"bad mechanism", `{"mechanism":"kprobe"}`, Settings{}, "not auto, ebpf or poll"},
		{"fast", `{"poll_interval":"1ms"}`, Settings{}, "between 100ms and 1h"},
		{"slow", `{"poll_interval":"2h"}`, Settings{}, "between 100ms and 1h"},
		{"unknown", `{"interval":"1s"}`, Settings{}, "unknown field"},
		{"number", `{"poll_interval":5}`, Settings{}, "duration is a string"},
		{"trailing", `{} 1`, Settings{}, "data after"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSettings(json.RawMessage(tt.raw))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestDecide(t *testing.T) {
	noTP := errors.New("no module_load tracepoint")
	full := probe{procModules: true, btf: true, tracepoints: true}
	oldKernel := probe{procModules: true, btf: true, tracepointErr: noTP}
	noBTF := probe{procModules: true}
	noModules := probe{btf: true, tracepointErr: noTP}
	nothing := probe{}
	set := func(m string, attempts bool) Settings {
		s := DefaultSettings()
		s.Mechanism, s.FailedAttempts = m, attempts
		return s
	}
	tests := []struct {
		name string
		set  Settings
		p    probe
		want string // mechanism, or part of the error
	}{
		{"auto full", set(ChooseAuto, true), full, MechanismEBPF},
		{"auto no tracepoints", set(ChooseAuto, true), oldKernel, MechanismPoll},
		{"auto no btf", set(ChooseAuto, true), noBTF, MechanismPoll},
		{"auto no modules", set(ChooseAuto, true), noModules, MechanismEBPF},
		{"auto no modules nor attempts", set(ChooseAuto, false), noModules, "nothing to observe"},
		{"auto nothing", set(ChooseAuto, true), nothing, "no BTF"},
		{"poll forced", set(ChoosePoll, true), full, MechanismPoll},
		{"poll without modules", set(ChoosePoll, true), noModules, "no loadable module support"},
		{"ebpf forced", set(ChooseEBPF, true), full, MechanismEBPF},
		{"ebpf without tracepoints", set(ChooseEBPF, true), oldKernel, "no module_load tracepoint"},
		{"ebpf without btf", set(ChooseEBPF, true), noBTF, "no BTF"},
		{"ebpf attempts only", set(ChooseEBPF, true), noModules, MechanismEBPF},
		{"ebpf nothing to trace", set(ChooseEBPF, false), noModules, "failed_attempts is off"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decide(tt.set, tt.p)
			if err != nil {
				if !strings.Contains(err.Error(), tt.want) {
					t.Errorf("err %v, want %q", err, tt.want)
				}
				return
			}
			if got != tt.want {
				t.Errorf("mechanism %q, want %q", got, tt.want)
			}
		})
	}
}
