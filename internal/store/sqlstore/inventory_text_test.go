package sqlstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"
	"unicode/utf8"

	"github.com/vigilsec/vigil/internal/store"
)

func TestAppendFieldValues(t *testing.T) {
	tests := []struct{ name, doc, want string }{
		{"empty", ``, ``},
		{"flat", `{"name":"openssl","size":1843200}`, "openssl\n1843200\n"},
		{"nested, keys left out", `{"package":{"name":"bash","version":"5.2"}}`, "bash\n5.2\n"},
		{"lists", `{"args":["--port",6379,-1.5e3]}`, "--port\n6379\n-1.5e3\n"},
		{"literals left out", `{"a":true,"b":false,"c":null,"d":"x"}`, "x\n"},
		{"escapes decoded", `{"k":"a\"b\\c\u003cd\u00e9\n"}`, "a\"b\\c<d\u00e9\n\n"},
		{"surrogate pair", `{"k":"\ud83d\ude00"}`, "\U0001f600\n"},
		{"white space", "{ \"k\" :\n \"v\" , \"n\" : [ 1 , 2 ] }", "v\n1\n2\n"},
		{"key-like value", `{"k":["a:b",":"]}`, "a:b\n:\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(appendFieldValues(nil, []byte(tt.doc))); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// referenceFieldValues is appendFieldValues through encoding/json's
// tokenizer.
func referenceFieldValues(doc []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	type frame struct{ object, keyNext bool }
	var stack []frame
	// value notes that the open object, if any, has its value and
	// expects a key next.
	value := func() {
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].keyNext = true
		}
	}
	var out []byte
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{', '[':
				value()
				stack = append(stack, frame{object: v == '{', keyNext: v == '{'})
			default:
				stack = stack[:len(stack)-1]
			}
		case string:
			if n := len(stack); n > 0 && stack[n-1].keyNext {
				stack[n-1].keyNext = false
				continue
			}
			out = append(append(out, v...), '\n')
			value()
		case json.Number:
			out = append(append(out, v...), '\n')
			value()
		default: // true, false, null
			value()
		}
	}
}

func FuzzAppendFieldValues(f *testing.F) {
	for _, seed := range []string{
		`{"package":{"name":"bash","version":"5.2","size":12}}`,
		`{"args":["--port",6379,true,null],"e":{}}`,
		`{"k":"a\"b\\c\u003cd\u00e9\n\ud83d\ude00"}`,
		`[1,"x",{"a":[{"b":"c"}]}]`,
		`{"a":`, `"unterminated`, `{"k":"\`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		got := appendFieldValues(nil, doc)        // must not panic on anything
		if !json.Valid(doc) || !utf8.Valid(doc) { // what checkAsset lets through
			return
		}
		want, err := referenceFieldValues(doc)
		if err != nil {
			t.Fatalf("reference on valid JSON: %v", err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("values of %q:\n got %q\nwant %q", doc, got, want)
		}
	})
}

func TestCheckAsset(t *testing.T) {
	ok := store.AssetRecord{Kind: "package", Key: "bash:amd64", Name: "bash", Version: "5.2", Hash: [32]byte{1}}
	tests := []struct {
		name   string
		fields string
		valid  bool
	}{
		{"no fields", "", true},
		{"object", `{"package":{"name":"bash"}}`, true},
		{"object after white space", " \n{}", true},
		{"list", `["a"]`, false},
		{"string", `"a"`, false},
		{"null", `null`, false},
		{"truncated", `{"a":`, false},
		{"invalid UTF-8", "{\"a\":\"\xff\"}", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ok
			if tt.fields != "" {
				r.Fields = json.RawMessage(tt.fields)
			}
			err := checkAsset(r)
			if (err == nil) != tt.valid {
				t.Fatalf("checkAsset: %v, want valid %v", err, tt.valid)
			}
			if err != nil && !errors.Is(err, errInvalidAsset) {
				t.Fatalf("error %v does not wrap errInvalidAsset", err)
			}
		})
	}
}
