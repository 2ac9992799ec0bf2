package correlate

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	valid := func() Spec { return bruteForce(Condition{Op: OpGTE, Value: 5}, time.Minute) }
	cases := []struct {
		name   string
		change func(*Spec)
		want   []string // substrings of the error; none: valid
	}{
		{"valid", func(*Spec) {}, nil},
		{"valid temporal with the default condition", func(s *Spec) {
			s.Type, s.Rules, s.Condition = Temporal, []string{"a", "b"}, Condition{}
		}, nil},
		{"valid range", func(s *Spec) {
			s.Condition = Condition{Op: OpGT, Value: 100, And: []Criterion{{Op: OpLTE, Value: 200}}}
		}, nil},
		{"valid without group-by", func(s *Spec) { s.GroupBy = nil }, nil},
		{"no title", func(s *Spec) { s.Title = " " }, []string{"title is empty"}},
		{"level", func(s *Spec) { s.Level = "severe" }, []string{`level "severe" is not one of informational, low, medium, high, critical`}},
		{"type", func(s *Spec) { s.Type = "near" }, []string{`type "near" is not one of event_count`}},
		{"no rules", func(s *Spec) { s.Rules = nil }, []string{"rules: none referenced"}},
		{"temporal with one rule", func(s *Spec) { s.Type, s.Condition = Temporal, Condition{} },
			[]string{"rules: temporal needs at least two rules, has 1"}},
		{"empty rule", func(s *Spec) { s.Rules = []string{"a", ""} }, []string{"rules[1] is empty"}},
		{"rule twice", func(s *Spec) { s.Rules = []string{"a", "a"} }, []string{`rules[1]: "a" is listed twice`}},
		{"self reference", func(s *Spec) { s.Rules = []string{s.Name} }, []string{`references the correlation itself`}},
		{"group-by twice", func(s *Spec) { s.GroupBy = []string{"source.ip", "source.ip"} }, []string{`group-by[1]: "source.ip" is listed twice`}},
		{"empty group-by", func(s *Spec) { s.GroupBy = []string{""} }, []string{"group-by[0] is empty"}},
		{"no timespan", func(s *Spec) { s.Timespan = 0 }, []string{"timespan must be positive, not 0s"}},
		{"long timespan", func(s *Spec) { s.Timespan = 400 * 24 * time.Hour }, []string{"timespan 9600h0m0s is longer than"}},
		{"no condition", func(s *Spec) { s.Condition = Condition{} }, []string{"condition: event_count needs a comparison"}},
		{"unknown op", func(s *Spec) { s.Condition.Op = "ge" }, []string{`condition: "ge" is not one of gt`}},
		{"negative", func(s *Spec) { s.Condition.Value = -1 }, []string{"condition: gte -1 is negative"}},
		{"op twice", func(s *Spec) { s.Condition.And = []Criterion{{Op: OpGTE, Value: 3}} }, []string{"condition: gte is given twice"}},
		{"and without op", func(s *Spec) { s.Condition = Condition{And: []Criterion{{Op: OpGTE, Value: 3}}} },
			[]string{"condition: and without a first comparison"}},
		{"empty range", func(s *Spec) { s.Condition = Condition{Op: OpGT, Value: 10, And: []Criterion{{Op: OpLT, Value: 5}}} },
			[]string{"condition: gt 10 and lt 5 can never hold for a count of 1 or more"}},
		{"never for one event", func(s *Spec) { s.Condition = Condition{Op: OpLT, Value: 1} },
			[]string{"condition: lt 1 can never hold"}},
		{"temporal beyond its rules", func(s *Spec) {
			s.Type, s.Rules, s.Condition = TemporalOrdered, []string{"a", "b"}, Condition{Op: OpGTE, Value: 3}
		}, []string{"condition: gte 3 can never hold for a count of 1 to 2 rules"}},
		{"value_count without field", func(s *Spec) { s.Type = ValueCount }, []string{"condition: value_count needs a field"}},
		{"field on event_count", func(s *Spec) { s.Condition.Field = "user.name" }, []string{`condition: field "user.name" is only for value_count`}},
		{"unused alias", func(s *Spec) {
			s.Aliases = map[string]map[string]string{"peer": {"ssh_login_failed": "source.ip"}}
		}, []string{`aliases: "peer" is used neither in group-by nor as the condition field`}},
		{"alias of an unknown rule", func(s *Spec) {
			s.GroupBy = []string{"peer"}
			s.Aliases = map[string]map[string]string{"peer": {"ssh_login_success": "source.ip"}}
		}, []string{`aliases: "peer" maps rule "ssh_login_success", which the correlation does not reference`}},
		{"alias to no field", func(s *Spec) {
			s.GroupBy = []string{"peer"}
			s.Aliases = map[string]map[string]string{"peer": {"ssh_login_failed": ""}}
		}, []string{`aliases: "peer" maps rule "ssh_login_failed" to an empty field`}},
		{"several problems at once", func(s *Spec) { s.Timespan, s.Rules = -time.Second, nil },
			[]string{"rules: none referenced", "timespan must be positive, not -1s"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := valid()
			c.change(&s)
			err := s.Validate()
			if len(c.want) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidSpec) {
				t.Fatalf("Validate: %v, want ErrInvalidSpec", err)
			}
			if !strings.Contains(err.Error(), `"Many SSH login failures from one source" (0e95725d-7320-415d-80f7-004da920fc11)`) &&
				s.Title != " " {
				t.Errorf("error %q does not name the correlation", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestDefinitionHash(t *testing.T) {
	base := bruteForce(Condition{Op: OpGT, Value: 100, And: []Criterion{{Op: OpLTE, Value: 200}}}, time.Minute)
	same := []func(*Spec){
		func(s *Spec) { s.Title, s.Level, s.Generate = "Renamed", "high", true },
		func(s *Spec) {
			s.Condition = Condition{Op: OpLTE, Value: 200, And: []Criterion{{Op: OpGT, Value: 100}}}
		},
	}
	differ := []func(*Spec){
		func(s *Spec) { s.Timespan = 2 * time.Minute },
		func(s *Spec) { s.GroupBy = []string{"user.name"} },
		func(s *Spec) { s.Rules = []string{"ssh_login_success"} },
		func(s *Spec) { s.Condition.Value = 101 },
		func(s *Spec) { s.Type = ValueCount; s.Condition.Field = "user.name" },
		func(s *Spec) {
			s.GroupBy = []string{"ip"}
			s.Aliases = map[string]map[string]string{"ip": {"ssh_login_failed": "source.ip"}}
		},
	}
	want := base.definitionHash()
	for i, change := range same {
		s := base.clone()
		change(&s)
		if got := s.definitionHash(); got != want {
			t.Errorf("unchanged definition %d: hash %s, want %s", i, got, want)
		}
	}
	for i, change := range differ {
		s := base.clone()
		change(&s)
		if got := s.definitionHash(); got == want {
			t.Errorf("changed definition %d: same hash", i)
		}
	}
}
