// Package protocol is the output format of vigil-scan, shared by the
// scanner and by the agent's collectors that run it as a child process:
// JSON lines on standard output, one event.Asset per line, then exactly
// one summary line ({"summary":{...}}) that counts what came before it.
//
// It imports nothing heavy: the agent links this package, never the
// scanner's extractors.
package protocol

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/vigilsec/vigil/internal/event"
)

// Limits of a stream, checked by Read.
const (
	// MaxLine is the longest line: an asset at its largest (key, name,
	// version and event.MaxAssetFields of fields) fits with room to spare.
	MaxLine = 256 << 10
	// MaxAssets is the most asset lines one stream may carry.
	MaxAssets = 1 << 20
	// MaxErrorSamples is the most file errors a summary lists; Errors
	// counts them all.
	MaxErrorSamples = 20
)

// Exit statuses of vigil-scan.
const (
	// ExitOK: the scan completed and its set can be trusted.
	ExitOK = 0
	// ExitIncomplete: the scan ran but its set cannot be trusted (time
	// or file limit reached, a package database unreadable); the summary
	// says why.
	ExitIncomplete = 1
	// ExitUsage: wrong arguments; nothing was scanned.
	ExitUsage = 2
)

// Summary closes a stream: what was scanned and what went wrong.
type Summary struct {
	// Command is the scan that ran: "packages", "libraries" or
	// "passwords".
	Command string `json:"command"`
	// Complete is true when the set can be trusted: every database and
	// root was read within the limits. Errors on single files do not
	// make a library scan incomplete.
	Complete bool `json:"complete"`
	// Reason says why the scan is not complete.
	Reason string `json:"reason,omitempty"`
	// Assets is the number of lines written before the summary.
	Assets int `json:"assets"`
	// Sources are the package databases read (packages), relative to the
	// root.
	Sources []string `json:"sources,omitempty"`
	// Roots is the number of paths scanned (libraries).
	Roots int `json:"roots,omitempty"`
	// FilesVisited counts the files and folders the walk visited.
	FilesVisited int `json:"files_visited,omitempty"`
	// FilesExtracted counts the files handed to an extractor.
	FilesExtracted int `json:"files_extracted,omitempty"`
	// Errors counts the files that could not be read or parsed.
	Errors int `json:"errors"`
	// ErrorSamples lists the first MaxErrorSamples of them.
	ErrorSamples []FileError `json:"error_samples,omitempty"`
	// Skipped counts items left out, by reason ("unversioned",
	// "unidentified", "duplicate", "invalid", "missing_root" ...).
	Skipped map[string]int `json:"skipped,omitempty"`
	// Passwords is what a passwords scan counted.
	Passwords *PasswordStats `json:"passwords,omitempty"`
	// DurationMS is the scan's wall time in milliseconds.
	DurationMS int64 `json:"duration_ms"`
}

// FileError is one file the scanner could not read or parse.
type FileError struct {
	// Path is the file, relative to the root.
	Path string `json:"path"`
	// Extractor names the parser that failed ("os/dpkg", "java/archive").
	Extractor string `json:"extractor,omitempty"`
	// Error is the failure.
	Error string `json:"error"`
}

// AddError counts a file error and keeps it as a sample while there is
// room.
func (s *Summary) AddError(e FileError) {
	s.Errors++
	if len(s.ErrorSamples) < MaxErrorSamples {
		s.ErrorSamples = append(s.ErrorSamples, e)
	}
}

// Skip counts n items left out for reason.
func (s *Summary) Skip(reason string, n int) {
	if n == 0 {
		return
	}
	if s.Skipped == nil {
		s.Skipped = map[string]int{}
	}
	s.Skipped[reason] += n
}

// Incomplete marks the scan as not to be trusted; the first reason is
// kept.
func (s *Summary) Incomplete(reason string) {
	if s.Complete || s.Reason == "" {
		s.Reason = reason
	}
	s.Complete = false
}

// line is one line of the stream: an asset (its fields promoted) or the
// summary.
type line struct {
	event.Asset
	Summary *Summary `json:"summary,omitempty"`
}

// Writer writes a stream. It is not safe for concurrent use.
type Writer struct {
	w    *bufio.Writer
	n    int
	done bool
	err  error
}

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: bufio.NewWriterSize(w, 64<<10)} }

// Errors of Writer and Read.
var (
	// ErrInvalidAsset: an asset that event.Asset.Validate refuses, or
	// one of the wrong kind.
	ErrInvalidAsset = errors.New("invalid asset")
	// ErrLineTooLong: a line longer than MaxLine.
	ErrLineTooLong = errors.New("line too long")
	// ErrTooManyAssets: more than MaxAssets asset lines.
	ErrTooManyAssets = errors.New("too many assets")
	// ErrNoSummary: the stream ended without its summary line (the
	// scanner died or was killed).
	ErrNoSummary = errors.New("stream ended without a summary")
	// ErrAfterSummary: data after the summary line.
	ErrAfterSummary = errors.New("data after the summary")
	// ErrCountMismatch: the summary counts a different number of lines
	// than arrived.
	ErrCountMismatch = errors.New("summary count differs from the lines received")
	// ErrFinished: a write after Finish.
	ErrFinished = errors.New("stream already finished")
)

// Asset writes one asset; an asset that does not validate is refused
// (ErrInvalidAsset) and nothing is written.
func (w *Writer) Asset(a event.Asset) error {
	if w.done {
		return ErrFinished
	}
	if w.err != nil {
		return w.err
	}
	if err := a.Validate(); err != nil {
		return fmt.Errorf("%w: %s %q: %w", ErrInvalidAsset, a.Kind, a.Key, err)
	}
	b, err := json.Marshal(line{Asset: a})
	if err != nil {
		return fmt.Errorf("%w: %s %q: %w", ErrInvalidAsset, a.Kind, a.Key, err)
	}
	if len(b) >= MaxLine {
		return fmt.Errorf("%w: %s %q: %d bytes: %w", ErrInvalidAsset, a.Kind, a.Key, len(b), ErrLineTooLong)
	}
	if w.n >= MaxAssets {
		return ErrTooManyAssets
	}
	b = append(b, '\n')
	if _, err := w.w.Write(b); err != nil {
		w.err = fmt.Errorf("write asset: %w", err)
		return w.err
	}
	w.n++
	return nil
}

// Count is the number of assets written so far.
func (w *Writer) Count() int { return w.n }

// Finish writes the summary, with Assets set to the number of asset
// lines written, and flushes the stream.
func (w *Writer) Finish(s Summary) error {
	if w.done {
		return ErrFinished
	}
	w.done = true
	if w.err != nil {
		return w.err
	}
	s.Assets = w.n
	b, err := json.Marshal(struct {
		Summary *Summary `json:"summary"`
	}{&s})
	if err != nil {
		return fmt.Errorf("encode summary: %w", err)
	}
	b = append(b, '\n')
	if _, err := w.w.Write(b); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	if err := w.w.Flush(); err != nil {
		return fmt.Errorf("flush: %w", err)
	}
	return nil
}

// ReadStats counts the lines Read skipped.
type ReadStats struct {
	// Lines is the number of lines before the summary.
	Lines int
	// Malformed counts lines that are not JSON, or neither an asset nor
	// a summary.
	Malformed int
	// Invalid counts assets that do not validate or are of another kind
	// than asked for.
	Invalid int
}

// Read reads a stream from r, handing each valid asset of one of kinds
// (any kind when kinds is empty) to fn, and returns the summary. A
// malformed line or an invalid asset is skipped and counted; the stream
// as a whole is refused (an error) when a line is too long, there are too
// many assets, the summary is missing or not last, its count differs from
// the lines received, or fn returns an error.
func Read(r io.Reader, kinds []string, fn func(event.Asset) error) (Summary, ReadStats, error) {
	var st ReadStats
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxLine)
	var sum *Summary
	for sc.Scan() {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		if sum != nil {
			return *sum, st, ErrAfterSummary
		}
		var l line
		err := json.Unmarshal(b, &l)
		if err == nil && l.Summary != nil && l.Kind == "" && l.Key == "" {
			sum = l.Summary
			continue
		}
		st.Lines++
		if st.Lines > MaxAssets {
			return Summary{}, st, ErrTooManyAssets
		}
		if err != nil || l.Summary != nil || l.Kind == "" && l.Key == "" {
			st.Malformed++ // not JSON, a summary with asset fields, or neither
			continue
		}
		if err := l.Asset.Validate(); err != nil || !kindOK(l.Kind, kinds) {
			st.Invalid++
			continue
		}
		if err := fn(l.Asset); err != nil {
			return Summary{}, st, err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return Summary{}, st, fmt.Errorf("%w: more than %d bytes", ErrLineTooLong, MaxLine)
		}
		return Summary{}, st, fmt.Errorf("read: %w", err)
	}
	if sum == nil {
		return Summary{}, st, ErrNoSummary
	}
	if sum.Assets != st.Lines {
		return *sum, st, fmt.Errorf("%w: summary says %d, got %d", ErrCountMismatch, sum.Assets, st.Lines)
	}
	return *sum, st, nil
}

func kindOK(kind string, kinds []string) bool {
	if len(kinds) == 0 {
		return true
	}
	for _, k := range kinds {
		if k == kind {
			return true
		}
	}
	return false
}

// PackageDatabase is where a package manager keeps the list of installed
// packages, relative to the root.
type PackageDatabase struct {
	// Type is the package type: "deb", "rpm", "apk", "opkg".
	Type string
	// Group names alternatives: of the databases of one group, only the
	// first found is read.
	Group string
	// Path is the file or folder, relative to the root.
	Path string
	// Dir means Path is a folder of database files (dpkg's status.d).
	Dir bool
}

// PackageDatabases are the package databases vigil-scan reads, in order
// of preference within each group.
var PackageDatabases = []PackageDatabase{
	{Type: "deb", Group: "dpkg", Path: "var/lib/dpkg/status"},
	{Type: "deb", Group: "dpkg-status.d", Path: "var/lib/dpkg/status.d", Dir: true},
	{Type: "opkg", Group: "opkg", Path: "usr/lib/opkg/status"},
	{Type: "rpm", Group: "rpm", Path: "usr/lib/sysimage/rpm/rpmdb.sqlite"},
	{Type: "rpm", Group: "rpm", Path: "usr/lib/sysimage/rpm/Packages.db"},
	{Type: "rpm", Group: "rpm", Path: "usr/lib/sysimage/rpm/Packages"},
	{Type: "rpm", Group: "rpm", Path: "var/lib/rpm/rpmdb.sqlite"},
	{Type: "rpm", Group: "rpm", Path: "var/lib/rpm/Packages.db"},
	{Type: "rpm", Group: "rpm", Path: "var/lib/rpm/Packages"},
	{Type: "rpm", Group: "rpm", Path: "usr/share/rpm/rpmdb.sqlite"},
	{Type: "rpm", Group: "rpm", Path: "usr/share/rpm/Packages.db"},
	{Type: "rpm", Group: "rpm", Path: "usr/share/rpm/Packages"},
	{Type: "apk", Group: "apk", Path: "lib/apk/db/installed"},
	{Type: "apk", Group: "apk", Path: "usr/lib/apk/db/installed"},
	{Type: "apk", Group: "apk", Path: "var/lib/apk/db/installed"},
}
