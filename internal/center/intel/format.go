package intel

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// Format is the format of an indicator file.
type Format string

// Indicator file formats.
const (
	// FormatText is one value per line; see Parse.
	FormatText Format = "text"
	// FormatCSV is comma-separated values with a header row.
	FormatCSV Format = "csv"
	// FormatSTIX is a STIX 2.1 bundle.
	FormatSTIX Format = "stix"
	// FormatMISP is a MISP event (or a MISP search response).
	FormatMISP Format = "misp"
	// FormatJSON is a JSON array of indicator objects, as in POST /intel.
	FormatJSON Format = "json"
)

// Formats lists every format.
var Formats = []Format{FormatText, FormatCSV, FormatSTIX, FormatMISP, FormatJSON}

// Defaults and bounds of an import.
const (
	DefaultSeverity    = "medium"
	DefaultConfidence  = 50
	DefaultMaxProblems = 100
	// MaxIndicators bounds the indicators of one file.
	MaxIndicators = 5_000_000
)

// maxIndicators is MaxIndicators, lowered by tests.
var maxIndicators = MaxIndicators

// ImportOptions says how to read an indicator file and what to give the
// indicators it holds.
type ImportOptions struct {
	// Format is the file's format; "" detects it from the content.
	Format Format
	// Source names the feed or list; every indicator gets it.
	Source string
	// Severity is given to the entries that carry none ("" means
	// DefaultSeverity); Confidence likewise (0 means DefaultConfidence).
	Severity   string
	Confidence int
	// Tags are added to every indicator's own.
	Tags []string
	// ExpiresAt is given to the entries that carry no expiry (zero:
	// they never expire).
	ExpiresAt time.Time
	// Replace makes Service.Import delete the source's indicators that
	// the file does not list.
	Replace bool
	// Actor is who imports (Indicator.UpdatedBy).
	Actor string
	// MaxProblems bounds the problems reported (0 means
	// DefaultMaxProblems); those beyond are counted in one last problem.
	MaxProblems int
}

// Problem is one entry of a file that was not imported, and why.
type Problem struct {
	// Line is the line of a text or CSV file (1 is the first).
	Line int `json:"line,omitempty"`
	// Entry names the entry: the value, or the object id of a STIX or
	// MISP file, or its index in a JSON array.
	Entry  string `json:"entry,omitempty"`
	Reason string `json:"reason"`
}

// ImportResult is what an import did. Read counts the entries found (text
// lines with a value, CSV rows, JSON array items, STIX indicator objects,
// MISP attributes); one STIX pattern may hold several values and one MISP
// domain|ip attribute two, while duplicates merge into one indicator, so
// Added plus Updated may differ from Read minus Skipped minus the entries
// with problems. Skipped counts the entries left out on purpose: revoked
// STIX indicators and those of another pattern language, MISP attributes
// not meant for detection (to_ids false), deleted or of a type that is no
// indicator here.
type ImportResult struct {
	Format   Format    `json:"format"`
	Source   string    `json:"source"`
	Read     int       `json:"read"`
	Added    int       `json:"added"`
	Updated  int       `json:"updated"`
	Removed  int       `json:"removed"`
	Skipped  int       `json:"skipped"`
	Problems []Problem `json:"problems"`
}

// Parse reads an indicator file. When opts.Format is "" the format is
// found from the content: a JSON object is a STIX bundle
// ({"type":"bundle","objects":[...]}) or a MISP event ({"Event":{...}},
// or a search response {"response":[{"Event":...}]} or
// {"response":{"Attribute":[...]}}); a JSON array is FormatJSON; text
// whose first line (comments aside) is a CSV header — it names a value,
// indicator or ioc column and none of its fields is an indicator value —
// is CSV; anything else is text. Compressed and binary data are refused.
//
// Text: one value per line (type detected, see Detect); blank lines and
// lines starting with '#', ';' or "//" are comments; after the value, the
// rest of the line (past white space or a comma, and a leading '#' or
// ';') is its description.
//
// CSV: a header row, then one indicator per row. Columns (any case):
// value (or indicator, ioc), type (detected when absent or empty;
// ip/ipv4/ipv6/cidr/ip-src/ip-dst, domain/hostname/fqdn,
// url/uri, md5, sha1/sha-1, sha256/sha-256, hash), description (or
// comment), severity, confidence, tags (or labels; separated by ';' or
// '|'), techniques (ATT&CK ids, same separators), reference, expires_at
// (or expires, valid_until; RFC 3339 or 2006-01-02). Lines starting with
// '#' are comments; unknown columns are reported once and ignored.
//
// FormatJSON: an array whose items are indicator objects ({"type"?,
// "value", "description"?, "severity"?, "confidence"?, "tags"?,
// "techniques"?, "reference"?, "expires_at"?}; the other fields of a
// listed store.Indicator are accepted and ignored, so that a listing can
// be imported again) or bare value strings.
//
// STIX and MISP: see the package documentation.
//
// Every indicator gets opts.Source, the ID store.IndicatorID gives it, and
// opts' Severity, Confidence, ExpiresAt when the entry has none, plus
// opts.Tags. Entries of the same type and value merge into one: the first
// description and reference, the highest severity and confidence, the
// latest expiry (none beats any), the union of tags and techniques. Bad
// entries become Problems and never stop the others; a file that is no
// indicator file at all, or has more than MaxIndicators indicators, is an
// error matching ErrBadFile. A failed read returns the reader's error,
// wrapped.
func Parse(r io.Reader, opts ImportOptions) ([]store.Indicator, []Problem, Format, error) {
	p, err := parse(r, opts)
	if err != nil {
		return nil, nil, p.format, err
	}
	return p.indicators(), p.problems, p.format, nil
}

// parsed is the whole outcome of parse. The indicators are in chunks of
// chunkSize (the last one shorter), in file order.
type parsed struct {
	chunks        [][]store.Indicator
	count         int
	problems      []Problem
	format        Format
	read, skipped int
}

// indicators returns the indicators in one slice.
func (p parsed) indicators() []store.Indicator {
	if len(p.chunks) == 1 {
		return p.chunks[0]
	}
	ins := make([]store.Indicator, 0, p.count)
	for _, ch := range p.chunks {
		ins = append(ins, ch...)
	}
	return ins
}

// sniffSize is how much of a file format detection looks at.
const sniffSize = 64 << 10

func parse(r io.Reader, opts ImportOptions) (parsed, error) {
	c, err := newCollector(opts)
	if err != nil {
		return parsed{format: opts.Format}, err
	}
	br := bufio.NewReaderSize(r, sniffSize)
	head, err := br.Peek(sniffSize)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return parsed{format: opts.Format}, fmt.Errorf("read the indicator file: %w", err)
	}
	if bytes.HasPrefix(head, utf8BOM) {
		br.Discard(len(utf8BOM))
		head = head[len(utf8BOM):]
	}
	format := opts.Format
	if format == "" {
		if format, err = sniff(head); err != nil {
			return parsed{}, err
		}
	} else if !slices.Contains(Formats, format) {
		return parsed{format: format}, fmt.Errorf("%w: format %q: want one of text, csv, stix, misp, json", ErrBadFile, format)
	}
	c.format = format
	switch format {
	case FormatText:
		if err := checkText(head); err != nil {
			return parsed{format: format}, err
		}
		err = parseText(br, c)
	case FormatCSV:
		if err := checkText(head); err != nil {
			return parsed{format: format}, err
		}
		err = parseCSV(br, c)
	case FormatJSON:
		err = parseJSONArray(br, c)
	case FormatSTIX, FormatMISP:
		err = parseJSONObject(br, c, opts.Format)
	}
	if err != nil {
		return parsed{format: c.format}, err
	}
	return c.finish(), nil
}

var utf8BOM = []byte{0xef, 0xbb, 0xbf}

// sniff finds the format of a file from its first bytes.
func sniff(head []byte) (Format, error) {
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	switch {
	case len(trimmed) == 0:
		return FormatText, nil
	case trimmed[0] == '{':
		// STIX or MISP: told apart by the keys (parseJSONObject).
		return FormatSTIX, nil
	case trimmed[0] == '[':
		return FormatJSON, nil
	}
	if err := checkText(head); err != nil {
		return "", err
	}
	if csvHeader(head) {
		return FormatCSV, nil
	}
	return FormatText, nil
}

// checkText refuses binary data: compressed files and files with NUL
// bytes.
func checkText(head []byte) error {
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return fmt.Errorf("%w: gzip-compressed data: decompress it first", ErrBadFile)
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return fmt.Errorf("%w: zip archive: extract the file first", ErrBadFile)
	case bytes.IndexByte(head, 0) >= 0:
		return fmt.Errorf("%w: binary data (NUL byte), not text", ErrBadFile)
	}
	return nil
}

// csvHeader reports whether the first line that is no comment is a CSV
// header: a value column named, and no field that is an indicator value.
func csvHeader(head []byte) bool {
	for len(head) > 0 {
		line := head
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			line, head = head[:i], head[i+1:]
		} else {
			head = nil
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		if !bytes.Contains(line, []byte(",")) {
			return false
		}
		rec, err := csv.NewReader(bytes.NewReader(line)).Read()
		if err != nil {
			return false
		}
		named := false
		for _, f := range rec {
			if _, _, err := Detect(f); err == nil {
				return false // a value: no header
			}
			if csvColumns[strings.ToLower(strings.TrimSpace(f))] == colValue {
				named = true
			}
		}
		return named
	}
	return false
}
