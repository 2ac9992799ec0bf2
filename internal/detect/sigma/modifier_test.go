package sigma

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseModifiers(t *testing.T) {
	tests := []struct {
		mods string
		want Modifiers
	}{
		{"contains", Modifiers{Op: OpContains}},
		{"startswith", Modifiers{Op: OpStartsWith}},
		{"endswith", Modifiers{Op: OpEndsWith}},
		{"contains|all", Modifiers{Op: OpContains, All: true}},
		{"all|contains", Modifiers{Op: OpContains, All: true}},
		{"base64", Modifiers{Transforms: []Transform{TransformBase64}}},
		{"base64|contains", Modifiers{Op: OpContains, Transforms: []Transform{TransformBase64}}},
		{"base64offset|contains", Modifiers{Op: OpContains, Transforms: []Transform{TransformBase64Offset}}},
		{"utf16le|base64offset|contains", Modifiers{Op: OpContains, Transforms: []Transform{TransformUTF16LE, TransformBase64Offset}}},
		{"wide|base64offset|contains", Modifiers{Op: OpContains, Transforms: []Transform{TransformUTF16LE, TransformBase64Offset}}},
		{"utf16be|base64", Modifiers{Transforms: []Transform{TransformUTF16BE, TransformBase64}}},
		{"utf16|base64|endswith", Modifiers{Op: OpEndsWith, Transforms: []Transform{TransformUTF16, TransformBase64}}},
		{"windash|contains", Modifiers{Op: OpContains, Transforms: []Transform{TransformWindash}}},
		{"contains|windash", Modifiers{Op: OpContains, Transforms: []Transform{TransformWindash}}},
		{"windash|base64offset|contains", Modifiers{Op: OpContains, Transforms: []Transform{TransformWindash, TransformBase64Offset}}},
		{"re", Modifiers{Op: OpRegex}},
		{"re|i|m|s", Modifiers{Op: OpRegex, Regex: RegexFlags{IgnoreCase: true, MultiLine: true, DotAll: true}}},
		{"re|all", Modifiers{Op: OpRegex, All: true}},
		{"cidr", Modifiers{Op: OpCIDR}},
		{"exists", Modifiers{Op: OpExists}},
		{"lt", Modifiers{Op: OpLT}},
		{"lte", Modifiers{Op: OpLTE}},
		{"gt", Modifiers{Op: OpGT}},
		{"gte", Modifiers{Op: OpGTE}},
		{"neq", Modifiers{Negate: true}},
		{"expand", Modifiers{Expand: true}},
		{"expand|startswith", Modifiers{Op: OpStartsWith, Expand: true}},
		{"fieldref", Modifiers{FieldRef: true}},
		{"fieldref|neq", Modifiers{FieldRef: true, Negate: true}},
		{"fieldref|endswith|cased", Modifiers{Op: OpEndsWith, FieldRef: true, Cased: true}},
		{"cased", Modifiers{Cased: true}},
		{"contains|cased", Modifiers{Op: OpContains, Cased: true}},
		{"hour", Modifiers{Time: TimeHour}},
		{"minute|gte", Modifiers{Op: OpGTE, Time: TimeMinute}},
		{"day|lt", Modifiers{Op: OpLT, Time: TimeDay}},
		{"week", Modifiers{Time: TimeWeek}},
		{"month|neq", Modifiers{Time: TimeMonth, Negate: true}},
		{"year|gt", Modifiers{Op: OpGT, Time: TimeYear}},
	}
	for _, tt := range tests {
		names := strings.Split(tt.mods, "|")
		got, err := ParseModifiers(names)
		if err != nil {
			t.Errorf("ParseModifiers(%s): %v", tt.mods, err)
			continue
		}
		tt.want.Names = names
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseModifiers(%s) = %+v, want %+v", tt.mods, got, tt.want)
		}
		if got.String() != "|"+tt.mods {
			t.Errorf("String() = %q", got.String())
		}
	}
}

func TestParseModifiersErrors(t *testing.T) {
	tests := []struct {
		mods   string
		err    error
		reason string
	}{
		{"contain", ErrUnknownModifier, `unknown modifier "contain"`},
		{"CONTAINS", ErrUnknownModifier, `unknown modifier "CONTAINS"`},
		{"contains|", ErrModifierCombination, "empty modifier"},
		{"contains|startswith", ErrModifierCombination, "contains and startswith cannot be combined"},
		{"contains|contains", ErrModifierCombination, "given twice"},
		{"re|contains", ErrModifierCombination, "re and contains cannot be combined"},
		{"i", ErrModifierCombination, "flag of re"},
		{"contains|i", ErrModifierCombination, "flag of re"},
		{"base64|base64offset|contains", ErrModifierCombination, "encoded once"},
		{"contains|base64", ErrModifierCombination, "cannot follow contains"},
		{"base64offset", ErrModifierCombination, "base64offset needs contains"},
		{"base64offset|startswith", ErrModifierCombination, "base64offset needs contains"},
		{"utf16le", ErrModifierCombination, "must be followed by base64"},
		{"utf16le|contains", ErrModifierCombination, "must be followed by base64"},
		{"base64|utf16le", ErrModifierCombination, "encode the text first"},
		{"utf16le|utf16be|base64", ErrModifierCombination, "another UTF-16"},
		{"wide|utf16le|base64", ErrModifierCombination, "given twice"},
		{"base64|windash", ErrModifierCombination, "windash cannot follow base64"},
		{"exists|all", ErrModifierCombination, "all cannot be combined with exists"},
		{"gt|cased", ErrModifierCombination, "cased cannot be combined with gt"},
		{"lt|base64", ErrModifierCombination, "cannot follow lt"},
		{"re|cased", ErrModifierCombination, "cased cannot be combined with re"},
		{"re|base64", ErrModifierCombination, "cannot follow re"},
		{"cidr|contains", ErrModifierCombination, "cidr and contains cannot be combined"},
		{"cidr|windash", ErrModifierCombination, "windash cannot be combined with cidr"},
		{"hour|minute", ErrModifierCombination, "a date is compared by one part"},
		{"gt|hour", ErrModifierCombination, "hour must come before gt"},
		{"hour|contains", ErrModifierCombination, "contains cannot be combined with hour"},
		{"hour|cased", ErrModifierCombination, "a date part is a number"},
		{"fieldref|base64", ErrModifierCombination, "the value names a field"},
		{"fieldref|expand", ErrModifierCombination, "the value names a field"},
		{"contains|neq", ErrModifierCombination, "neq cannot be combined with contains"},
		{"exists|neq", ErrModifierCombination, "neq cannot be combined with exists"},
	}
	for _, tt := range tests {
		_, err := ParseModifiers(strings.Split(tt.mods, "|"))
		if err == nil {
			t.Errorf("ParseModifiers(%s) succeeded", tt.mods)
			continue
		}
		if !errors.Is(err, tt.err) || !strings.Contains(err.Error(), tt.reason) {
			t.Errorf("ParseModifiers(%s) = %v, want %v containing %q", tt.mods, err, tt.err, tt.reason)
		}
	}
}

func TestOperatorNames(t *testing.T) {
	for op := OpMatch; op <= OpGTE; op++ {
		if op.String() == "invalid" {
			t.Errorf("operator %d has no name", op)
		}
	}
	for tr := TransformBase64; tr <= TransformWindash; tr++ {
		if tr.String() == "invalid" {
			t.Errorf("transform %d has no name", tr)
		}
	}
	if !OpGTE.Numeric() || OpContains.Numeric() {
		t.Error("Numeric is wrong")
	}
}
