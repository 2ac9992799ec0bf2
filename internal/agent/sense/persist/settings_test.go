package persist_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/tracker/trackertest"
	"github.com/vigilsec/vigil/internal/agent/sense/persist"
)

func TestParseSettings(t *testing.T) {
	st, err := persist.ParseSettings(nil)
	if err != nil || st.MaxAddedLines != 20 || st.Rescan != 10*time.Minute || len(st.UserStartupFiles) != 5 {
		t.Fatalf("defaults: %+v, %v", st, err)
	}
	st, err = persist.ParseSettings(json.RawMessage(`{"user_startup_files":[".zshrc",".config/fish/config.fish"],"max_added_lines":3,"rescan_interval":"0","max_file_bytes":65536}`))
	if err != nil || st.MaxAddedLines != 3 || st.Rescan != 0 || st.MaxFileBytes != 65536 || st.UserStartupFiles[1] != ".config/fish/config.fish" {
		t.Fatalf("settings: %+v, %v", st, err)
	}
	for _, bad := range []string{
		`[]`, `{"unknown":1}`, `{"max_added_lines":0}`, `{"max_added_lines":201}`, `{"rescan_interval":"1s"}`,
		`{"rescan_interval":"soon"}`, `{"max_file_bytes":1}`, `{"user_startup_files":["/etc/passwd"]}`,
		`{"user_startup_files":["../x"]}`, `{"user_startup_files":["a/./b"]}`, `{"user_startup_files":[""]}`, `{} {}`,
	} {
		if _, err := persist.ParseSettings(json.RawMessage(bad)); err == nil {
			t.Errorf("settings %s accepted", bad)
		}
	}
	s := persist.New()
	if err := s.ApplySettings(json.RawMessage(`{"max_added_lines":-1}`)); err == nil || !strings.Contains(err.Error(), "max_added_lines") {
		t.Errorf("ApplySettings error %v does not name the setting", err)
	}
}

func TestConfigure(t *testing.T) {
	s := persist.New()
	if s.Name() != "persist" || s.Mechanism() != "inotify" || !s.Requirements().Root {
		t.Errorf("identity: %s %s %+v", s.Name(), s.Mechanism(), s.Requirements())
	}
	if err := s.Run(context.Background(), &trackertest.Emitter{}); err == nil {
		t.Error("Run before Configure succeeded")
	}
	if err := s.Configure(plugin.Env{Root: t.TempDir()}); err == nil {
		t.Error("Configure without a data directory succeeded")
	}
}
