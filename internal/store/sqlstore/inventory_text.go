package sqlstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

// errInvalidAsset is returned (wrapped) by Apply for changes that no agent
// sends: an invalid item, a zero hash, an item twice.
var errInvalidAsset = errors.New("invalid inventory changes")

// checkAsset validates an upsert as event.Asset.Validate does, with its
// fields already encoded: a JSON object in UTF-8 or nothing.
func checkAsset(r store.AssetRecord) error {
	a := event.Asset{Kind: r.Kind, Key: r.Key, Name: r.Name, Version: r.Version}
	if err := a.Validate(); err != nil {
		return fmt.Errorf("%w: %w", errInvalidAsset, err)
	}
	if r.Hash == ([32]byte{}) {
		return fmt.Errorf("%w: %s/%s has no hash", errInvalidAsset, r.Kind, r.Key)
	}
	if len(r.Fields) == 0 {
		return nil
	}
	if len(r.Fields) > event.MaxAssetFields {
		return fmt.Errorf("%w: %s/%s: %w: %d bytes, more than %d", errInvalidAsset, r.Kind, r.Key,
			event.ErrAssetFields, len(r.Fields), event.MaxAssetFields)
	}
	trimmed := bytes.TrimLeft(r.Fields, " \t\r\n")
	if !utf8.Valid(r.Fields) || !json.Valid(r.Fields) || len(trimmed) == 0 || trimmed[0] != '{' {
		return fmt.Errorf("%w: %s/%s: %w: not a JSON object in UTF-8", errInvalidAsset, r.Kind, r.Key, event.ErrAssetFields)
	}
	return nil
}

// assetSearch is the case-folded text AssetFilter.Q is matched against:
// key, name, version and the values (not the names) of the fields, one a
// line. NULs become spaces: PostgreSQL's text cannot hold them.
func assetSearch(r store.AssetRecord) string {
	b := make([]byte, 0, len(r.Key)+len(r.Name)+len(r.Version)+len(r.Fields)+4)
	b = append(b, r.Key...)
	b = append(b, '\n')
	b = append(b, r.Name...)
	b = append(b, '\n')
	b = append(b, r.Version...)
	b = append(b, '\n')
	b = appendFieldValues(b, r.Fields)
	return foldText(string(b))
}

// changeSearch is the case-folded text AssetChangeFilter.Q is matched
// against.
func changeSearch(key, name string) string { return foldText(key + "\n" + name) }

// foldText lower-cases s and replaces NULs with spaces.
func foldText(s string) string {
	s = strings.ToLower(s)
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", " ")
	}
	return s
}

// appendFieldValues appends the string and number values of the JSON
// document doc to b, each followed by a newline, in document order. Object
// keys, true, false and null are left out. doc must be valid JSON in
// UTF-8 (see checkAsset); anything else gives a partial result, never a
// panic.
func appendFieldValues(b, doc []byte) []byte {
	for i := 0; i < len(doc); {
		switch c := doc[i]; {
		case c == '"':
			end := stringEnd(doc, i)
			if end < 0 {
				return b
			}
			if isKey(doc, end+1) {
				i = end + 1
				continue
			}
			b = appendString(b, doc[i:end+1])
			b = append(b, '\n')
			i = end + 1
		case c == '-' || (c >= '0' && c <= '9'):
			j := i + 1
			for j < len(doc) && strings.IndexByte("0123456789+-.eE", doc[j]) >= 0 {
				j++
			}
			b = append(b, doc[i:j]...)
			b = append(b, '\n')
			i = j
		default: // punctuation, white space, the letters of true, false and null
			i++
		}
	}
	return b
}

// stringEnd returns the index of the quote that closes the string opened
// at doc[start], or -1.
func stringEnd(doc []byte, start int) int {
	for i := start + 1; i < len(doc); i++ {
		switch doc[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

// isKey reports whether the string ending before doc[i] is an object key:
// the next character that is not white space is a colon.
func isKey(doc []byte, i int) bool {
	for ; i < len(doc); i++ {
		switch doc[i] {
		case ' ', '\t', '\r', '\n':
		case ':':
			return true
		default:
			return false
		}
	}
	return false
}

// appendString appends the value of the quoted JSON string q.
func appendString(b, q []byte) []byte {
	raw := q[1 : len(q)-1]
	if bytes.IndexByte(raw, '\\') < 0 {
		return append(b, raw...)
	}
	var s string
	if err := json.Unmarshal(q, &s); err != nil {
		return append(b, raw...) // not reached for valid JSON
	}
	return append(b, s...)
}
