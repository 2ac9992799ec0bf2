// Package words holds the password dictionaries of the weak-password
// checks: a built-in list of about a thousand passwords people really use
// on servers (common weak passwords, vendor and product defaults,
// keyboard walks, years and seasons with digits, "P@ssw0rd"-style
// substitutions, the favourites of Chinese-speaking administrators:
// pinyin with digits, "1qaz2wsx", "Huawei@123"), candidates derived from
// an account's name and the host's name, and lists an operator supplies.
//
// Lists keep their order, most likely first: a check that stops at the
// first match, or runs out of time, tries the likely ones first. It
// imports only the standard library, so that any probe can use it.
package words

import (
	"bufio"
	"bytes"
	_ "embed" // the built-in list
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

//go:embed builtin.txt
var builtinText string

// builtin is the parsed built-in list, shared: Builtin hands out copies.
var builtin = sync.OnceValue(func() []string {
	words, _, err := Parse([]byte(builtinText))
	if err != nil {
		panic("words: the built-in list does not parse: " + err.Error())
	}
	return words
})

// Builtin returns the built-in list, most common first. The caller owns
// the slice.
func Builtin() []string { return slices.Clone(builtin()) }

// Derived returns the candidates people derive from an account's name
// and the host's name: the name itself, with digits and symbols
// appended, capitalised, reversed, doubled; the host's short name
// likewise, and the two combined. Either may be empty.
func Derived(user, host string) []string {
	var out []string
	if user != "" {
		u, c := user, capitalize(user)
		out = append(out,
			u, u+"123", u+"@123", c+"@123", c+"123", u+"1234", u+"123456", u+"1", u+"!", c, c+"123!",
			u+"12345", u+"@1234", c+"@1234", c+"1234", u+"#123", c+"#123", u+"123!", c+"!", u+"!@#",
			u+"123!@#", c+"@123456", u+"@123456", u+"888", u+"666", strings.ToUpper(u), reverse(u), u+u,
			"123"+u, u+"pwd", u+"pass", u+"_123", u+".123",
		)
	}
	if h, _, _ := strings.Cut(host, "."); h != "" && h != user {
		c := capitalize(h)
		out = append(out, h, h+"123", h+"@123", c+"@123", c+"123", h+"1234", h+"!", c+"!")
		if user != "" {
			out = append(out, user+"@"+h, user+h, h+user, h+"@"+user)
		}
	}
	return Dedupe(out)
}

// Candidates returns the words to try for an account: those derived
// from its name and the host's (Derived), then the built-in list, then
// the extra lists, each word once, in that order.
func Candidates(user, host string, extra ...[]string) []string {
	return Dedupe(append([][]string{Derived(user, host), builtin()}, extra...)...)
}

// Dedupe concatenates lists, keeping the first of equal words, and
// leaves out words Valid refuses.
func Dedupe(lists ...[]string) []string {
	n := 0
	for _, l := range lists {
		n += len(l)
	}
	seen := make(map[string]bool, n)
	out := make([]string, 0, n)
	for _, l := range lists {
		for _, w := range l {
			if seen[w] || Valid(w) != nil {
				continue
			}
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

// Limits of a word list.
const (
	// MaxListBytes bounds one list file.
	MaxListBytes = 4 << 20
	// MaxWords bounds the words of one list.
	MaxWords = 100_000
	// MaxWordBytes bounds one word: longer lines are skipped.
	MaxWordBytes = 128
)

// Errors of Parse, Read and ReadFile.
var (
	// ErrTooLarge: a list over MaxListBytes or MaxWords.
	ErrTooLarge = errors.New("word list too large")
	// ErrTooLong: a word over MaxWordBytes.
	ErrTooLong = errors.New("word too long")
	// ErrInvalidWord: an empty word, or one with a NUL, a carriage
	// return or a newline (crypt(3) cannot take NUL; the others cannot
	// be typed at a password prompt).
	ErrInvalidWord = errors.New("invalid word")
)

// Valid returns nil when w can be a password to try: not empty, at most
// MaxWordBytes, without NUL, carriage return or newline.
func Valid(w string) error {
	switch {
	case w == "" || strings.ContainsAny(w, "\x00\r\n"):
		return ErrInvalidWord
	case len(w) > MaxWordBytes:
		return ErrTooLong
	}
	return nil
}

// ListStats counts what parsing a list left out.
type ListStats struct {
	// Lines is the number of lines read, blank ones included.
	Lines int
	// Duplicates counts words already in the list.
	Duplicates int
	// TooLong counts lines longer than MaxWordBytes.
	TooLong int
	// Invalid counts lines holding a NUL.
	Invalid int
}

// Parse reads a list: one word per line, taken as it is (spaces kept)
// but for a trailing carriage return; blank lines are skipped, and so
// are repeated words (the first is kept) and lines that Valid refuses,
// which ListStats counts. A list over MaxListBytes or MaxWords is
// refused whole (ErrTooLarge).
func Parse(data []byte) ([]string, ListStats, error) {
	var st ListStats
	if len(data) > MaxListBytes {
		return nil, st, fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(data), MaxListBytes)
	}
	seen := map[string]bool{}
	var out []string
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		st.Lines++
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			continue
		}
		w := string(line)
		switch err := Valid(w); {
		case errors.Is(err, ErrTooLong):
			st.TooLong++
			continue
		case err != nil:
			st.Invalid++
			continue
		case seen[w]:
			st.Duplicates++
			continue
		}
		if len(out) == MaxWords {
			return nil, st, fmt.Errorf("%w: more than %d words", ErrTooLarge, MaxWords)
		}
		seen[w] = true
		out = append(out, w)
	}
	return out, st, nil
}

// Read reads a list from r (see Parse), refusing more than MaxListBytes.
func Read(r io.Reader) ([]string, ListStats, error) {
	data, err := io.ReadAll(io.LimitReader(bufio.NewReader(r), MaxListBytes+1))
	if err != nil {
		return nil, ListStats{}, fmt.Errorf("read word list: %w", err)
	}
	return Parse(data)
}

// ReadFile reads the list in file path (see Parse).
func ReadFile(path string) ([]string, ListStats, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, ListStats{}, fmt.Errorf("word list: %w", err)
	}
	defer f.Close()
	words, st, err := Read(f)
	if err != nil {
		return nil, st, fmt.Errorf("word list %s: %w", path, err)
	}
	return words, st, nil
}

// capitalize upper-cases the first letter of s.
func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// reverse reverses the characters of s.
func reverse(s string) string {
	r := []rune(s)
	slices.Reverse(r)
	return string(r)
}
