package intel

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/attack"
	"github.com/vigilsec/vigil/internal/store"
)

// mispEvent is the part of a MISP event that holds indicators.
type mispEvent struct {
	ID            flexString `json:"id"`
	UUID          string     `json:"uuid"`
	Info          string     `json:"info"`
	ThreatLevelID flexString `json:"threat_level_id"`
	// Attributes are decoded one by one, so that a bad one is a problem
	// and not the end of the file.
	Attribute []json.RawMessage `json:"Attribute"`
	Object    []struct {
		Name      string            `json:"name"`
		Attribute []json.RawMessage `json:"Attribute"`
	} `json:"Object"`
	Tag []mispTag `json:"Tag"`
}

type mispAttribute struct {
	ID      flexString `json:"id"`
	UUID    string     `json:"uuid"`
	Type    string     `json:"type"`
	Value   string     `json:"value"`
	ToIDs   flexBool   `json:"to_ids"`
	Comment string     `json:"comment"`
	Deleted flexBool   `json:"deleted"`
	Tag     []mispTag  `json:"Tag"`
}

type mispTag struct {
	Name string `json:"name"`
}

// flexString is a string MISP may write as a number.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		err := json.Unmarshal(b, &s)
		*f = flexString(s)
		return err
	}
	if bytes.Equal(b, []byte("null")) {
		*f = ""
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("want a string or a number, not %s", clip(string(b), 20))
	}
	*f = flexString(n)
	return nil
}

// flexBool is a boolean MISP may write as true, "1", 1 or "true".
type flexBool bool

func (f *flexBool) UnmarshalJSON(b []byte) error {
	switch strings.Trim(string(b), `"`) {
	case "true", "1":
		*f = true
	case "false", "0", "", "null":
		*f = false
	default:
		return fmt.Errorf("want a boolean, not %s", clip(string(b), 20))
	}
	return nil
}

// mispTypes maps the attribute types read to indicator types; a type
// with '|' holds two values, and which of them are read is in
// mispPairs.
var mispTypes = map[string]store.IndicatorType{
	"ip-src": store.IndicatorIP, "ip-dst": store.IndicatorIP,
	"domain": store.IndicatorDomain, "hostname": store.IndicatorDomain,
	"url": store.IndicatorURL,
	"md5": store.IndicatorMD5, "sha1": store.IndicatorSHA1, "sha256": store.IndicatorSHA256,
}

// mispPairs are the composite types: the types of their two halves
// ("" for a half not read; filename halves become the description).
var mispPairs = map[string][2]store.IndicatorType{
	"ip-src|port": {store.IndicatorIP, ""}, "ip-dst|port": {store.IndicatorIP, ""},
	"hostname|port":   {store.IndicatorDomain, ""},
	"domain|ip":       {store.IndicatorDomain, store.IndicatorIP},
	"filename|md5":    {"", store.IndicatorMD5},
	"filename|sha1":   {"", store.IndicatorSHA1},
	"filename|sha256": {"", store.IndicatorSHA256},
}

// mispSeverities maps threat_level_id to severities (4, undefined: the
// default).
var mispSeverities = map[flexString]string{"1": "high", "2": "medium", "3": "low"}

// mispEventValue reads the value of an "Event" key.
func mispEventValue(dec *json.Decoder, c *collector) error {
	var ev mispEvent
	if err := dec.Decode(&ev); err != nil {
		return jsonError(err)
	}
	return mispEventIndicators(&ev, c)
}

// mispResponse reads the value of a search response's "response" key:
// an array of {"Event": ...} or an object {"Attribute": [...]}.
func mispResponse(dec *json.Decoder, c *collector) error {
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return jsonError(err)
	}
	raw = bytes.TrimLeft(raw, " \t\r\n")
	switch {
	case len(raw) > 0 && raw[0] == '[':
		var events []struct {
			Event *mispEvent `json:"Event"`
		}
		if err := json.Unmarshal(raw, &events); err != nil {
			return fmt.Errorf("%w: MISP response: %v", ErrBadFile, err)
		}
		for _, e := range events {
			if e.Event == nil {
				continue
			}
			if err := mispEventIndicators(e.Event, c); err != nil {
				return err
			}
		}
		return nil
	case len(raw) > 0 && raw[0] == '{':
		var attrs struct {
			Attribute []json.RawMessage `json:"Attribute"`
		}
		if err := json.Unmarshal(raw, &attrs); err != nil {
			return fmt.Errorf("%w: MISP response: %v", ErrBadFile, err)
		}
		return mispAttributes(attrs.Attribute, nil, "", "", c)
	}
	return fmt.Errorf("%w: MISP response: want an array of events or an object of attributes", ErrBadFile)
}

// mispEventIndicators reads the attributes of an event and of its
// objects; the event's tags and threat level apply to all.
func mispEventIndicators(ev *mispEvent, c *collector) error {
	severity := mispSeverities[ev.ThreatLevelID]
	if err := mispAttributes(ev.Attribute, ev.Tag, severity, ev.Info, c); err != nil {
		return err
	}
	for _, o := range ev.Object {
		if err := mispAttributes(o.Attribute, ev.Tag, severity, ev.Info, c); err != nil {
			return err
		}
	}
	return nil
}

// mispTechnique finds ATT&CK ids in galaxy tags such as
// misp-galaxy:mitre-attack-pattern="Spearphishing Attachment - T1566.001".
var mispTechnique = regexp.MustCompile(`\bT\d{4}(?:\.\d{3})?\b`)

// mispTags splits tags into plain tags and techniques.
func mispTags(tags []mispTag) (plain, techniques []string) {
	for _, t := range tags {
		name := strings.TrimSpace(t.Name)
		if strings.HasPrefix(name, "misp-galaxy:mitre-") {
			if ids := mispTechnique.FindAllString(name, -1); len(ids) > 0 {
				for _, id := range ids {
					if canon, ok := attack.NormalizeID(id); ok {
						techniques = append(techniques, canon)
					}
				}
				continue
			}
		}
		if name != "" {
			plain = append(plain, name)
		}
	}
	return plain, techniques
}

// mispAttributes reads attributes.
func mispAttributes(attrs []json.RawMessage, eventTags []mispTag, severity, info string, c *collector) error {
	for i, raw := range attrs {
		c.read++
		var a mispAttribute
		err := json.Unmarshal(raw, &a)
		if err != nil {
			// Name the attribute even when a field before its ids
			// was bad.
			var ids struct {
				ID   flexString `json:"id"`
				UUID string     `json:"uuid"`
			}
			_ = json.Unmarshal(raw, &ids)
			a.ID, a.UUID = ids.ID, ids.UUID
		}
		id := a.UUID
		if id == "" && a.ID != "" {
			id = "attribute " + string(a.ID)
		}
		if id == "" {
			id = "Attribute[" + strconv.Itoa(i) + "]"
		}
		if err != nil {
			c.problem(Problem{Entry: id, Reason: "attribute: " + jsonItemError(err, "an attribute object")})
			continue
		}
		typ := strings.ToLower(a.Type)
		single, isSingle := mispTypes[typ]
		pair, isPair := mispPairs[typ]
		switch {
		case bool(a.Deleted), !bool(a.ToIDs):
			c.skip("")
			continue
		case !isSingle && !isPair:
			c.skip("MISP attribute type " + clip(a.Type, 40))
			continue
		}
		tags, techniques := mispTags(append(append([]mispTag(nil), eventTags...), a.Tag...))
		base := entry{description: a.Comment, severity: severity, confidence: -1, tags: tags, techniques: techniques}
		var values []entry
		if isSingle {
			e := base
			e.typ, e.value = single, a.Value
			values = append(values, e)
		} else {
			left, right, ok := strings.Cut(a.Value, "|")
			if !ok {
				c.problem(Problem{Entry: id, Reason: fmt.Sprintf("%s %q: want two values separated by '|'", a.Type, clip(a.Value, 120))})
				continue
			}
			if pair[0] == "" && left != "" { // filename|hash
				if base.description == "" {
					base.description = left
				} else {
					base.description = left + ": " + base.description
				}
			}
			for half, v := range []string{left, right} {
				if pair[half] == "" {
					continue
				}
				e := base
				e.typ, e.value = pair[half], v
				values = append(values, e)
			}
		}
		for _, e := range values {
			if e.description == "" {
				e.description = info
			}
			if _, err := c.add(e, Problem{Entry: id}); err != nil {
				return err
			}
		}
	}
	return nil
}
