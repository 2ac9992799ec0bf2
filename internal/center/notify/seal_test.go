package notify

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSecretBox(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, KeyFileName)
	box := NewSecretBox(path)

	// Opening creates no key: a missing key must not be replaced silently.
	if _, err := box.Open("a", []byte{sealVersion, 1, 2}); !errors.Is(err, ErrSealKeyMissing) {
		t.Fatalf("Open without a key file: %v", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("Open created the key file: %v", err)
	}

	plain := []byte(`{"secret":"whsec-1"}`)
	sealed, err := box.Seal("ticketing", plain)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Size() != keySize {
		t.Fatalf("key file %v, %v", fi, err)
	}
	if di, err := os.Stat(dir); err != nil || di.Mode().Perm() != 0o700 {
		t.Fatalf("key folder %v, %v", di, err)
	}
	if bytes.Contains(sealed, plain) || bytes.Contains(sealed, []byte("whsec-1")) {
		t.Fatal("the sealed value holds the plaintext")
	}
	again, err := box.Seal("ticketing", plain)
	if err != nil || bytes.Equal(again, sealed) {
		t.Fatalf("two seals of one value are equal (nonce reused?): %v", err)
	}

	// Another box on the same file (a restart, another center with the
	// key copied) opens it.
	got, err := NewSecretBox(path).Open("ticketing", sealed)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("Open = %q, %v", got, err)
	}

	for _, tc := range []struct {
		name   string
		box    *SecretBox
		owner  string
		sealed []byte
		want   string
	}{
		{"another channel", box, "other", sealed, "damaged, or sealed for another channel"},
		{"a flipped bit", box, "ticketing", flip(sealed, len(sealed)-1), "damaged, or sealed for another channel"},
		{"truncated", box, "ticketing", sealed[:10], "too short"},
		{"empty", box, "ticketing", nil, "empty"},
		{"another layout", box, "ticketing", append([]byte{9}, sealed[1:]...), "unknown layout version 9"},
		{"another key", otherBox(t), "ticketing", sealed, "sealed with key "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := tc.box.Open(tc.owner, tc.sealed)
			if err == nil || !strings.Contains(err.Error(), tc.want) || out != nil {
				t.Errorf("Open = %q, %v; want an error with %q", out, err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), "whsec-1") {
				t.Errorf("the error holds the plaintext: %v", err)
			}
		})
	}
}

// otherBox is a box with a key of its own.
func otherBox(t *testing.T) *SecretBox {
	b := NewSecretBox(filepath.Join(t.TempDir(), KeyFileName))
	if _, err := b.Seal("x", nil); err != nil {
		t.Fatal(err)
	}
	return b
}

func flip(b []byte, i int) []byte {
	out := bytes.Clone(b)
	out[i] ^= 1
	return out
}

func TestSecretBoxRefusesBadKeyFiles(t *testing.T) {
	for _, tc := range []struct {
		name    string
		content []byte
		mode    os.FileMode
		want    string
	}{
		{"readable by others", bytes.Repeat([]byte{7}, keySize), 0o644, "lets others read it"},
		{"short", []byte("short"), 0o600, "not 32 bytes"},
		{"long", bytes.Repeat([]byte{7}, keySize+1), 0o600, "not 32 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), KeyFileName)
			if err := os.WriteFile(path, tc.content, tc.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tc.mode); err != nil {
				t.Fatal(err)
			}
			_, err := NewSecretBox(path).Seal("a", []byte("x"))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Seal = %v, want %q", err, tc.want)
			}
			if got, _ := os.ReadFile(path); !bytes.Equal(got, tc.content) {
				t.Error("the key file was replaced")
			}
		})
	}
}

// FuzzSecretBoxOpen opens arbitrary bytes as sealed secrets: never a
// panic, and nothing but what the box sealed for that channel opens.
func FuzzSecretBoxOpen(f *testing.F) {
	path := filepath.Join(f.TempDir(), KeyFileName)
	box := NewSecretBox(path)
	sealed, err := box.Seal("ch", []byte(`{"url":"https://h.example/x"}`))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sealed, "ch")
	f.Add(sealed, "other")
	f.Add([]byte{sealVersion}, "ch")
	f.Add([]byte{}, "")
	f.Add(flip(sealed, 3), "ch")
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		out, err := box.Open(name, data)
		if err != nil {
			if err.Error() == "" || out != nil {
				t.Fatalf("Open failed with %q and %q", err, out)
			}
			return
		}
		if name != "ch" || !bytes.Equal(data, sealed) {
			t.Fatalf("opened %x for %q, which the box did not seal", data, name)
		}
	})
}
