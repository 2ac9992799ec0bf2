package filecap

import (
	"encoding/hex"
	"errors"
	"slices"
	"testing"
)

// all is every capability Linux defines.
const all = 1<<41 - 1

// Values as the kernel stores them and getcap (libcap 2.66, Linux 6)
// prints them.
var known = []struct {
	name  string
	xattr string
	set   Set
	text  string
}{
	{"ping", "0100000200200000000000000000000000000000", Set{Permitted: 1 << 13, Effective: true}, "cap_net_raw=ep"},
	{"two, effective", "0100000280200000000000000000000000000000", Set{Permitted: 1<<7 | 1<<13, Effective: true}, "cap_setuid,cap_net_raw=ep"},
	{"permitted only", "0000000200200000000000000000000000000000", Set{Permitted: 1 << 13}, "cap_net_raw=p"},
	{"inheritable, effective", "0100000200000000002000000000000000000000", Set{Inheritable: 1 << 13, Effective: true}, "cap_net_raw=ei"},
	{"every flag", "0100000200200000002000000000000000000000", Set{Permitted: 1 << 13, Inheritable: 1 << 13, Effective: true}, "cap_net_raw=eip"},
	{"two groups", "0100000200200000000020000000000000000000", Set{Permitted: 1 << 13, Inheritable: 1 << 21, Effective: true}, "cap_sys_admin=ei cap_net_raw+ep"},
	{"two groups, not effective", "0000000200202000000020000000000000000000", Set{Permitted: 1<<13 | 1<<21, Inheritable: 1 << 21}, "cap_sys_admin=ip cap_net_raw+p"},
	{"three groups", "0100000200202000010000000000000000000000", Set{Permitted: 1<<13 | 1<<21, Inheritable: 1, Effective: true}, "cap_chown=ei cap_net_raw,cap_sys_admin+ep"},
	{"all", "01000002ffffffff00000000ff01000000000000", Set{Permitted: all, Effective: true}, "=ep"},
	{"all but one", "01000002ffffdfff00000000ff01000000000000", Set{Permitted: all &^ (1 << 21), Effective: true}, "=ep cap_sys_admin-ep"},
	{"all, both sets", "01000002ffffffffffffffffff010000ff010000", Set{Permitted: all, Inheritable: all, Effective: true}, "=eip"},
	{"all permitted, one inheritable", "00000002ffffffff08000000ff01000000000000", Set{Permitted: all, Inheritable: 1 << 3}, "=p cap_fowner+i"},
	{"the last defined", "0000000200000000000000000001000000000000", Set{Permitted: 1 << 40}, "cap_checkpoint_restore=p"},
	{"beyond the defined", "0100000200000000000000000002000000000000", Set{Permitted: 1 << 41, Effective: true}, "= 41+ep"},
	{"a defined and the last bit", "0100000200200000000000000000008000000000", Set{Permitted: 1<<63 | 1<<13, Effective: true}, "cap_net_raw=ep 63+ep"},
	{"all and beyond", "00000002ffffffff00000000ff21000000000000", Set{Permitted: all | 1<<45}, "=p 45+p"},
	{"every bit", "01000002ffffffff00000000ffffffff00000000", Set{Permitted: 1<<64 - 1, Effective: true},
		"=ep 41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63+ep"},
	{"namespaced", "0100000300200000000000000000000000000000e8030000", Set{Permitted: 1 << 13, Effective: true, RootID: 1000}, "cap_net_raw=ep"},
	{"revision 3, host root", "010000030020000000000000000000000000000000000000", Set{Permitted: 1 << 13, Effective: true}, "cap_net_raw=ep"},
	{"revision 1", "010000010020000000000000", Set{Permitted: 1 << 13, Effective: true}, "cap_net_raw=ep"},
	{"empty, effective", "0100000200000000000000000000000000000000", Set{}, "="},
	{"other header bits ignored", "0100fe0200200000000000000000000000000000", Set{Permitted: 1 << 13, Effective: true}, "cap_net_raw=ep"},
}

func TestParseAndString(t *testing.T) {
	for _, tt := range known {
		t.Run(tt.name, func(t *testing.T) {
			b, err := hex.DecodeString(tt.xattr)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Parse(b)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got != tt.set {
				t.Errorf("Parse = %+v, want %+v", got, tt.set)
			}
			if s := got.String(); s != tt.text {
				t.Errorf("String = %q, want %q", s, tt.text)
			}
			if again, err := Parse(got.Bytes()); !got.IsZero() && (err != nil || again != got) {
				t.Errorf("Parse(Bytes) = %+v, %v", again, err)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, tt := range []struct{ name, xattr string }{
		{"empty", ""},
		{"short header", "010000"},
		{"revision 0", "0000000000000000000000000000000000000000"},
		{"revision 4", "0000000400000000000000000000000000000000"},
		{"revision 2, revision 3 size", "010000020020000000000000000000000000000000000000"},
		{"revision 3, revision 2 size", "0100000300200000000000000000000000000000"},
		{"revision 1, trailing byte", "01000001002000000000000000"},
		{"revision 2, short", "01000002002000000000000000000000000000"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := hex.DecodeString(tt.xattr)
			if s, err := Parse(b); !errors.Is(err, ErrMalformed) {
				t.Errorf("Parse = %+v, %v; want ErrMalformed", s, err)
			}
		})
	}
}

func TestNames(t *testing.T) {
	s := Set{Permitted: 1<<7 | 1<<13 | 1<<40 | 1<<50, Inheritable: 1 << 21}
	if got, want := s.PermittedNames(), []string{"cap_setuid", "cap_net_raw", "cap_checkpoint_restore", "50"}; !slices.Equal(got, want) {
		t.Errorf("PermittedNames = %q, want %q", got, want)
	}
	if n := Name(-1); n != "-1" {
		t.Errorf("Name(-1) = %q", n)
	}
	if b := (Set{}).Bytes(); b != nil {
		t.Errorf("zero Set encodes as %x, want nothing", b)
	}
}

// FuzzParse: no input makes Parse panic; what it accepts prints, and
// encodes back to the same Set.
func FuzzParse(f *testing.F) {
	for _, tt := range known {
		b, _ := hex.DecodeString(tt.xattr)
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{0, 0, 0, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Parse(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if s.String() == "" {
			t.Fatal("empty text")
		}
		if s.IsZero() {
			return
		}
		again, err := Parse(s.Bytes())
		if err != nil || again != s {
			t.Fatalf("Parse(Bytes(%+v)) = %+v, %v", s, again, err)
		}
	})
}
