package intel

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

// fuzzFormats are the formats FuzzParse tries: "" detects.
var fuzzFormats = append([]Format{""}, Formats...)

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "parse", "*"))
	for _, name := range files {
		if strings.HasSuffix(name, ".golden") {
			continue
		}
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		for i := range fuzzFormats {
			f.Add(data, uint8(i))
		}
	}
	f.Add([]byte("192.0.2.1\nexample.com desc\n"), uint8(0))
	f.Add([]byte("value,type,tags\n192.0.2.1,ip,a;b\n"), uint8(2))
	f.Add([]byte(`[{"value":"x.example.com","confidence":3}]`), uint8(5))
	f.Add([]byte(`{"type":"bundle","objects":[{"type":"indicator","id":"indicator--1","pattern":"[url:value = 'http://a.example.com/']"}]}`), uint8(3))
	f.Add([]byte(`{"response":{"Attribute":[{"type":"domain|ip","to_ids":true,"value":"a.example.com|192.0.2.1"}]}}`), uint8(4))
	f.Fuzz(func(t *testing.T, data []byte, format uint8) {
		opts := ImportOptions{Source: "fuzz", Format: fuzzFormats[int(format)%len(fuzzFormats)], MaxProblems: 20}
		p, err := parse(bytes.NewReader(data), opts)
		if err != nil {
			if !errors.Is(err, ErrBadFile) {
				t.Fatalf("error %v is not ErrBadFile", err)
			}
			return
		}
		if len(p.problems) > opts.MaxProblems+1 {
			t.Fatalf("%d problems, bound %d", len(p.problems), opts.MaxProblems)
		}
		for _, pr := range p.problems {
			if !utf8.ValidString(pr.Entry) || pr.Reason == "" {
				t.Fatalf("problem %+v", pr)
			}
		}
		seen := map[string]bool{}
		for _, in := range p.indicators() {
			checkIndicator(t, in, "fuzz")
			if seen[in.ID] {
				t.Fatalf("indicator %s %q twice", in.Type, in.Value)
			}
			seen[in.ID] = true
		}
		if len(p.indicators()) > p.read*maxPatternComparisons {
			t.Fatalf("%d indicators from %d entries", len(p.indicators()), p.read)
		}
	})
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"192.0.2.1", "203.0.113.7/24", "::ffff:192.0.2.1", "2001:db8::1/64", "[2001:db8::1]",
		"Example.COM.", "*.example.org", "Bücher.example", "xn--bcher-kva.example", "a_b.example.com",
		"HTTP://Example.COM:80/a?b#c", "hxxp://x[.]example[.]com", "http://[2001:db8::1]:8080/", "http://user@bücher.example/",
		"d41d8cd98f00b204e9800998ecf8427e", "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709", "0.0.0.0/0", "fe80::1%eth0"} {
		for i := range store.IndicatorTypes {
			f.Add(uint8(i), s)
		}
	}
	f.Fuzz(func(t *testing.T, typ uint8, v string) {
		ty := store.IndicatorTypes[int(typ)%len(store.IndicatorTypes)]
		n, err := Normalize(ty, v)
		if err != nil {
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		again, err := Normalize(ty, n)
		if err != nil || again != n {
			t.Fatalf("Normalize(%s, %q) = %q, but again %q, %v", ty, v, n, again, err)
		}
		if !utf8.ValidString(n) || strings.ContainsAny(n, " \t\r\n\x00") {
			t.Fatalf("normalized %q", n)
		}
		if ty == store.IndicatorURL {
			if c, ok := appendCanonicalURL(nil, n); !ok || string(c) != n {
				t.Fatalf("canonical form of %q is %q, %v", n, c, ok)
			}
		}
		checkEnrichAgrees(t, ty, v, n)
	})
}

// checkEnrichAgrees checks that an event holding v as it was given
// matches the indicator Normalize made of it, in the field of its type,
// when v is a form an event may hold (no surrounding space, not
// defanged, a URL with its scheme, an address rather than a network).
func checkEnrichAgrees(t *testing.T, ty store.IndicatorType, v, n string) {
	if v != strings.TrimSpace(v) || refang(v) != v || strings.HasPrefix(v, "*.") || strings.HasPrefix(v, "[") {
		return
	}
	var field string
	switch ty {
	case store.IndicatorIP:
		if strings.Contains(v, "/") {
			return
		}
		field = "source.ip"
	case store.IndicatorDomain:
		field = "dns.question.name"
	case store.IndicatorURL:
		if !strings.Contains(v, "://") {
			return
		}
		field = "url.full"
	default:
		field = "file.hash." + string(ty)
	}
	s := enricher(ind(ty, n, "fuzz"))
	ev := event.Event{}
	ev.Set(field, v)
	if got := s.Enrich(ev); got != 1 {
		t.Fatalf("event with %s %q: %d matches of indicator %q", field, v, got, n)
	}
}

func FuzzDetect(f *testing.F) {
	for _, s := range []string{"192.0.2.1", "198[.]51[.]100[.]0/24", "2001:db8::a", "example.com", "example.com/a",
		"hxxps://a[.]example[.]com/x", "d41d8cd98f00b204e9800998ecf8427e", "999.1.1.1", "192.0.2.1:80", "localhost", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		ty, n, err := Detect(v)
		if err != nil {
			if ty != "" || n != "" || !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("Detect(%q) = %q %q, %v", v, ty, n, err)
			}
			return
		}
		again, err := Normalize(ty, n)
		if err != nil || again != n {
			t.Fatalf("Detect(%q) = %s %q, but Normalize gives %q, %v", v, ty, n, again, err)
		}
		if t2, n2, err := Detect(n); err != nil || t2 != ty || n2 != n {
			t.Fatalf("Detect(%q) = %s %q, but Detect of that = %s %q, %v", v, ty, n, t2, n2, err)
		}
	})
}

func FuzzSTIXPattern(f *testing.F) {
	for _, s := range []string{
		"[ipv4-addr:value = '192.0.2.1']",
		"[file:hashes.'SHA-256' = 'abc' OR file:hashes.MD5 = 'def'] OR [url:value = 'http://a.example.com/']",
		"([domain-name:value IN ('a.example.com', 'b.example.com')])",
		"[network-traffic:dst_ref.value = '203.0.113.1' AND network-traffic:dst_port = 443]",
		"[a:b = 'x'] FOLLOWEDBY [c:d = 'y'] WITHIN 5 SECONDS",
		"[file:extensions.'windows-pebinary-ext'.sections[*].name = '.text']",
		"[url:value = 'it\\'s \\\\']",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		comps, err := parseSTIXPattern(s)
		if err != nil {
			if comps != nil {
				t.Fatalf("comparisons with an error: %v", comps)
			}
			return
		}
		if len(comps) == 0 || len(comps) > maxPatternComparisons {
			t.Fatalf("%d comparisons", len(comps))
		}
		for _, c := range comps {
			if c.Object == "" || c.Property == "" {
				t.Fatalf("comparison %+v", c)
			}
		}
		// A pattern read is one of ORs only: joining it with another
		// by OR keeps it readable, by AND does not.
		_, err = parseSTIXPattern("(" + s + ") OR [url:value = 'http://example.com/']")
		if err != nil && !strings.Contains(err.Error(), "nested deeper") && !strings.Contains(err.Error(), "more than") {
			t.Fatalf("%q OR another: %v", s, err)
		}
		if _, err := parseSTIXPattern("(" + s + ") AND [url:value = 'http://example.com/']"); err == nil {
			t.Fatalf("%q AND another was read", s)
		}
	})
}
