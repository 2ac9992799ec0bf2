package passwords_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/scan/passwords"
	"github.com/vigilsec/vigil/internal/scan/passwords/passwordstest"
	"github.com/vigilsec/vigil/internal/scan/passwords/words"
	"github.com/vigilsec/vigil/internal/scan/protocol"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// extraWord is the one word of the test's extra list.
const extraWord = "vigil-extra-word"

// scenario is a root with one account for each case the scan tells
// apart, the extra word list, and the passwords set (none may show in
// the output). The strong passwords use cheap costs: every candidate is
// tried against them.
func scenario(t testing.TB) (root, list string, secrets []string) {
	t.Helper()
	strong := func() string {
		pw := passwordstest.StrongPassword(t)
		secrets = append(secrets, pw)
		return pw
	}
	accounts := []passwordstest.Account{
		{Name: "root", Password: strong(), Method: "SHA256", Rounds: 1000},
		// Dictionary passwords, one account per scheme.
		{Name: "alice", Shell: "/bin/bash", Groups: []string{"sudo"}, Password: "P@ssw0rd", Method: "YESCRYPT"},
		{Name: "bob", Shell: "/bin/bash", Password: "bob@123", Method: "SHA512"},
		{Name: "carol", Shell: "/bin/sh", Password: "1qaz@WSX", Method: "SHA256"},
		{Name: "dave", Shell: "/bin/bash", Password: "Summer2024!", Method: "MD5"},
		{Name: "erin", Shell: "/bin/bash", Groups: []string{"wheel"}, Password: "woaini1314", Method: "bcrypt"},
		{Name: "frank", Shell: "/bin/bash", Password: "letmein", Method: "DES"},
		{Name: "grace", Shell: "/bin/bash", Password: extraWord, Method: "bsdicrypt"},
		// No finding: a strong password.
		{Name: "heidi", Shell: "/bin/bash", Password: strong(), Method: "SHA512", Rounds: 1000},
		// Empty password.
		{Name: "ivan", Shell: "/bin/bash", Method: "empty"},
		// Locked dictionary password: not hashed.
		{Name: "judy", Shell: "/bin/bash", Password: "Admin@123", Method: "SHA512", Lock: true},
		// A second uid 0 with a strong password.
		{Name: "toor", Shell: "/bin/sh", UID0: true, Password: strong(), Method: "SHA256", Rounds: 1000},
		// A weak scheme with a strong password, for a login shell and
		// for nologin.
		{Name: "mallory", Shell: "/bin/bash", Password: strong(), Method: "MD5"},
		{Name: "svc", Shell: "/usr/sbin/nologin", Password: strong(), Method: "MD5"},
		// A dictionary password on an account without a login shell.
		{Name: "svcweak", Shell: "/usr/sbin/nologin", Password: "changeme", Method: "SHA512"},
		// No password at all (useradd's "!"), and a scheme the scan
		// does not compute.
		{Name: "nopass", Shell: "/bin/bash"},
		{Name: "scrypted", Shell: "/bin/bash", Password: "P@ssw0rd", Method: "scrypt"},
	}
	for _, a := range accounts {
		if a.Password != "" {
			secrets = append(secrets, a.Password)
		}
	}
	root = passwordstest.Root(t, "web01.example.com", accounts)
	list = filepath.Join(t.TempDir(), "extra.txt")
	if err := os.WriteFile(list, []byte("first-extra\n"+extraWord+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return root, list, append(secrets, passwordstest.Secrets(t, root)...)
}

// run runs a scan in the test's process and returns its stream and
// summary, after checking that the stream reads back.
func run(t testing.TB, opts passwords.Options) ([]event.Asset, protocol.Summary, []byte) {
	t.Helper()
	var buf bytes.Buffer
	sum, err := passwords.Scan(context.Background(), opts, protocol.NewWriter(&buf))
	if err != nil && sum.Complete {
		t.Fatalf("scan error %v with a complete summary", err)
	}
	var assets []event.Asset
	got, _, rerr := protocol.Read(bytes.NewReader(buf.Bytes()), []string{event.AssetWeakPassword}, func(a event.Asset) error {
		assets = append(assets, a)
		return nil
	})
	if rerr != nil {
		t.Fatalf("the scan's stream does not read back: %v\n%s", rerr, buf.Bytes())
	}
	if d := cmp.Diff(sum, got); d != "" {
		t.Errorf("summary returned and written differ (-returned +written):\n%s", d)
	}
	return assets, sum, buf.Bytes()
}

// noSecrets fails the test when any secret shows in data.
func noSecrets(t testing.TB, what string, data []byte, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		if bytes.Contains(data, []byte(s)) {
			t.Errorf("%s holds a hash or a password (%d characters)", what, len(s))
		}
	}
}

// normalized is the stream with the run's times zeroed.
func normalized(t testing.TB, stream []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	for _, line := range bytes.Split(bytes.TrimSpace(stream), []byte("\n")) {
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		if s, ok := m["summary"].(map[string]any); ok {
			s["duration_ms"] = 0
			s["passwords"].(map[string]any)["cpu_ms"] = 0
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		out.Write(b)
		out.WriteByte('\n')
	}
	return out.Bytes()
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s (-want +got):\n%s", path, d)
	}
}

// TestScan checks the findings of the scenario exactly, and that no hash
// or password shows in the stream or the state file.
func TestScan(t *testing.T) {
	root, list, secrets := scenario(t)
	state := filepath.Join(t.TempDir(), "state.json")
	opts := passwords.Options{Root: root, WordFiles: []string{list}, CPU: 1, StatePath: state}
	assets, sum, stream := run(t, opts)
	if !sum.Complete {
		t.Fatalf("incomplete: %s", sum.Reason)
	}
	golden(t, "scan.golden.jsonl", normalized(t, stream))
	noSecrets(t, "the stream", stream, secrets)
	data, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	noSecrets(t, "the state file", data, secrets)
	if fi, err := os.Stat(state); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v, %v", fi.Mode(), err)
	}
	types := map[string]string{}
	for _, a := range assets {
		types[a.Name] += a.Fields["vigil"].(map[string]any)["weak_password"].(map[string]any)["type"].(string) + " "
	}
	want := map[string]string{
		"alice": "dictionary ", "bob": "dictionary ", "carol": "dictionary ", "dave": "dictionary ", "erin": "dictionary ",
		"frank": "dictionary ", "grace": "dictionary ", "ivan": "empty ", "toor": "uid0 ", "mallory": "weak_scheme ",
		"svcweak": "dictionary ",
	}
	if d := cmp.Diff(want, types); d != "" {
		t.Errorf("findings by account (-want +got):\n%s", d)
	}

	// A second run remembers every account and hashes nothing.
	_, again, stream2 := run(t, opts)
	if again.Passwords.Hashes != 0 || again.Passwords.Remembered != sum.Passwords.Checked {
		t.Errorf("second run: %d hashes, %d remembered; want 0 and %d", again.Passwords.Hashes, again.Passwords.Remembered, sum.Passwords.Checked)
	}
	if d := cmp.Diff(assetLines(stream), assetLines(stream2)); d != "" {
		t.Errorf("findings of the second run differ (-first +second):\n%s", d)
	}
}

// assetLines is the stream without its summary.
func assetLines(stream []byte) string {
	lines := strings.Split(strings.TrimSpace(string(stream)), "\n")
	return strings.Join(lines[:len(lines)-1], "\n")
}

// smallRoot has three accounts with cheap hashes for the state tests.
func smallRoot(t *testing.T) string {
	t.Helper()
	return passwordstest.Root(t, "db1", []passwordstest.Account{
		{Name: "anna", Shell: "/bin/bash", Password: passwordstest.StrongPassword(t), Method: "SHA256", Rounds: 1000},
		{Name: "ben", Shell: "/bin/bash", Password: "letmein", Method: "MD5"},
		{Name: "cleo", Shell: "/bin/bash", Password: passwordstest.StrongPassword(t), Method: "DES"},
	})
}

// TestState: the state file spares unchanged accounts, and a changed
// hash or dictionary is checked again.
func TestState(t *testing.T) {
	root := smallRoot(t)
	state := filepath.Join(t.TempDir(), "state.json")
	list := filepath.Join(t.TempDir(), "ops.txt")
	if err := os.WriteFile(list, []byte("one\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	opts := passwords.Options{Root: root, CPU: 1, StatePath: state, WordFiles: []string{list}}
	_, first, _ := run(t, opts)
	nAnna := len(words.Candidates("anna", "db1", []string{"one"}))
	if first.Passwords.Checked != 3 || first.Passwords.Remembered != 0 {
		t.Fatalf("first run: %+v", first.Passwords)
	}

	_, second, _ := run(t, opts)
	if second.Passwords.Hashes != 0 || second.Passwords.Remembered != 3 {
		t.Errorf("unchanged: %d hashes, %d remembered", second.Passwords.Hashes, second.Passwords.Remembered)
	}

	// anna's hash changes (same password strength, new salt): only
	// anna is hashed, against every candidate.
	passwordstest.SetPassword(t, root, "anna", passwordstest.StrongPassword(t), "SHA256")
	assets, third, _ := run(t, opts)
	if third.Passwords.Hashes != nAnna || third.Passwords.Remembered != 2 || third.Passwords.HashesByScheme["sha256crypt"] != nAnna {
		t.Errorf("changed hash: %+v, want %d sha256crypt hashes and 2 remembered", third.Passwords, nAnna)
	}
	if len(assets) != 2 { // ben's dictionary match, cleo's weak scheme
		t.Errorf("%d findings after the change", len(assets))
	}

	// The dictionary changes: every account is checked again.
	if err := os.WriteFile(list, []byte("one\ntwo\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, fourth, _ := run(t, opts)
	if fourth.Passwords.Remembered != 0 || fourth.Passwords.Checked != 3 || fourth.Passwords.Hashes <= nAnna {
		t.Errorf("changed dictionary: %+v", fourth.Passwords)
	}

	// A state file others could have written is not trusted.
	if err := os.Chmod(state, 0o666); err != nil {
		t.Fatal(err)
	}
	_, fifth, _ := run(t, opts)
	if fifth.Passwords.Remembered != 0 || fifth.Passwords.Checked != 3 {
		t.Errorf("untrusted state used: %+v", fifth.Passwords)
	}
	if fi, err := os.Stat(state); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("state rewritten with mode %v, %v", fi.Mode(), err)
	}

	// A damaged one is replaced.
	if err := os.WriteFile(state, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, sixth, _ := run(t, opts); sixth.Passwords.Checked != 3 || !sixth.Complete {
		t.Errorf("damaged state: %+v", sixth.Passwords)
	}
	if _, seventh, _ := run(t, opts); seventh.Passwords.Remembered != 3 {
		t.Errorf("the damaged state was not replaced: %+v", seventh.Passwords)
	}
}

// TestResume: a scan cut short by its time limit goes on where it
// stopped; the two runs hash as much as one whole run.
func TestResume(t *testing.T) {
	root := passwordstest.Root(t, "app", []passwordstest.Account{
		{Name: "slow", Shell: "/bin/bash", Password: passwordstest.StrongPassword(t), Method: "SHA512", Rounds: 2000},
		{Name: "open", Shell: "/bin/bash", Method: "empty"},
	})
	whole := filepath.Join(t.TempDir(), "whole.json")
	_, full, _ := run(t, passwords.Options{Root: root, CPU: 1, StatePath: whole})
	if !full.Complete {
		t.Fatalf("whole run incomplete: %s", full.Reason)
	}
	state := filepath.Join(t.TempDir(), "state.json")
	cutAssets, cut, _ := run(t, passwords.Options{Root: root, CPU: 1, StatePath: state, Timeout: 200 * time.Millisecond})
	if cut.Complete || !strings.Contains(cut.Reason, "time limit") || cut.Passwords.Pending != 1 {
		t.Fatalf("cut run: complete %v, %q, %+v", cut.Complete, cut.Reason, cut.Passwords)
	}
	// Past the time limit, what needs no hashing is still reported.
	if len(cutAssets) != 1 || cutAssets[0].Key != "account:open:empty" {
		t.Errorf("cut run: %d findings %v", len(cutAssets), cutAssets)
	}
	_, rest, _ := run(t, passwords.Options{Root: root, CPU: 1, StatePath: state})
	if !rest.Complete || rest.Passwords.Resumed != 1 {
		t.Errorf("resumed run: %+v", rest.Passwords)
	}
	if cut.Passwords.Hashes+rest.Passwords.Hashes != full.Passwords.Hashes {
		t.Errorf("%d + %d hashes, one run takes %d", cut.Passwords.Hashes, rest.Passwords.Hashes, full.Passwords.Hashes)
	}
}

func TestMissingFiles(t *testing.T) {
	root := t.TempDir()
	_, sum, _ := run(t, passwords.Options{Root: root, CPU: 1})
	if sum.Complete || !strings.Contains(sum.Reason, "passwd") {
		t.Errorf("no passwd: complete %v, %q", sum.Complete, sum.Reason)
	}
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("root:x:0:0::/root:/bin/sh\nbroken line\nnis::1:1::/:/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, sum, _ = run(t, passwords.Options{Root: root, CPU: 1, WordFiles: []string{filepath.Join(root, "missing.txt")}})
	if sum.Complete || !strings.Contains(sum.Reason, "missing.txt") {
		t.Errorf("missing word list: complete %v, %q", sum.Complete, sum.Reason)
	}
	assets, sum, _ := run(t, passwords.Options{Root: root, CPU: 1})
	// root has no shadow entry; nis has an empty field in passwd.
	if !sum.Complete || sum.Errors != 1 || sum.Skipped["no_shadow_entry"] != 1 || len(assets) != 1 || assets[0].Key != "account:nis:empty" {
		t.Errorf("passwd alone: %d assets, %+v", len(assets), sum)
	}
	if len(sum.ErrorSamples) != 1 || !strings.Contains(sum.ErrorSamples[0].Error, "line 2") {
		t.Errorf("error samples %+v", sum.ErrorSamples)
	}
}

// TestCommandFlags runs the command's flag handling.
func TestCommandFlags(t *testing.T) {
	root := smallRoot(t)
	tests := []struct {
		args   []string
		status int
	}{
		{[]string{"--root", root, "--cpu", "1"}, protocol.ExitOK},
		{[]string{"--root", root, "--cpu", "0"}, protocol.ExitUsage},
		{[]string{"--root", root, "--cpu", "1.5"}, protocol.ExitUsage},
		{[]string{"--root", root, "--timeout", "-1s"}, protocol.ExitUsage},
		{[]string{"--root", root, "extra"}, protocol.ExitUsage},
		{[]string{"--bogus"}, protocol.ExitUsage},
		{[]string{"--root", root, "--cpu", "1", "--words", filepath.Join(root, "none")}, protocol.ExitIncomplete},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		if got := passwords.Main(tt.args, &out, &errb); got != tt.status {
			t.Errorf("%q: status %d, want %d; stderr %s", tt.args, got, tt.status, errb.Bytes())
		}
		if tt.status == protocol.ExitUsage && (out.Len() > 0 || errb.Len() == 0) {
			t.Errorf("%q: usage error with stdout %q, stderr %q", tt.args, out.Bytes(), errb.Bytes())
		}
	}
}
