package middleware

import (
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Bounds of the executable scans.
const (
	maxSectionBytes = 256 << 20
	scanChunk       = 1 << 20
)

// errNoVersion says a file holds no version the scan could trust.
var errNoVersion = errors.New("no version found")

// Marker says how a product writes its version into its executable's
// read-only data: Prefix right before the version ("nginx/1.22.1"),
// or Suffix right after it ("10.11.19-MariaDB"). The version is a dotted
// number of at least two components; with a Prefix and no Suffix, the
// byte after it must not continue a word, and with no Prefix the version
// must start a string (the byte before it is a NUL): "for example
// 10.1.1-MariaDB" in a help text is not the version.
type Marker struct {
	Prefix, Suffix string
}

// ELFVersion returns the version marked by m in the .rodata section of
// the ELF file r. Every occurrence is read: the one with the most
// components wins ("Apache/2.4.71" over "Apache/2.4"); two different
// versions of the same length make the result ambiguous, and an error.
func ELFVersion(r io.ReaderAt, m Marker) (string, error) {
	f, err := elf.NewFile(r)
	if err != nil {
		return "", fmt.Errorf("%w: elf: %w", ErrMalformed, err)
	}
	sec := f.Section(".rodata")
	if sec == nil || sec.Type == elf.SHT_NOBITS {
		return "", fmt.Errorf("%w: elf: no .rodata section", ErrMalformed)
	}
	if sec.Size > maxSectionBytes {
		return "", fmt.Errorf("elf: .rodata: %w: %d bytes", errTooLarge, sec.Size)
	}
	return scanVersions(sec.Open(), m)
}

// scanVersions reads r in chunks, overlapping by enough bytes that no
// marked version is cut, and picks the version as ELFVersion says.
func scanVersions(r io.Reader, m Marker) (string, error) {
	overlap := len(m.Prefix) + len(m.Suffix) + 64
	buf := make([]byte, 0, scanChunk+overlap)
	seen := map[string]bool{}
	var offset int64
	for {
		n, err := io.ReadFull(r, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		for _, v := range VersionsIn(buf, m) {
			seen[v] = true
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return "", fmt.Errorf("elf: read .rodata at %d: %w", offset, err)
		}
		offset += int64(n)
		keep := min(overlap, len(buf))
		copy(buf, buf[len(buf)-keep:])
		buf = buf[:keep]
	}
	return pickVersion(seen)
}

// pickVersion chooses among the versions found: the most components,
// then the only one of them.
func pickVersion(seen map[string]bool) (string, error) {
	best, bestParts, ties := "", 0, 0
	for v := range seen {
		parts := strings.Count(v, ".") + 1
		switch {
		case parts > bestParts:
			best, bestParts, ties = v, parts, 1
		case parts == bestParts:
			ties++
		}
	}
	if best == "" {
		return "", errNoVersion
	}
	if ties > 1 {
		return "", fmt.Errorf("%w: %d different versions of %d components", errNoVersion, ties, bestParts)
	}
	return best, nil
}

// VersionsIn returns the versions marked by m in data, in order of
// appearance, with repeats.
func VersionsIn(data []byte, m Marker) []string {
	var out []string
	switch {
	case m.Prefix != "":
		p := []byte(m.Prefix)
		for i := 0; i < len(data); {
			j := bytes.Index(data[i:], p)
			if j < 0 {
				break
			}
			start := i + j + len(p)
			i = i + j + 1
			v, ok := dottedVersion(string(data[start:min(len(data), start+64)]))
			if !ok {
				continue
			}
			end := start + len(v)
			if m.Suffix != "" {
				if !bytes.HasPrefix(data[end:], []byte(m.Suffix)) {
					continue
				}
			} else if end < len(data) && wordByte(data[end]) {
				continue
			} else if end == len(data) {
				continue // may be cut: the next chunk sees it whole
			}
			out = append(out, v)
		}
	case m.Suffix != "":
		s := []byte(m.Suffix)
		for i := 0; i < len(data); {
			j := bytes.Index(data[i:], s)
			if j < 0 {
				break
			}
			end := i + j
			i = end + 1
			start := end
			for start > 0 && end-start < 64 && isVersionByte(data[start-1]) {
				start--
			}
			if start == 0 || start == end || data[start-1] != 0 {
				continue // no version, one that may be cut, or one inside a text
			}
			if v, ok := dottedVersion(string(data[start:end])); ok && len(v) == end-start {
				out = append(out, v)
			}
		}
	}
	return out
}

// wordByte reports whether c continues a word or a version.
func wordByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '.' || c == '_' || c == '-'
}

// GoVersion returns the version of a Go executable from its build
// information: the main module's version, or else the value that the
// build's -ldflags set with -X for one of vars (the way docker and
// containerd stamp their releases).
func GoVersion(r io.ReaderAt, vars []string) (string, error) {
	bi, err := buildinfo.Read(r)
	if err != nil {
		return "", fmt.Errorf("%w: go build information: %w", ErrMalformed, err)
	}
	for _, s := range bi.Settings {
		if s.Key != "-ldflags" {
			continue
		}
		if v, ok := LdflagsVar(s.Value, vars); ok {
			return v, nil
		}
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return strings.TrimPrefix(v, "v"), nil
	}
	return "", errNoVersion
}

// LdflagsVar finds "-X name=value" for one of vars in a linker flags
// string (quoted or not, "-X=name=value" too) and returns the value,
// without a leading "v".
func LdflagsVar(flags string, vars []string) (string, bool) {
	fields := strings.FieldsFunc(flags, func(r rune) bool { return r == ' ' || r == '\t' || r == '\'' || r == '"' })
	for i, f := range fields {
		var assign string
		switch {
		case f == "-X" || f == "--X":
			if i+1 < len(fields) {
				assign = fields[i+1]
			}
		case strings.HasPrefix(f, "-X="):
			assign = f[3:]
		case strings.HasPrefix(f, "--X="):
			assign = f[4:]
		default:
			continue
		}
		name, val, ok := strings.Cut(assign, "=")
		if !ok {
			continue
		}
		for _, v := range vars {
			if name == v {
				val = strings.TrimPrefix(val, "v")
				if val == "" {
					return "", false
				}
				return val, true
			}
		}
	}
	return "", false
}
