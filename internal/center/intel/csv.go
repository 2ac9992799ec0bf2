package intel

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// csvColumn is a column of a CSV indicator file.
type csvColumn int

const (
	colUnknown csvColumn = iota
	colValue
	colType
	colDescription
	colSeverity
	colConfidence
	colTags
	colTechniques
	colReference
	colExpiresAt
)

// csvColumns maps the header names (lower case) to columns.
var csvColumns = map[string]csvColumn{
	"value": colValue, "indicator": colValue, "ioc": colValue,
	"type": colType, "indicator_type": colType, "ioc_type": colType,
	"description": colDescription, "comment": colDescription,
	"severity":   colSeverity,
	"confidence": colConfidence,
	"tags":       colTags, "labels": colTags,
	"techniques": colTechniques,
	"reference":  colReference,
	"expires_at": colExpiresAt, "expires": colExpiresAt, "valid_until": colExpiresAt,
}

// typeNames maps the type names files use (lower case) to types; ""
// means: detect from the value.
var typeNames = map[string]store.IndicatorType{
	"ip": store.IndicatorIP, "ipv4": store.IndicatorIP, "ipv6": store.IndicatorIP, "cidr": store.IndicatorIP,
	"ip-src": store.IndicatorIP, "ip-dst": store.IndicatorIP, "ipv4-addr": store.IndicatorIP, "ipv6-addr": store.IndicatorIP,
	"domain": store.IndicatorDomain, "hostname": store.IndicatorDomain, "fqdn": store.IndicatorDomain, "domain-name": store.IndicatorDomain,
	"url": store.IndicatorURL, "uri": store.IndicatorURL,
	"md5": store.IndicatorMD5, "sha1": store.IndicatorSHA1, "sha-1": store.IndicatorSHA1,
	"sha256": store.IndicatorSHA256, "sha-256": store.IndicatorSHA256,
	"hash": "", "filehash": "", "file-hash": "",
}

// parseType reads a type name; ok is false for an unknown one.
func parseType(s string) (store.IndicatorType, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return "", true
	}
	t, ok := typeNames[s]
	return t, ok
}

// parseCSV reads a CSV file with a header row (see Parse).
func parseCSV(br *bufio.Reader, c *collector) error {
	r := csv.NewReader(br)
	r.Comment = '#'
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err == io.EOF {
		return fmt.Errorf("%w: csv: no header row", ErrBadFile)
	}
	if err != nil {
		return csvError(err)
	}
	headerLine, _ := r.FieldPos(0)
	cols := make([]csvColumn, len(header))
	seen := map[csvColumn]bool{}
	for i, name := range header {
		name = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(name, "\ufeff")))
		col := csvColumns[name]
		switch {
		case col == colUnknown:
			c.problem(Problem{Line: headerLine, Entry: name, Reason: "unknown column ignored"})
		case seen[col]:
			c.problem(Problem{Line: headerLine, Entry: name, Reason: "column repeated: the first one is read"})
			col = colUnknown
		}
		seen[col] = true
		cols[i] = col
	}
	if !seen[colValue] {
		return fmt.Errorf("%w: csv: the header row names no value (or indicator) column", ErrBadFile)
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		var perr *csv.ParseError
		if errors.As(err, &perr) {
			c.read++
			c.problem(Problem{Line: perr.StartLine, Reason: "csv: " + perr.Err.Error()})
			continue
		}
		if err != nil {
			return csvError(err)
		}
		line, _ := r.FieldPos(0)
		c.read++
		e, err := csvEntry(cols, rec)
		if err != nil {
			c.problem(Problem{Line: line, Entry: e.value, Reason: err.Error()})
			continue
		}
		if strings.TrimSpace(e.value) == "" {
			c.problem(Problem{Line: line, Reason: "empty value"})
			continue
		}
		if _, err := c.add(e, Problem{Line: line}); err != nil {
			return err
		}
	}
}

// csvError wraps an error of the CSV reader: a parse error is a bad
// file, anything else a failed read.
func csvError(err error) error {
	var perr *csv.ParseError
	if errors.As(err, &perr) {
		return fmt.Errorf("%w: csv: %w", ErrBadFile, err)
	}
	return fmt.Errorf("read the indicator file: %w", err)
}

// csvEntry reads one row.
func csvEntry(cols []csvColumn, rec []string) (entry, error) {
	e := entry{confidence: -1}
	var errs []error
	for i, f := range rec {
		if i >= len(cols) {
			break
		}
		f = strings.TrimSpace(f)
		switch cols[i] {
		case colValue:
			e.value = f
		case colType:
			t, ok := parseType(f)
			if !ok {
				errs = append(errs, fmt.Errorf("type %q unknown", f))
			}
			e.typ = t
		case colDescription:
			e.description = f
		case colSeverity:
			e.severity = f
		case colConfidence:
			if f == "" {
				continue
			}
			n, err := strconv.Atoi(f)
			if err != nil || n < 0 || n > 100 {
				errs = append(errs, fmt.Errorf("confidence %q: want 0 to 100", f))
			}
			e.confidence = n
		case colTags:
			e.tags = splitList(f)
		case colTechniques:
			e.techniques = splitList(f)
		case colReference:
			e.reference = f
		case colExpiresAt:
			t, err := parseTime(f)
			if err != nil {
				errs = append(errs, err)
			}
			e.expiresAt = t
		}
	}
	return e, errors.Join(errs...)
}

// splitList splits a list separated by ';' or '|'.
func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '|' })
}

// parseTime reads an RFC 3339 time or a date (midnight UTC); "" is the
// zero time.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("time %q: want RFC 3339 (2026-01-02T15:04:05Z) or a date (2026-01-02)", s)
}
