package kmod

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/agent/plugin"
)

// Module is one loaded module, as a line of /proc/modules shows it:
//
//	nf_tables 307200 2 nft_ct,nft_chain_nat, Live 0xffffffffc0a41000 (OE)
type Module struct {
	Name string `json:"name"`
	// Size is the module's memory in bytes.
	Size uint64 `json:"size"`
	// Refs is its reference count, -1 where the kernel cannot unload
	// modules and shows none.
	Refs int `json:"-"`
	// UsedBy lists the modules that use it.
	UsedBy []string `json:"-"`
	// Permanent: the module has no exit function and cannot be
	// unloaded.
	Permanent bool `json:"-"`
	// State is Live, Loading or Unloading.
	State string `json:"-"`
	// Address is its load address; 0 when the kernel hides it
	// (kptr_restrict).
	Address uint64 `json:"address,omitempty"`
	// Taints holds the module's taint letters ("OE"), empty for none.
	Taints string `json:"taints,omitempty"`
}

// maxModuleLine bounds one line of /proc/modules; a module used by very
// many others has a long line, none comes near this.
const maxModuleLine = 1 << 20

// ParseProcModules reads /proc/modules. Lines it cannot parse are skipped
// and counted in bad; err is set only when reading failed.
func ParseProcModules(r io.Reader) (mods []Module, bad int, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxModuleLine)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		m, perr := ParseModuleLine(line)
		if perr != nil {
			bad++
			continue
		}
		mods = append(mods, m)
	}
	if err := sc.Err(); err != nil {
		return mods, bad, fmt.Errorf("read modules: %w", err)
	}
	return mods, bad, nil
}

// ParseModuleLine parses one line of /proc/modules.
func ParseModuleLine(line string) (Module, error) {
	f := strings.Fields(line)
	if len(f) < 6 || len(f) > 7 {
		return Module{}, fmt.Errorf("module line has %d fields, want 6 or 7", len(f))
	}
	m := Module{Name: f[0], State: f[4]}
	if !validModuleName(m.Name) {
		return Module{}, fmt.Errorf("bad module name %q", m.Name)
	}
	var err error
	if m.Size, err = strconv.ParseUint(f[1], 10, 64); err != nil {
		return Module{}, fmt.Errorf("module %s: size: %w", m.Name, err)
	}
	if f[2] == "-" {
		m.Refs = -1
	} else if m.Refs, err = strconv.Atoi(f[2]); err != nil {
		return Module{}, fmt.Errorf("module %s: bad reference count %q", m.Name, f[2])
	}
	if f[3] != "-" {
		for _, u := range strings.Split(f[3], ",") {
			if u == "" {
				continue
			}
			if u == "[permanent]" || u == "[unsafe]" {
				m.Permanent = true
				continue
			}
			if !validModuleName(u) {
				return Module{}, fmt.Errorf("module %s: bad user %q", m.Name, u)
			}
			m.UsedBy = append(m.UsedBy, u)
		}
	}
	switch m.State {
	case "Live", "Loading", "Unloading":
	default:
		return Module{}, fmt.Errorf("module %s: unknown state %q", m.Name, m.State)
	}
	addr, ok := strings.CutPrefix(f[5], "0x")
	if !ok {
		return Module{}, fmt.Errorf("module %s: address %q", m.Name, f[5])
	}
	if m.Address, err = strconv.ParseUint(addr, 16, 64); err != nil {
		return Module{}, fmt.Errorf("module %s: address: %w", m.Name, err)
	}
	if len(f) == 7 {
		// "(OE)", with "+" while loading and "-" while unloading.
		t, ok1 := strings.CutPrefix(f[6], "(")
		t, ok2 := strings.CutSuffix(t, ")")
		if !ok1 || !ok2 {
			return Module{}, fmt.Errorf("module %s: taints %q", m.Name, f[6])
		}
		t = strings.TrimRight(t, "+-")
		for i := 0; i < len(t); i++ {
			if t[i] < 'A' || t[i] > 'Z' {
				return Module{}, fmt.Errorf("module %s: taints %q", m.Name, f[6])
			}
		}
		m.Taints = t
	}
	return m, nil
}

// validModuleName reports whether s can be a module's name: at most 55
// bytes (MODULE_NAME_LEN less its NUL) of printable non-space ASCII.
func validModuleName(s string) bool {
	if s == "" || len(s) > 55 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' || s[i] == '/' {
			return false
		}
	}
	return true
}

// errNoModules is returned where the kernel has no /proc/modules: it was
// built without loadable module support.
var errNoModules = fmt.Errorf("the kernel has no loadable module support (no /proc/modules): %w", plugin.ErrUnsupported)

// taintLetters are the kernel's taint flags by bit (TAINT_*).
const taintLetters = "PFSRMBUDAWCIOELKXTNJ"

// taintNames describe the flags a module can carry.
var taintNames = map[byte]string{
	'P': "proprietary", 'F': "forced", 'C': "staging", 'O': "out-of-tree", 'E': "unsigned",
	'K': "livepatch", 'X': "auxiliary", 'T': "randstruct", 'N': "test",
}

// TaintString returns the letters of a module's taint mask, in the
// kernel's order.
func TaintString(mask uint64) string {
	var b strings.Builder
	for i := 0; i < len(taintLetters); i++ {
		if mask&(1<<i) != 0 {
			b.WriteByte(taintLetters[i])
		}
	}
	return b.String()
}

// taintDescriptions names the flags in taints ("OE" → out-of-tree,
// unsigned); letters without a module meaning are kept as they are.
func taintDescriptions(taints string) []string {
	out := make([]string, 0, len(taints))
	for i := 0; i < len(taints); i++ {
		if n, ok := taintNames[taints[i]]; ok {
			out = append(out, n)
		} else {
			out = append(out, string(taints[i]))
		}
	}
	return out
}
