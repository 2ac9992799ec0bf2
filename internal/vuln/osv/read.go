package osv

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// DefaultMaxEntrySize is the largest record file or zip entry read when
// ReadOptions.MaxEntrySize is zero. The largest OSV records (kernel
// advisories listing hundreds of versions) are a few hundred KiB.
const DefaultMaxEntrySize = 8 << 20

// DefaultMaxProblems is how many problems a Report lists when
// ReadOptions.MaxProblems is zero.
const DefaultMaxProblems = 100

// ReadOptions tunes a read of records.
type ReadOptions struct {
	// MaxEntrySize bounds the bytes read for one file or zip entry;
	// larger ones are counted as oversized and skipped.
	MaxEntrySize int64
	// MaxProblems bounds how many problems the report lists; all are
	// counted.
	MaxProblems int
	// Progress, when set, is called after each file or zip entry with the
	// number done and the total.
	Progress func(done, total int)
}

func (o ReadOptions) maxEntry() int64 {
	if o.MaxEntrySize > 0 {
		return o.MaxEntrySize
	}
	return DefaultMaxEntrySize
}

func (o ReadOptions) maxProblems() int {
	if o.MaxProblems > 0 {
		return o.MaxProblems
	}
	return DefaultMaxProblems
}

// Problem is one record file or entry that was not imported.
type Problem struct {
	// File names the file, or the archive and its entry joined by "!/".
	File   string `json:"file"`
	Reason string `json:"reason"`
}

// Report tells what a read found.
type Report struct {
	// Entries counts the files and zip entries read.
	Entries int `json:"entries"`
	// Records counts the records handed to the handler.
	Records int `json:"records"`
	// Bad counts records rejected as malformed.
	Bad int `json:"bad"`
	// Oversized counts files and entries larger than the size limit.
	Oversized int `json:"oversized"`
	// Skipped counts zip entries that are not JSON files (folders,
	// other files).
	Skipped int `json:"skipped"`
	// Problems lists the first bad and oversized entries with the reason.
	Problems []Problem `json:"problems,omitempty"`
}

// Handler receives each valid record. Returning an error stops the read,
// which returns that error.
type Handler func(*Record) error

type reader struct {
	opts  ReadOptions
	rep   Report
	h     Handler
	done  int
	total int
	buf   bytes.Buffer
}

func newReader(opts ReadOptions, h Handler) *reader {
	return &reader{opts: opts, h: h}
}

func (rd *reader) problem(file, reason string) {
	if len(rd.rep.Problems) < rd.opts.maxProblems() {
		rd.rep.Problems = append(rd.rep.Problems, Problem{File: file, Reason: reason})
	}
}

func (rd *reader) step() {
	rd.done++
	if rd.opts.Progress != nil {
		rd.opts.Progress(rd.done, rd.total)
	}
}

func (rd *reader) oversized(file string, size int64) {
	rd.rep.Oversized++
	rd.problem(file, fmt.Sprintf("larger than %d bytes (%d)", rd.opts.maxEntry(), size))
}

// handle parses one file's content: a record, or a JSON array of
// records.
func (rd *reader) handle(file string, data []byte) error {
	rd.rep.Entries++
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(trimmed, &list); err != nil {
			rd.rep.Bad++
			rd.problem(file, fmt.Sprintf("not a JSON array of records: %v", err))
			return nil
		}
		for i, raw := range list {
			if err := rd.one(fmt.Sprintf("%s[%d]", file, i), raw); err != nil {
				return err
			}
		}
		return nil
	}
	return rd.one(file, data)
}

func (rd *reader) one(file string, data []byte) error {
	r, err := Parse(data)
	if err != nil {
		rd.rep.Bad++
		reason := err.Error()
		if Detect(data) == FormatKEV {
			reason = "a Known Exploited Vulnerabilities catalog, not an OSV record"
		}
		rd.problem(file, reason)
		return nil
	}
	rd.rep.Records++
	if err := rd.h(r); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	return nil
}

// readLimited reads at most the entry limit from r into the reader's
// buffer; false when there is more.
func (rd *reader) readLimited(r io.Reader) ([]byte, bool, error) {
	rd.buf.Reset()
	limit := rd.opts.maxEntry()
	n, err := rd.buf.ReadFrom(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, false, err
	}
	if n > limit {
		return nil, false, nil
	}
	return rd.buf.Bytes(), true, nil
}

// ReadZip reads the records of a zip archive as osv.dev exports them
// (<Ecosystem>/all.zip, one JSON record per entry), entry by entry,
// without unpacking it. name is used in problems and errors. Malformed
// records are counted and listed in the report; a corrupt archive
// (truncated, bad checksum) is an error.
func ReadZip(ra io.ReaderAt, size int64, name string, opts ReadOptions, h Handler) (Report, error) {
	rd := newReader(opts, h)
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return rd.rep, fmt.Errorf("zip %s: %w", name, err)
	}
	rd.total = len(zr.File)
	err = rd.zip(name, zr)
	return rd.rep, err
}

// ReadZipFile reads the records of a zip archive on disk; see ReadZip.
func ReadZipFile(path string, opts ReadOptions, h Handler) (Report, error) {
	rd := newReader(opts, h)
	err := rd.zipFile(path, true)
	return rd.rep, err
}

func (rd *reader) zipFile(path string, counting bool) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("zip: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("zip: %w", err)
	}
	zr, err := zip.NewReader(f, fi.Size())
	if err != nil {
		return fmt.Errorf("zip %s: %w", path, err)
	}
	if counting {
		rd.total += len(zr.File)
	}
	return rd.zip(path, zr)
}

func (rd *reader) zip(name string, zr *zip.Reader) error {
	for _, zf := range zr.File {
		if err := rd.zipEntry(name, zf); err != nil {
			return err
		}
		rd.step()
	}
	return nil
}

func (rd *reader) zipEntry(name string, zf *zip.File) error {
	file := name + "!/" + zf.Name
	if zf.FileInfo().IsDir() || !strings.EqualFold(filepath.Ext(zf.Name), ".json") {
		rd.rep.Skipped++
		return nil
	}
	if zf.UncompressedSize64 > uint64(rd.opts.maxEntry()) {
		rd.oversized(file, int64(min(zf.UncompressedSize64, 1<<62)))
		return nil
	}
	rc, err := zf.Open()
	if err != nil {
		return fmt.Errorf("zip %s: entry %s: %w", name, zf.Name, err)
	}
	data, ok, err := rd.readLimited(rc)
	rc.Close()
	if err != nil {
		return fmt.Errorf("zip %s: entry %s: %w", name, zf.Name, err)
	}
	if !ok {
		// The header understated the size.
		rd.oversized(file, rd.opts.maxEntry()+1)
		return nil
	}
	return rd.handle(file, data)
}

// ReadFile reads one JSON file holding a record or an array of records.
// A file that is not OSV at all (a KEV catalog, say) is an error; a
// malformed record is counted and listed in the report.
func ReadFile(path string, opts ReadOptions, h Handler) (Report, error) {
	rd := newReader(opts, h)
	rd.total = 1
	err := rd.jsonFile(path, true)
	return rd.rep, err
}

func (rd *reader) jsonFile(path string, alone bool) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("osv: %w", err)
	}
	defer f.Close()
	data, ok, err := rd.readLimited(f)
	if err != nil {
		return fmt.Errorf("osv: read %s: %w", path, err)
	}
	defer rd.step()
	if !ok {
		rd.rep.Entries++
		rd.oversized(path, rd.opts.maxEntry()+1)
		return nil
	}
	if alone {
		switch Detect(data) {
		case FormatKEV:
			return fmt.Errorf("osv: %s is a Known Exploited Vulnerabilities catalog, not OSV records", path)
		case FormatUnknown:
			return fmt.Errorf("osv: %s is neither an OSV record nor an array of records", path)
		}
	}
	return rd.handle(path, data)
}

// ReadDir reads every .json and .zip file under dir, in lexical order.
func ReadDir(dir string, opts ReadOptions, h Handler) (Report, error) {
	rd := newReader(opts, h)
	var jsons, zips []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		switch strings.ToLower(filepath.Ext(path)) {
		case ".json":
			jsons = append(jsons, path)
		case ".zip":
			zips = append(zips, path)
		}
		return nil
	})
	if err != nil {
		return rd.rep, fmt.Errorf("osv: %w", err)
	}
	rd.total = len(jsons)
	for _, z := range zips {
		n, err := countZipEntries(z)
		if err != nil {
			return rd.rep, err
		}
		rd.total += n
	}
	for _, p := range jsons {
		if err := rd.jsonFile(p, false); err != nil {
			return rd.rep, err
		}
	}
	for _, z := range zips {
		if err := rd.zipFile(z, false); err != nil {
			return rd.rep, err
		}
	}
	return rd.rep, nil
}

func countZipEntries(path string) (int, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return 0, fmt.Errorf("zip %s: %w", path, err)
	}
	defer zr.Close()
	return len(zr.File), nil
}

// Read reads records from a folder (ReadDir), a zip archive (ReadZipFile)
// or a JSON file (ReadFile), by what path is.
func Read(path string, opts ReadOptions, h Handler) (Report, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Report{}, fmt.Errorf("osv: %w", err)
	}
	switch {
	case fi.IsDir():
		return ReadDir(path, opts, h)
	case strings.EqualFold(filepath.Ext(path), ".zip"):
		return ReadZipFile(path, opts, h)
	default:
		return ReadFile(path, opts, h)
	}
}
