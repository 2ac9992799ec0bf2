package filecap

import (
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// needRoot skips (or fails under VIGIL_REQUIRE_KERNEL=1) where the test
// cannot write file capabilities.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("VIGIL_REQUIRE_KERNEL") == "1" {
		t.Fatal("writing file capabilities needs root")
	}
	t.Skip("writing file capabilities needs root")
}

// capFile returns a new file without capabilities, on a filesystem that
// keeps them (the test is skipped where it does not).
func capFile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "bin")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Setxattr(p, Attribute, (Set{Permitted: 1}).Bytes(), 0); errors.Is(err, unix.EOPNOTSUPP) {
		t.Skipf("%s keeps no file capabilities", filepath.Dir(p))
	} else if err != nil {
		t.Fatal(err)
	}
	if err := unix.Removexattr(p, Attribute); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRead: capabilities the kernel took are read back, by path and from
// an open file; a file without them has none.
func TestRead(t *testing.T) {
	needRoot(t)
	p := capFile(t)
	if s, err := Read(p); err != nil || !s.IsZero() {
		t.Fatalf("Read of a file without capabilities = %+v, %v", s, err)
	}
	for _, tt := range known {
		b, _ := hex.DecodeString(tt.xattr)
		if tt.set.IsZero() || b[3] == 1 || b[1]|b[2] != 0 {
			// The kernel takes neither revision 1 nor header bits other
			// than the revision and the effective flag any more, and
			// writes no empty sets.
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			if err := unix.Setxattr(p, Attribute, b, 0); err != nil {
				t.Fatal(err)
			}
			if s, err := Read(p); err != nil || s != tt.set {
				t.Errorf("Read = %+v, %v; want %+v", s, err, tt.set)
			}
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if s, err := ReadFD(int(f.Fd())); err != nil || s != tt.set {
				t.Errorf("ReadFD = %+v, %v; want %+v", s, err, tt.set)
			}
		})
	}
	if _, err := Read(filepath.Join(filepath.Dir(p), "missing")); !errors.Is(err, unix.ENOENT) {
		t.Errorf("Read of a missing file: %v, want ENOENT", err)
	}
}

// TestStringMatchesGetcap: where getcap is installed, the text is what it
// prints, for the known values and for random ones.
func TestStringMatchesGetcap(t *testing.T) {
	needRoot(t)
	getcap, err := exec.LookPath("getcap")
	if err != nil {
		t.Skip("getcap (libcap2-bin) is not installed")
	}
	if last, err := os.ReadFile("/proc/sys/kernel/cap_last_cap"); err != nil || strings.TrimSpace(string(last)) != "40" {
		t.Skip("getcap groups by the capabilities the running kernel knows: this kernel's are not Linux 5.9's to 6's")
	}
	p := capFile(t)
	sets := []Set{}
	for _, tt := range known {
		if !tt.set.IsZero() {
			sets = append(sets, tt.set)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		// Sparse sets and dense ones, so that either state is the base.
		s := Set{Permitted: rng.Uint64() & rng.Uint64(), Inheritable: rng.Uint64() & rng.Uint64() & rng.Uint64(), Effective: rng.IntN(2) == 0}
		if rng.IntN(3) == 0 {
			s.Permitted = ^s.Permitted & all
		}
		if !s.IsZero() {
			sets = append(sets, s)
		}
	}
	for _, s := range sets {
		if err := unix.Setxattr(p, Attribute, s.Bytes(), 0); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(getcap, p).Output()
		if err != nil {
			t.Fatal(err)
		}
		want := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(out)), p))
		if got := s.String(); got != want {
			t.Errorf("%+v: String = %q, getcap prints %q", s, got, want)
		}
	}
}

// BenchmarkRead measures what a scan pays per regular file it reads:
// one getxattr, for a file without capabilities (most) and with.
func BenchmarkRead(b *testing.B) {
	p := filepath.Join(b.TempDir(), "bin")
	if err := os.WriteFile(p, nil, 0o755); err != nil {
		b.Fatal(err)
	}
	b.Run("none", func(b *testing.B) {
		for b.Loop() {
			if _, err := Read(p); err != nil {
				b.Fatal(err)
			}
		}
	})
	if err := unix.Setxattr(p, Attribute, (Set{Permitted: 1 << 13, Effective: true}).Bytes(), 0); err != nil {
		b.Skipf("no file capabilities here: %v", err)
	}
	b.Run("set", func(b *testing.B) {
		for b.Loop() {
			if s, err := Read(p); err != nil || s.IsZero() {
				b.Fatal(s, err)
			}
		}
	})
}

// BenchmarkString measures the text of a set, made for each event of a
// file that has capabilities.
func BenchmarkString(b *testing.B) {
	s := Set{Permitted: 1<<7 | 1<<13, Effective: true}
	b.ReportAllocs()
	for b.Loop() {
		_ = s.String()
	}
}
