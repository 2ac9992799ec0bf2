package sigma

import "time"

// Meta is what every kind of Sigma document says about itself.
type Meta struct {
	ID          string
	Name        string
	Title       string
	Status      string
	Description string
	License     string
	Author      string
	Date        string
	Modified    string
	Level       string
	// Taxonomy is the field naming of the rule ("sigma" when unset).
	Taxonomy       string
	References     []string
	Tags           []string
	FalsePositives []string
	Fields         []string
	Scope          []string
	Related        []Related
	// Custom holds the top-level attributes the specification does not
	// define, by key.
	Custom map[string]Attribute
	// Pos is where the document starts.
	Pos Pos
}

// Attribute is a custom top-level attribute: its decoded YAML value
// (string, int, float64, bool, nil, []any or map[string]any) and where
// it is.
type Attribute struct {
	Value any
	Pos   Pos
}

// Related is one entry of `related`: another rule and how this one
// relates to it (derived, obsolete, merged, renamed, similar).
type Related struct {
	ID   string
	Type string
	Pos  Pos
}

// Rule is a Sigma detection rule.
type Rule struct {
	Meta
	Logsource Logsource
	Detection *Detection
	// Filters are the meta filters of the set that name the rule, in the
	// order of the set. Set.Validate fills them in; the parser leaves
	// them empty.
	Filters []*Filter
}

// Logsource says which events a rule applies to.
type Logsource struct {
	Category   string
	Product    string
	Service    string
	Definition string
	// Custom holds other keys of the logsource, by key.
	Custom map[string]string
	Pos    Pos
}

// Detection is the detection section of a rule or the filter section of a
// meta filter: named searches and the conditions over them.
type Detection struct {
	// Searches holds the search identifiers by name.
	Searches map[string]*Search
	// Order lists the search identifiers as written.
	Order []string
	// Conditions are linked with OR (the specification allows a list).
	Conditions []*Condition
	// Timeframe is the deprecated `timeframe` of aggregations, as written.
	Timeframe string
	Pos       Pos
}

// SearchKind says how a search identifier's content is built.
type SearchKind uint8

// Search kinds.
const (
	// SearchMap is a map: every field match must hold (AND).
	SearchMap SearchKind = iota + 1
	// SearchList is a list of maps (and keyword values): any item may
	// hold (OR).
	SearchList
	// SearchKeywords is a list of plain values matched against the whole
	// event, field-less (OR).
	SearchKeywords
)

// String names the kind.
func (k SearchKind) String() string {
	switch k {
	case SearchMap:
		return "map"
	case SearchList:
		return "list"
	case SearchKeywords:
		return "keywords"
	}
	return "invalid"
}

// Search is one search identifier.
type Search struct {
	Name string
	Kind SearchKind
	// Matches are the field matches of a SearchMap (AND); a SearchKeywords
	// has exactly one, whose Field is "".
	Matches []*FieldMatch
	// Items are the alternatives of a SearchList (OR): each a SearchMap
	// or a SearchKeywords.
	Items []*Search
	Pos   Pos
}

// FieldMatch is one key and its value(s): `Field|mod1|mod2: values`.
type FieldMatch struct {
	// Field is the field name without modifiers; "" for a keyword match
	// (a plain list, or a key such as `|all`).
	Field string
	// Key is the key as written, modifiers included.
	Key       string
	Modifiers Modifiers
	// Values are linked with OR, or with AND when Modifiers.All.
	Values []*Value
	Pos    Pos
}

// Keyword reports whether the match is field-less.
func (m *FieldMatch) Keyword() bool { return m.Field == "" }

// ValueKind is the YAML type of a value.
type ValueKind uint8

// Value kinds.
const (
	ValueString ValueKind = iota + 1
	ValueNumber
	ValueBool
	ValueNull
)

// String names the kind.
func (k ValueKind) String() string {
	switch k {
	case ValueString:
		return "string"
	case ValueNumber:
		return "number"
	case ValueBool:
		return "boolean"
	case ValueNull:
		return "null"
	}
	return "invalid"
}

// Value is one value of a field match.
type Value struct {
	Kind ValueKind
	// Raw is the scalar as written (without quotes). It is the value
	// itself for regular expressions, CIDR prefixes and field references.
	Raw string
	// Pattern is the string under Sigma's wildcard semantics, for
	// strings (and numbers used as strings) matched by equality,
	// contains, startswith, endswith or as keywords.
	Pattern Pattern
	// Number is set for ValueNumber.
	Number Number
	// Bool is set for ValueBool.
	Bool bool
	Pos  Pos
}

// Number is a numeric value: integers keep their exact value.
type Number struct {
	// IsInt says that Int is exact; Float is set either way.
	IsInt bool
	Int   int64
	Float float64
}

// Correlation is a Sigma correlation rule.
type Correlation struct {
	Meta
	Type CorrelationType
	// Rules are the referenced rules, by id or name, in order.
	Rules   []RuleRef
	GroupBy []string
	// Timespan is the window; TimespanText is how it was written.
	Timespan     time.Duration
	TimespanText string
	// Condition is empty for temporal correlations without one (all the
	// referenced rules must match).
	Condition CorrelationCondition
	Aliases   []Alias
	// Generate says that the referenced rules also alert on their own.
	Generate bool
	// CorrelationPos is where the correlation section is.
	CorrelationPos Pos
}

// CorrelationType is the kind of correlation.
type CorrelationType string

// Correlation types of the specification.
const (
	EventCount      CorrelationType = "event_count"
	ValueCount      CorrelationType = "value_count"
	Temporal        CorrelationType = "temporal"
	TemporalOrdered CorrelationType = "temporal_ordered"
)

// RuleRef names a rule by id or name.
type RuleRef struct {
	Ref string
	Pos Pos
}

// CorrelationCondition is when a correlation matches: every comparison
// holds (a range is two of them).
type CorrelationCondition struct {
	// Field is the field whose distinct values a value_count counts.
	Field       string
	Comparisons []Comparison
	Pos         Pos
}

// Comparison is one bound of a correlation condition: count Op Value.
type Comparison struct {
	Op    CompareOp
	Value int64
}

// CompareOp is a comparison of a correlation condition.
type CompareOp string

// Comparisons of correlation conditions.
const (
	CountGT  CompareOp = "gt"
	CountGTE CompareOp = "gte"
	CountLT  CompareOp = "lt"
	CountLTE CompareOp = "lte"
	CountEQ  CompareOp = "eq"
	CountNEQ CompareOp = "neq"
)

// Holds reports whether n satisfies the comparison.
func (c Comparison) Holds(n int64) bool {
	switch c.Op {
	case CountGT:
		return n > c.Value
	case CountGTE:
		return n >= c.Value
	case CountLT:
		return n < c.Value
	case CountLTE:
		return n <= c.Value
	case CountEQ:
		return n == c.Value
	case CountNEQ:
		return n != c.Value
	}
	return false
}

// Holds reports whether n satisfies every comparison (true when there
// are none).
func (c CorrelationCondition) Holds(n int64) bool {
	for _, cmp := range c.Comparisons {
		if !cmp.Holds(n) {
			return false
		}
	}
	return true
}

// Alias is a field name alias of a correlation: the field it stands for
// in the events of each referenced rule (by rule name).
type Alias struct {
	Name   string
	Fields map[string]string
	Pos    Pos
}

// Filter is a Sigma meta filter: searches and a condition that are
// added to the condition of each rule it names, as `rule and (filter)`
// (the reading of the Sigma tools): the rule matches only events for
// which the filter's condition holds too, so that `condition: not
// selection` leaves out the events of selection.
type Filter struct {
	Meta
	Logsource Logsource
	// Rules are the rules the filter applies to, by id, name or title.
	Rules []RuleRef
	// Detection holds the filter's searches and condition.
	Detection *Detection
}
