package middleware

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Bounds of the Java archives read.
const (
	maxJarBytes   = 256 << 20
	maxEntryBytes = 1 << 20
	maxJarEntries = 200000
)

// ErrMalformed is wrapped by the errors of the parsers of this package.
var ErrMalformed = errors.New("malformed input")

// errNoEntry says an archive lacks the entry asked for.
var errNoEntry = errors.New("no such entry in the archive")

// zipEntry returns the content of entry name of the zip archive r of
// size bytes, at most maxEntryBytes.
func zipEntry(r io.ReaderAt, size int64, name string) ([]byte, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("%w: archive: %w", ErrMalformed, err)
	}
	if len(zr.File) > maxJarEntries {
		return nil, fmt.Errorf("%w: archive: %d entries", ErrMalformed, len(zr.File))
	}
	for _, zf := range zr.File {
		if zf.Name != name {
			continue
		}
		if zf.UncompressedSize64 > maxEntryBytes {
			return nil, fmt.Errorf("%s: %w: %d bytes", name, errTooLarge, zf.UncompressedSize64)
		}
		rc, err := zf.Open()
		if err != nil {
			return nil, fmt.Errorf("%w: archive entry %s: %w", ErrMalformed, name, err)
		}
		defer rc.Close()
		data, err := io.ReadAll(io.LimitReader(rc, maxEntryBytes+1))
		if err != nil {
			return nil, fmt.Errorf("%w: archive entry %s: %w", ErrMalformed, name, err)
		}
		if len(data) > maxEntryBytes {
			return nil, fmt.Errorf("%s: %w", name, errTooLarge)
		}
		return data, nil
	}
	return nil, fmt.Errorf("%s: %w", name, errNoEntry)
}

// ParseManifest parses the main section of a Java archive's manifest
// (META-INF/MANIFEST.MF): "Name: value" lines up to the first blank
// line, a line that starts with one space continuing the previous value.
// A line that is neither is skipped and counted in malformed.
func ParseManifest(data []byte) (attrs map[string]string, malformed int) {
	attrs = map[string]string{}
	var key string
	var val strings.Builder
	flush := func() {
		if key != "" {
			attrs[key] = val.String()
		}
		key = ""
		val.Reset()
	}
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(line) == 0 {
			break // the end of the main section
		}
		if line[0] == ' ' {
			if key == "" {
				malformed++
				continue
			}
			val.Write(line[1:])
			continue
		}
		flush()
		k, v, ok := bytes.Cut(line, []byte(": "))
		if !ok {
			if k2, ok2 := bytes.CutSuffix(line, []byte(":")); ok2 {
				k, v, ok = k2, nil, true
			}
		}
		if !ok || !validManifestName(k) {
			malformed++
			continue
		}
		key = string(k)
		val.Write(v)
	}
	flush()
	return attrs, malformed
}

// validManifestName reports whether b is a manifest attribute name:
// letters, digits, '-' and '_', at most 70 bytes.
func validManifestName(b []byte) bool {
	if len(b) == 0 || len(b) > 70 {
		return false
	}
	for _, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// ParseProperties parses a Java .properties file: "key=value",
// "key: value" or "key value" lines, '#' and '!' comments, a trailing
// backslash continuing the line, and the escapes \t \n \r \f \uXXXX. A
// bad \u escape is counted in malformed and its line skipped.
func ParseProperties(data []byte) (props map[string]string, malformed int) {
	props = map[string]string{}
	var logical []byte
	for len(data) > 0 {
		line := data
		if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
			line = data[:i]
			if data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n' {
				data = data[i+2:]
			} else {
				data = data[i+1:]
			}
		} else {
			data = nil
		}
		if logical == nil {
			line = bytes.TrimLeft(line, " \t\f")
			if len(line) == 0 || line[0] == '#' || line[0] == '!' {
				continue
			}
		} else {
			line = bytes.TrimLeft(line, " \t\f")
		}
		if endsInOddBackslashes(line) {
			logical = append(logical, line[:len(line)-1]...)
			if logical == nil {
				logical = []byte{}
			}
			continue
		}
		logical = append(logical, line...)
		k, v, err := splitProperty(logical)
		logical = nil
		if err != nil {
			malformed++
			continue
		}
		props[k] = v
	}
	if logical != nil {
		if k, v, err := splitProperty(logical); err == nil {
			props[k] = v
		} else {
			malformed++
		}
	}
	return props, malformed
}

// endsInOddBackslashes reports whether line ends in an odd number of
// backslashes (a continuation).
func endsInOddBackslashes(line []byte) bool {
	n := 0
	for i := len(line) - 1; i >= 0 && line[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// splitProperty splits one logical line into its unescaped key and value.
func splitProperty(line []byte) (string, string, error) {
	i := 0
	for i < len(line) {
		c := line[i]
		if c == '\\' {
			i += 2
			continue
		}
		if c == '=' || c == ':' || c == ' ' || c == '\t' || c == '\f' {
			break
		}
		i++
	}
	if i > len(line) {
		i = len(line)
	}
	key := line[:i]
	rest := bytes.TrimLeft(line[i:], " \t\f")
	if len(rest) > 0 && (rest[0] == '=' || rest[0] == ':') {
		rest = bytes.TrimLeft(rest[1:], " \t\f")
	}
	k, err := unescapeProperty(key)
	if err != nil {
		return "", "", err
	}
	v, err := unescapeProperty(rest)
	if err != nil {
		return "", "", err
	}
	return k, v, nil
}

// unescapeProperty resolves the escapes of a properties key or value.
func unescapeProperty(b []byte) (string, error) {
	if bytes.IndexByte(b, '\\') < 0 {
		return string(b), nil
	}
	var out strings.Builder
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '\\' || i+1 >= len(b) {
			if c != '\\' {
				out.WriteByte(c)
			}
			continue
		}
		i++
		switch b[i] {
		case 't':
			out.WriteByte('\t')
		case 'n':
			out.WriteByte('\n')
		case 'r':
			out.WriteByte('\r')
		case 'f':
			out.WriteByte('\f')
		case 'u':
			if i+4 >= len(b) {
				return "", fmt.Errorf("%w: properties: short \\u escape", ErrMalformed)
			}
			r, err := strconv.ParseUint(string(b[i+1:i+5]), 16, 32)
			if err != nil {
				return "", fmt.Errorf("%w: properties: bad \\u escape", ErrMalformed)
			}
			if !utf8.ValidRune(rune(r)) {
				r = utf8.RuneError
			}
			out.WriteRune(rune(r))
			i += 4
		default:
			out.WriteByte(b[i])
		}
	}
	return out.String(), nil
}
