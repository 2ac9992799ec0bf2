package crypt

import (
	"crypto/des"
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// TestDESCore: with no salt, the DES core encrypts as crypto/des does,
// once and iterated, for random keys and blocks.
func TestDESCore(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		key, block := r.Uint64(), r.Uint64()
		var kb, in, want [8]byte
		binary.BigEndian.PutUint64(kb[:], key)
		binary.BigEndian.PutUint64(in[:], block)
		c, err := des.NewCipher(kb[:])
		if err != nil {
			t.Fatal(err)
		}
		ks := desKeySchedule(key)
		count := 1 + r.IntN(30)
		want = in
		for range count {
			c.Encrypt(want[:], want[:])
		}
		if got := ks.encrypt(block, 0, count); got != binary.BigEndian.Uint64(want[:]) {
			t.Fatalf("key %016x block %016x count %d: got %016x, crypto/des %x", key, block, count, got, want)
		}
	}
}

// TestSBoxes: each row of each S-box is a permutation of 0..15, and the
// final permutation undoes the initial one.
func TestSBoxes(t *testing.T) {
	for i, box := range sBoxes {
		for j, row := range box {
			seen := 0
			for _, v := range row {
				seen |= 1 << v
			}
			if seen != 0xffff {
				t.Errorf("S%d row %d is not a permutation", i+1, j)
			}
		}
	}
	for _, v := range []uint64{1, 0x8000000000000000, 0x0123456789abcdef} {
		if got := permute(permute(v, 64, initialPermutation[:]), 64, finalPermutation[:]); got != v {
			t.Errorf("FP(IP(%x)) = %x", v, got)
		}
	}
}

// TestSaltSwap: salt bit i swaps bits i and i+24 of the expansion's
// output (most significant first).
func TestSaltSwap(t *testing.T) {
	for i := range 24 {
		m := saltMask(1 << i)
		e := uint64(1) << (47 - i) // bit i of the left half
		tt := (e>>24 ^ e) & m
		e ^= tt | tt<<24
		if e != uint64(1)<<(23-i) {
			t.Errorf("salt bit %d: %012x", i, e)
		}
	}
}
