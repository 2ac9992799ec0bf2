// Package authkeys parses OpenSSH authorized_keys files (sshd(8),
// "AUTHORIZED_KEYS FILE FORMAT") and computes key fingerprints the way
// ssh-keygen -l prints them ("SHA256:" and the unpadded base64 of the
// SHA-256 of the key blob).
//
// A line is "[options] keytype base64-key [comment]". As in sshd, the line
// is first read as a key; when that fails, the options (up to the first
// blank outside double quotes) are skipped and the rest read as a key.
// Blank lines and lines starting with '#' are skipped; a line that holds
// no key (bad base64, a blob whose embedded type differs from the stated
// one) is skipped and listed in File.Problems.
package authkeys

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"math/big"
	"strings"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/textfile"
)

// Key is one authorized key.
type Key struct {
	// Line is the 1-based line number.
	Line int
	// Options are the key's options as written ("command=\"...\"",
	// "from=\"10.0.0.0/8\"", "no-pty" ...), in order.
	Options []Option
	// Type is the key type as stated ("ssh-ed25519", "ssh-rsa" ...).
	Type string
	// Fingerprint is "SHA256:..." as ssh-keygen -l prints it.
	Fingerprint string
	// Bits is the key size ssh-keygen -l prints (0 when unknown, as for
	// certificates).
	Bits int
	// Comment is the text after the key, trimmed.
	Comment string
}

// Option is one key option.
type Option struct {
	// Name is lower-cased ("command", "from", "no-pty").
	Name string
	// Value is the unquoted value, empty for a flag.
	Value string
	// HasValue is true for name="value" options.
	HasValue bool
}

// String writes the option back in authorized_keys form.
func (o Option) String() string {
	if !o.HasValue {
		return o.Name
	}
	return o.Name + `="` + strings.ReplaceAll(o.Value, `"`, `\"`) + `"`
}

// Option returns the value of the first option called name.
func (k Key) Option(name string) (string, bool) {
	for _, o := range k.Options {
		if o.Name == name {
			return o.Value, true
		}
	}
	return "", false
}

// OptionsText is the options joined by commas, as in the file.
func (k Key) OptionsText() string {
	parts := make([]string, len(k.Options))
	for i, o := range k.Options {
		parts[i] = o.String()
	}
	return strings.Join(parts, ",")
}

// File is a parsed authorized_keys file.
type File struct {
	Keys     []Key
	Problems textfile.Problems
}

// Parse parses authorized_keys data.
func Parse(data []byte) File {
	var f File
	for n, raw := range textfile.Lines(data) {
		line := strings.TrimSpace(strings.TrimSuffix(string(raw), "\r"))
		if line == "" || line[0] == '#' {
			continue
		}
		k, ok := parseKey(line)
		if !ok {
			opts, rest, good := splitOptions(line)
			if !good {
				f.Problems.Skip(n, "bad options")
				continue
			}
			if k, ok = parseKey(strings.TrimLeft(rest, " \t")); !ok {
				f.Problems.Skip(n, "no valid key")
				continue
			}
			k.Options = opts
		}
		k.Line = n
		f.Keys = append(f.Keys, k)
	}
	return f
}

// parseKey reads "type base64 [comment]".
func parseKey(s string) (Key, bool) {
	typ, rest, ok := cutBlank(s)
	if !ok || typ == "" {
		return Key{}, false
	}
	rest = strings.TrimLeft(rest, " \t")
	b64, comment, _ := cutBlank(rest)
	blob, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		if blob, err = base64.RawStdEncoding.DecodeString(b64); err != nil {
			return Key{}, false
		}
	}
	r := reader{b: blob}
	if inner, ok := r.str(); !ok || string(inner) != typ {
		return Key{}, false
	}
	sum := sha256.Sum256(blob)
	return Key{
		Type:        typ,
		Fingerprint: "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:]),
		Bits:        bits(typ, r),
		Comment:     strings.TrimSpace(comment),
	}, true
}

// cutBlank splits s at its first space or tab.
func cutBlank(s string) (before, after string, found bool) {
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return s, "", s != ""
}

// splitOptions splits the options at the start of line from the rest, as
// sshd does (a blank outside double quotes ends them, \" does not end a
// quote), and parses them.
func splitOptions(line string) ([]Option, string, bool) {
	quoted := false
	end := len(line)
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c == '\\' && i+1 < len(line) && line[i+1] == '"' {
			i++
			continue
		}
		if c == '"' {
			quoted = !quoted
			continue
		}
		if !quoted && (c == ' ' || c == '\t') {
			end = i
			break
		}
	}
	if quoted || end == len(line) {
		return nil, "", false
	}
	opts, ok := parseOptions(line[:end])
	return opts, line[end:], ok
}

// parseOptions parses "a,b=\"x,y\",c".
func parseOptions(s string) ([]Option, bool) {
	var out []Option
	for len(s) > 0 {
		i := strings.IndexAny(s, `=,`)
		if i < 0 {
			i = len(s)
		}
		o := Option{Name: strings.ToLower(s[:i])}
		if o.Name == "" {
			return nil, false
		}
		s = s[i:]
		if strings.HasPrefix(s, `="`) {
			o.HasValue = true
			var v strings.Builder
			j := 2
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) && s[j+1] == '"' {
					j++
				}
				v.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, false
			}
			o.Value = v.String()
			s = s[j+1:]
		} else if strings.HasPrefix(s, "=") {
			return nil, false
		}
		out = append(out, o)
		if s == "" {
			break
		}
		if s[0] != ',' || len(s) == 1 {
			return nil, false
		}
		s = s[1:]
	}
	return out, len(out) > 0
}

// reader reads SSH wire-format strings.
type reader struct{ b []byte }

func (r *reader) str() ([]byte, bool) {
	if len(r.b) < 4 {
		return nil, false
	}
	n := binary.BigEndian.Uint32(r.b)
	if uint64(n) > uint64(len(r.b)-4) {
		return nil, false
	}
	s := r.b[4 : 4+n]
	r.b = r.b[4+n:]
	return s, true
}

// bits returns the key size ssh-keygen reports, reading the rest of the
// blob after its type.
func bits(typ string, r reader) int {
	switch typ {
	case "ssh-ed25519", "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com", "ecdsa-sha2-nistp256":
		return 256
	case "ecdsa-sha2-nistp384":
		return 384
	case "ecdsa-sha2-nistp521":
		return 521
	case "ssh-ed448":
		return 456
	case "ssh-rsa":
		if _, ok := r.str(); !ok { // e
			return 0
		}
		n, ok := r.str()
		if !ok {
			return 0
		}
		return new(big.Int).SetBytes(n).BitLen()
	case "ssh-dss":
		p, ok := r.str()
		if !ok {
			return 0
		}
		return new(big.Int).SetBytes(p).BitLen()
	}
	return 0
}
