package pkgdb

import "testing"

func FuzzParseDpkgStatus(f *testing.F) {
	f.Add([]byte("Package: a\nStatus: install ok installed\nVersion: 1.0\n\n"))
	f.Add([]byte("Package: a\n x\n\n\nPackage: b\nStatus: a b c\n"))
	f.Add([]byte("\n\n:\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		db, err := ParseDpkgStatus(data)
		if err != nil {
			return
		}
		for name, ps := range db.Packages {
			if name == "" || len(ps) == 0 {
				t.Fatalf("bad entry %q", name)
			}
		}
	})
}

func FuzzCompareDebian(f *testing.F) {
	f.Add("1.0~rc1", "1:1.0-1")
	f.Add("", "-")
	f.Fuzz(func(t *testing.T, a, b string) {
		if sign(CompareDebian(a, b)) != -sign(CompareDebian(b, a)) {
			t.Fatalf("not antisymmetric: %q %q", a, b)
		}
		_ = CompareRPM(a, b)
		_ = CompareAPK(a, b)
	})
}
