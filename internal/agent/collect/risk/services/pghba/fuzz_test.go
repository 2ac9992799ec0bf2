package pghba

import (
	"errors"
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"local all all peer\nhost all all 0.0.0.0/0 trust\n",
		"host \"a,b\" all 10.0.0.1 255.0.0.0 md5 # x\n",
		"host all all ::1/128 \\\n trust\r\n",
		"hostssl a,b c 1.2.3.4/33 password\n", "\"\n", "host ,\n", "include x\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		Parse(data, func(line int, fields []Field, err error) {
			if line < 1 {
				t.Fatalf("line %d", line)
			}
			if err != nil {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("error %v", err)
				}
				return
			}
			if len(fields) == 0 {
				return
			}
			e, err := ParseEntry(fields, "f", line)
			if err != nil {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("error %v", err)
				}
				return
			}
			if !connTypes[e.Type] || e.Method == "" {
				t.Fatalf("entry %+v", e)
			}
			_ = e.Scope()
			if e.Type == TypeLocal && e.Address != "" {
				t.Fatalf("local entry with an address: %+v", e)
			}
		})
	})
}

func FuzzParseConfLine(f *testing.F) {
	for _, s := range []string{
		"hba_file = '/etc/x' # c", "port 5432", "x='a''b\\101'", "include_dir 'conf.d'", "x = 'open", "é = 1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		name, _, ok, err := ParseConfLine(line)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v", err)
			}
			return
		}
		if ok && (name == "" || strings.ToLower(name) != name) {
			t.Fatalf("name %q", name)
		}
	})
}
