package spool

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

const segSuffix = ".seg"

// segment is the in-memory account of one segment file.
type segment struct {
	seq     uint64
	size    int64 // bytes of good data, segment header included
	records int64
}

// segName is the file name of segment seq; names sort in sequence order.
func segName(seq uint64) string {
	return fmt.Sprintf("%016x%s", seq, segSuffix)
}

// parseSegName returns the sequence number of a segment file name.
func parseSegName(name string) (uint64, bool) {
	hex, ok := strings.CutSuffix(name, segSuffix)
	if !ok || len(hex) != 16 {
		return 0, false
	}
	seq, err := strconv.ParseUint(hex, 16, 64)
	return seq, err == nil && seq > 0
}

// listSegments returns the sequence numbers of the segment files in dir,
// oldest first.
func listSegments(dir string) ([]uint64, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list spool segments: %w", err)
	}
	var seqs []uint64
	for _, e := range entries {
		if seq, ok := parseSegName(e.Name()); ok && e.Type().IsRegular() {
			seqs = append(seqs, seq)
		}
	}
	slices.Sort(seqs)
	return seqs, nil
}

// createSegment creates segment seq with its header, ready for appending.
func createSegment(dir string, seq uint64, sync bool) (*os.File, error) {
	path := filepath.Join(dir, segName(seq))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create spool segment: %w", err)
	}
	if _, err := f.WriteAt([]byte(segMagic), 0); err != nil {
		return nil, errors.Join(fmt.Errorf("write spool segment header %s: %w", path, err), f.Close(), os.Remove(path))
	}
	if sync {
		if err := syncDir(dir); err != nil {
			return nil, errors.Join(err, f.Close())
		}
	}
	return f, nil
}

// removeSegment deletes segment seq; a file already gone is not an error.
func removeSegment(dir string, seq uint64) error {
	err := os.Remove(filepath.Join(dir, segName(seq)))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove spool segment: %w", err)
	}
	return nil
}
