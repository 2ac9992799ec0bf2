package persist

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"hash/fnv"
	"slices"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/textfile"
)

// Bounds of the line comparison of whole files.
const (
	// maxBodyBytes is the largest text whose lines are compared.
	maxBodyBytes = 1 << 20
	// maxHashedLines bounds the line hashes kept for one file.
	maxHashedLines = 20000
	// maxLineBytes bounds one reported line.
	maxLineBytes = 512
)

// isText reports whether data looks like text: no NUL byte in its first
// 8 KiB.
func isText(data []byte) bool {
	return bytes.IndexByte(data[:min(len(data), 8192)], 0) < 0
}

// lineHash hashes one line (without its line ending).
func lineHash(line []byte) uint64 {
	h := fnv.New64a()
	h.Write(bytes.TrimSuffix(line, []byte{'\r'}))
	return h.Sum64()
}

// encodeLines returns the sorted distinct hashes of the lines of data,
// encoded for the state.
func encodeLines(data []byte) string {
	var hs []uint64
	for _, line := range textfile.Lines(data) {
		if len(hs) == maxHashedLines {
			break
		}
		hs = append(hs, lineHash(line))
	}
	slices.Sort(hs)
	hs = slices.Compact(hs)
	buf := make([]byte, 8*len(hs))
	for i, h := range hs {
		binary.BigEndian.PutUint64(buf[8*i:], h)
	}
	return base64.StdEncoding.EncodeToString(buf)
}

// decodeLines decodes encodeLines's form; nil when it is not valid.
func decodeLines(s string) []uint64 {
	buf, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(buf)%8 != 0 {
		return nil
	}
	hs := make([]uint64, len(buf)/8)
	for i := range hs {
		hs[i] = binary.BigEndian.Uint64(buf[8*i:])
	}
	return hs
}

// lineDiff compares a file's new text with the line hashes of its old
// content: the new lines (blank lines and comments not shown, at most
// max), how many lines were added, and how many old ones are gone.
func lineDiff(body string, oldLines string, max int) (shown []string, added, removed int) {
	old := decodeLines(oldLines)
	has := func(h uint64) bool {
		_, found := slices.BinarySearch(old, h)
		return found
	}
	seen := map[uint64]bool{}
	for _, line := range textfile.Lines([]byte(body)) {
		h := lineHash(line)
		if has(h) || seen[h] {
			continue
		}
		seen[h] = true
		added++
		t := bytes.TrimSpace(line)
		if len(t) == 0 || t[0] == '#' && !bytes.HasPrefix(t, []byte("#!")) || len(shown) >= max {
			continue
		}
		shown = append(shown, clipLine(string(bytes.TrimSuffix(line, []byte{'\r'}))))
	}
	cur := decodeLines(encodeLines([]byte(body)))
	for _, h := range old {
		if _, found := slices.BinarySearch(cur, h); !found {
			removed++
		}
	}
	return shown, added, removed
}

func clipLine(s string) string {
	if len(s) <= maxLineBytes {
		return s
	}
	i := maxLineBytes
	for i > 0 && s[i]&0xC0 == 0x80 {
		i--
	}
	return s[:i] + "…"
}
