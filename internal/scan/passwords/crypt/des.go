package crypt

// The two DES-based crypt(3) schemes, written from the algorithm's
// specification:
//
//   - descrypt, the traditional Unix scheme: the first eight characters
//     of the password, seven bits each, are the DES key; the zero block
//     is encrypted 25 times in a row with a DES whose expansion (E) is
//     perturbed by a 12-bit salt: where salt bit i is set, bits i and
//     i+24 of E's 48-bit output are swapped. The hash is the two salt
//     characters and the 64-bit result in 11 characters of crypt's
//     base 64, most significant bits first.
//   - bsdicrypt, BSDi's extended form: "_", a 24-bit iteration count and
//     a 24-bit salt (four characters each, least significant first), then
//     the result as above. Every character of the password counts: after
//     the first eight make a key, that key encrypts itself once and the
//     next eight characters are XORed into it, until none is left.

// cryptAlphabet is crypt's base 64: '.' is 0, 'z' is 63.
const cryptAlphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// Fixed parameters of descrypt.
const (
	desIterations = 25
	desSaltLen    = 2
	desHashLen    = 11
	// desLen is the length of a descrypt hash, bsdiLen of a bsdicrypt
	// one.
	desLen  = desSaltLen + desHashLen
	bsdiLen = 1 + 4 + 4 + desHashLen
)

// alphabetValue returns the value of a character of crypt's base 64, or
// -1.
func alphabetValue(c byte) int {
	switch {
	case c == '.' || c == '/':
		return int(c - '.')
	case c >= '0' && c <= '9':
		return int(c-'0') + 2
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 12
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 38
	}
	return -1
}

// inAlphabet reports whether s uses crypt's base 64 only.
func inAlphabet(s string) bool {
	for i := 0; i < len(s); i++ {
		if alphabetValue(s[i]) < 0 {
			return false
		}
	}
	return true
}

// littleEndian64 decodes up to four characters of crypt's base 64, the
// first being the least significant six bits. The characters must be in
// the alphabet.
func littleEndian64(s string) uint32 {
	var v uint32
	for i := len(s) - 1; i >= 0; i-- {
		v = v<<6 | uint32(alphabetValue(s[i]))
	}
	return v
}

// Tables derived from des_tables.go once.
var (
	finalPermutation [64]uint8
	// spBoxes[i][x] is S-box i applied to the six bits x, placed in the
	// 32-bit output and permuted by P: a round's function is the OR of
	// the eight.
	spBoxes [8][64]uint32
)

func init() {
	for i, b := range initialPermutation {
		finalPermutation[b-1] = uint8(i + 1)
	}
	for box := range 8 {
		for x := range 64 {
			row := x>>4&2 | x&1
			col := x >> 1 & 15
			s := uint64(sBoxes[box][row][col]) << (28 - 4*box)
			spBoxes[box][x] = uint32(permute(s, 32, permutation[:]))
		}
	}
}

// permute returns the bits of in (inBits wide) picked by table, whose
// entries number in's bits from 1 at the most significant end.
func permute(in uint64, inBits int, table []uint8) uint64 {
	var out uint64
	for _, b := range table {
		out = out<<1 | in>>(inBits-int(b))&1
	}
	return out
}

// desKeys are the 16 round subkeys, 48 bits each.
type desKeys [16]uint64

// desKeySchedule derives the subkeys from a 64-bit key (its parity bits,
// the least significant of each byte, are ignored).
func desKeySchedule(key uint64) desKeys {
	var ks desKeys
	cd := permute(key, 64, permutedChoice1[:])
	const mask28 = 1<<28 - 1
	c, d := uint32(cd>>28)&mask28, uint32(cd)&mask28
	for i, s := range keyShifts {
		c = (c<<s | c>>(28-s)) & mask28
		d = (d<<s | d>>(28-s)) & mask28
		ks[i] = permute(uint64(c)<<28|uint64(d), 56, permutedChoice2[:])
	}
	return ks
}

// expand is DES's expansion E: 32 bits to 48, each group of six bits
// being four bits of r and the bit on either side, wrapping around.
func expand(r uint32) uint64 {
	// x is r with its last bit before it and its first bit after it:
	// 34 bits, group j being bits 4j+1 to 4j+6 (from the most
	// significant end).
	x := uint64(r&1)<<33 | uint64(r)<<1 | uint64(r>>31)
	var e uint64
	for j := range 8 {
		e = e<<6 | x>>(28-4*j)&63
	}
	return e
}

// saltMask turns a salt of up to 24 bits into the mask of the expansion
// bits it swaps: salt bit i (least significant first) swaps E's output
// bits i and i+24 (most significant first), so it sets bit 23-i of the
// 24-bit mask applied to either half.
func saltMask(salt uint32) uint64 {
	var m uint64
	for i := range 24 {
		if salt>>i&1 != 0 {
			m |= 1 << (23 - i)
		}
	}
	return m
}

// rounds runs count DES encryptions in a row on the halves l and r of a
// block after the initial permutation, with the salted expansion, and
// returns the halves to give to the final permutation (R16, L16). Between
// two encryptions the final and initial permutations cancel out.
func (ks *desKeys) rounds(l, r uint32, mask uint64, count int) (uint32, uint32) {
	for ; count > 0; count-- {
		for i := range ks {
			e := expand(r)
			t := (e>>24 ^ e) & mask
			e ^= t | t<<24
			e ^= ks[i]
			f := spBoxes[0][e>>42&63] | spBoxes[1][e>>36&63] | spBoxes[2][e>>30&63] | spBoxes[3][e>>24&63] |
				spBoxes[4][e>>18&63] | spBoxes[5][e>>12&63] | spBoxes[6][e>>6&63] | spBoxes[7][e&63]
			l, r = r, l^f
		}
		l, r = r, l
	}
	return l, r
}

// encrypt encrypts block count times in a row with the salted DES.
func (ks *desKeys) encrypt(block uint64, salt uint32, count int) uint64 {
	v := permute(block, 64, initialPermutation[:])
	l, r := ks.rounds(uint32(v>>32), uint32(v), saltMask(salt), count)
	return permute(uint64(l)<<32|uint64(r), 64, finalPermutation[:])
}

// desKey makes a DES key of the first eight bytes of pw (zeros past its
// end), each shifted left by one: the top bit of each character is
// lost, the parity bit is zero.
func desKey(pw string) uint64 {
	var k uint64
	for i := range 8 {
		var c byte
		if i < len(pw) {
			c = pw[i]
		}
		k = k<<8 | uint64(c<<1)
	}
	return k
}

// encode64 writes the 64-bit result as 11 characters of crypt's base 64,
// most significant bits first, the last character padded with two zero
// bits.
func encode64(dst []byte, v uint64) []byte {
	for i := range desHashLen {
		shift := 58 - 6*i
		var c uint64
		if shift >= 0 {
			c = v >> shift & 63
		} else {
			c = v << -shift & 63
		}
		dst = append(dst, cryptAlphabet[c])
	}
	return dst
}

// desCrypt computes the traditional DES hash of pw with the two salt
// characters of setting, which must be in crypt's alphabet.
func desCrypt(pw, setting string) string {
	salt := littleEndian64(setting[:desSaltLen])
	ks := desKeySchedule(desKey(pw))
	out := make([]byte, 0, desLen)
	out = append(out, setting[:desSaltLen]...)
	return string(encode64(out, ks.encrypt(0, salt, desIterations)))
}

// bsdiCount returns the count of encryptions of a bsdicrypt setting:
// libxcrypt runs one for a count of zero.
func bsdiCount(setting string) int {
	return max(1, int(littleEndian64(setting[1:5])))
}

// bsdiCrypt computes the BSDi extended DES hash of pw with the count and
// salt of setting ("_" and eight characters of crypt's alphabet).
func bsdiCrypt(pw, setting string) string {
	count := bsdiCount(setting)
	salt := littleEndian64(setting[5:9])
	key := desKey(pw)
	ks := desKeySchedule(key)
	for rest := pw[min(8, len(pw)):]; rest != ""; rest = rest[min(8, len(rest)):] {
		key = ks.encrypt(key, 0, 1)
		key ^= desKey(rest)
		ks = desKeySchedule(key)
	}
	out := make([]byte, 0, bsdiLen)
	out = append(out, setting[:9]...)
	return string(encode64(out, ks.encrypt(0, salt, count)))
}
