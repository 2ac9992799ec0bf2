package server

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/nats-io/nkeys"

	"github.com/vigilsec/vigil/internal/pki/securefile"
)

// keySet holds the long-lived NKEYs of the bus: they sign every JWT, so
// they are kept in Config.Dir and reused on every start.
type keySet struct {
	operator key
	sys      key
	vigil    key
	// signing is the VIGIL account's signing key: user JWTs are signed with
	// it, never with the account identity key.
	signing key
}

// key is a key pair and its public key.
type key struct {
	kp  nkeys.KeyPair
	pub string
}

// loadKeys reads the keys from dir, creating each missing one.
func loadKeys(dir string) (*keySet, error) {
	if err := securefile.EnsureDir(dir); err != nil {
		return nil, fmt.Errorf("bus keys: %w", err)
	}
	var ks keySet
	for _, k := range []struct {
		file   string
		prefix nkeys.PrefixByte
		dst    *key
	}{
		{"operator.nk", nkeys.PrefixByteOperator, &ks.operator},
		{"account-sys.nk", nkeys.PrefixByteAccount, &ks.sys},
		{"account-vigil.nk", nkeys.PrefixByteAccount, &ks.vigil},
		{"account-vigil-signing.nk", nkeys.PrefixByteAccount, &ks.signing},
	} {
		kp, err := loadKey(filepath.Join(dir, k.file), k.prefix)
		if err != nil {
			return nil, err
		}
		pub, err := kp.PublicKey()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k.file, err)
		}
		*k.dst = key{kp: kp, pub: pub}
	}
	return &ks, nil
}

// loadKey reads an NKEY seed of the given kind from path or creates one.
func loadKey(path string, prefix nkeys.PrefixByte) (nkeys.KeyPair, error) {
	seed, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		kp, err := nkeys.CreatePair(prefix)
		if err != nil {
			return nil, fmt.Errorf("create %s key: %w", prefix, err)
		}
		seed, err := kp.Seed()
		if err != nil {
			return nil, fmt.Errorf("create %s key: %w", prefix, err)
		}
		if err := securefile.Write(path, seed, 0o600); err != nil {
			return nil, fmt.Errorf("save %s key: %w", prefix, err)
		}
		return kp, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s key: %w", prefix, err)
	}
	kp, err := nkeys.FromSeed(seed)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	pub, err := kp.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if !nkeys.IsValidPublicKey(pub) || nkeys.Prefix(pub) != prefix {
		return nil, fmt.Errorf("%s: holds a %s key, want %s", path, nkeys.Prefix(pub), prefix)
	}
	return kp, nil
}
