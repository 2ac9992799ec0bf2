package ldso_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/agent/sense/persist/ldso"
)

func TestParsePreload(t *testing.T) {
	got := ldso.ParsePreload([]byte("/lib/libprocesshider.so\n# /lib/disabled.so\n/a.so:/b.so \t/c.so # trailing\n\n"))
	if d := cmp.Diff([]string{"/lib/libprocesshider.so", "/a.so", "/b.so", "/c.so"}, got); d != "" {
		t.Error(d)
	}
	if got := ldso.ParsePreload(nil); got != nil {
		t.Errorf("empty: %v", got)
	}
}

func TestParseConf(t *testing.T) {
	c := ldso.ParseConf([]byte("include /etc/ld.so.conf.d/*.conf\n# libc default\n/usr/local/lib\n/opt/a/lib, /opt/b/lib:/opt/c\nhwcap 1 nosegneg\nrelative/lib\n"))
	want := []ldso.Entry{
		{Line: 1, Kind: "include", Value: "/etc/ld.so.conf.d/*.conf"},
		{Line: 3, Kind: "dir", Value: "/usr/local/lib"},
		{Line: 4, Kind: "dir", Value: "/opt/a/lib"},
		{Line: 4, Kind: "dir", Value: "/opt/b/lib"},
		{Line: 4, Kind: "dir", Value: "/opt/c"},
		{Line: 5, Kind: "hwcap", Value: "1 nosegneg"},
	}
	if d := cmp.Diff(want, c.Entries); d != "" {
		t.Errorf("entries (-want +got):\n%s", d)
	}
	if c.Problems.Skipped != 1 || c.Problems.List[0].Line != 6 {
		t.Errorf("problems %+v", c.Problems)
	}
}

func FuzzParsePreload(f *testing.F) {
	f.Add([]byte("/lib/x.so\n#c\n/a.so:/b.so"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, lib := range ldso.ParsePreload(data) {
			if lib == "" || strings.ContainsAny(lib, " \t:\n#") {
				t.Fatalf("library %q", lib)
			}
		}
	})
}

func FuzzParseConf(f *testing.F) {
	f.Add([]byte("include /etc/ld.so.conf.d/*.conf\n/usr/local/lib\nhwcap 1 x\nrel\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, e := range ldso.ParseConf(data).Entries {
			if e.Value == "" && e.Kind != ldso.KindHwcap {
				t.Fatalf("entry %+v", e)
			}
			if e.Kind == ldso.KindDir && !strings.HasPrefix(e.Value, "/") {
				t.Fatalf("relative dir %+v", e)
			}
		}
	})
}
