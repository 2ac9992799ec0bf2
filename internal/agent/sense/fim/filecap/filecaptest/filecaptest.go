//go:build linux

// Package filecaptest writes file capabilities for tests, as setcap and
// setcap -r do, from the attribute's bytes.
package filecaptest

import (
	"encoding/hex"
	"errors"
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/agent/sense/fim/filecap"
)

// Write sets the security.capability attribute of the file at path to
// the bytes written in hex (as the kernel stores them), or removes it
// when xattr is "". It skips the test where the filesystem keeps no file
// capabilities, or where this process may not write them (not root),
// which fails the test under VIGIL_REQUIRE_KERNEL=1.
func Write(t testing.TB, path, xattr string) {
	t.Helper()
	var err error
	if xattr == "" {
		err = unix.Removexattr(path, filecap.Attribute)
	} else {
		b, derr := hex.DecodeString(xattr)
		if derr != nil {
			t.Fatalf("capabilities %q: %v", xattr, derr)
		}
		err = unix.Setxattr(path, filecap.Attribute, b, 0)
	}
	switch {
	case errors.Is(err, unix.EOPNOTSUPP):
		t.Skipf("the filesystem of %s keeps no file capabilities", path)
	case errors.Is(err, unix.EPERM) && os.Geteuid() != 0:
		if os.Getenv("VIGIL_REQUIRE_KERNEL") == "1" {
			t.Fatal("VIGIL_REQUIRE_KERNEL=1 but writing file capabilities needs root")
		}
		t.Skip("writing file capabilities needs root")
	case err != nil:
		t.Fatalf("%s: %v", path, err)
	}
}
