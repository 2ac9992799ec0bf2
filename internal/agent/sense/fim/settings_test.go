package fim

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseSettings(t *testing.T) {
	tests := []struct {
		name, raw string
		check     func(Settings) bool
		err       string
	}{
		{"empty", ``, func(s Settings) bool {
			return s.ReadRate.value() == DefaultReadRate && s.Paths == nil && s.Mechanism == MechanismAuto &&
				s.FanotifyMarks == FanotifyMarksInode
		}, ""},
		{"filesystem marks", `{"mechanism":"fanotify","fanotify_marks":"filesystem"}`, func(s Settings) bool {
			return s.Mechanism == MechanismFanotify && s.FanotifyMarks == FanotifyMarksFilesystem
		}, ""},
		{"bad marks", `{"fanotify_marks":"mount"}`, nil, "fanotify_marks"},
		{"units", `{"max_file_size":"1GiB","diff_max_size":1024,"read_rate":"0","rescan_interval":"0","merge_window":"500ms"}`,
			func(s Settings) bool {
				return s.MaxFileSize.value() == 1<<30 && s.DiffMaxSize.value() == 1024 && s.ReadRate.value() == 0 &&
					s.RescanInterval.value() == 0 && s.MergeWindow.value() == 500*time.Millisecond
			}, ""},
		{"paths", `{"paths":["/srv"],"web_roots":["/var/www"],"exclude":["*.log"],"hash":false}`,
			func(s Settings) bool { return len(s.Paths) == 1 && !*s.Hash }, ""},
		{"unknown field", `{"path":["/x"]}`, nil, "unknown field"},
		{"relative path", `{"paths":["etc"]}`, nil, "not an absolute path"},
		{"bad glob", `{"exclude":["[x"]}`, nil, "syntax error"},
		{"bad size", `{"max_file_size":"12 parsecs"}`, nil, "size"},
		{"bad mechanism", `{"mechanism":"polling"}`, nil, "mechanism"},
		{"short rescan", `{"rescan_interval":"1s"}`, nil, "rescan_interval"},
		{"workers", `{"hash_workers":99}`, nil, "hash_workers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseSettings([]byte(tt.raw))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(s) {
				t.Errorf("settings %+v", s)
			}
		})
	}
}

func TestExcluder(t *testing.T) {
	x := newExcluder([]string{"*.swp", "/etc/ssl/certs", "/var/www/*/cache"}, "/var/lib/vigil")
	for p, want := range map[string]bool{
		"/etc/a.swp": true, "/etc/ssl/certs": true, "/etc/ssl/certs/x.pem": true, "/etc/ssl/private/k": false,
		"/var/www/site/cache/f": true, "/var/www/site/index.html": false, "/var/lib/vigil/spool/1": true, "/etc/passwd": false,
	} {
		if got := x.match(p); got != want {
			t.Errorf("match(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestWatchPaths(t *testing.T) {
	root := t.TempDir()
	mustWrite(t, root+"/etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/nonexistent:/usr/sbin/nologin\nbob:x:1001:1001::/home/bob:/bin/sh\n")
	s := defaultSettings()
	s.WebRoots = []string{"/var/www/html"}
	got := strings.Join(watchPaths(root, &s), " ")
	for _, want := range []string{"/root/.ssh", "/home/bob/.ssh", "/var/www/html", "/etc/cron.d", "/usr/lib/systemd/system"} {
		if !strings.Contains(got, want) {
			t.Errorf("paths %s lack %s", got, want)
		}
	}
	if strings.Contains(got, "nonexistent") {
		t.Errorf("paths %s hold a fake home", got)
	}
}

func FuzzParseAccounts(f *testing.F) {
	f.Add([]byte("root:x:0:0:root:/root:/bin/sh\n"), true)
	f.Add([]byte("wheel:x:10:alice,bob\n#c\n+::::\n"), false)
	f.Add([]byte("bad:x:notanumber:0::/:/\n::\n"), true)
	f.Fuzz(func(t *testing.T, data []byte, homes bool) {
		accts, bad := parseAccounts(data, homes)
		if bad < 0 || len(accts) > len(data) {
			t.Fatalf("%d accounts, %d bad from %d bytes", len(accts), bad, len(data))
		}
		for _, a := range accts {
			if a.name == "" {
				t.Fatal("account without a name")
			}
		}
	})
}

func mustWrite(t *testing.T, p, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
