package sigma

import (
	"encoding/base64"
	"reflect"
	"strings"
	"testing"
)

func texts(ps []Pattern) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

func mods(t *testing.T, s string) Modifiers {
	t.Helper()
	m, err := ParseModifiers(strings.Split(s, "|"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestExpandEncodings(t *testing.T) {
	tests := []struct {
		mods, value string
		want        []string
		encoded     bool
	}{
		{"base64", "cmd", []string{"Y21k"}, true},
		{"base64|contains", "whoami", []string{"d2hvYW1p"}, true},
		{"utf16le|base64", "cmd", []string{base64.StdEncoding.EncodeToString([]byte("c\x00m\x00d\x00"))}, true},
		{"wide|base64", "cmd", []string{"YwBtAGQA"}, true},
		{"utf16be|base64", "cmd", []string{base64.StdEncoding.EncodeToString([]byte("\x00c\x00m\x00d"))}, true},
		{"utf16|base64", "cmd", []string{base64.StdEncoding.EncodeToString([]byte("\xff\xfec\x00m\x00d\x00"))}, true},
		{"contains", "a*b", []string{"a*b"}, false},
		{"windash|contains", "x", []string{"x"}, false},
	}
	for _, tt := range tests {
		got, encoded, err := Expand(mods(t, tt.mods), ParsePattern(tt.value, false))
		if err != nil {
			t.Errorf("%s %q: %v", tt.mods, tt.value, err)
			continue
		}
		if !reflect.DeepEqual(texts(got), tt.want) || encoded != tt.encoded {
			t.Errorf("%s %q = %q (encoded %v), want %q", tt.mods, tt.value, texts(got), encoded, tt.want)
		}
	}
}

// TestBase64Offset checks each form against the encodings of the value
// inside longer texts: whatever precedes and follows it, one of the three
// forms is in the encoding.
func TestBase64Offset(t *testing.T) {
	values := []string{"a", "ab", "abc", "/bin/bash -i", "powershell", "\x00\xff"}
	for _, v := range values {
		forms, encoded, err := Expand(mods(t, "base64offset|contains"), LiteralPattern(v))
		if err != nil || !encoded {
			t.Fatalf("%q: %v", v, err)
		}
		if len(forms) == 0 || len(forms) > 3 {
			t.Fatalf("%q: %d forms", v, len(forms))
		}
		for pre := 0; pre < 5; pre++ {
			for post := 0; post < 5; post++ {
				text := strings.Repeat("P", pre) + v + strings.Repeat("Q", post)
				enc := base64.StdEncoding.EncodeToString([]byte(text))
				found := false
				for _, f := range texts(forms) {
					if strings.Contains(enc, f) {
						found = true
					}
				}
				if !found && len(v) >= 3 {
					t.Errorf("%q within %q: no form of %q in %q", v, text, texts(forms), enc)
				}
			}
		}
	}
	// The forms of a known value.
	forms, _, _ := Expand(mods(t, "base64offset|contains"), LiteralPattern("/bin/bash"))
	if got := texts(forms); !reflect.DeepEqual(got, []string{"L2Jpbi9iYXNo", "9iaW4vYmFza", "vYmluL2Jhc2"}) {
		t.Errorf("forms of /bin/bash = %q", got)
	}
}

func TestWindash(t *testing.T) {
	got, _, err := Expand(mods(t, "windash|contains"), LiteralPattern(" -enc "))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{" -enc ", " /enc ", " \u2013enc ", " \u2014enc ", " \u2015enc "}
	if !reflect.DeepEqual(texts(got), want) {
		t.Errorf("windash = %q", texts(got))
	}
	got, _, _ = Expand(mods(t, "windash"), ParsePattern("-a x-y -b*", false))
	if len(got) != 25 {
		t.Errorf("two flags gave %d variants, want 25 (the dash in x-y is no flag)", len(got))
	}
	if !strings.Contains(strings.Join(texts(got), "|"), "/a x-y \u2014b*") {
		t.Errorf("variants = %q", texts(got))
	}
	if _, _, err := Expand(mods(t, "windash"), LiteralPattern("-a -b -c -d -e")); err == nil || !strings.Contains(err.Error(), "at most 4") {
		t.Errorf("five flags: %v", err)
	}
	got, _, _ = Expand(mods(t, "windash|base64offset|contains"), LiteralPattern("-e"))
	if len(got) != 5*3 && len(got) != 5*2 {
		t.Errorf("windash then base64offset gave %d patterns", len(got))
	}
}

func TestExpandPlaceholders(t *testing.T) {
	values := map[string][]string{"Admins": {"root", "adm_*"}, "Servers": {"srv1", "srv2"}}
	got, err := ExpandPlaceholders(ParsePattern("%Admins%@%Servers%", true), values)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"root@srv1", "root@srv2", "adm_*@srv1", "adm_*@srv2"}
	if !reflect.DeepEqual(texts(got), want) {
		t.Errorf("expanded = %q", texts(got))
	}
	if !got[2].HasWildcards() {
		t.Error("a placeholder value's wildcard was not kept")
	}
	_, err = ExpandPlaceholders(ParsePattern("%Admins% %JumpServers%", true), values)
	if err == nil || !strings.Contains(err.Error(), "expand needs placeholders: %JumpServers% not defined") {
		t.Errorf("missing placeholder: %v", err)
	}
}
