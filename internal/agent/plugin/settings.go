package plugin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// DecodeSettings decodes a plugin's settings (a JSON object, see Tunable)
// into dst strictly: unknown fields, wrong types and data after the
// object are errors, prefixed "settings: ". Empty raw leaves dst as it is
// (the defaults), and so does null.
func DecodeSettings(raw json.RawMessage, dst any) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	if err := DecodeStrict(raw, dst); err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	return nil
}

// DecodeStrict decodes one JSON value from data into dst: unknown fields
// and anything after the value are errors, and so is empty data. Plugins
// use it for the state files they keep between runs.
func DecodeStrict(data []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data after the JSON object")
	}
	return nil
}

// Duration is a time.Duration written in settings as a Go duration string
// ("500ms", "1m30s").
type Duration time.Duration

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration is a string such as \"5s\", not %s", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: %w", s, err)
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }
