package sqlstore

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestRebind(t *testing.T) {
	numbered := &Dialect{NumberedPlaceholders: true}
	tests := []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"a = ? AND b = ?", "a = $1 AND b = $2"},
		{`x LIKE ? ESCAPE '\' AND y = '?' AND z = ?`, `x LIKE $1 ESCAPE '\' AND y = '?' AND z = $2`},
		{"VALUES (?, ?), (?, ?), (?, ?), (?, ?), (?, ?), (?)", "VALUES ($1, $2), ($3, $4), ($5, $6), ($7, $8), ($9, $10), ($11)"},
	}
	for _, tt := range tests {
		if got := numbered.rebind(tt.in); got != tt.want {
			t.Errorf("rebind(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := (&Dialect{}).rebind(tt.in); got != tt.in {
			t.Errorf("question marks changed to %q", got)
		}
	}
}

func TestLoadMigrations(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	tests := []struct {
		name    string
		fs      fstest.MapFS
		want    []string
		wantErr string
	}{
		{"ordered", fstest.MapFS{"0002_b.sql": file("B"), "0001_a.sql": file("A"), "README": file("")},
			[]string{"0001_a.sql", "0002_b.sql"}, ""},
		{"none", fstest.MapFS{}, nil, ""},
		{"gap", fstest.MapFS{"0001_a.sql": file("A"), "0003_c.sql": file("C")}, nil, "expected version 2"},
		{"duplicate", fstest.MapFS{"0001_a.sql": file("A"), "0001_b.sql": file("B")}, nil, "expected version 2"},
		{"bad name", fstest.MapFS{"init.sql": file("A")}, nil, "NNNN_description.sql"},
		{"zero", fstest.MapFS{"0000_a.sql": file("A")}, nil, "NNNN_description.sql"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			migs, err := LoadMigrations(tt.fs)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for i, m := range migs {
				names = append(names, m.Name)
				if m.Version != i+1 {
					t.Errorf("%s: version %d", m.Name, m.Version)
				}
			}
			if strings.Join(names, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("migrations %v, want %v", names, tt.want)
			}
		})
	}
}

func TestContainsPattern(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Web", "%web%"},
		{"100%_done", `%100\%\_done%`},
		{`a\b`, `%a\\b%`},
	}
	for _, tt := range tests {
		if got := containsPattern(tt.in); got != tt.want {
			t.Errorf("containsPattern(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
