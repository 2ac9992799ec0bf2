package passwords

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/scan/passwords/crypt"
	"github.com/vigilsec/vigil/internal/scan/passwords/words"
	"github.com/vigilsec/vigil/internal/scan/protocol"
)

func TestHint(t *testing.T) {
	tests := []struct{ pw, want string }{
		{"", ""}, {"a", "*"}, {"ab", "**"}, {"abc", "***"}, {"abcd", "a**d"},
		{"passwd3", "p*****3"}, {"密码1234", "密****4"},
	}
	for _, tt := range tests {
		if got := hint(tt.pw); got != tt.want {
			t.Errorf("hint(%q) = %q, want %q", tt.pw, got, tt.want)
		}
	}
}

func TestLoginShell(t *testing.T) {
	for shell, want := range map[string]bool{
		"/bin/bash": true, "": true, "/usr/sbin/nologin": false, "/sbin/nologin": false, "/bin/false": false,
		"/bin/sync": false, "/usr/bin/zsh": true, "/bin/false ": false,
	} {
		if got := loginShell(shell); got != want {
			t.Errorf("loginShell(%q) = %v", shell, got)
		}
	}
}

func TestParseDatabase(t *testing.T) {
	pw := "root:x:0:0::/root:/bin/bash\n" +
		"a:x:1000:100::/home/a:/bin/bash\n" +
		"b:x:1001:27::/home/b:/usr/sbin/nologin\n" +
		"c:inpasswd:1002:100::/:/bin/sh\n" +
		"a:x:1003:100::/:/bin/sh\n" +
		"+@netgroup\n" +
		"d:x:1004:100::/:/bin/sh\n" +
		"bad\n"
	sh := "root:!:1:0:99999:7:::\na:$1$s$h:1:0:99999:7:::\na:second:1::::::\nb:*:1::::::\nbroken\n"
	gr := "root:x:0:\nsudo:x:27:\nwheel:x:10:a\n"
	var sum protocol.Summary
	db := parseDatabase([]byte(pw), []byte(sh), []byte(gr), &sum)
	var got []string
	for _, a := range db.accounts {
		got = append(got, fmt.Sprintf("%s uid=%d field=%q shadow=%v login=%v priv=%v", a.name, a.uid, a.field, a.inShadow, a.login, a.privileged))
	}
	want := []string{
		`root uid=0 field="!" shadow=true login=true priv=true`,
		`a uid=1000 field="$1$s$h" shadow=true login=true priv=true`,
		`b uid=1001 field="*" shadow=true login=false priv=true`,
		`c uid=1002 field="inpasswd" shadow=true login=true priv=false`,
		`d uid=1004 field="" shadow=false login=true priv=false`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("accounts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if sum.Errors != 2 || sum.Skipped["duplicate_account"] != 1 {
		t.Errorf("summary %+v", sum)
	}
	for _, e := range sum.ErrorSamples {
		if strings.Contains(e.Error, "broken") || strings.Contains(e.Error, "bad") {
			t.Errorf("an error quotes a line: %+v", e)
		}
	}
}

// FuzzParseDatabase: any account files parse without a panic, each
// account once, with the password field of its own line.
func FuzzParseDatabase(f *testing.F) {
	f.Add([]byte("root:x:0:0::/root:/bin/bash\n"), []byte("root:$6$x$y:1:0:99999:7:::\n"), []byte("root:x:0:\n"))
	f.Add([]byte("a:b:1:2:c:d:e:f:g\n+\n-x\n"), []byte("a::::\n::::::::\n"), []byte("sudo:x:27:a,b\n+:::\n"))
	f.Add([]byte("x:x:1:1::/:\r\n"), []byte("x:!!:::::::\r\n"), []byte(""))
	f.Fuzz(func(t *testing.T, pw, sh, gr []byte) {
		var sum protocol.Summary
		db := parseDatabase(pw, sh, gr, &sum)
		seen := map[string]bool{}
		for _, a := range db.accounts {
			if seen[a.name] || a.name == "" {
				t.Fatalf("account %q twice or unnamed", a.name)
			}
			seen[a.name] = true
			if strings.Contains(a.field, ":") || strings.Contains(a.field, "\n") {
				t.Fatalf("field of %q spans fields or lines", a.name)
			}
		}
		if sum.Errors < len(sum.ErrorSamples) {
			t.Fatalf("errors %d < samples %d", sum.Errors, len(sum.ErrorSamples))
		}
	})
}

// FuzzDecodeState: a state file decodes or is refused, never panics,
// and what decodes has a usable key and no impossible entry.
func FuzzDecodeState(f *testing.F) {
	st, err := newState()
	if err != nil {
		f.Fatal(err)
	}
	st.Accounts["a"] = &accountState{Hash: "h", Dictionary: "d", Tried: 3}
	st.Accounts["b"] = &accountState{Done: true, Match: &match{Source: "builtin", Hint: "p***d", Length: 5}}
	good, err := json.Marshal(st)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{string(good), "{}", `{"version":1,"key":"","accounts":null}`, "[]", `{"version":1} {}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := decodeState(data)
		if err != nil {
			return
		}
		if len(st.Key) != 32 || st.Accounts == nil {
			t.Fatalf("decoded state without key or map")
		}
		for name, a := range st.Accounts {
			if a == nil || a.Tried < 0 || a.Match != nil && !a.Done {
				t.Fatalf("entry %q kept: %+v", name, a)
			}
		}
	})
}

// TestThrottle: after a hash that used d of CPU, the throttle waits
// until d/fraction has passed since its start.
func TestThrottle(t *testing.T) {
	var cpu time.Duration
	th := newThrottle(0.25)
	th.cpu = func() (time.Duration, bool) { return cpu, true }
	th.cpuStart = 0
	cpu = 20 * time.Millisecond
	if err := th.hashed(context.Background(), cpu); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(th.start); el < 80*time.Millisecond {
		t.Errorf("returned after %s, want at least 80ms (20ms of CPU at a quarter)", el)
	}
	// The context ends the wait.
	cpu = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := th.hashed(ctx, 0); err == nil {
		t.Error("a cancelled wait returned no error")
	}
	// No limit: no wait.
	free := newThrottle(1)
	free.cpu = th.cpu
	start := time.Now()
	if err := free.hashed(context.Background(), time.Hour); err != nil || time.Since(start) > time.Minute {
		t.Errorf("unlimited throttle waited: %v", err)
	}
	// Without the process's CPU time, the hashes' wall time counts.
	wall := newThrottle(0.5)
	wall.cpu = func() (time.Duration, bool) { return 0, false }
	if err := wall.hashed(context.Background(), 10*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(wall.start); el < 20*time.Millisecond {
		t.Errorf("wall-time throttle returned after %s, want at least 20ms", el)
	}
}

// BenchmarkYescrypt1000 tries 1,000 words of the built-in list against
// one yescrypt hash at Debian's default cost (mkpasswd -m yescrypt:
// N=4096, r=32, 16 MiB), without a CPU limit and with a quarter of a
// core, and reports hashes per second, wall time and CPU time.
func BenchmarkYescrypt1000(b *testing.B) {
	if _, err := exec.LookPath("mkpasswd"); err != nil {
		b.Skip("mkpasswd is not installed (Debian package whois)")
	}
	cmd := exec.Command("mkpasswd", "-m", "yescrypt", "--stdin")
	cmd.Stdin = strings.NewReader("not-in-any-list-Zq8#")
	out, err := cmd.Output()
	if err != nil {
		b.Fatal(err)
	}
	field := strings.TrimSpace(string(out))
	h, err := crypt.ParseHash(field)
	if err != nil {
		b.Fatal(err)
	}
	var list []candidate
	for _, w := range words.Builtin()[:1000] {
		list = append(list, candidate{w, SourceBuiltin})
	}
	for _, fraction := range []float64{1, 0.25} {
		b.Run(fmt.Sprintf("cpu=%v", fraction), func(b *testing.B) {
			for b.Loop() {
				sum := protocol.Summary{Passwords: &protocol.PasswordStats{}}
				s := &scanner{opts: Options{Limits: crypt.DefaultLimits}, w: protocol.NewWriter(io.Discard), sum: &sum,
					stats: sum.Passwords, throttle: newThrottle(fraction), shared: list}
				cpu0, _ := processCPU()
				start := time.Now()
				// An unnamed account on an unnamed host has no derived
				// candidates: exactly the 1,000 words are tried.
				m, done, err := s.dictionary(context.Background(), account{field: field}, h)
				if m != nil || !done || err != nil || sum.Passwords.Hashes != 1000 {
					b.Fatalf("match %v, done %v, err %v, %d hashes", m, done, err, sum.Passwords.Hashes)
				}
				wall := time.Since(start)
				cpu, _ := processCPU()
				b.ReportMetric(1000/wall.Seconds(), "hashes/s")
				b.ReportMetric(wall.Seconds(), "wall-s")
				b.ReportMetric((cpu - cpu0).Seconds(), "cpu-s")
			}
		})
	}
}

// TestStateHoldsNoHash: the state's digests are keyed, and differ from
// plain digests of the hash.
func TestStateHoldsNoHash(t *testing.T) {
	st, err := newState()
	if err != nil {
		t.Fatal(err)
	}
	other, err := newState()
	if err != nil {
		t.Fatal(err)
	}
	const hash = "$1$saltsalt$abcdefghijklmnopqrstuv"
	if st.hashDigest(hash) == other.hashDigest(hash) {
		t.Error("two keys give the same digest")
	}
	if st.hashDigest(hash) != st.hashDigest(hash) || st.hashDigest(hash) == st.hashDigest(hash+"x") {
		t.Error("digest not stable or not telling a change")
	}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("saltsalt")) {
		t.Error("state holds the hash")
	}
}
