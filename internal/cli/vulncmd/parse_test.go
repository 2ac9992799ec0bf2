package vulncmd

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestParseSeverities(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		err  bool
	}{
		{"", nil, false},
		{"  ", nil, false},
		{"critical", []string{"critical"}, false},
		{"Critical, high ,critical", []string{"critical", "high"}, false},
		{"none,unknown,low,medium", []string{"none", "unknown", "low", "medium"}, false},
		{"critical,", nil, true},
		{"urgent", nil, true},
		{"high;low", nil, true},
	} {
		got, err := parseSeverities(tc.in)
		if (err != nil) != tc.err || !slices.Equal(got, tc.want) {
			t.Errorf("parseSeverities(%q) = %q, %v; want %q (error %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
}

// FuzzParseSeverities checks that --severity gives known severities,
// each once, or an error.
func FuzzParseSeverities(f *testing.F) {
	for _, s := range []string{"critical,high", " low ", ",", "CRITICAL", "high,high", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseSeverities(s)
		if err != nil {
			return
		}
		for i, sev := range got {
			if !slices.Contains(severities, sev) || slices.Contains(got[:i], sev) {
				t.Fatalf("parseSeverities(%q) = %q", s, got)
			}
		}
	})
}

func TestWhere(t *testing.T) {
	for _, tc := range []struct{ fields, want string }{
		{`{"server":{"address":"0.0.0.0","port":6379}}`, "0.0.0.0:6379"},
		{`{"server":{"address":"::","port":5432}}`, "[::]:5432"},
		{`{"server":{"address":"10.0.0.5"}}`, "10.0.0.5"},
		{`{"file":{"path":"/etc/tomcat10/tomcat-users.xml"}}`, "/etc/tomcat10/tomcat-users.xml"},
		{`{"vigil":{"weak_password":{"listen":["0.0.0.0:11211","[::]:11211"]}}}`, "0.0.0.0:11211,[::]:11211"},
		{`{"server":"not an object"}`, ""},
		{`[1,2]`, ""},
		{``, ""},
	} {
		if got := readDetail(json.RawMessage(tc.fields)).where(); got != tc.want {
			t.Errorf("where(%s) = %q, want %q", tc.fields, got, tc.want)
		}
	}
}

func TestAccount(t *testing.T) {
	for _, tc := range []struct{ fields, want string }{
		{`{"vigil":{"weak_password":{"account":"robot"}},"user":{"name":"tomcat"}}`, "robot"},
		{`{"user":{"name":"backup","id":"34"}}`, "backup"},
		{`{"user":{"name":7}}`, ""},
		{`{}`, ""},
	} {
		if got := readDetail(json.RawMessage(tc.fields)).account(); got != tc.want {
			t.Errorf("account of %s = %q, want %q", tc.fields, got, tc.want)
		}
	}
}

// FuzzDetail checks that any fields a host sent are read without a
// panic, and that what is shown is taken from them.
func FuzzDetail(f *testing.F) {
	for _, s := range []string{`{"server":{"address":"a","port":1}}`, `{"file":{"path":1}}`, `{"vigil":{"weak_password":{"listen":[null,{}],"account":"x"}}}`, `null`, `{`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, fields []byte) {
		d := readDetail(fields)
		if d == nil && (d.where() != "" || d.account() != "") {
			t.Fatalf("fields %q that are no object gave %q, %q", fields, d.where(), d.account())
		}
		_ = d.where()
	})
}
