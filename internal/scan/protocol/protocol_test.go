package protocol_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/scan/protocol"
	"github.com/vigilsec/vigil/internal/scan/scantest"
)

func pkg(name string) event.Asset {
	return event.Asset{Kind: event.AssetPackage, Key: "deb:" + name + ":amd64", Name: name, Version: "1.0-1",
		Fields: map[string]any{"package": map[string]any{"name": name, "version": "1.0-1"}}}
}

func TestWriteRead(t *testing.T) {
	var buf bytes.Buffer
	w := protocol.NewWriter(&buf)
	want := []event.Asset{pkg("openssl"), pkg("zlib1g")}
	for _, a := range want {
		if err := w.Asset(a); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Asset(event.Asset{Kind: "nonsense", Key: "x"}); !errors.Is(err, protocol.ErrInvalidAsset) {
		t.Errorf("invalid asset: %v", err)
	}
	s := protocol.Summary{Command: "packages", Complete: true, Sources: []string{"var/lib/dpkg/status"}}
	s.AddError(protocol.FileError{Path: "/x", Error: "bad"})
	s.Skip("not_installed", 2)
	s.Skip("none", 0)
	if err := w.Finish(s); err != nil {
		t.Fatal(err)
	}
	if err := w.Asset(pkg("late")); !errors.Is(err, protocol.ErrFinished) {
		t.Errorf("asset after Finish: %v", err)
	}
	var got []event.Asset
	sum, st, err := protocol.Read(&buf, []string{event.AssetPackage}, func(a event.Asset) error {
		got = append(got, a)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("assets (-want +got):\n%s", d)
	}
	s.Assets = 2
	if d := cmp.Diff(s, sum); d != "" {
		t.Errorf("summary (-want +got):\n%s", d)
	}
	if st != (protocol.ReadStats{Lines: 2}) {
		t.Errorf("stats %+v", st)
	}
}

const (
	asset  = `{"kind":"package","key":"deb:a:amd64","name":"a","version":"1"}`
	other  = `{"kind":"library","key":"npm:a@1:/x","name":"a","version":"1"}`
	badKey = `{"kind":"package","key":"","name":"a"}`
)

func summary(n int) string {
	return `{"summary":{"command":"packages","complete":true,"assets":` + string(rune('0'+n)) + `}}`
}

func TestRead(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		assets    int
		malformed int
		invalid   int
		err       error
	}{
		{"complete", asset + "\n" + asset + "\n" + summary(2) + "\n", 2, 0, 0, nil},
		{"blank lines", "\n" + asset + "\n\n" + summary(1) + "\n\n", 1, 0, 0, nil},
		{"no final newline", asset + "\n" + summary(1), 1, 0, 0, nil},
		{"malformed counted", asset + "\n{not json\n" + summary(2) + "\n", 1, 1, 0, nil},
		{"empty object counted", "{}\n" + summary(1) + "\n", 0, 1, 0, nil},
		{"invalid asset counted", badKey + "\n" + asset + "\n" + summary(2) + "\n", 1, 0, 1, nil},
		{"other kind counted", other + "\n" + summary(1) + "\n", 0, 0, 1, nil},
		{"summary with a key", `{"kind":"package","key":"k","summary":{}}` + "\n" + summary(1) + "\n", 0, 1, 0, nil},
		{"empty", "", 0, 0, 0, protocol.ErrNoSummary},
		{"cut short", asset + "\n" + asset + "\n", 2, 0, 0, protocol.ErrNoSummary},
		{"lost line", asset + "\n" + summary(2) + "\n", 1, 0, 0, protocol.ErrCountMismatch},
		{"after summary", summary(0) + "\n" + asset + "\n", 0, 0, 0, protocol.ErrAfterSummary},
		{"two summaries", summary(0) + "\n" + summary(0) + "\n", 0, 0, 0, protocol.ErrAfterSummary},
		{"line too long", `{"kind":"package","key":"` + strings.Repeat("k", protocol.MaxLine) + `"}` + "\n" + summary(1), 0, 0, 0, protocol.ErrLineTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := 0
			_, st, err := protocol.Read(strings.NewReader(tt.in), []string{event.AssetPackage}, func(event.Asset) error {
				n++
				return nil
			})
			if !errors.Is(err, tt.err) {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
			if n != tt.assets || st.Malformed != tt.malformed || st.Invalid != tt.invalid {
				t.Errorf("assets %d malformed %d invalid %d, want %d %d %d", n, st.Malformed, st.Invalid, tt.assets, tt.malformed, tt.invalid)
			}
		})
	}
}

func TestReadCallbackError(t *testing.T) {
	stop := errors.New("stop")
	_, _, err := protocol.Read(strings.NewReader(asset+"\n"+summary(1)), nil, func(event.Asset) error { return stop })
	if !errors.Is(err, stop) {
		t.Errorf("err %v", err)
	}
}

func TestSummaryIncomplete(t *testing.T) {
	s := protocol.Summary{Complete: true}
	s.Incomplete("first")
	s.Incomplete("second")
	if s.Complete || s.Reason != "first" {
		t.Errorf("%+v", s)
	}
	for i := 0; i < protocol.MaxErrorSamples+5; i++ {
		s.AddError(protocol.FileError{Path: "/x"})
	}
	if s.Errors != protocol.MaxErrorSamples+5 || len(s.ErrorSamples) != protocol.MaxErrorSamples {
		t.Errorf("errors %d samples %d", s.Errors, len(s.ErrorSamples))
	}
}

// FuzzRead feeds arbitrary streams to the reader the collectors use: it
// must return, never panic, and hand over only valid assets.
func FuzzRead(f *testing.F) {
	for _, s := range []string{
		asset + "\n" + summary(1) + "\n",
		other + "\n{\n" + summary(2),
		badKey + "\n" + summary(1),
		summary(0) + "\n" + asset,
		`{"summary":null}`,
		`{"kind":"package","key":"a","fields":{"package":{"name":[1,2,{}]}}}` + "\n" + summary(1),
		"\x00\xff\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, st, _ := protocol.Read(bytes.NewReader(b), []string{event.AssetPackage}, func(a event.Asset) error {
			if err := a.Validate(); err != nil {
				t.Errorf("invalid asset handed over: %v", err)
			}
			if a.Kind != event.AssetPackage {
				t.Errorf("asset of kind %q handed over", a.Kind)
			}
			return nil
		})
		if st.Malformed+st.Invalid > st.Lines {
			t.Errorf("stats %+v", st)
		}
	})
}

// TestNoScannerDependencies: the agent links this package; it must not
// bring the scanner's extractors with it.
func TestNoScannerDependencies(t *testing.T) { scantest.NoScannerLinked(t, ".", "../runner") }
