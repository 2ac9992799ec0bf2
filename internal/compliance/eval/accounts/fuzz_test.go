package accounts

import (
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte("root:x:0:0:root:/root:/bin/bash\n"), []byte("root:$6$s$h:1:0:99999:7:::\n"))
	f.Add([]byte("a:b:c\n"), []byte("::::::::\n"))
	f.Fuzz(func(t *testing.T, passwd, shadow []byte) {
		list, err := ParsePasswd(passwd)
		if err != nil {
			return
		}
		if err := ApplyShadow(list, shadow); err != nil {
			return
		}
		for _, a := range list {
			if a.Password != "" && a.Password != "hash" && a.Password != "empty" && a.Password != "locked" && a.Password != "disabled" {
				t.Fatalf("state %q", a.Password)
			}
			if strings.Contains(a.Scheme, "$") {
				t.Fatalf("scheme %q", a.Scheme)
			}
		}
		_, _ = ParseGroup(passwd)
	})
}
