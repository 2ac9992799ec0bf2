package mongoprobe

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func FuzzParseMsg(f *testing.F) {
	msg, _ := AppendMsg(nil, 1, Doc{{Key: "ok", Value: 1.0}, {Key: "databases", Value: Doc{{Key: "0", Value: "admin"}}}})
	f.Add(msg)
	f.Add(msg[:20])
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := ReadMsg(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, io.EOF) {
				t.Fatalf("error %v", err)
			}
			return
		}
		rep.Body.OK()
		// A body read writes back when it holds only writable types.
		if b, err := AppendDoc(nil, rep.Body); err == nil {
			if _, err := DecodeDoc(b); err != nil {
				t.Fatalf("round trip: %v", err)
			}
		}
	})
}

func FuzzDecodeDoc(f *testing.F) {
	b, _ := AppendDoc(nil, Doc{{Key: "hello", Value: int32(1)}, {Key: "s", Value: Doc{{Key: "x", Value: "y"}}}})
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := DecodeDoc(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v", err)
			}
			return
		}
		d.Number("ok")
		d.String("errmsg")
	})
}

func FuzzParseConf(f *testing.F) {
	for _, s := range []string{
		"net:\n  bindIp: 127.0.0.1\nsecurity:\n  authorization: enabled\n",
		"security: {authorization: \"enabled\", x: [1, 2]}\n", "auth = true\n", "a:\n  - b\n  c: |\n   d\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConf(data)
		if err != nil {
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("error %v", err)
			}
			return
		}
		c.Authorization()
		for k := range c.Values {
			if _, ok := c.Lines[k]; !ok {
				t.Fatalf("value %q without a line", k)
			}
		}
	})
}
