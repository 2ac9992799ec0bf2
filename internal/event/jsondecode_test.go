package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"unsafe"
)

// decodeStd decodes data as encoding/json does into an Event, the
// reference DecodeJSON (numbers false) and DecodeJSONNumbers (numbers
// true) must match. A document that is not an object is an error.
func decodeStd(data []byte, numbers bool) (Event, error) {
	var e Event
	if numbers {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(&e); err != nil {
			return nil, err
		}
		if rest := bytes.TrimLeft(data[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
			return nil, fmt.Errorf("data after the document: %q", rest)
		}
	} else if err := json.Unmarshal(data, &e); err != nil {
		return nil, err
	}
	if e == nil {
		return nil, errors.New("document is null")
	}
	return e, nil
}

// decodeFunc returns DecodeJSON or DecodeJSONNumbers.
func decodeFunc(numbers bool) func([]byte) (Event, error) {
	if numbers {
		return DecodeJSONNumbers
	}
	return DecodeJSON
}

// sameJSON reports whether a and b are the same decoded JSON, telling 0
// from -0 and an empty list from a nil one.
func sameJSON(a, b any) bool {
	switch x := a.(type) {
	case Event:
		y, ok := b.(Event)
		return ok && sameMap(x, y)
	case map[string]any:
		y, ok := b.(map[string]any)
		return ok && sameMap(x, y)
	case []any:
		y, ok := b.([]any)
		if !ok || (x == nil) != (y == nil) || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameJSON(x[i], y[i]) {
				return false
			}
		}
		return true
	case float64:
		y, ok := b.(float64)
		return ok && math.Float64bits(x) == math.Float64bits(y)
	}
	return a == b
}

func sameMap(x, y map[string]any) bool {
	if (x == nil) != (y == nil) || len(x) != len(y) {
		return false
	}
	for k, v := range x {
		w, ok := y[k]
		if !ok || !sameJSON(v, w) {
			return false
		}
	}
	return true
}

// depth is the nesting of v: 1 for an object of scalars.
func depth(v any) int {
	inner := 0
	switch x := v.(type) {
	case Event:
		return depth(map[string]any(x))
	case map[string]any:
		for _, w := range x {
			inner = max(inner, depth(w))
		}
	case []any:
		for _, w := range x {
			inner = max(inner, depth(w))
		}
	default:
		return 0
	}
	return inner + 1
}

// nested is a document n levels deep: objects, or arrays inside one
// object.
func nested(n int, arrays bool) string {
	if arrays {
		return `{"a":` + strings.Repeat("[", n-1) + strings.Repeat("]", n-1) + `}`
	}
	return strings.Repeat(`{"a":`, n-1) + `{}` + strings.Repeat(`}`, n-1)
}

func TestDecodeJSON(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Event // nil when wantErr is set
		// wantErr is the error of DecodeJSON; encoding/json fails too
		// unless it is ErrJSONNotObject or ErrJSONTooDeep.
		wantErr error
	}{
		{"empty object", `{}`, Event{}, nil},
		{"white space", " \t\r\n{ \"a\" : [ 1 , true , false , null ] , \"b\" : { } }\n ",
			Event{"a": []any{1.0, true, false, nil}, "b": map[string]any{}}, nil},
		{"empty list", `{"a":[]}`, Event{"a": []any{}}, nil},
		{"nested", `{"process":{"parent":{"pid":1,"args":["a","b"]}}}`,
			Event{"process": map[string]any{"parent": map[string]any{"pid": 1.0, "args": []any{"a", "b"}}}}, nil},
		{"empty key", `{"":1}`, Event{"": 1.0}, nil},
		{"duplicate keys", `{"a":1,"b":2,"a":3}`, Event{"a": 3.0, "b": 2.0}, nil},
		{"duplicate objects are not merged", `{"a":{"b":1},"a":{"c":2}}`, Event{"a": map[string]any{"c": 2.0}}, nil},
		{"nested duplicate keys", `{"a":{"x":1,"x":[2]}}`, Event{"a": map[string]any{"x": []any{2.0}}}, nil},

		{"simple escapes", `{"a":"\"\\\/\b\f\n\r\t"}`, Event{"a": "\"\\/\b\f\n\r\t"}, nil},
		{"escaped key", `{"\u0061\n":1}`, Event{"a\n": 1.0}, nil},
		{"unicode escape", `{"a":"caf\u00e9 \u4e2d\u6587"}`, Event{"a": "café 中文"}, nil},
		{"escaped NUL", `{"a":"\u0000"}`, Event{"a": "\x00"}, nil},
		{"surrogate pair", `{"a":"\ud83d\ude00"}`, Event{"a": "😀"}, nil},
		{"upper case hex", `{"a":"\uD83D\uDE00"}`, Event{"a": "😀"}, nil},
		{"lone high surrogate", `{"a":"\ud83d"}`, Event{"a": "\ufffd"}, nil},
		{"high surrogate then text", `{"a":"\ud83dx"}`, Event{"a": "\ufffdx"}, nil},
		{"high surrogate then other escape", `{"a":"\ud83d\u0041"}`, Event{"a": "\ufffdA"}, nil},
		{"high surrogate then newline", `{"a":"\ud83d\n"}`, Event{"a": "\ufffd\n"}, nil},
		{"lone low surrogate", `{"a":"\ude00"}`, Event{"a": "\ufffd"}, nil},
		{"low then pair", `{"a":"\ude00\ud83d\ude00"}`, Event{"a": "\ufffd😀"}, nil},
		{"two high surrogates then low", `{"a":"\ud83d\ud83d\ude00"}`, Event{"a": "\ufffd😀"}, nil},
		{"invalid byte", "{\"a\":\"x\xffy\"}", Event{"a": "x\ufffdy"}, nil},
		{"invalid key byte", "{\"\xff\":1}", Event{"\ufffd": 1.0}, nil},
		{"truncated sequence", "{\"a\":\"\xe2\x82\"}", Event{"a": "\ufffd\ufffd"}, nil},
		{"encoded surrogate", "{\"a\":\"\xed\xa0\x80\"}", Event{"a": "\ufffd\ufffd\ufffd"}, nil},
		{"overlong encoding", "{\"a\":\"\xc0\xaf\"}", Event{"a": "\ufffd\ufffd"}, nil},
		{"valid UTF-8", "{\"a\":\"héllo 世界 😀\"}", Event{"a": "héllo 世界 😀"}, nil},
		{"invalid UTF-8 and escape", "{\"a\":\"\xff\\n\"}", Event{"a": "\ufffd\n"}, nil},
		{"DEL is plain", "{\"a\":\"\x7f\"}", Event{"a": "\x7f"}, nil},

		{"zero", `{"a":0}`, Event{"a": 0.0}, nil},
		{"negative zero", `{"a":-0}`, Event{"a": math.Copysign(0, -1)}, nil},
		{"negative", `{"a":-12}`, Event{"a": -12.0}, nil},
		{"small numbers are shared", `{"a":[1023,1024]}`, Event{"a": []any{1023.0, 1024.0}}, nil},
		{"fraction", `{"a":1.5}`, Event{"a": 1.5}, nil},
		{"exponents", `{"a":[1e3,1E+3,25e-1,0.1e1,-0e0]}`, Event{"a": []any{1000.0, 1000.0, 2.5, 1.0, math.Copysign(0, -1)}}, nil},
		{"fifteen digits", `{"a":999999999999999}`, Event{"a": 999999999999999.0}, nil},
		{"beyond 2^53", `{"a":9007199254740993}`, Event{"a": 9007199254740992.0}, nil},
		{"very long integer", `{"a":123456789012345678901234567890}`, Event{"a": 1.2345678901234568e29}, nil},
		{"max float", `{"a":1.7976931348623157e308}`, Event{"a": math.MaxFloat64}, nil},
		{"underflow is zero", `{"a":1e-400}`, Event{"a": 0.0}, nil},
		{"overflow", `{"a":1e400}`, nil, ErrJSONNumber},
		{"negative overflow", `{"a":-1e400}`, nil, ErrJSONNumber},
		{"overflow in list", `{"a":[1,2e308]}`, nil, ErrJSONNumber},

		{"leading zero", `{"a":01}`, nil, ErrJSONSyntax},
		{"negative leading zero", `{"a":-01}`, nil, ErrJSONSyntax},
		{"dot without digits", `{"a":1.}`, nil, ErrJSONSyntax},
		{"dot first", `{"a":.5}`, nil, ErrJSONSyntax},
		{"plus sign", `{"a":+1}`, nil, ErrJSONSyntax},
		{"minus alone", `{"a":-}`, nil, ErrJSONSyntax},
		{"exponent without digits", `{"a":1e}`, nil, ErrJSONSyntax},
		{"exponent sign only", `{"a":1e+}`, nil, ErrJSONSyntax},
		{"hexadecimal", `{"a":0x10}`, nil, ErrJSONSyntax},
		{"NaN", `{"a":NaN}`, nil, ErrJSONSyntax},
		{"Infinity", `{"a":-Infinity}`, nil, ErrJSONSyntax},

		{"deep objects", nested(MaxJSONDepth, false), nil, nil},
		{"deep lists", nested(MaxJSONDepth, true), nil, nil},
		{"too deep objects", nested(MaxJSONDepth+1, false), nil, ErrJSONTooDeep},
		{"too deep lists", nested(MaxJSONDepth+1, true), nil, ErrJSONTooDeep},

		{"empty", ``, nil, ErrJSONSyntax},
		{"blank", " \n\t", nil, ErrJSONSyntax},
		{"BOM", "\xef\xbb\xbf{}", nil, ErrJSONSyntax},
		{"trailing garbage", `{} x`, nil, ErrJSONSyntax},
		{"second object", `{}{}`, nil, ErrJSONSyntax},
		{"extra brace", `{}}`, nil, ErrJSONSyntax},
		{"extra bracket", `{}]`, nil, ErrJSONSyntax},
		{"NUL after", "{}\x00", nil, ErrJSONSyntax},
		{"vertical tab is not space", "\v{}", nil, ErrJSONSyntax},
		{"truncated", `{"a":"b"`, nil, ErrJSONSyntax},
		{"truncated string", `{"a":"b`, nil, ErrJSONSyntax},
		{"truncated key", `{"a`, nil, ErrJSONSyntax},
		{"truncated escape", `{"a":"\`, nil, ErrJSONSyntax},
		{"truncated unicode escape", `{"a":"\u12`, nil, ErrJSONSyntax},
		{"truncated list", `{"a":[1,`, nil, ErrJSONSyntax},
		{"trailing comma", `{"a":1,}`, nil, ErrJSONSyntax},
		{"trailing comma in list", `{"a":[1,]}`, nil, ErrJSONSyntax},
		{"missing colon", `{"a" 1}`, nil, ErrJSONSyntax},
		{"missing comma", `{"a":1 "b":2}`, nil, ErrJSONSyntax},
		{"unquoted key", `{a:1}`, nil, ErrJSONSyntax},
		{"single quotes", `{'a':1}`, nil, ErrJSONSyntax},
		{"number key", `{1:1}`, nil, ErrJSONSyntax},
		{"raw newline in string", "{\"a\":\"x\ny\"}", nil, ErrJSONSyntax},
		{"raw tab in string", "{\"a\":\"x\ty\"}", nil, ErrJSONSyntax},
		{"raw control in key", "{\"\x01\":1}", nil, ErrJSONSyntax},
		{"control after invalid byte", "{\"a\":\"\xff\x01\"}", nil, ErrJSONSyntax},
		{"unknown escape", `{"a":"\x41"}`, nil, ErrJSONSyntax},
		{"escaped single quote", `{"a":"\'"}`, nil, ErrJSONSyntax},
		{"short unicode escape", `{"a":"\u12"}`, nil, ErrJSONSyntax},
		{"bad hex", `{"a":"\u12g4"}`, nil, ErrJSONSyntax},
		{"surrogate then bad escape", `{"a":"\ud83d\uzzzz"}`, nil, ErrJSONSyntax},
		{"truncated literal", `{"a":tru}`, nil, ErrJSONSyntax},
		{"literal with suffix", `{"a":nullx}`, nil, ErrJSONSyntax},
		{"capitalized literal", `{"a":True}`, nil, ErrJSONSyntax},
		{"comment", `{"a":1 /* x */}`, nil, ErrJSONSyntax},

		{"null", `null`, nil, ErrJSONNotObject},
		{"list", `[{"a":1}]`, nil, ErrJSONNotObject},
		{"string", `"{}"`, nil, ErrJSONNotObject},
		{"number", ` 12 `, nil, ErrJSONNotObject},
		{"boolean", `true`, nil, ErrJSONNotObject},
		{"broken list", `[1,`, nil, ErrJSONSyntax},
		{"list then garbage", `[] x`, nil, ErrJSONSyntax},
		{"huge number", `1e400`, nil, ErrJSONNotObject},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeJSON([]byte(tt.in))
			std, stdErr := decodeStd([]byte(tt.in), false)
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error %v, want %v", err, tt.wantErr)
				}
				if stdErr == nil && tt.wantErr != ErrJSONTooDeep && tt.wantErr != ErrJSONNotObject {
					t.Fatal("encoding/json accepts the document")
				}
				return
			case err != nil:
				t.Fatalf("DecodeJSON: %v", err)
			case stdErr != nil:
				t.Fatalf("encoding/json: %v", stdErr)
			}
			if !sameJSON(got, std) || !reflect.DeepEqual(got, std) {
				t.Errorf("got %#v\nencoding/json %#v", got, std)
			}
			if tt.want != nil && !sameJSON(got, tt.want) {
				t.Errorf("got %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestDecodeJSONNumbers(t *testing.T) {
	tests := []struct {
		in   string
		want json.Number
	}{
		{`{"a":9007199254740993}`, "9007199254740993"},
		{`{"a":1e400}`, "1e400"},
		{`{"a":-0.0}`, "-0.0"},
		{`{"a":1E+3}`, "1E+3"},
	}
	for _, tt := range tests {
		got, err := DecodeJSONNumbers([]byte(tt.in))
		if err != nil {
			t.Fatalf("DecodeJSONNumbers(%s): %v", tt.in, err)
		}
		if got["a"] != tt.want {
			t.Errorf("DecodeJSONNumbers(%s) = %#v, want %#v", tt.in, got["a"], tt.want)
		}
		std, err := decodeStd([]byte(tt.in), true)
		if err != nil || !reflect.DeepEqual(got, std) {
			t.Errorf("DecodeJSONNumbers(%s) = %#v, encoding/json %#v (%v)", tt.in, got, std, err)
		}
	}
	if _, err := DecodeJSONNumbers([]byte(`{"a":1}}`)); !errors.Is(err, ErrJSONSyntax) {
		t.Errorf("trailing brace: error %v, want %v", err, ErrJSONSyntax)
	}
}

// TestDecodeJSONSamples decodes the sample events as encoding/json does
// and shares every key of theirs: the intern table covers what sensors
// send.
func TestDecodeJSONSamples(t *testing.T) {
	for _, s := range sampleEvents(t) {
		for _, numbers := range []bool{false, true} {
			got, err := decodeFunc(numbers)(s.data)
			if err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			want, err := decodeStd(s.data, numbers)
			if err != nil {
				t.Fatal(err)
			}
			if !sameJSON(got, want) || !reflect.DeepEqual(got, want) {
				t.Errorf("%s (numbers %v): got %#v\nencoding/json %#v", s.name, numbers, got, want)
			}
		}
		got, _ := DecodeJSON(s.data)
		for _, key := range keysOf(map[string]any(got)) {
			shared, ok := interned([]byte(key))
			if !ok || unsafe.StringData(shared.(string)) != unsafe.StringData(key) {
				t.Errorf("%s: key %q is not interned", s.name, key)
			}
		}
	}
}

// keysOf returns the keys of v's objects at every level.
func keysOf(v any) []string {
	var keys []string
	switch x := v.(type) {
	case map[string]any:
		for k, w := range x {
			keys = append(keys, k)
			keys = append(keys, keysOf(w)...)
		}
	case []any:
		for _, w := range x {
			keys = append(keys, keysOf(w)...)
		}
	}
	return keys
}

func TestInternedNames(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range internedNames {
		if seen[s] {
			t.Errorf("%q is listed twice", s)
		}
		seen[s] = true
		if v, ok := interned([]byte(s)); !ok || v != s {
			t.Errorf("%q is not found", s)
		}
	}
	// A miss walks the run of taken slots at its hash: keep runs short.
	longest, run := 0, 0
	for i := range 2 * len(internTable) {
		if internTable[i%len(internTable)].v == nil {
			run = 0
			continue
		}
		run++
		longest = max(longest, run)
	}
	if longest > 16 {
		t.Errorf("%d taken slots in a row in the intern table", longest)
	}
	for _, s := range []string{"Event", "even", "events", "processes", "x", strings.Repeat("a", 600)} {
		if _, ok := interned([]byte(s)); ok {
			t.Errorf("%q is found", s)
		}
	}
}

// TestDecodeJSONReuse checks that a decoder taken from the pool after a
// failure or a deep document gives the same results.
func TestDecodeJSONReuse(t *testing.T) {
	samples := sampleEvents(t)
	bad := [][]byte{
		[]byte(`{"a":[1,{"b":"c",`),
		[]byte(`{"a":{"b":{"c":1e400}}}`),
		[]byte(nested(MaxJSONDepth+1, false)),
		[]byte(`{"a":"\ud83d` + strings.Repeat("x", 100)),
	}
	for i := range 20 {
		if _, err := DecodeJSON(bad[i%len(bad)]); err == nil {
			t.Fatalf("%s accepted", bad[i%len(bad)])
		}
		s := samples[i%len(samples)]
		got, err := DecodeJSON(s.data)
		want, _ := decodeStd(s.data, false)
		if err != nil || !sameJSON(got, want) {
			t.Fatalf("%s after a failure: %v %#v", s.name, err, got)
		}
	}
}

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range sampleEvents(f) {
		f.Add(s.data)
	}
	for _, seed := range []string{
		`{}`, ` {"a" : [ ] , "b" : { } } `, `{"a":[1,true,false,null,"s",{"b":[]}]}`,
		`{"a":1,"a":2}`, `{"":""}`, `{"a":{"b":1},"a":{"c":2}}`,
		`{"a":"\"\\\/\b\f\n\r\t"}`, `{"\u0061":"\u00e9\u4e2d"}`, `{"a":"\ud83d\ude00"}`,
		`{"a":"\ud83d"}`, `{"a":"\ude00\ud83d\ude00"}`, `{"a":"\ud83d\u0041"}`, `{"a":"\ud83d\uzzzz"}`,
		"{\"a\":\"\xff\xe2\x82\xed\xa0\x80\"}", "{\"\xc0\xaf\":1}", "{\"a\":\"x\ny\"}",
		`{"a":[0,-0,1.5,-1e-3,1E+3,25e-1,999999999999999,9007199254740993,123456789012345678901234567890]}`,
		`{"a":1e400}`, `{"a":1e-400}`, `{"a":01}`, `{"a":1.}`, `{"a":-}`, `{"a":1e+}`, `{"a":.5}`,
		`{"a":tru}`, `{"a":nullx}`, `{"a":1,}`, `{"a" 1}`, `{a:1}`, `{"a":"\x"}`, `{"a":"\u12"}`,
		``, ` `, "\xef\xbb\xbf{}", `{} x`, `{}}`, `{}]`, `{}{}`, `null`, `[]`, `"s"`, `1`, `true`, `[1,`,
		nested(MaxJSONDepth, false), nested(MaxJSONDepth+1, true),
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, numbers := range []bool{false, true} {
			got, err := decodeFunc(numbers)(data)
			want, wantErr := decodeStd(data, numbers)
			switch {
			case err != nil && !errors.Is(err, ErrJSONSyntax) && !errors.Is(err, ErrJSONNotObject) &&
				!errors.Is(err, ErrJSONNumber) && !errors.Is(err, ErrJSONTooDeep):
				t.Fatalf("error of no known kind: %v", err)
			case errors.Is(err, ErrJSONTooDeep):
				if wantErr == nil && depth(want) <= MaxJSONDepth {
					t.Fatalf("%v for a document %d levels deep", err, depth(want))
				}
			case (err == nil) != (wantErr == nil):
				t.Fatalf("numbers %v: error %v, encoding/json's %v", numbers, err, wantErr)
			case err == nil && (!sameJSON(got, want) || !reflect.DeepEqual(got, want)):
				t.Fatalf("numbers %v: got %#v\nencoding/json %#v", numbers, got, want)
			}
		}
	})
}

func BenchmarkDecodeJSON(b *testing.B) {
	for _, s := range sampleEvents(b) {
		b.Run(s.name+"/encoding-json", func(b *testing.B) {
			b.SetBytes(int64(len(s.data)))
			b.ReportAllocs()
			for b.Loop() {
				var e Event
				if err := json.Unmarshal(s.data, &e); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(s.name+"/DecodeJSON", func(b *testing.B) {
			b.SetBytes(int64(len(s.data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := DecodeJSON(s.data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEventTree measures making the maps and lists of the sample
// events alone, sharing their strings and numbers: the part of
// decoding that any decoder into an Event pays, encoding/json included.
func BenchmarkEventTree(b *testing.B) {
	for _, s := range sampleEvents(b) {
		e, err := DecodeJSON(s.data)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				copyTree(map[string]any(e))
			}
		})
	}
}

// copyTree copies the objects and lists of v.
func copyTree(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, w := range x {
			m[k] = copyTree(w)
		}
		return m
	case []any:
		list := make([]any, len(x))
		for i, w := range x {
			list[i] = copyTree(w)
		}
		return list
	}
	return v
}
