package notifycmd_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/cli/notifycmd"
)

func TestParseChannelFile(t *testing.T) {
	for _, tc := range []struct {
		name, file, want string
		lines            map[string]int
		err              string
	}{
		{"yaml", "# a comment\ntype: webhook\nwebhook:\n  url: https://h.example/x\n  headers: {X-A: '1'}\ndelivery: {max_attempts: 3}\n",
			`{"delivery":{"max_attempts":3},"type":"webhook","webhook":{"headers":{"X-A":"1"},"url":"https://h.example/x"}}`,
			map[string]int{"type": 2, "webhook.url": 4, "webhook.headers.X-A": 5, "delivery.max_attempts": 6, "delivery.timeout": 6}, ""},
		{"json", `{"type": "wecom", "wecom": {"url": "https://q.example/s?key=k"}}`,
			`{"type":"wecom","wecom":{"url":"https://q.example/s?key=k"}}`, nil, ""},
		{"strings stay strings", "a: 2025-01-01\nb: yes\nc: '007'\nd: 0x1F\ne: ~\nf: 1.5\ng: true\n",
			`{"a":"2025-01-01","b":"yes","c":"007","d":31,"e":null,"f":1.5,"g":true}`, nil, ""},
		{"lists", "filter: {techniques: [T1059, T1190]}\n", `{"filter":{"techniques":["T1059","T1190"]}}`,
			map[string]int{"filter.techniques[1]": 1}, ""},
		{"aliases", "x: &u https://h.example/x\nwebhook: {url: *u}\n", `{"webhook":{"url":"https://h.example/x"},"x":"https://h.example/x"}`, nil, ""},
		{"twice", "type: a\nwebhook: {}\ntype: b\n", "", nil, `line 3: "type" is given twice`},
		{"key not plain", "? [a]\n: b\n", "", nil, "line 1: a key must be a plain value"},
		{"infinite", "x: .inf\n", "", nil, "line 1: .inf is not a number JSON can carry"},
		{"huge", "x: 18446744073709551615\ny: 123456789012345678901234567890\n", `{"x":18446744073709551615,"y":1.2345678901234568e+29}`, nil, ""},
		{"two documents", "a: 1\n---\nb: 2\n", "", nil, "more than one YAML document"},
		{"scalar", "webhook\n", "", nil, "want a mapping"},
		{"empty", "", "", nil, "empty"},
		{"aliases that blow up", "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n" +
			"d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e]\n", "", nil, "more than 100000 values"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := notifycmd.ParseChannelFile([]byte(tc.file))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(f.Body) != tc.want {
				t.Errorf("body %s\nwant %s", f.Body, tc.want)
			}
			for path, line := range tc.lines {
				if got := f.Line(path); got != line {
					t.Errorf("line of %s = %d, want %d", path, got, line)
				}
			}
		})
	}
}

// FuzzParseChannelFile reads arbitrary channel files: never a panic;
// what is accepted is a JSON object, and every field path has a line.
func FuzzParseChannelFile(f *testing.F) {
	f.Add([]byte("# a comment\ntype: webhook\nwebhook: {url: 'https://h.example/x', secret: s}\ndelivery: {max_attempts: 1}\n"))
	f.Add([]byte(`{"type": "dingtalk", "dingtalk": {"url": "https://oapi.dingtalk.com/robot/send?access_token=t"}}`))
	f.Add([]byte("type: webhook\nwebhook: &w {url: x}\nsyslog: *w\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("x: 1e400\ny: .nan\nz: 0x1F\nd: 2025-01-01\nb: yes\n"))
	f.Add([]byte("? [a]\n: b\n"))
	f.Add([]byte("---\na: 1\n---\nb: 2\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cf, err := notifycmd.ParseChannelFile(data)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		var obj map[string]any
		if err := json.Unmarshal(cf.Body, &obj); err != nil || obj == nil {
			t.Fatalf("body %q is not a JSON object: %v", cf.Body, err)
		}
		for k := range obj {
			if cf.Line(k) <= 0 {
				t.Fatalf("field %q has no line", k)
			}
		}
	})
}
