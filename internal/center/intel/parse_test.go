package intel

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata")

// parseGolden is what a golden file of a parsed file holds.
type parseGolden struct {
	Format     Format            `json:"format"`
	Read       int               `json:"read"`
	Skipped    int               `json:"skipped"`
	Indicators []store.Indicator `json:"indicators"`
	Problems   []Problem         `json:"problems"`
}

// checkGolden compares got with the golden file, or rewrites it with
// -update.
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from what was parsed:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestParseGolden(t *testing.T) {
	tests := []struct {
		file   string
		format Format
	}{
		{"feed.txt", FormatText},
		{"feed.csv", FormatCSV},
		{"list.json", FormatJSON},
		{"bundle.stix.json", FormatSTIX},
		{"event.misp.json", FormatMISP},
		{"response.misp.json", FormatMISP},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "parse", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			opts := ImportOptions{Source: "example-feed", Tags: []string{"feed"}, Actor: "analyst"}
			p, err := parse(bytes.NewReader(data), opts)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if p.format != tt.format {
				t.Errorf("format detected %q, want %q", p.format, tt.format)
			}
			for _, in := range p.indicators() {
				checkIndicator(t, in, "example-feed")
			}
			// Naming the format gives the same result.
			opts.Format = tt.format
			named, err := parse(bytes.NewReader(data), opts)
			if err != nil {
				t.Fatalf("parse as %s: %v", tt.format, err)
			}
			if len(named.indicators()) != len(p.indicators()) || len(named.problems) != len(p.problems) {
				t.Errorf("as %s: %d indicators, %d problems; detected: %d, %d", tt.format,
					len(named.indicators()), len(named.problems), len(p.indicators()), len(p.problems))
			}
			got, err := json.MarshalIndent(parseGolden{p.format, p.read, p.skipped, p.indicators(), p.problems}, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("testdata", "parse", tt.file+".golden"), append(got, '\n'))
		})
	}
}

// checkIndicator checks what every parsed indicator must be: its value
// normalized, its id the store's, and fields the store accepts.
func checkIndicator(t *testing.T, in store.Indicator, source string) {
	t.Helper()
	if n, err := Normalize(in.Type, in.Value); err != nil || n != in.Value {
		t.Errorf("indicator %s %q is not normalized: %q, %v", in.Type, in.Value, n, err)
	}
	if in.ID != store.IndicatorID(in.Type, in.Value, source) || in.Source != source {
		t.Errorf("indicator %s %q: id %s source %q", in.Type, in.Value, in.ID, in.Source)
	}
	if severities[in.Severity] == 0 || in.Confidence < 0 || in.Confidence > 100 {
		t.Errorf("indicator %s %q: severity %q confidence %d", in.Type, in.Value, in.Severity, in.Confidence)
	}
	for _, s := range append(append([]string{in.Description, in.Reference}, in.Tags...), in.Techniques...) {
		if strings.IndexByte(s, 0) >= 0 || !isValidUTF8(s) {
			t.Errorf("indicator %s %q holds text no database holds: %q", in.Type, in.Value, s)
		}
	}
	if in.Tags == nil || in.Techniques == nil {
		t.Errorf("indicator %s %q: nil tags or techniques", in.Type, in.Value)
	}
}

func isValidUTF8(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

// find returns the parsed indicator of a value.
func find(t *testing.T, ins []store.Indicator, value string) store.Indicator {
	t.Helper()
	for _, in := range ins {
		if in.Value == value {
			return in
		}
	}
	t.Fatalf("no indicator %q among %d", value, len(ins))
	return store.Indicator{}
}

// problemAt returns the problem of a line (text, CSV) or entry.
func problemAt(t *testing.T, ps []Problem, line int, entry string) Problem {
	t.Helper()
	for _, p := range ps {
		if (line == 0 || p.Line == line) && (entry == "" || p.Entry == entry) {
			return p
		}
	}
	t.Fatalf("no problem at line %d entry %q among %+v", line, entry, ps)
	return Problem{}
}

func TestParseText(t *testing.T) {
	in := "# comment\n\n192.0.2.1 first\r\nbad..example.com\n192.0.2.1,again\nexample.com\t# a comment\nhxxp://x[.]example[.]com\n"
	p, err := parse(strings.NewReader(in), ImportOptions{Source: "s", Severity: "HIGH", Confidence: 75,
		Tags: []string{" b", "a", "a"}, ExpiresAt: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if p.format != FormatText || p.read != 5 || len(p.indicators()) != 3 {
		t.Fatalf("format %s read %d indicators %d, want text 5 3: %+v", p.format, p.read, len(p.indicators()), p.indicators())
	}
	ip := find(t, p.indicators(), "192.0.2.1")
	if ip.Description != "first" || ip.Severity != "high" || ip.Confidence != 75 ||
		!ip.ExpiresAt.Equal(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)) || strings.Join(ip.Tags, ",") != "a,b" {
		t.Errorf("defaults not applied: %+v", ip)
	}
	if d := find(t, p.indicators(), "example.com"); d.Description != "a comment" {
		t.Errorf("description %q, want the comment without '#'", d.Description)
	}
	pr := problemAt(t, p.problems, 4, "")
	if pr.Entry != "bad..example.com" || !strings.Contains(pr.Reason, "empty label") {
		t.Errorf("problem %+v", pr)
	}
}

func TestParseTextLongLine(t *testing.T) {
	in := "192.0.2.1\n" + strings.Repeat("a", 100<<10) + "\n192.0.2.2\n"
	p, err := parse(strings.NewReader(in), ImportOptions{Source: "s", Format: FormatText})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.indicators()) != 2 {
		t.Fatalf("%d indicators, want the 2 around the long line", len(p.indicators()))
	}
	if pr := problemAt(t, p.problems, 2, ""); !strings.Contains(pr.Reason, "line longer than") {
		t.Errorf("problem %+v", pr)
	}
}

func TestParseMaxProblems(t *testing.T) {
	var b strings.Builder
	for i := range 25 {
		fmt.Fprintf(&b, "bad value %d\n", i)
	}
	b.WriteString("192.0.2.1\n")
	p, err := parse(strings.NewReader(b.String()), ImportOptions{Source: "s", MaxProblems: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.indicators()) != 1 || len(p.problems) != 11 {
		t.Fatalf("%d indicators, %d problems, want 1 and 10+1", len(p.indicators()), len(p.problems))
	}
	if last := p.problems[10]; last.Reason != "15 more problems" || last.Line != 0 {
		t.Errorf("last problem %+v", last)
	}
	if p.problems[9].Line != 10 {
		t.Errorf("tenth problem at line %d", p.problems[9].Line)
	}
}

func TestParseMaxIndicators(t *testing.T) {
	defer func(n int) { maxIndicators = n }(maxIndicators)
	maxIndicators = 3
	in := "192.0.2.1\n192.0.2.2\n192.0.2.1\n192.0.2.3\n"
	if _, err := parse(strings.NewReader(in), ImportOptions{Source: "s"}); err != nil {
		t.Fatalf("3 distinct indicators (one repeated): %v", err)
	}
	_, _, _, err := Parse(strings.NewReader(in+"192.0.2.4\n"), ImportOptions{Source: "s"})
	if !errors.Is(err, ErrBadFile) || !strings.Contains(err.Error(), "more than 3 indicators") {
		t.Fatalf("4 indicators: %v, want ErrBadFile", err)
	}
}

func TestParseBadFiles(t *testing.T) {
	tests := []struct {
		name   string
		format Format
		in     string
		reason string
	}{
		{"gzip", "", "\x1f\x8b\x08\x00rest", "gzip"},
		{"zip", "", "PK\x03\x04rest", "zip"},
		{"nul", "", "192.0.2.1\n\x00\x01", "NUL"},
		{"json syntax", "", `[{"value": "192.0.2.1"`, "unexpected end"},
		{"json trailing", "", `["192.0.2.1"] x`, "json"},
		{"json not array", FormatJSON, `{"value": "x"}`, "want an array"},
		{"object neither", "", `{"hello": "world"}`, "neither a STIX bundle"},
		{"stix object", "", `{"type": "indicator", "pattern": "[ipv4-addr:value = '192.0.2.1']"}`, "want a bundle"},
		{"stix objects not array", FormatSTIX, `{"type": "bundle", "objects": 3}`, "not an array"},
		{"misp asked stix", FormatSTIX, `{"Event": {"Attribute": []}}`, "MISP document, not STIX"},
		{"stix asked misp", FormatMISP, `{"type": "bundle", "objects": []}`, "STIX document, not MISP"},
		{"misp response", "", `{"response": 3}`, "MISP response"},
		{"misp bad event", "", `{"Event": {"Attribute": 5}}`, "json"},
		{"csv without value", FormatCSV, "type,description\nip,x\n", "no value"},
		{"csv empty", FormatCSV, "", "no header"},
		{"unknown format", "yaml", "a: b", "format"},
		{"stix text", FormatSTIX, "192.0.2.1\n", "want a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ins, _, _, err := Parse(strings.NewReader(tt.in), ImportOptions{Source: "s", Format: tt.format})
			if !errors.Is(err, ErrBadFile) || !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("Parse: %d indicators, %v; want ErrBadFile saying %q", len(ins), err, tt.reason)
			}
		})
	}
}

func TestParseBadOptions(t *testing.T) {
	for _, opts := range []ImportOptions{
		{Source: "s", Severity: "urgent"},
		{Source: "s", Confidence: 101},
		{Source: "s", Tags: []string{strings.Repeat("t", 200)}},
		{Source: "s\x00"},
	} {
		if _, _, _, err := Parse(strings.NewReader("192.0.2.1"), opts); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Parse with %+v: %v, want ErrInvalid", opts, err)
		}
	}
}

// errReader fails after its data.
type errReader struct {
	data []byte
	err  error
}

func (r *errReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestParseReadError(t *testing.T) {
	boom := errors.New("connection reset")
	for _, f := range Formats {
		data := map[Format]string{FormatText: "192.0.2.1\n", FormatCSV: "value\n192.0.2.1\n",
			FormatJSON: `["192.0.2.1",`, FormatSTIX: `{"type":"bundle","objects":[`, FormatMISP: `{"Event":{"Attribute":[`}[f]
		_, _, _, err := Parse(&errReader{data: []byte(data), err: boom}, ImportOptions{Source: "s", Format: f})
		if !errors.Is(err, boom) || errors.Is(err, ErrBadFile) {
			t.Errorf("%s: %v, want the read error (not ErrBadFile)", f, err)
		}
	}
}

func TestParseDetectsFormat(t *testing.T) {
	tests := []struct {
		in   string
		want Format
	}{
		{"", FormatText},
		{"\ufeff192.0.2.1\n", FormatText},
		{"# value,type\n192.0.2.1\n", FormatText},
		{"# header follows\nValue,Type\n192.0.2.1,ip\n", FormatCSV},
		{"\ufeffindicator,description\n192.0.2.1,x\n", FormatCSV},
		{"192.0.2.1,value\n", FormatText},
		{"  [\"192.0.2.1\"]", FormatJSON},
		{`{"objects": [], "type": "bundle"}`, FormatSTIX},
		{`{"type": "bundle", "id": "bundle--x"}`, FormatSTIX},
		{`{"response": [{"Event": {"Attribute": []}}]}`, FormatMISP},
		{`{"response": {"Attribute": [{"type": "ip-src", "to_ids": true, "value": "192.0.2.1"}]}}`, FormatMISP},
	}
	for _, tt := range tests {
		_, _, f, err := Parse(strings.NewReader(tt.in), ImportOptions{Source: "s"})
		if err != nil || f != tt.want {
			t.Errorf("Parse(%q): format %q, %v; want %q", tt.in, f, err, tt.want)
		}
	}
}

func TestParseMergesDuplicates(t *testing.T) {
	in := `value,severity,confidence,tags,techniques,description,reference,expires_at
192.0.2.1,low,40,a,T1105,,,2030-01-01
192.0.2.1,high,20,b,T1071.001,second,https://r.example.com,2031-01-01
192.0.2.1,medium,90,a;c,,third,,
example.com,,,,,,,2030-01-01
example.com,,,,,,,2029-01-01
`
	ins, problems, _, err := Parse(strings.NewReader(in), ImportOptions{Source: "s"})
	if err != nil || len(problems) != 0 {
		t.Fatal(err, problems)
	}
	if len(ins) != 2 {
		t.Fatalf("%d indicators, want 2", len(ins))
	}
	ip := ins[0]
	if ip.Severity != "high" || ip.Confidence != 90 || strings.Join(ip.Tags, ",") != "a,b,c" ||
		strings.Join(ip.Techniques, ",") != "T1071.001,T1105" || ip.Description != "second" ||
		ip.Reference != "https://r.example.com" || !ip.ExpiresAt.IsZero() {
		t.Errorf("merged %+v", ip)
	}
	if d := ins[1]; !d.ExpiresAt.Equal(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("merged expiry %v, want the later one", d.ExpiresAt)
	}
}

func TestParseSTIXProblems(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "parse", "bundle.stix.json"))
	if err != nil {
		t.Fatal(err)
	}
	ins, problems, _, err := Parse(bytes.NewReader(data), ImportOptions{Source: "s"})
	if err != nil {
		t.Fatal(err)
	}
	for id, reason := range map[string]string{
		"indicator--a1d5d3c8-5b4f-4d0e-8a52-6d1e5e0e6a77": "AND is not supported",
		"indicator--f3a9b2f0-2c54-4a57-8e5b-5f8b8b0c3f11": "FOLLOWEDBY is not supported",
		"indicator--9d6a8e1f-2b3c-4d5e-8f70-8192a3b4c5d6": "want ']'",
		"indicator--1e2d3c4b-5a69-4788-9a0b-1c2d3e4f5a6b": "192.0.2.300",
		"indicator--e1c5b5a4-9a93-4cbb-9f4b-4b7bf0a3b6c2": "object path file:name is not supported",
		"STIX pattern_type sigma":                         "1 skipped",
	} {
		if p := problemAt(t, problems, 0, id); !strings.Contains(p.Reason, reason) {
			t.Errorf("%s: %q, want %q", id, p.Reason, reason)
		}
	}
	c2 := find(t, ins, "198.51.100.0/24")
	if c2.Confidence != 85 || !c2.ExpiresAt.Equal(time.Date(2030, 3, 1, 10, 0, 0, 0, time.UTC)) ||
		strings.Join(c2.Techniques, ",") != "T1071.001" || c2.Reference != "https://cert.example.org/advisories/2026-014" ||
		strings.Join(c2.Tags, ",") != "c2,malicious-activity" {
		t.Errorf("C2 network %+v", c2)
	}
	if h := find(t, ins, "44d88612fea8a8f36de82e1278abb02f"); strings.Join(h.Tags, ",") != "ExampleLoader" {
		t.Errorf("hash indicating the malware: tags %v", h.Tags)
	}
	if d := find(t, ins, "cdn2.example.net"); strings.Join(d.Techniques, ",") != "T1105" {
		t.Errorf("domain indicating the attack pattern: techniques %v", d.Techniques)
	}
	for _, in := range ins {
		if in.Value == "192.0.2.200" || in.Value == "203.0.113.40" || in.Value == "192.0.2.99" {
			t.Errorf("%s imported from a revoked or narrowing indicator", in.Value)
		}
	}
}

func TestParseMISP(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "parse", "event.misp.json"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := parse(bytes.NewReader(data), ImportOptions{Source: "s"})
	if err != nil {
		t.Fatal(err)
	}
	// 11 attributes and 2 of an object; skipped: email-src (a type not
	// read), to_ids false (3: an address, email-subject, the object's
	// filename), deleted.
	if p.read != 13 || p.skipped != 5 {
		t.Errorf("read %d skipped %d, want 13 and 5", p.read, p.skipped)
	}
	ip := find(t, p.indicators(), "192.0.2.66")
	if ip.Severity != "high" || strings.Join(ip.Techniques, ",") != "T1566.001" || strings.Join(ip.Tags, ",") != "tlp:amber" ||
		ip.Description != "C2 server" {
		t.Errorf("attribute %+v", ip)
	}
	if h := find(t, p.indicators(), strings.Repeat("5d41402abc4b2a76b9719d911017c592", 2)); h.Description != "Invoice_0326.js: dropper" {
		t.Errorf("filename|sha256 description %q", h.Description)
	}
	if d := find(t, p.indicators(), "2001:db8::66"); d.Description != "Phishing campaign delivering ExampleLoader" {
		t.Errorf("description without comment %q, want the event's info", d.Description)
	}
	find(t, p.indicators(), "invoice-portal.example.com")
	find(t, p.indicators(), "198.51.100.66")
	if pr := problemAt(t, p.problems, 0, "6a1b2c3d-0008-4e5f-8a9b-0c1d2e3f4a08"); !strings.Contains(pr.Reason, "not a host name") {
		t.Errorf("problem %+v", pr)
	}
	problemAt(t, p.problems, 0, "MISP attribute type email-src")
}

func TestParseJSONProblems(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "parse", "list.json"))
	if err != nil {
		t.Fatal(err)
	}
	_, problems, _, err := Parse(bytes.NewReader(data), ImportOptions{Source: "s"})
	if err != nil {
		t.Fatal(err)
	}
	for entry, reason := range map[string]string{
		"[4]": "not-an-address", "[5]": "unknown field", "[6]": "field confidence: want a number, not a JSON string", "[7]": "type \"mac\" unknown",
		"[8]": "want an indicator object or a value string, not a JSON number",
	} {
		if p := problemAt(t, problems, 0, entry); !strings.Contains(p.Reason, reason) {
			t.Errorf("%s: %q, want %q", entry, p.Reason, reason)
		}
	}
}
