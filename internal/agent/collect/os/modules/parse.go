package modules

import (
	"path"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/textfile"
)

// Module is one line of /proc/modules.
type Module struct {
	Name string
	// Size is the memory the module takes, in bytes.
	Size uint64
	// State is "Live", "Loading" or "Unloading".
	State string
	// Taint holds the module's taint flags ("OE"), "" when none.
	Taint string
}

// ParseProcModules parses /proc/modules: "name size refcount deps state
// address [(taint)]" a line. The reference count, the modules using this
// one and the address are not kept: they move while the module stays the
// same. A line that cannot be read is skipped and counted.
func ParseProcModules(data []byte) ([]Module, textfile.Problems) {
	var out []Module
	var probs textfile.Problems
	for n, raw := range textfile.Lines(data) {
		if textfile.Blank(raw) {
			continue
		}
		f := strings.Fields(string(raw))
		if len(f) < 5 {
			probs.Skip(n, "fewer than five fields")
			continue
		}
		size, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil {
			probs.Skip(n, "size is not a number")
			continue
		}
		if !validModuleName(f[0]) {
			probs.Skip(n, "not a module name")
			continue
		}
		m := Module{Name: f[0], Size: size, State: f[4]}
		switch m.State {
		case "Live", "Loading", "Unloading":
		default:
			probs.Skip(n, "unknown state")
			continue
		}
		if len(f) > 6 {
			t := f[6]
			if len(t) < 3 || t[0] != '(' || t[len(t)-1] != ')' {
				probs.Skip(n, "taint is not in parentheses")
				continue
			}
			m.Taint = t[1 : len(t)-1]
			if strings.TrimFunc(m.Taint, func(r rune) bool { return r >= 'A' && r <= 'Z' }) != "" {
				// The kernel writes taint flags as capital letters.
				probs.Skip(n, "taint is not capital letters")
				continue
			}
		}
		out = append(out, m)
	}
	return out, probs
}

// validModuleName accepts the characters of module names.
func validModuleName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// ModuleName returns the name of the module in file p
// ("kernel/drivers/net/veth.ko.xz" -> "veth"): the file name without
// ".ko" and its compression suffix, dashes made underscores as the kernel
// names modules. ok is false for a file that is no module.
func ModuleName(p string) (string, bool) {
	base := path.Base(p)
	i := strings.Index(base, ".ko")
	if i <= 0 {
		return "", false
	}
	switch base[i+3:] {
	case "", ".xz", ".zst", ".gz":
	default:
		return "", false
	}
	return strings.ReplaceAll(base[:i], "-", "_"), true
}

// ParseModulesDep parses modules.dep ("kernel/fs/fat/vfat.ko.xz:
// kernel/fs/fat/fat.ko.xz" a line) into the path of each module by name,
// relative to the release's module directory unless absolute. A line that
// is not "file: deps" is skipped and counted; the first file of a name
// wins, as modprobe takes it.
func ParseModulesDep(data []byte) (map[string]string, textfile.Problems) {
	out := map[string]string{}
	var probs textfile.Problems
	for n, raw := range textfile.Lines(data) {
		if textfile.Blank(raw) || textfile.Comment(raw, '#') {
			continue
		}
		file, _, ok := strings.Cut(string(raw), ":")
		file = strings.TrimSpace(file)
		name, valid := ModuleName(file)
		if !ok || !valid || strings.ContainsAny(file, " \t") {
			probs.Skip(n, "not a module file and its dependencies")
			continue
		}
		if _, seen := out[name]; !seen {
			out[name] = file
		}
	}
	return out, probs
}

// taintFlags are the module taint letters (Documentation/admin-guide/
// tainted-kernels.rst).
var taintFlags = map[byte]string{
	'P': "proprietary",
	'O': "out-of-tree",
	'F': "forced",
	'C': "staging",
	'E': "unsigned",
	'T': "struct-randomization",
	'X': "externally-supported",
	'K': "livepatch",
	'N': "test",
}

// TaintNames returns the meanings of taint letters, in their order;
// unknown letters are named "unknown-X".
func TaintNames(taint string) []string {
	var out []string
	for i := 0; i < len(taint); i++ {
		name, ok := taintFlags[taint[i]]
		if !ok {
			name = "unknown-" + string(rune(taint[i]))
			if taint[i] >= 0x80 || taint[i] < 0x20 {
				name = "unknown"
			}
		}
		out = append(out, name)
	}
	return out
}
