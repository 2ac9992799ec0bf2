package accounts

import (
	"encoding/json"
	"testing"
	"time"
)

func TestParseSettings(t *testing.T) {
	st, err := ParseSettings(nil)
	if err != nil || st.Rescan != 10*time.Minute || len(st.PrivilegedGroups) == 0 || len(st.AuthorizedKeysFiles) != 2 {
		t.Fatalf("defaults: %+v, %v", st, err)
	}
	st, err = ParseSettings(json.RawMessage(`{"privileged_groups":["wheel"],"authorized_keys_files":["/etc/ssh/keys/%u","%h/.ssh/authorized_keys"],"rescan_interval":"1h","max_file_bytes":4096}`))
	if err != nil || st.Rescan != time.Hour || st.MaxFileBytes != 4096 || st.PrivilegedGroups[0] != "wheel" {
		t.Fatalf("settings: %+v, %v", st, err)
	}
	for _, bad := range []string{
		`"x"`, `{"x":1}`, `{"privileged_groups":["a:b"]}`, `{"privileged_groups":[""]}`, `{"authorized_keys_files":[]}`,
		`{"authorized_keys_files":["%x/keys"]}`, `{"authorized_keys_files":["keys%"]}`, `{"rescan_interval":"10"}`,
		`{"max_file_bytes":1e12}`, `{"privileged_groups":"wheel"}`,
	} {
		if _, err := ParseSettings(json.RawMessage(bad)); err == nil {
			t.Errorf("settings %s accepted", bad)
		}
	}
}

func TestExpandKeysPattern(t *testing.T) {
	for _, tt := range []struct{ pattern, want string }{
		{"%h/.ssh/authorized_keys", "/home/al/.ssh/authorized_keys"},
		{".ssh/authorized_keys2", "/home/al/.ssh/authorized_keys2"},
		{"/etc/ssh/keys/%u.%U%%", "/etc/ssh/keys/al.1000%"},
	} {
		if got := expandKeysPattern(tt.pattern, "al", "/home/al/", "1000"); got != tt.want {
			t.Errorf("expand %q = %q, want %q", tt.pattern, got, tt.want)
		}
	}
	if got := expandKeysPattern(".ssh/k", "al", "", "1"); got != "" {
		t.Errorf("relative pattern without home = %q", got)
	}
}
