package intel

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// jsonIndicator is one item of a FormatJSON file.
type jsonIndicator struct {
	Type        string   `json:"type"`
	Value       string   `json:"value"`
	Description string   `json:"description"`
	Severity    string   `json:"severity"`
	Confidence  *int     `json:"confidence"`
	Tags        []string `json:"tags"`
	Techniques  []string `json:"techniques"`
	Reference   string   `json:"reference"`
	ExpiresAt   string   `json:"expires_at"`

	// The other fields of a listed store.Indicator: accepted and
	// ignored (the source is the import's, the rest the store's).
	ID        json.RawMessage `json:"id"`
	Source    json.RawMessage `json:"source"`
	CreatedAt json.RawMessage `json:"created_at"`
	UpdatedAt json.RawMessage `json:"updated_at"`
	UpdatedBy json.RawMessage `json:"updated_by"`
	Hits      json.RawMessage `json:"hits"`
	LastHitAt json.RawMessage `json:"last_hit_at"`
}

// entry checks the fields of an item and returns it as an entry.
func (j jsonIndicator) entry() (entry, error) {
	e := entry{value: j.Value, description: j.Description, severity: j.Severity, confidence: -1,
		tags: j.Tags, techniques: j.Techniques, reference: j.Reference}
	t, ok := parseType(j.Type)
	if !ok {
		return e, fmt.Errorf("type %q unknown", j.Type)
	}
	e.typ = t
	if j.Confidence != nil {
		if *j.Confidence < 0 || *j.Confidence > 100 {
			return e, fmt.Errorf("confidence %d: want 0 to 100", *j.Confidence)
		}
		e.confidence = *j.Confidence
	}
	var err error
	e.expiresAt, err = parseTime(strings.TrimSpace(j.ExpiresAt))
	return e, err
}

// parseJSONArray reads a FormatJSON file: an array of indicator objects
// or value strings.
func parseJSONArray(br *bufio.Reader, c *collector) error {
	dec := json.NewDecoder(br)
	tok, err := dec.Token()
	if err != nil {
		return jsonError(err)
	}
	if tok != json.Delim('[') {
		return fmt.Errorf("%w: json: want an array of indicators, not %v", ErrBadFile, tokenText(tok))
	}
	for i := 0; dec.More(); i++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return jsonError(err)
		}
		c.read++
		where := Problem{Entry: fmt.Sprintf("[%d]", i)}
		var e entry
		if raw[0] == '"' {
			e.confidence = -1
			err = json.Unmarshal(raw, &e.value)
		} else {
			var j jsonIndicator
			d := json.NewDecoder(bytes.NewReader(raw))
			d.DisallowUnknownFields()
			if err = d.Decode(&j); err == nil {
				e, err = j.entry()
			}
		}
		if err != nil {
			where.Reason = jsonItemError(err, "an indicator object or a value string")
			c.problem(where)
			continue
		}
		if _, err := c.add(e, where); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return jsonError(err)
	}
	return jsonEnd(dec)
}

// jsonEnd refuses anything but white space after the top-level value.
func jsonEnd(dec *json.Decoder) error {
	if _, err := dec.Token(); err != io.EOF {
		if err != nil {
			return jsonError(err)
		}
		return fmt.Errorf("%w: json: data after the top-level value", ErrBadFile)
	}
	return nil
}

// jsonError wraps an error of the JSON decoder: bad or truncated JSON is
// a bad file; anything else a failed read.
func jsonError(err error) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syn):
		return fmt.Errorf("%w: json: %v (at byte %d)", ErrBadFile, syn, syn.Offset)
	case errors.As(err, &typ):
		return fmt.Errorf("%w: json: %v", ErrBadFile, typ)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w: json: unexpected end of the file", ErrBadFile)
	}
	return fmt.Errorf("read the indicator file: %w", err)
}

// tokenText describes a JSON token for an error.
func tokenText(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		return fmt.Sprintf("%q", string(t))
	case string:
		return "a string"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", tok)
}

// parseJSONObject reads a JSON object file: a STIX bundle or a MISP
// event, told apart by their keys; asked is the format the caller named
// ("" when detected).
func parseJSONObject(br *bufio.Reader, c *collector, asked Format) error {
	dec := json.NewDecoder(br)
	tok, err := dec.Token()
	if err != nil {
		return jsonError(err)
	}
	if tok != json.Delim('{') {
		return fmt.Errorf("%w: %s: want a JSON object, not %v", ErrBadFile, asked, tokenText(tok))
	}
	var (
		bundleType string
		found      Format
		st         = newSTIXState()
	)
	want := func(f Format) error {
		if found != "" && found != f {
			return fmt.Errorf("%w: the object holds both STIX objects and a MISP event", ErrBadFile)
		}
		if asked != "" && asked != f {
			return fmt.Errorf("%w: the file is a %s document, not %s", ErrBadFile, formatName(f), formatName(asked))
		}
		found = f
		c.format = f
		return nil
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return jsonError(err)
		}
		key, _ := tok.(string)
		switch key {
		case "type":
			if err := dec.Decode(&bundleType); err != nil {
				return jsonError(err)
			}
			if bundleType != "bundle" {
				return fmt.Errorf("%w: a STIX object of type %q: want a bundle", ErrBadFile, bundleType)
			}
		case "objects":
			if err := want(FormatSTIX); err != nil {
				return err
			}
			if err := st.objects(dec, c); err != nil {
				return err
			}
		case "Event":
			if err := want(FormatMISP); err != nil {
				return err
			}
			if err := mispEventValue(dec, c); err != nil {
				return err
			}
		case "response":
			if err := want(FormatMISP); err != nil {
				return err
			}
			if err := mispResponse(dec, c); err != nil {
				return err
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return jsonError(err)
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return jsonError(err)
	}
	if err := jsonEnd(dec); err != nil {
		return err
	}
	switch {
	case found == "" && bundleType == "bundle":
		// An empty bundle: no objects.
		c.format = FormatSTIX
	case found == "":
		return fmt.Errorf("%w: a JSON object that is neither a STIX bundle (type, objects) nor a MISP event (Event, response)", ErrBadFile)
	case found == FormatSTIX:
		st.relate(c)
	}
	return nil
}

// formatName names a format in errors.
func formatName(f Format) string {
	switch f {
	case FormatSTIX:
		return "STIX"
	case FormatMISP:
		return "MISP"
	}
	return string(f)
}

// jsonItemError describes the error of decoding one item of a file in
// the file's terms rather than Go's; what names what the item should be.
func jsonItemError(err error, what string) string {
	var typ *json.UnmarshalTypeError
	if !errors.As(err, &typ) {
		return strings.TrimPrefix(err.Error(), "json: ")
	}
	if typ.Field == "" {
		return fmt.Sprintf("want %s, not a JSON %s", what, typ.Value)
	}
	return fmt.Sprintf("field %s: want %s, not a JSON %s", typ.Field, kindName(typ.Type.Kind()), typ.Value)
}

// kindName names the JSON value a Go kind is decoded from.
func kindName(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8,
		reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "a number"
	}
	return k.String()
}
