package mongoprobe

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDocRoundTrip(t *testing.T) {
	d := Doc{
		{Key: "listDatabases", Value: int32(1)}, {Key: "nameOnly", Value: true},
		{Key: "ok", Value: 1.0}, {Key: "n", Value: int64(-5)}, {Key: "s", Value: "é\x01"},
		{Key: "sub", Value: Doc{{Key: "a", Value: false}}},
	}
	b, err := AppendDoc(nil, d)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeDoc(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(d, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if !got.OK() {
		t.Error("ok: 1.0 is OK")
	}
	if _, err := AppendDoc(nil, Doc{{Key: "a\x00b", Value: 1.0}}); err == nil {
		t.Error("a key with NUL written")
	}
	if _, err := AppendDoc(nil, Doc{{Key: "x", Value: []int{1}}}); err == nil {
		t.Error("an unknown type written")
	}
}

// doc builds a document from raw elements.
func doc(elems ...[]byte) []byte {
	body := bytes.Join(elems, nil)
	out := binary.LittleEndian.AppendUint32(nil, uint32(len(body)+5))
	out = append(out, body...)
	return append(out, 0)
}

func elem(typ byte, key string, v []byte) []byte {
	return append(append([]byte{typ}, key+"\x00"...), v...)
}

func TestDecodeTypes(t *testing.T) {
	str := func(s string) []byte {
		return append(binary.LittleEndian.AppendUint32(nil, uint32(len(s)+1)), s+"\x00"...)
	}
	arr := doc(elem(0x02, "0", str("admin")), elem(0x02, "1", str("local")))
	raw := doc(
		elem(0x04, "databases", arr),
		elem(0x07, "oid", make([]byte, 12)),
		elem(0x09, "date", make([]byte, 8)),
		elem(0x0A, "null", nil),
		elem(0x0B, "re", []byte("a.*\x00i\x00")),
		elem(0x05, "bin", append(binary.LittleEndian.AppendUint32(nil, 2), 0, 'x', 'y')),
		elem(0x11, "ts", make([]byte, 8)),
		elem(0x13, "dec", make([]byte, 16)),
		elem(0x0F, "code", append(binary.LittleEndian.AppendUint32(nil, uint32(4+len(str("x"))+5)), append(str("x"), doc()...)...)),
		elem(0x10, "ok", binary.LittleEndian.AppendUint32(nil, 1)),
	)
	d, err := DecodeDoc(raw)
	if err != nil {
		t.Fatal(err)
	}
	dbs, _ := d.Get("databases")
	if diff := cmp.Diff([]any{"admin", "local"}, dbs); diff != "" {
		t.Errorf("databases (-want +got):\n%s", diff)
	}
	if v, _ := d.Get("oid"); v != (Opaque{Type: 0x07}) {
		t.Errorf("oid %v", v)
	}
	if v, _ := d.Get("bin"); !bytes.Equal(v.([]byte), []byte("xy")) {
		t.Errorf("bin %v", v)
	}
	if !d.OK() {
		t.Error("ok: int32 1")
	}
	for name, bad := range map[string][]byte{
		"short":          {1, 2},
		"length":         doc()[:4],
		"unterminated":   append(doc(elem(0x08, "b", []byte{1}))[:7], 1),
		"bad bool":       doc(elem(0x08, "b", []byte{2})),
		"unknown type":   doc(elem(0x42, "x", nil)),
		"string length":  doc(elem(0x02, "s", []byte{9, 0, 0, 0, 'a', 0})),
		"string no NUL":  doc(elem(0x02, "s", []byte{2, 0, 0, 0, 'a', 'b'})),
		"name open":      append(binary.LittleEndian.AppendUint32(nil, 8), 0x08, 'a', 'b', 0),
		"trailing bytes": append(doc(), 0),
	} {
		if _, err := DecodeDoc(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: error %v, want ErrMalformed", name, err)
		}
	}
	deep := doc()
	for range MaxDepth + 2 {
		deep = doc(elem(0x03, "d", deep))
	}
	if _, err := DecodeDoc(deep); !errors.Is(err, ErrMalformed) {
		t.Errorf("too deep: %v", err)
	}
}

func TestParseMsg(t *testing.T) {
	msg, err := AppendMsg(nil, 7, Doc{{Key: "hello", Value: int32(1)}, {Key: "$db", Value: "admin"}})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := ParseMsg(msg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.RequestID != 7 || len(rep.Body) != 2 {
		t.Fatalf("%+v", rep)
	}
	// A document sequence and a checksum are read past.
	seq := append([]byte{1}, binary.LittleEndian.AppendUint32(nil, uint32(4+len("documents\x00")+5))...)
	seq = append(seq, "documents\x00"...)
	seq = append(seq, doc()...)
	withSeq := append(append([]byte(nil), msg...), seq...)
	withSeq = append(withSeq, 1, 2, 3, 4)
	binary.LittleEndian.PutUint32(withSeq, uint32(len(withSeq)))
	binary.LittleEndian.PutUint32(withSeq[16:], flagChecksumPresent)
	if _, err := ParseMsg(withSeq); err != nil {
		t.Errorf("sequence and checksum: %v", err)
	}
	bad := append([]byte(nil), msg...)
	binary.LittleEndian.PutUint32(bad[12:], OpReply)
	if _, err := ParseMsg(bad); !errors.Is(err, ErrMalformed) {
		t.Errorf("OP_REPLY: %v", err)
	}
	two := append(append([]byte(nil), msg...), msg[20:]...)
	binary.LittleEndian.PutUint32(two, uint32(len(two)))
	if _, err := ParseMsg(two); !errors.Is(err, ErrMalformed) {
		t.Errorf("two bodies: %v", err)
	}
	flags := append([]byte(nil), msg...)
	binary.LittleEndian.PutUint32(flags[16:], 1<<5)
	if _, err := ParseMsg(flags); !errors.Is(err, ErrMalformed) {
		t.Errorf("unknown required flag: %v", err)
	}
}

func TestParseConf(t *testing.T) {
	tests := []struct {
		name, conf string
		enabled    bool
		setting    string
	}{
		{"debian default", "# mongod.conf\nstorage:\n  dbPath: /var/lib/mongodb\nnet:\n  port: 27017\n  bindIp: 127.0.0.1\n\n#security:\n", false, ""},
		{"enabled", "net:\n  bindIp: 0.0.0.0\nsecurity:\n  authorization: enabled # on\n", true, "security.authorization"},
		{"quoted disabled", "security:\n    authorization: \"disabled\"\n", false, "security.authorization"},
		{"flow", "security: {authorization: enabled, javascriptEnabled: false}\n", true, "security.authorization"},
		{"key file", "security:\n  keyFile: /etc/mongo.key\n", true, "security.keyFile"},
		{"x509", "security:\n  clusterAuthMode: x509\n", true, "security.clusterAuthMode"},
		{"sibling after nested", "security:\n  sasl:\n    hostName: x\n  authorization: enabled\n", true, "security.authorization"},
		{"dedent ends the map", "security:\n  sasl: {}\nauthorization: enabled\n", false, ""},
		{"ini auth", "dbpath = /var/lib/mongodb\nauth = true\n", true, "auth"},
		{"ini noauth", "noauth = true\nbind_ip = 0.0.0.0\n", false, "noauth"},
		{"block scalar and list passed over", "systemLog:\n  path: |\n    a: b\nsetParameter:\n  - x\nsecurity:\n  authorization: enabled\n", true, "security.authorization"},
	}
	for _, tc := range tests {
		c, err := ParseConf([]byte(tc.conf))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		enabled, setting := c.Authorization()
		if enabled != tc.enabled || setting != tc.setting {
			t.Errorf("%s: %v %q, want %v %q (%v)", tc.name, enabled, setting, tc.enabled, tc.setting, c.Values)
		}
	}
	c, _ := ParseConf([]byte(tests[1].conf))
	if c.Values["net.bindIp"] != "0.0.0.0" || c.Lines["security.authorization"] != 4 {
		t.Errorf("%v %v", c.Values, c.Lines)
	}
	for _, bad := range []string{"security:\n\tauthorization: enabled\n", "a: 'open\n", "just words\n", "a: {b: c\n", "a: *alias\n"} {
		if _, err := ParseConf([]byte(bad)); !errors.Is(err, ErrConfig) {
			t.Errorf("%q: %v, want ErrConfig", bad, err)
		}
	}
}
