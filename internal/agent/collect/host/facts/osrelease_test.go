package facts_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/agent/collect/host/facts"
)

func TestParseOSRelease(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    map[string]string
		wantErr bool
	}{
		{"plain", "ID=debian\nVERSION_ID=12\n", map[string]string{"ID": "debian", "VERSION_ID": "12"}, false},
		{"quotes", "NAME=\"Rocky Linux\"\nX='a b'\n", map[string]string{"NAME": "Rocky Linux", "X": "a b"}, false},
		{"escapes", `A="say \"hi\" \$HOME \\ \x"`, map[string]string{"A": `say "hi" $HOME \ \x`}, false},
		{"comments and blanks", "# c\n\n  ID=alpine  \n", map[string]string{"ID": "alpine"}, false},
		{"empty value", "VARIANT=\n", map[string]string{"VARIANT": ""}, false},
		{"not an assignment", "hello\nID=x\n", map[string]string{"ID": "x"}, true},
		{"bad key", "1X=y\n", map[string]string{}, true},
		{"unterminated", "A=\"x\nB=y\n", map[string]string{"B": "y"}, true},
		{"unquoted space", "A=x y\n", map[string]string{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := facts.ParseOSRelease([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Errorf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
	if _, err := facts.ParseOSRelease(make([]byte, 1<<20)); err == nil {
		t.Error("a 1 MiB file: no error")
	}
}

func FuzzParseOSRelease(f *testing.F) {
	f.Add([]byte("ID=debian\nVERSION_ID=\"12\"\n"))
	f.Add([]byte("A='x'\nB=\"a\\\"b\"\n# c\n"))
	f.Add([]byte("=\n\"\n'"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, _ := facts.ParseOSRelease(data)
		for k := range m {
			if k == "" {
				t.Fatal("empty key")
			}
		}
	})
}

func TestReadOSRelease(t *testing.T) {
	for root, want := range map[string]string{"testdata/root": "debian", "testdata/fallback": "rocky"} {
		m, err := facts.ReadOSRelease(root)
		if err != nil || m["ID"] != want {
			t.Errorf("ReadOSRelease(%s) = %v, %v; want ID %s", root, m, err, want)
		}
	}
	if m, err := facts.ReadOSRelease(t.TempDir()); err == nil || m != nil {
		t.Errorf("ReadOSRelease of an empty root = %v, %v; want an error", m, err)
	}
}
