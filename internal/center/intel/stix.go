package intel

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/attack"
)

// stixObject holds the fields of the STIX objects a bundle's indicators
// need: indicators themselves, the attack patterns and named threats
// they indicate, and the relationships that say so.
type stixObject struct {
	Type            string          `json:"type"`
	ID              string          `json:"id"`
	Name            string          `json:"name"`
	Description     string          `json:"description"`
	Pattern         string          `json:"pattern"`
	PatternType     string          `json:"pattern_type"`
	ValidUntil      string          `json:"valid_until"`
	Revoked         bool            `json:"revoked"`
	Confidence      *int            `json:"confidence"`
	Labels          []string        `json:"labels"`
	IndicatorTypes  []string        `json:"indicator_types"`
	KillChainPhases []stixPhase     `json:"kill_chain_phases"`
	ExternalRefs    []stixReference `json:"external_references"`
	// Relationships.
	RelationshipType string `json:"relationship_type"`
	SourceRef        string `json:"source_ref"`
	TargetRef        string `json:"target_ref"`
}

type stixPhase struct {
	KillChainName string `json:"kill_chain_name"`
	PhaseName     string `json:"phase_name"`
}

type stixReference struct {
	SourceName string `json:"source_name"`
	ExternalID string `json:"external_id"`
	URL        string `json:"url"`
}

// techniques are the ATT&CK ids an object names: external references of
// source mitre-attack and kill chain phases that are technique ids.
func (o *stixObject) techniques() []string {
	var out []string
	for _, r := range o.ExternalRefs {
		if strings.EqualFold(r.SourceName, "mitre-attack") {
			if id, ok := attack.NormalizeID(r.ExternalID); ok {
				out = append(out, id)
			}
		}
	}
	for _, ph := range o.KillChainPhases {
		if id, ok := attack.NormalizeID(ph.PhaseName); ok {
			out = append(out, id)
		}
	}
	return out
}

// reference is the first external reference URL that is not ATT&CK's.
func (o *stixObject) reference() string {
	for _, r := range o.ExternalRefs {
		if r.URL != "" && !strings.EqualFold(r.SourceName, "mitre-attack") {
			return r.URL
		}
	}
	return ""
}

// stixState keeps what a bundle's relationships need, since objects
// come in any order.
type stixState struct {
	positions map[string][]int    // indicator id -> positions in the collector
	named     map[string]string   // malware, threat actor ... id -> name
	patterns  map[string][]string // attack-pattern id -> technique ids
	indicates [][2]string         // indicator id, target id
}

func newSTIXState() *stixState {
	return &stixState{positions: map[string][]int{}, named: map[string]string{}, patterns: map[string][]string{}}
}

// namedTypes are the objects whose name becomes a tag of the indicators
// that indicate them.
var namedTypes = map[string]bool{"malware": true, "threat-actor": true, "intrusion-set": true, "campaign": true, "tool": true}

// objects reads the array of a bundle's objects.
func (st *stixState) objects(dec *json.Decoder, c *collector) error {
	tok, err := dec.Token()
	if err != nil {
		return jsonError(err)
	}
	if tok == nil {
		return nil
	}
	if tok != json.Delim('[') {
		return fmt.Errorf("%w: STIX bundle: objects is not an array", ErrBadFile)
	}
	for i := 0; dec.More(); i++ {
		var o stixObject
		err := dec.Decode(&o)
		var typ *json.UnmarshalTypeError
		if err != nil && !errors.As(err, &typ) {
			return jsonError(err)
		}
		if o.Type != "indicator" {
			st.other(&o)
			continue
		}
		c.read++
		id := o.ID
		if id == "" {
			id = fmt.Sprintf("objects[%d]", i)
		}
		if err != nil {
			c.problem(Problem{Entry: id, Reason: jsonItemError(typ, "a STIX object")})
			continue
		}
		if err := st.indicator(&o, id, c); err != nil {
			return err
		}
	}
	_, err = dec.Token()
	return jsonError0(err)
}

// jsonError0 is jsonError that passes nil through.
func jsonError0(err error) error {
	if err == nil {
		return nil
	}
	return jsonError(err)
}

// other notes what a relationship, attack pattern or named threat says.
func (st *stixState) other(o *stixObject) {
	switch {
	case o.Type == "relationship" && o.RelationshipType == "indicates":
		st.indicates = append(st.indicates, [2]string{o.SourceRef, o.TargetRef})
	case o.Type == "attack-pattern":
		if ids := o.techniques(); len(ids) > 0 {
			st.patterns[o.ID] = ids
		}
	case namedTypes[o.Type] && o.Name != "":
		st.named[o.ID] = o.Name
	}
}

// indicator reads one indicator object.
func (st *stixState) indicator(o *stixObject, id string, c *collector) error {
	if o.Revoked {
		c.skip("")
		return nil
	}
	if pt := strings.ToLower(o.PatternType); pt != "" && pt != "stix" {
		c.skip("STIX pattern_type " + o.PatternType)
		return nil
	}
	base := entry{description: o.Description, confidence: -1, techniques: o.techniques(), reference: o.reference()}
	if base.description == "" {
		base.description = o.Name
	}
	base.tags = append(append(base.tags, o.Labels...), o.IndicatorTypes...)
	if o.Confidence != nil {
		if *o.Confidence < 0 || *o.Confidence > 100 {
			c.problem(Problem{Entry: id, Reason: fmt.Sprintf("confidence %d: want 0 to 100", *o.Confidence)})
			return nil
		}
		base.confidence = *o.Confidence
	}
	if o.ValidUntil != "" {
		t, err := time.Parse(time.RFC3339Nano, o.ValidUntil)
		if err != nil {
			c.problem(Problem{Entry: id, Reason: fmt.Sprintf("valid_until %q: not an RFC 3339 time", o.ValidUntil)})
			return nil
		}
		base.expiresAt = t
	}
	if o.Pattern == "" {
		c.problem(Problem{Entry: id, Reason: "no pattern"})
		return nil
	}
	comps, err := parseSTIXPattern(o.Pattern)
	if err != nil {
		c.problem(Problem{Entry: id, Reason: fmt.Sprintf("pattern %q: %v", clip(o.Pattern, 120), err)})
		return nil
	}
	for _, comp := range comps {
		t, ok := comp.indicatorType()
		if !ok {
			c.problem(Problem{Entry: id, Reason: fmt.Sprintf("object path %s is not supported: value %q not imported", comp.Path(), clip(comp.Value, 120))})
			continue
		}
		e := base
		e.typ, e.value = t, comp.Value
		pos, err := c.add(e, Problem{Entry: id})
		if err != nil {
			return err
		}
		if pos >= 0 {
			st.positions[o.ID] = append(st.positions[o.ID], pos)
		}
	}
	return nil
}

// relate adds to the indicators the techniques of the attack patterns
// and the names of the threats they indicate.
func (st *stixState) relate(c *collector) {
	for _, rel := range st.indicates {
		positions := st.positions[rel[0]]
		if len(positions) == 0 {
			continue
		}
		var tags []string
		if name, ok := st.named[rel[1]]; ok {
			tags = []string{name}
		}
		techniques := st.patterns[rel[1]]
		if len(tags) == 0 && len(techniques) == 0 {
			continue
		}
		for _, pos := range positions {
			c.addTo(pos, tags, techniques)
		}
	}
}
