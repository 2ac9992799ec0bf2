package crypt_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/scan/passwords/crypt"
)

// rng is seeded per test run; a failure prints the seed.
var seed = rand.Uint64()

func newRand(t testing.TB) *rand.Rand {
	t.Logf("random seed %d", seed)
	return rand.New(rand.NewPCG(seed, 0x5eed))
}

// randomPassword returns a password of 1 to 24 printable ASCII
// characters, or now and then one with UTF-8 letters.
func randomPassword(r *rand.Rand) string {
	if r.IntN(5) == 0 {
		words := []string{"密码", "pässwörd", "пароль", "Ünïcödé", "口令"}
		return words[r.IntN(len(words))] + fmt.Sprint(r.IntN(10000))
	}
	n := 1 + r.IntN(24)
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(0x20 + r.IntN(0x5f))
	}
	return string(b)
}

// randomSalt returns n characters of crypt's base 64.
func randomSalt(r *rand.Rand, n int) string {
	const alphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

// mkpasswd hashes password with the whois package's mkpasswd. The test
// skips when mkpasswd is missing.
func mkpasswd(t testing.TB, password string, args ...string) string {
	t.Helper()
	bin, err := exec.LookPath("mkpasswd")
	if err != nil {
		t.Skip("mkpasswd is not installed (Debian package whois)")
	}
	cmd := exec.Command(bin, append(args, "--stdin")...)
	cmd.Stdin = strings.NewReader(password)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("mkpasswd %v: %v: %s", args, err, stderr.Bytes())
	}
	return strings.TrimSpace(string(out))
}

// libcrypt hashes password with the system's crypt(3) (libxcrypt), called
// through perl, for settings mkpasswd does not make (short salts, $2y$).
// It returns "" when crypt(3) refuses the setting.
func libcrypt(t testing.TB, password, setting string) string {
	t.Helper()
	bin, err := exec.LookPath("perl")
	if err != nil {
		t.Skip("perl is not installed")
	}
	out, err := exec.Command(bin, "-e", `my $r = crypt($ARGV[0], $ARGV[1]); print defined $r ? $r : "";`, "--", password, setting).Output()
	if err != nil {
		t.Fatalf("perl crypt: %v", err)
	}
	h := string(out)
	if strings.HasPrefix(h, "*") {
		return ""
	}
	return h
}

// mutate returns a different password that no scheme's truncation maps
// to the same key: its first character is changed.
func mutate(pw string) string {
	c := pw[0] + 1
	if c >= 0x7f || c < 0x20 {
		c = 'a'
	}
	if c == pw[0] {
		c = 'b'
	}
	return string(c) + pw[1:]
}

func checkHash(t *testing.T, what, password, hash string, want crypt.Scheme) {
	t.Helper()
	f := crypt.ParseField(hash)
	if f.Status != crypt.StatusHash || f.Scheme != string(want) || f.Hash.Scheme() != want {
		t.Fatalf("%s: ParseField: status %s, scheme %q, err %v; want a %s hash", what, f.Status, f.Scheme, f.Err, want)
	}
	ok, err := f.Hash.Verify(password)
	if err != nil || !ok {
		t.Errorf("%s: password %q does not verify against %s: %v", what, password, hash, err)
	}
	ok, err = f.Hash.Verify(mutate(password))
	if err != nil || ok {
		t.Errorf("%s: wrong password %q verifies against %s: %v", what, mutate(password), hash, err)
	}
	if locked := crypt.ParseField("!" + hash); locked.Status != crypt.StatusLocked || locked.Hash.Scheme() != want || !locked.Locked {
		t.Errorf("%s: locked form: %+v", what, locked)
	}
}

// TestMkpasswd checks every scheme against hashes mkpasswd makes of random
// passwords with random salts and costs.
func TestMkpasswd(t *testing.T) {
	r := newRand(t)
	tests := []struct {
		scheme crypt.Scheme
		args   func() []string
	}{
		{crypt.Yescrypt, func() []string { return []string{"-m", "yescrypt"} }},
		{crypt.Yescrypt, func() []string { return []string{"-m", "yescrypt", "-R", fmt.Sprint(1 + r.IntN(5))} }},
		{crypt.SHA512, func() []string { return []string{"-m", "sha512crypt", "-S", randomSalt(r, 8+r.IntN(9))} }},
		{crypt.SHA512, func() []string {
			return []string{"-m", "sha512crypt", "-R", fmt.Sprint(1000 + r.IntN(9000)), "-S", randomSalt(r, 8+r.IntN(9))}
		}},
		{crypt.SHA256, func() []string { return []string{"-m", "sha256crypt", "-S", randomSalt(r, 8+r.IntN(9))} }},
		{crypt.SHA256, func() []string { return []string{"-m", "sha256crypt", "-R", fmt.Sprint(1000 + r.IntN(9000))} }},
		{crypt.MD5, func() []string { return []string{"-m", "md5crypt", "-S", randomSalt(r, 8)} }},
		{crypt.Bcrypt, func() []string { return []string{"-m", "bcrypt", "-R", fmt.Sprint(4 + r.IntN(3))} }},
		{crypt.Bcrypt, func() []string { return []string{"-m", "bcrypt-a", "-R", fmt.Sprint(4 + r.IntN(3))} }},
		{crypt.DES, func() []string { return []string{"-m", "descrypt", "-S", randomSalt(r, 2)} }},
		{crypt.BSDi, func() []string { return []string{"-m", "bsdicrypt"} }},
		{crypt.BSDi, func() []string { return []string{"-m", "bsdicrypt", "-R", fmt.Sprint(1 + r.IntN(3000))} }},
	}
	for _, tt := range tests {
		t.Run(string(tt.scheme), func(t *testing.T) {
			for range 6 {
				args := tt.args()
				pw := randomPassword(r)
				checkHash(t, fmt.Sprint(args), pw, mkpasswd(t, pw, args...), tt.scheme)
			}
		})
	}
}

// TestLibcrypt checks settings mkpasswd does not make, with the system's
// crypt(3): short and empty salts, rounds with short salts, $2y$ and $2x$,
// and the truncation of long passwords by descrypt and bcrypt.
func TestLibcrypt(t *testing.T) {
	r := newRand(t)
	tests := []struct {
		scheme  crypt.Scheme
		setting func() string
	}{
		{crypt.SHA512, func() string { return "$6$" + randomSalt(r, r.IntN(17)) + "$" }},
		{crypt.SHA512, func() string { return fmt.Sprintf("$6$rounds=%d$%s$", 1000+r.IntN(3000), randomSalt(r, 1+r.IntN(8))) }},
		{crypt.SHA256, func() string { return "$5$" + randomSalt(r, r.IntN(17)) + "$" }},
		{crypt.SHA256, func() string { return fmt.Sprintf("$5$rounds=%d$%s$", 1000+r.IntN(3000), randomSalt(r, 1+r.IntN(8))) }},
		{crypt.MD5, func() string { return "$1$" + randomSalt(r, r.IntN(9)) + "$" }},
		{crypt.Bcrypt, func() string { return "$2y$04$" + randomSalt(r, 21) + "." }},
		{crypt.Bcrypt, func() string { return "$2b$05$" + randomSalt(r, 21) + "e" }},
		{crypt.Yescrypt, func() string { return "$y$j9T$" + randomSalt(r, 16) + "$" }},
		{crypt.Yescrypt, func() string {
			return []string{"$y$j75$$", "$y$j75$ab.$", "$y$j75$" + randomSalt(r, 8) + "$"}[r.IntN(3)]
		}},
		{crypt.DES, func() string { return randomSalt(r, 2) }},
		{crypt.BSDi, func() string { return "_" + randomSalt(r, 1) + "..." + randomSalt(r, 4) }},
	}
	for _, tt := range tests {
		t.Run(string(tt.scheme), func(t *testing.T) {
			for range 6 {
				setting := tt.setting()
				pw := randomPassword(r)
				h := libcrypt(t, pw, setting)
				if h == "" {
					t.Fatalf("crypt(3) refused setting %q", setting)
				}
				checkHash(t, setting, pw, h, tt.scheme)
			}
		})
	}
	t.Run("truncation", func(t *testing.T) {
		long := "0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ!@#$%"
		for _, c := range []struct {
			setting string
			same    string // a different password that must verify
		}{
			{"ab", long[:8] + "anything"},
			{"$2b$04$abcdefghijklmnopqrstuu", long[:72] + "more"},
		} {
			f := crypt.ParseField(libcrypt(t, long, c.setting))
			if ok, err := f.Hash.Verify(c.same); !ok || err != nil {
				t.Errorf("%s: a password equal to the first bytes does not verify: %v", f.Scheme, err)
			}
		}
		// bsdicrypt uses every character.
		f := crypt.ParseField(libcrypt(t, long, "_J9..abcd"))
		if ok, _ := f.Hash.Verify(long[:len(long)-1] + "?"); ok {
			t.Error("bsdicrypt: a different last character verifies")
		}
		if ok, _ := f.Hash.Verify(long); !ok {
			t.Error("bsdicrypt: the long password does not verify")
		}
	})
	t.Run("count of zero", func(t *testing.T) {
		for _, setting := range []string{"_....wxyz", "_/...wxyz"} {
			pw := randomPassword(r)
			checkHash(t, setting, pw, libcrypt(t, pw, setting), crypt.BSDi)
		}
	})
	t.Run("2x", func(t *testing.T) {
		h := libcrypt(t, "ascii only", "$2x$04$abcdefghijklmnopqrstuu")
		f := crypt.ParseField(h)
		if ok, err := f.Hash.Verify("ascii only"); !ok || err != nil {
			t.Errorf("$2x$ with an ASCII password: %v %v", ok, err)
		}
		if _, err := f.Hash.Verify("pässwörd"); !errors.Is(err, crypt.ErrUnsupported) {
			t.Errorf("$2x$ with 8-bit characters: %v, want ErrUnsupported", err)
		}
	})
}

// TestChpasswd checks the hashes chpasswd writes into a shadow file, for
// every method it offers.
func TestChpasswd(t *testing.T) {
	bin, err := exec.LookPath("chpasswd")
	if err != nil {
		t.Skip("chpasswd is not installed")
	}
	if os.Geteuid() != 0 {
		t.Skip("chpasswd --root needs root")
	}
	r := newRand(t)
	root := t.TempDir()
	etc := filepath.Join(root, "etc")
	files := map[string]string{
		"passwd":  "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n",
		"shadow":  "root:*:19000:0:99999:7:::\nalice:!:19000:0:99999:7:::\n",
		"group":   "root:x:0:\nalice:x:1000:\n",
		"gshadow": "root:*::\nalice:!::\n",
	}
	if err := os.Mkdir(etc, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(etc, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		args   []string
		scheme crypt.Scheme
	}{
		{[]string{"-c", "YESCRYPT"}, crypt.Yescrypt},
		{[]string{"-c", "SHA512"}, crypt.SHA512},
		{[]string{"-c", "SHA512", "-s", "20000"}, crypt.SHA512},
		{[]string{"-c", "SHA256"}, crypt.SHA256},
		{[]string{"-c", "MD5"}, crypt.MD5},
		{[]string{"-c", "DES"}, crypt.DES},
	}
	for _, tt := range tests {
		// chpasswd reads "user:password" lines: no ':' or newline.
		pw := strings.NewReplacer(":", ";", "\n", " ").Replace(randomPassword(r))
		cmd := exec.Command(bin, append([]string{"--root", root}, tt.args...)...)
		cmd.Stdin = strings.NewReader("alice:" + pw + "\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("chpasswd %v: %v: %s", tt.args, err, out)
		}
		data, err := os.ReadFile(filepath.Join(etc, "shadow"))
		if err != nil {
			t.Fatal(err)
		}
		var hash string
		for _, line := range strings.Split(string(data), "\n") {
			if f := strings.Split(line, ":"); len(f) == 9 && f[0] == "alice" {
				hash = f[1]
			}
		}
		checkHash(t, fmt.Sprint("chpasswd ", tt.args), pw, hash, tt.scheme)
	}
}

func TestParseField(t *testing.T) {
	sha := "$6$saltsalt$" + strings.Repeat("a", 86)
	tests := []struct {
		field  string
		status crypt.Status
		scheme string
		locked bool
		err    error
	}{
		{"", crypt.StatusEmpty, "", false, nil},
		{"!", crypt.StatusDisabled, "", true, nil},
		{"!!", crypt.StatusDisabled, "", true, nil},
		{"*", crypt.StatusDisabled, "", false, nil},
		{"!*", crypt.StatusDisabled, "", true, nil},
		{"*LK*", crypt.StatusDisabled, "", false, nil},
		{"x", crypt.StatusDisabled, "", false, nil},
		{"NP", crypt.StatusDisabled, "", false, nil},
		{sha, crypt.StatusHash, "sha512crypt", false, nil},
		{"!" + sha, crypt.StatusLocked, "sha512crypt", true, nil},
		{"!!" + sha, crypt.StatusLocked, "sha512crypt", true, nil},
		{"$6$saltsalt$short", crypt.StatusInvalid, "sha512crypt", false, crypt.ErrMalformed},
		{"$6$rounds=999$salt$" + strings.Repeat("a", 86), crypt.StatusInvalid, "sha512crypt", false, crypt.ErrMalformed},
		{"$6$rounds=05000$salt$" + strings.Repeat("a", 86), crypt.StatusInvalid, "sha512crypt", false, crypt.ErrMalformed},
		{"$6$saltsaltsaltsalts$" + strings.Repeat("a", 86), crypt.StatusInvalid, "sha512crypt", false, crypt.ErrMalformed},
		{"$1$123456789$" + strings.Repeat("a", 22), crypt.StatusInvalid, "md5crypt", false, crypt.ErrMalformed},
		{"$2b$03$" + strings.Repeat("a", 53), crypt.StatusInvalid, "bcrypt", false, crypt.ErrMalformed},
		{"$2b$10$" + strings.Repeat("a", 52), crypt.StatusInvalid, "bcrypt", false, crypt.ErrMalformed},
		{"$2c$10$" + strings.Repeat("a", 53), crypt.StatusUnknown, "unknown", false, crypt.ErrUnknownScheme},
		{"$y$j9T$salt$" + strings.Repeat("a", 42), crypt.StatusInvalid, "yescrypt", false, crypt.ErrMalformed},
		{"$y$j9T$abc$" + strings.Repeat("a", 43), crypt.StatusInvalid, "yescrypt", false, crypt.ErrMalformed},
		{"$y$j9T$$" + strings.Repeat("a", 43), crypt.StatusHash, "yescrypt", false, nil},
		{"$y$jD5.7$salt$" + strings.Repeat("a", 43), crypt.StatusUnknown, "yescrypt", false, crypt.ErrUnsupported},
		{"$y$jFT$saltsalt$" + strings.Repeat("a", 43), crypt.StatusHash, "yescrypt", false, nil},
		{"$gy$j9T$salt$" + strings.Repeat("a", 43), crypt.StatusUnknown, "gost-yescrypt", false, crypt.ErrUnknownScheme},
		{"$7$CU..../....salt$" + strings.Repeat("a", 43), crypt.StatusUnknown, "scrypt", false, crypt.ErrUnknownScheme},
		{"$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", crypt.StatusUnknown, "argon2id", false, crypt.ErrUnknownScheme},
		{"$99$abc$def", crypt.StatusUnknown, "unknown", false, crypt.ErrUnknownScheme},
		{"abcdefghijklm", crypt.StatusInvalid, "descrypt", false, crypt.ErrMalformed},
		{"abcdefghijklk", crypt.StatusHash, "descrypt", false, nil},
		{"_J9..abcdefghijklmnA", crypt.StatusHash, "bsdicrypt", false, nil},
		{"_....abcdefghijklmnA", crypt.StatusHash, "bsdicrypt", false, nil},
		{"_J9..abcdefghijklmnB", crypt.StatusInvalid, "bsdicrypt", false, crypt.ErrMalformed},
		{"abcdefghijklmnopqrstuvwx", crypt.StatusUnknown, "bigcrypt", false, crypt.ErrUnknownScheme},
		{"$abc", crypt.StatusDisabled, "", false, nil},
	}
	for _, tt := range tests {
		f := crypt.ParseField(tt.field)
		if f.Status != tt.status || f.Scheme != tt.scheme || f.Locked != tt.locked || !errors.Is(f.Err, tt.err) || (tt.err == nil) != (f.Err == nil) {
			t.Errorf("ParseField(%q) = status %s, scheme %q, locked %v, err %v; want %s, %q, %v, %v",
				tt.field, f.Status, f.Scheme, f.Locked, f.Err, tt.status, tt.scheme, tt.locked, tt.err)
		}
		if (f.Status == crypt.StatusHash || f.Status == crypt.StatusLocked) == f.Hash.IsZero() {
			t.Errorf("ParseField(%q): status %s with zero hash %v", tt.field, f.Status, f.Hash.IsZero())
		}
	}
}

// TestHashNotShown: a Hash, and a Field holding one, print, log and
// marshal without the hash.
func TestHashNotShown(t *testing.T) {
	const secret = "$6$saltsalt$" + "Qz9aQz9aQz9aQz9aQz9aQz9aQz9aQz9aQz9aQz9aQz9aQz9aQz9aQz9aQz9aQz9aQz9aQz9aQz9aQz9aQz9aQz"
	f := crypt.ParseField(secret)
	if f.Status != crypt.StatusHash {
		t.Fatalf("status %s: %v", f.Status, f.Err)
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "%v %+v %#v %s %q %x %v %+v %#v\n", f.Hash, f.Hash, f.Hash, f.Hash, f.Hash, f.Hash, f, f, f)
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	out.Write(b)
	slog.New(slog.NewJSONHandler(&out, nil)).Info("x", "hash", f.Hash, "field", f)
	slog.New(slog.NewTextHandler(&out, nil)).Info("x", "hash", f.Hash, "field", f)
	if strings.Contains(out.String(), "Qz9a") || strings.Contains(out.String(), "saltsalt") {
		t.Errorf("the hash shows in:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "crypt.Hash(sha512crypt)") {
		t.Errorf("the scheme does not show in:\n%s", out.String())
	}
}

func TestWithin(t *testing.T) {
	tests := []struct {
		hash string
		ok   bool
	}{
		{"$6$rounds=1000000$salt$" + strings.Repeat("a", 86), true},
		{"$6$rounds=1000001$salt$" + strings.Repeat("a", 86), false},
		{"$2b$14$" + strings.Repeat("a", 53), true},
		{"$2b$15$" + strings.Repeat("a", 53), false},
		{"$y$j9T$saltsalt$" + strings.Repeat("a", 43), true},
		{"$y$jFT$saltsalt$" + strings.Repeat("a", 43), false},
		{"_zzzzabcdefghijklmnA", false},
		{"abcdefghijklk", true},
	}
	for _, tt := range tests {
		h, err := crypt.ParseHash(tt.hash)
		if err != nil {
			t.Fatalf("%s: %v", tt.hash[:8], err)
		}
		if err := h.Within(crypt.DefaultLimits); (err == nil) != tt.ok || err != nil && !errors.Is(err, crypt.ErrTooCostly) {
			t.Errorf("%s: Within: %v, want ok %v", h, err, tt.ok)
		}
	}
	if (crypt.Hash{}).Within(crypt.Limits{}) != nil {
		t.Error("zero limits refuse")
	}
}

func TestVerifyRefuses(t *testing.T) {
	if _, err := (crypt.Hash{}).Verify("x"); err == nil {
		t.Error("zero Hash verified")
	}
	h, err := crypt.ParseHash("abcdefghijklk")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Verify("a\x00b"); !errors.Is(err, crypt.ErrPassword) {
		t.Errorf("NUL in password: %v", err)
	}
}

// seeds are one hash of each form for the fuzz target, made by the
// tools above of the password "password".
var seeds = []string{
	"$y$j9T$qUHmPjqlErYJYEM6sTimP.$RZpmRn8P3JCIIcHowT8pgTPexJT1o/M.Hvgfs5I23F/",
	"$y$j75$acEXMUfWuMeOrBqdZscxH1$h5uoxFMRD0rdeSL0SnqY7rigbdKulT2we8SBszDAFN5",
	"$6$eEZUacl0xe0oqaEH$KrenKzbdY6vbcbYUdsIlKEEVvnimrvDVh0FiyQlLrsvjqUANEXICJWMRkpwfVPytP5Fmw5oTUkHyQszly4Agq0",
	"$6$rounds=2000$ab$TvQ0PsiqkBIrZ/xTBxeozdkJ4FYpAfOBYX6cslYyq6/iBbtGu/kg8VLcnF2PtYqbpENEE4xR1JCGDbVivBWCh1",
	"$5$lRNlS7yb7Na.gl.S$9w3SeSzOdbPAx8VsXzjA20WdyWNmpJOofKZVjFp7rZ9",
	"$5$$mKQo8jxnSGdiQXLLbG6q6DWxJBvvxqZ7fk8JqDxTCx5",
	"$1$dpKIY.FC$ZERd7VCqbugkDvomxR2/7/",
	"$2b$05$Rawxxv8zbd/6mOsH6fpWk.dutNU8p97PEgPkUU3MRs7g59OvSxvbq",
	"$2y$05$abcdefghijklmnopqrstuuZVEMa1pjhlynBQ1qXmSvGBJpN9h1w8G",
	"QmlJf/MFHwpVM",
	"_J9..ZZNezjJX0/gTWLs",
	"!$6$eEZUacl0xe0oqaEH$x", "", "!", "!!", "*", "$7$x$y", "$gy$a$b$c", "$argon2id$v=19$m=1,t=1,p=1$a$b",
}

// FuzzParseField: parsing never panics; a parsed hash has the scheme its
// prefix names, and a cheap one verifies without a panic.
func FuzzParseField(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, field string) {
		fd := crypt.ParseField(field)
		switch fd.Status {
		case crypt.StatusHash, crypt.StatusLocked:
			if fd.Status == crypt.StatusHash && fd.Hash.IsZero() {
				t.Fatalf("status %s without a hash", fd.Status)
			}
		case crypt.StatusUnknown, crypt.StatusInvalid:
			if fd.Err == nil || fd.Scheme == "" {
				t.Fatalf("status %s without an error or scheme", fd.Status)
			}
		case crypt.StatusEmpty, crypt.StatusDisabled:
		default:
			t.Fatalf("status %q", fd.Status)
		}
		h, err := crypt.ParseHash(field)
		if err != nil {
			if !errors.Is(err, crypt.ErrMalformed) && !errors.Is(err, crypt.ErrUnknownScheme) && !errors.Is(err, crypt.ErrUnsupported) {
				t.Fatalf("error of no known kind: %v", err)
			}
			if strings.Contains(err.Error(), field) && len(field) > 16 {
				t.Fatalf("the error quotes the hash: %v", err)
			}
			return
		}
		if got := crypt.ParseField(field); got.Hash.Scheme() != h.Scheme() {
			t.Fatalf("ParseField says %s, ParseHash %s", got.Hash.Scheme(), h.Scheme())
		}
		c := h.Cost()
		if c.Rounds > 5000 || c.Memory > 4<<20 {
			return // too slow for a fuzz iteration
		}
		if _, err := h.Verify("password"); err != nil && !errors.Is(err, crypt.ErrUnsupported) {
			t.Fatalf("Verify: %v", err)
		}
	})
}

// BenchmarkVerify measures one verification per scheme at the cost the
// system's tools use by default.
func BenchmarkVerify(b *testing.B) {
	for _, m := range []struct {
		scheme crypt.Scheme
		method string
	}{
		{crypt.Yescrypt, "yescrypt"},
		{crypt.SHA512, "sha512crypt"},
		{crypt.SHA256, "sha256crypt"},
		{crypt.MD5, "md5crypt"},
		{crypt.Bcrypt, "bcrypt"},
		{crypt.DES, "descrypt"},
		{crypt.BSDi, "bsdicrypt"},
	} {
		b.Run(string(m.scheme), func(b *testing.B) {
			h, err := crypt.ParseHash(mkpasswd(b, "correct horse", "-m", m.method))
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if ok, err := h.Verify("wrong horse"); ok || err != nil {
					b.Fatal(ok, err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "hashes/s")
		})
	}
}

// schemePrefixes start the inputs of FuzzParseScheme, one per scheme's
// parser, so that each is fuzzed past its prefix.
var schemePrefixes = []string{"$y$", "$y$j9T$", "$6$", "$6$rounds=", "$5$", "$5$rounds=", "$1$", "$2b$", "$2y$", "$2a$12$", "_", ""}

// FuzzParseScheme fuzzes each scheme's parser: the first byte picks the
// prefix, the rest follows it. A hash that parses has that scheme and
// verifies without a panic when cheap.
func FuzzParseScheme(f *testing.F) {
	for i := range schemePrefixes {
		for _, s := range seeds {
			f.Add(byte(i), strings.TrimPrefix(s, schemePrefixes[i]))
		}
	}
	f.Fuzz(func(t *testing.T, pick byte, tail string) {
		prefix := schemePrefixes[int(pick)%len(schemePrefixes)]
		h, err := crypt.ParseHash(prefix + tail)
		if err != nil {
			if !errors.Is(err, crypt.ErrMalformed) && !errors.Is(err, crypt.ErrUnknownScheme) && !errors.Is(err, crypt.ErrUnsupported) {
				t.Fatalf("error of no known kind: %v", err)
			}
			return
		}
		want := map[string]crypt.Scheme{"$y": crypt.Yescrypt, "$6": crypt.SHA512, "$5": crypt.SHA256, "$1": crypt.MD5, "$2": crypt.Bcrypt, "_": crypt.BSDi}
		if s, ok := want[prefix[:min(2, len(prefix))]]; ok && h.Scheme() != s {
			t.Fatalf("prefix %q parsed as %s", prefix, h.Scheme())
		}
		if c := h.Cost(); c.Rounds <= 5000 && c.Memory <= 4<<20 {
			if _, err := h.Verify(tail); err != nil && !errors.Is(err, crypt.ErrUnsupported) && !errors.Is(err, crypt.ErrPassword) {
				t.Fatalf("Verify: %v", err)
			}
		}
	})
}
