package parse_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/agent/sense/authlog/parse"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// fixedNow is the current time of the tests: after the corpus's lines.
var fixedNow = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

func newParser(now time.Time) *parse.Parser {
	return &parse.Parser{Location: time.UTC, Now: func() time.Time { return now }}
}

func TestParseLine(t *testing.T) {
	addr := netip.MustParseAddr
	tests := []struct {
		name   string
		line   string
		status parse.Status
		want   parse.Record
	}{
		{"ssh password accepted",
			"Nov 29 10:04:05 web1 sshd[1234]: Accepted password for alice from 203.0.113.5 port 51234 ssh2",
			parse.StatusOK, parse.Record{Kind: parse.KindLoggedIn, Outcome: parse.OutcomeSuccess, Service: "sshd",
				Method: "password", User: "alice", SourceIP: addr("203.0.113.5"), SourcePort: 51234}},
		{"ssh publickey accepted with key",
			"Nov 29 10:08:00 web1 sshd[1320]: Accepted publickey for deploy from 2001:db8::10 port 60000 ssh2: ED25519 SHA256:abc+/d",
			parse.StatusOK, parse.Record{Kind: parse.KindLoggedIn, Outcome: parse.OutcomeSuccess, Service: "sshd",
				Method: "publickey", User: "deploy", SourceIP: addr("2001:db8::10"), SourcePort: 60000,
				KeyType: "ED25519", KeyFingerprint: "SHA256:abc+/d"}},
		{"ssh keyboard-interactive with submethod",
			"Nov 29 10:09:12 web1 sshd[1339]: Accepted keyboard-interactive/pam for carol from 192.0.2.53 port 50010 ssh2",
			parse.StatusOK, parse.Record{Kind: parse.KindLoggedIn, Outcome: parse.OutcomeSuccess, Service: "sshd",
				Method: "keyboard-interactive", Submethod: "pam", User: "carol", SourceIP: addr("192.0.2.53"), SourcePort: 50010}},
		{"ssh failed password of invalid user with spaces",
			"Nov 29 10:09:16 web1 sshd[1342]: Failed password for invalid user test from x from 192.0.2.56 port 50013 ssh2",
			parse.StatusOK, parse.Record{Kind: parse.KindLoginFailed, Outcome: parse.OutcomeFailure, Service: "sshd",
				Method: "password", User: "test from x", InvalidUser: true, SourceIP: addr("192.0.2.56"), SourcePort: 50013}},
		{"ssh user name that imitates an address",
			"Nov 29 10:09:16 web1 sshd[1342]: Failed password for invalid user x from 6.6.6.6 port 1 from 192.0.2.9 port 5555 ssh2",
			parse.StatusOK, parse.Record{Kind: parse.KindLoginFailed, Outcome: parse.OutcomeFailure, Service: "sshd",
				Method: "password", User: "x from 6.6.6.6 port 1", InvalidUser: true, SourceIP: addr("192.0.2.9"), SourcePort: 5555}},
		{"ssh closed by invalid user whose name imitates an address",
			"Nov 29 10:06:15 web1 sshd[1300]: Connection closed by invalid user a 6.6.6.6 port 7 192.0.2.9 port 5555 [preauth]",
			parse.StatusOK, parse.Record{Kind: parse.KindLoginAborted, Outcome: parse.OutcomeFailure, Service: "sshd",
				User: "a 6.6.6.6 port 7", InvalidUser: true, SourceIP: addr("192.0.2.9"), SourcePort: 5555, Preauth: true}},
		{"ssh invalid user",
			"Nov 29 10:06:10 web1 sshd[1300]: Invalid user admin from 198.51.100.7 port 40022",
			parse.StatusOK, parse.Record{Kind: parse.KindInvalidUser, Outcome: parse.OutcomeFailure, Service: "sshd",
				User: "admin", InvalidUser: true, SourceIP: addr("198.51.100.7"), SourcePort: 40022}},
		{"ssh invalid empty user",
			"Nov 29 10:06:10 web1 sshd[1300]: Invalid user  from 198.51.100.7 port 40022",
			parse.StatusOK, parse.Record{Kind: parse.KindInvalidUser, Outcome: parse.OutcomeFailure, Service: "sshd",
				InvalidUser: true, SourceIP: addr("198.51.100.7"), SourcePort: 40022}},
		{"ssh closed by authenticating user",
			"Nov 29 10:09:00 web1 sshd[1330]: Connection closed by authenticating user root 192.0.2.44 port 38812 [preauth]",
			parse.StatusOK, parse.Record{Kind: parse.KindLoginAborted, Outcome: parse.OutcomeFailure, Service: "sshd",
				User: "root", SourceIP: addr("192.0.2.44"), SourcePort: 38812, Preauth: true}},
		{"ssh preauth close without user",
			"Nov 29 10:09:05 web1 sshd[1332]: Connection closed by 192.0.2.46 port 50001 [preauth]",
			parse.StatusOK, parse.Record{Kind: parse.KindPreauthDisconnect, Service: "sshd",
				SourceIP: addr("192.0.2.46"), SourcePort: 50001, Preauth: true, Reason: "connection closed"}},
		{"ssh max attempts",
			"Nov 29 10:07:10 web1 sshd[1310]: error: maximum authentication attempts exceeded for invalid user x from 198.51.100.7 port 40100 ssh2 [preauth]",
			parse.StatusOK, parse.Record{Kind: parse.KindMaxAttempts, Outcome: parse.OutcomeFailure, Service: "sshd",
				User: "x", InvalidUser: true, SourceIP: addr("198.51.100.7"), SourcePort: 40100, Preauth: true,
				Reason: "maximum authentication attempts exceeded"}},
		{"ssh logout",
			"Nov 29 10:08:30 web1 sshd[1320]: Disconnected from user deploy 2001:db8::10 port 60000",
			parse.StatusOK, parse.Record{Kind: parse.KindLoggedOut, Outcome: parse.OutcomeSuccess, Service: "sshd",
				User: "deploy", SourceIP: addr("2001:db8::10"), SourcePort: 60000}},
		{"ssh denied by AllowUsers",
			"Nov 29 10:09:11 web1 sshd[1338]: User bob from 192.0.2.52 not allowed because not listed in AllowUsers",
			parse.StatusOK, parse.Record{Kind: parse.KindLoginDenied, Outcome: parse.OutcomeFailure, Service: "sshd",
				User: "bob", SourceIP: addr("192.0.2.52"), Reason: "not allowed because not listed in AllowUsers"}},
		{"ssh negotiation failure",
			"Nov 29 10:09:08 web1 sshd[1335]: Unable to negotiate with 192.0.2.49 port 50004: no matching key exchange method found. Their offer: dh [preauth]",
			parse.StatusOK, parse.Record{Kind: parse.KindPreauthDisconnect, Service: "sshd", SourceIP: addr("192.0.2.49"),
				SourcePort: 50004, Preauth: true, Reason: "no matching key exchange method found. Their offer: dh"}},
		{"ssh server message of no interest",
			"Nov 29 10:09:17 web1 sshd[1343]: Server listening on 0.0.0.0 port 22.",
			parse.StatusUnknown, parse.Record{}},
		{"pam authentication failure",
			"Nov 29 10:07:00 web1 sshd[1310]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=198.51.100.7  user=root",
			parse.StatusOK, parse.Record{Kind: parse.KindAuthFailed, Outcome: parse.OutcomeFailure, Service: "sshd",
				User: "root", SourceIP: addr("198.51.100.7"), TTY: "ssh", Reason: "authentication failure",
				PAM: parse.PAM{Module: "pam_unix", Type: "auth", UID: "0", EUID: "0"}}},
		{"pam session opened by another user",
			"Nov 29 11:00:00 web1 su[4000]: pam_unix(su:session): session opened for user root(uid=0) by alice(uid=1000)",
			parse.StatusOK, parse.Record{Kind: parse.KindSessionOpened, Outcome: parse.OutcomeSuccess, Service: "su",
				User: "root", UserID: "0", PAM: parse.PAM{Module: "pam_unix", Type: "session", By: "alice"}}},
		{"pam session closed",
			"Nov 29 11:10:05 web1 sudo: pam_unix(sudo:session): session closed for user root",
			parse.StatusOK, parse.Record{Kind: parse.KindSessionClosed, Outcome: parse.OutcomeSuccess, Service: "sudo",
				User: "root", PAM: parse.PAM{Module: "pam_unix", Type: "session"}}},
		{"su success",
			"Nov 29 11:00:00 web1 su[4000]: (to root) alice on pts/0",
			parse.StatusOK, parse.Record{Kind: parse.KindSu, Outcome: parse.OutcomeSuccess, Service: "su",
				User: "alice", TargetUser: "root", TTY: "pts/0"}},
		{"su failure",
			"Nov 29 11:01:02 web1 su[4010]: FAILED SU (to root) alice on pts/0",
			parse.StatusOK, parse.Record{Kind: parse.KindSu, Outcome: parse.OutcomeFailure, Service: "su",
				User: "alice", TargetUser: "root", TTY: "pts/0"}},
		{"sudo command",
			"Nov 29 11:13:00 web1 sudo:    alice : TTY=pts/0 ; PWD=/srv ; USER=www-data ; GROUP=www-data ; COMMAND=/bin/sh -c echo a ; echo b",
			parse.StatusOK, parse.Record{Kind: parse.KindSudo, Outcome: parse.OutcomeSuccess, Service: "sudo",
				User: "alice", TargetUser: "www-data", TargetGroup: "www-data", TTY: "pts/0", Cwd: "/srv",
				Command: "/bin/sh -c echo a ; echo b"}},
		{"sudo wrong passwords",
			"Nov 29 11:11:09 web1 sudo:    alice : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/cat /etc/shadow",
			parse.StatusOK, parse.Record{Kind: parse.KindSudo, Outcome: parse.OutcomeFailure, Service: "sudo",
				User: "alice", TargetUser: "root", TTY: "pts/0", Cwd: "/home/alice", Command: "/bin/cat /etc/shadow",
				Reason: "3 incorrect password attempts", Count: 3}},
		{"sudo not in sudoers",
			"Nov 29 11:12:00 web1 sudo:      bob : user NOT in sudoers ; TTY=pts/1 ; PWD=/home/bob ; USER=root ; COMMAND=/bin/bash",
			parse.StatusOK, parse.Record{Kind: parse.KindSudo, Outcome: parse.OutcomeFailure, Service: "sudo",
				User: "bob", TargetUser: "root", TTY: "pts/1", Cwd: "/home/bob", Command: "/bin/bash",
				Reason: "user NOT in sudoers"}},
		{"login failure (shadow)",
			"Nov 29 12:00:03 web1 login[800]: FAILED LOGIN (1) on '/dev/tty1' FOR 'root', Authentication failure",
			parse.StatusOK, parse.Record{Kind: parse.KindLoginFailed, Outcome: parse.OutcomeFailure, Service: "login",
				User: "root", TTY: "/dev/tty1", Count: 1, Reason: "Authentication failure"}},
		{"login failure (util-linux)",
			"Nov 29 10:07:02 rhel9 login[900]: FAILED LOGIN 1 FROM tty1 FOR root, Authentication failure",
			parse.StatusOK, parse.Record{Kind: parse.KindLoginFailed, Outcome: parse.OutcomeFailure, Service: "login",
				User: "root", TTY: "tty1", Count: 1, Reason: "Authentication failure"}},
		{"root login (shadow)",
			"Nov 29 12:01:00 web1 login[820]: ROOT LOGIN  on '/dev/pts/3' from 'jump.example.net'",
			parse.StatusOK, parse.Record{Kind: parse.KindLoggedIn, Outcome: parse.OutcomeSuccess, Service: "login",
				User: "root", TTY: "/dev/pts/3", SourceHost: "jump.example.net"}},
		{"pkexec executing",
			"Nov 29 13:00:00 web1 pkexec[5000]: alice: Executing command [USER=root] [TTY=/dev/pts/0] [CWD=/home/alice] [COMMAND=/usr/bin/id -u]",
			parse.StatusOK, parse.Record{Kind: parse.KindPkexec, Outcome: parse.OutcomeSuccess, Service: "pkexec",
				User: "alice", TargetUser: "root", TTY: "/dev/pts/0", Cwd: "/home/alice", Command: "/usr/bin/id -u"}},
		{"pkexec CVE-2021-4034 trace",
			"Nov 29 13:02:00 web1 pkexec[5020]: mallory: The value for the SHELL variable was not found the /etc/shells file [USER=root] [TTY=/dev/pts/1] [CWD=/tmp/pwn] [COMMAND=GCONV_PATH=./pwnkit.so:.]",
			parse.StatusOK, parse.Record{Kind: parse.KindPkexec, Outcome: parse.OutcomeFailure, Service: "pkexec",
				User: "mallory", TargetUser: "root", TTY: "/dev/pts/1", Cwd: "/tmp/pwn", Command: "GCONV_PATH=./pwnkit.so:.",
				Reason: "The value for the SHELL variable was not found the /etc/shells file", Suspicious: true}},
		{"logind new session",
			"Nov 29 10:04:05 web1 systemd-logind[567]: New session 12 of user alice.",
			parse.StatusOK, parse.Record{Kind: parse.KindSessionOpened, Outcome: parse.OutcomeSuccess,
				Service: "systemd-logind", User: "alice", SessionID: "12"}},
		{"logind quoted new session",
			"Nov 29 10:12:11 rhel9 systemd-logind[812]: New session '7' of user 'alice' with class 'user' and type 'tty'.",
			parse.StatusOK, parse.Record{Kind: parse.KindSessionOpened, Outcome: parse.OutcomeSuccess,
				Service: "systemd-logind", User: "alice", SessionID: "7"}},
		{"other program", "Nov 29 13:06:00 web1 kernel: [1.0] usb 1-1: new device", parse.StatusUnknown, parse.Record{}},
		{"malformed accepted", "Nov 29 10:04:05 web1 sshd[1234]: Accepted password for alice", parse.StatusMalformed, parse.Record{}},
		{"malformed sudo", "Nov 29 10:04:05 web1 sudo:    alice : TTY=pts/0 ; PWD=/ ; USER=root", parse.StatusMalformed, parse.Record{}},
		{"no header", "this line has no header", parse.StatusNoHeader, parse.Record{}},
		{"bad time", "Nov 31 99:00:00 web1 sshd[1]: Accepted password for root from 192.0.2.1 port 1 ssh2", parse.StatusNoHeader, parse.Record{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, st := newParser(fixedNow).Parse(tt.line)
			if st != tt.status {
				t.Fatalf("status %v, want %v (record %+v)", st, tt.status, l.Record)
			}
			if st != parse.StatusOK {
				return
			}
			if d := cmp.Diff(tt.want, l.Record, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); d != "" {
				t.Errorf("record (-want +got):\n%s", d)
			}
		})
	}
}

func TestHeader(t *testing.T) {
	tests := []struct {
		line          string
		time          time.Time
		host, program string
		pid           int
	}{
		{"Nov 29 10:04:05 web1 sshd[1234]: Accepted password for a from 192.0.2.1 port 1 ssh2",
			time.Date(2026, 11, 29, 10, 4, 5, 0, time.UTC), "web1", "sshd", 1234},
		{"Nov  2 08:00:00 web1 sudo:    a : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/id",
			time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC), "web1", "sudo", 0},
		{"2026-11-29T10:04:05.123456+01:00 db1 sshd[7]: Accepted password for a from 192.0.2.1 port 1 ssh2",
			time.Date(2026, 11, 29, 9, 4, 5, 123456000, time.UTC), "db1", "sshd", 7},
		{"Nov 29 13:03:00 web1 polkitd(authority=local)[12]: Operator of x FAILED to authenticate y (owned by unix-user:alice)",
			time.Date(2026, 11, 29, 13, 3, 0, 0, time.UTC), "web1", "polkitd", 12},
		// A December line read in early January is from last year.
		{"Dec 30 10:00:00 h sshd[1]: Server listening", time.Date(2025, 12, 30, 10, 0, 0, 0, time.UTC), "h", "sshd", 1},
	}
	now := fixedNow
	for _, tt := range tests {
		p := newParser(now)
		if strings.HasPrefix(tt.line, "Dec 30") {
			p = newParser(time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC))
		}
		l, st := p.Parse(tt.line)
		if st == parse.StatusNoHeader {
			t.Errorf("%q: no header", tt.line)
			continue
		}
		if !l.Time.Equal(tt.time) || l.Host != tt.host || l.Program != tt.program || l.PID != tt.pid {
			t.Errorf("%q: time %v host %q program %q pid %d; want %v %q %q %d",
				tt.line, l.Time, l.Host, l.Program, l.PID, tt.time, tt.host, tt.program, tt.pid)
		}
	}
}

func TestYearRollover(t *testing.T) {
	// Read on January 20th: the December lines are from 2026, the
	// January ones from 2027.
	p := newParser(time.Date(2027, 1, 20, 0, 0, 0, 0, time.UTC))
	lines := []struct {
		line string
		want time.Time
	}{
		{"Dec 31 23:59:58 web1 sshd[100]: x", time.Date(2026, 12, 31, 23, 59, 58, 0, time.UTC)},
		{"Dec 31 23:59:59 web1 sshd[100]: x", time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC)},
		{"Jan  1 00:00:00 web1 sshd[100]: x", time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"Dec 31 23:59:59 web1 sshd[100]: late line", time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC)},
		{"Jan 15 09:00:00 web1 sshd[102]: x", time.Date(2027, 1, 15, 9, 0, 0, 0, time.UTC)},
	}
	for _, l := range lines {
		got, _ := p.Parse(l.line)
		if !got.Time.Equal(l.want) {
			t.Errorf("%q: %v, want %v", l.line, got.Time, l.want)
		}
	}
	// The same lines read live on December 31st and on January 1st, by a
	// parser that continues from the saved last time.
	p = newParser(time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC))
	if got, _ := p.Parse(lines[1].line); got.Time.Year() != 2026 {
		t.Errorf("live December line: %v", got.Time)
	}
	q := newParser(time.Date(2027, 1, 1, 0, 0, 1, 0, time.UTC))
	q.SetLast(p.Last())
	if got, _ := q.Parse(lines[2].line); got.Time.Year() != 2027 {
		t.Errorf("live January line after restart: %v", got.Time)
	}
}

func TestRepeated(t *testing.T) {
	l, st := newParser(fixedNow).Parse("2026-11-29T10:06:20.000000+00:00 db1 sshd[1300]: message repeated 3 times: [ Failed password for root from 198.51.100.7 port 40022 ssh2]")
	if st != parse.StatusOK || l.Repeat != 3 || l.Kind != parse.KindLoginFailed || l.User != "root" {
		t.Errorf("status %v repeat %d record %+v", st, l.Repeat, l.Record)
	}
}

// goldenLine is the golden form of one parsed line.
type goldenLine struct {
	N       int    `json:"n"`
	Status  string `json:"status"`
	Time    string `json:"time,omitempty"`
	Host    string `json:"host,omitempty"`
	Program string `json:"program,omitempty"`
	PID     int    `json:"pid,omitempty"`
	Repeat  int    `json:"repeat,omitempty"`
	Action  string `json:"action,omitempty"`
	Outcome string `json:"outcome,omitempty"`
	Record  any    `json:"record,omitempty"`
}

// recordFields returns the non-empty fields of r.
func recordFields(r parse.Record) map[string]any {
	m := map[string]any{}
	put := func(k string, v string) {
		if v != "" {
			m[k] = v
		}
	}
	put("service", r.Service)
	put("method", r.Method)
	put("submethod", r.Submethod)
	put("user", r.User)
	put("user_id", r.UserID)
	put("target_user", r.TargetUser)
	put("target_group", r.TargetGroup)
	if r.SourceIP.IsValid() {
		m["source_ip"] = r.SourceIP.String()
	}
	put("source_host", r.SourceHost)
	if r.SourcePort != 0 {
		m["source_port"] = r.SourcePort
	}
	put("tty", r.TTY)
	put("cwd", r.Cwd)
	put("command", r.Command)
	put("reason", r.Reason)
	if r.Count != 0 {
		m["count"] = r.Count
	}
	put("session_id", r.SessionID)
	put("key_type", r.KeyType)
	put("key_fingerprint", r.KeyFingerprint)
	for k, v := range map[string]bool{"invalid_user": r.InvalidUser, "preauth": r.Preauth, "suspicious": r.Suspicious} {
		if v {
			m[k] = true
		}
	}
	put("pam_module", r.PAM.Module)
	put("pam_type", r.PAM.Type)
	put("pam_logname", r.PAM.Logname)
	put("pam_ruser", r.PAM.RUser)
	put("pam_uid", r.PAM.UID)
	put("pam_euid", r.PAM.EUID)
	put("pam_by", r.PAM.By)
	return m
}

// TestGolden parses every corpus file and compares the result with its
// golden file (go test -run TestGolden -update rewrites them).
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/corpus/*.log")
	if err != nil || len(files) == 0 {
		t.Fatalf("corpus: %v (%d files)", err, len(files))
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".log")
		t.Run(name, func(t *testing.T) {
			now := fixedNow
			if name == "rollover" {
				now = time.Date(2027, 1, 20, 0, 0, 0, 0, time.UTC)
			}
			p := newParser(now)
			f, err := os.Open(file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var out bytes.Buffer
			sc := bufio.NewScanner(f)
			n := 0
			for sc.Scan() {
				n++
				l, st := p.Parse(sc.Text())
				g := goldenLine{N: n, Status: st.String()}
				if st != parse.StatusNoHeader {
					g.Time = l.Time.UTC().Format(time.RFC3339Nano)
					g.Host, g.Program, g.PID, g.Repeat = l.Host, l.Program, l.PID, l.Repeat
				}
				if st == parse.StatusOK {
					g.Action, g.Outcome, g.Record = l.Kind.String(), l.Outcome.String(), recordFields(l.Record)
				}
				b, err := json.Marshal(g)
				if err != nil {
					t.Fatal(err)
				}
				out.Write(b)
				out.WriteByte('\n')
			}
			if err := sc.Err(); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "golden", name+".jsonl")
			if *update {
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if d := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(out.String(), "\n")); d != "" {
				t.Errorf("%s differs from its golden file (-want +got):\n%s", file, d)
			}
		})
	}
}

// TestCorpusStatuses checks what the corpus files are for: the
// malformed file has no line that parses as an event, the others have
// no malformed line.
func TestCorpusStatuses(t *testing.T) {
	files, _ := filepath.Glob("testdata/corpus/*.log")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		p := newParser(fixedNow)
		counts := map[parse.Status]int{}
		for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
			_, st := p.Parse(line)
			counts[st]++
		}
		if strings.HasSuffix(file, "malformed.log") {
			if counts[parse.StatusOK] != 0 || counts[parse.StatusMalformed] < 10 || counts[parse.StatusNoHeader] < 4 {
				t.Errorf("%s: %v", file, counts)
			}
			continue
		}
		if counts[parse.StatusMalformed] != 0 || counts[parse.StatusNoHeader] != 0 || counts[parse.StatusOK] == 0 {
			t.Errorf("%s: %v", file, counts)
		}
	}
}

// BenchmarkParse parses the corpus's lines, one after another.
func BenchmarkParse(b *testing.B) {
	var lines []string
	files, _ := filepath.Glob("testdata/corpus/*.log")
	for _, file := range files {
		if strings.HasSuffix(file, "malformed.log") {
			continue
		}
		data, err := os.ReadFile(file)
		if err != nil {
			b.Fatal(err)
		}
		lines = append(lines, strings.Split(strings.TrimSpace(string(data)), "\n")...)
	}
	p := newParser(fixedNow)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		p.Parse(lines[i%len(lines)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

func TestKnownProgram(t *testing.T) {
	tests := []struct {
		program string
		known   bool
	}{
		{"sshd", true}, {"sshd-session", true}, {"sudo", true}, {"pkexec", true}, {"polkitd", true},
		{"systemd-logind", true}, {"unix_chkpwd", true}, {"su", true}, {"login", true},
		{"CRON", false}, {"kernel", false}, {"", false}, {"Sudo", false},
	}
	for _, tt := range tests {
		if got := parse.KnownProgram(tt.program); got != tt.known {
			t.Errorf("KnownProgram(%q) = %v, want %v", tt.program, got, tt.known)
		}
		// PAM modules' messages are read whichever program logs them.
		if _, st := parse.ParseMessage(tt.program, "pam_unix(x:session): session closed for user root"); st != parse.StatusOK {
			t.Errorf("ParseMessage(%q, PAM message): %v, want ok", tt.program, st)
		}
	}
}
