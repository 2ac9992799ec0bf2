package sshdconf

import (
	"errors"
	"strings"
	"testing"
)

// mapReader serves files from a map.
type mapReader map[string]string

func (m mapReader) ReadFile(name string) ([]byte, error) {
	if s, ok := m[name]; ok {
		return []byte(s), nil
	}
	return nil, errors.New("no such file")
}

func (m mapReader) ReadDir(name string) ([]string, error) {
	var out []string
	for k := range m {
		if rest, ok := strings.CutPrefix(k, name+"/"); ok && rest != "" && !strings.Contains(rest, "/") {
			out = append(out, rest)
		}
	}
	return out, nil
}

func FuzzLoad(f *testing.F) {
	for _, fx := range fixtures {
		f.Add(fx.files["sshd_config"], "PermitRootLogin yes\nMatch User x\nInclude *.conf\n")
	}
	f.Add("Include sshd_config.d/*.conf\nInclude /etc/ssh/sshd_config\n", "Match\nPermitRootLogin \"yes")
	f.Fuzz(func(t *testing.T, main, dropIn string) {
		r := mapReader{"/etc/ssh/sshd_config": main, "/etc/ssh/sshd_config.d/a.conf": dropIn, "/etc/ssh/a.conf": dropIn}
		cfg, err := Load(r, "/etc/ssh/sshd_config")
		if err != nil {
			t.Fatal(err)
		}
		if len(cfg.Files) > maxFiles+1 {
			t.Fatalf("%d files read", len(cfg.Files))
		}
		for _, kw := range []string{"permitrootlogin", "passwordauthentication", "port"} {
			s := cfg.Effective(kw)
			if s.Default != (s.File == "") {
				t.Fatalf("%s: %+v", kw, s)
			}
			for _, c := range cfg.Conditional(kw) {
				if c.Match == "" || c.All {
					t.Fatalf("conditional %+v", c)
				}
				cfg.ForMatch(c.Match, kw)
			}
		}
		for _, d := range cfg.Global {
			if d.Keyword == "" || d.Keyword == "match" || d.Keyword == "include" || strings.ToLower(d.Keyword) != d.Keyword {
				t.Fatalf("global directive %+v", d)
			}
		}
	})
}
