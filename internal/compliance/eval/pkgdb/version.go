package pkgdb

import (
	"strconv"
	"strings"
)

// CompareDebian compares two Debian versions ([epoch:]upstream[-revision])
// as dpkg --compare-versions does: <0, 0 or >0.
func CompareDebian(a, b string) int {
	ea, ua, ra := splitDebian(a)
	eb, ub, rb := splitDebian(b)
	if c := compareNumText(ea, eb); c != 0 {
		return c
	}
	if c := verrevcmp(ua, ub); c != 0 {
		return c
	}
	return verrevcmp(ra, rb)
}

func splitDebian(v string) (epoch, upstream, revision string) {
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, ':'); i >= 0 {
		epoch, v = v[:i], v[i+1:]
	}
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		return epoch, v[:i], v[i+1:]
	}
	return epoch, v, ""
}

// compareNumText compares two runs of digits as numbers of any length.
func compareNumText(a, b string) int {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

// debOrder is dpkg's order of a character in a non-digit run: ~ first,
// then the end of the string, letters, and the other characters.
func debOrder(s string, i int) int {
	if i >= len(s) {
		return 0
	}
	c := s[i]
	switch {
	case isDigit(c):
		return 0
	case isAlpha(c):
		return int(c)
	case c == '~':
		return -1
	}
	return int(c) + 256
}

// verrevcmp is dpkg's comparison of an upstream version or revision.
func verrevcmp(a, b string) int {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for (i < len(a) && !isDigit(a[i])) || (j < len(b) && !isDigit(b[j])) {
			ac, bc := debOrder(a, i), debOrder(b, j)
			if ac != bc {
				return ac - bc
			}
			i++
			j++
		}
		for i < len(a) && a[i] == '0' {
			i++
		}
		for j < len(b) && b[j] == '0' {
			j++
		}
		firstDiff := 0
		for i < len(a) && j < len(b) && isDigit(a[i]) && isDigit(b[j]) {
			if firstDiff == 0 {
				firstDiff = int(a[i]) - int(b[j])
			}
			i++
			j++
		}
		if i < len(a) && isDigit(a[i]) {
			return 1
		}
		if j < len(b) && isDigit(b[j]) {
			return -1
		}
		if firstDiff != 0 {
			return firstDiff
		}
	}
	return 0
}

// CompareRPM compares two RPM versions ([epoch:]version[-release]) as
// rpm does: <0, 0 or >0.
func CompareRPM(a, b string) int {
	ea, va, ra := splitRPM(a)
	eb, vb, rb := splitRPM(b)
	if c := compareNumText(ea, eb); c != 0 {
		return c
	}
	if c := rpmvercmp(va, vb); c != 0 {
		return c
	}
	if ra == "" || rb == "" {
		return 0
	}
	return rpmvercmp(ra, rb)
}

func splitRPM(v string) (epoch, version, release string) {
	v = strings.TrimSpace(v)
	epoch = "0"
	if i := strings.IndexByte(v, ':'); i >= 0 {
		epoch, v = v[:i], v[i+1:]
	}
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		return epoch, v[:i], v[i+1:]
	}
	return epoch, v, ""
}

// rpmvercmp is rpm's segment comparison with ~ (before anything) and
// ^ (after the version, before anything longer).
func rpmvercmp(a, b string) int {
	if a == b {
		return 0
	}
	i, j := 0, 0
	isSep := func(c byte) bool { return !isDigit(c) && !isAlpha(c) && c != '~' && c != '^' }
	for i < len(a) || j < len(b) {
		for i < len(a) && isSep(a[i]) {
			i++
		}
		for j < len(b) && isSep(b[j]) {
			j++
		}
		ai, bj := byte(0), byte(0)
		if i < len(a) {
			ai = a[i]
		}
		if j < len(b) {
			bj = b[j]
		}
		if ai == '~' || bj == '~' {
			if ai != '~' {
				return 1
			}
			if bj != '~' {
				return -1
			}
			i++
			j++
			continue
		}
		if ai == '^' || bj == '^' {
			switch {
			case i >= len(a):
				return -1
			case j >= len(b):
				return 1
			case ai != '^':
				return 1
			case bj != '^':
				return -1
			}
			i++
			j++
			continue
		}
		if i >= len(a) || j >= len(b) {
			break
		}
		si, sj := i, j
		isNum := isDigit(a[i])
		take := isAlpha
		if isNum {
			take = isDigit
		}
		for i < len(a) && take(a[i]) {
			i++
		}
		for j < len(b) && take(b[j]) {
			j++
		}
		if j == sj {
			if isNum {
				return 1
			}
			return -1
		}
		var c int
		if isNum {
			c = compareNumText(a[si:i], b[sj:j])
		} else {
			c = strings.Compare(a[si:i], b[sj:j])
		}
		if c != 0 {
			return sign(c)
		}
	}
	switch {
	case i >= len(a) && j >= len(b):
		return 0
	case i < len(a):
		return 1
	}
	return -1
}

func sign(c int) int {
	switch {
	case c < 0:
		return -1
	case c > 0:
		return 1
	}
	return 0
}

// apkSuffixes orders apk's version suffixes; "" (no suffix) sits
// between rc and cvs.
var apkSuffixes = map[string]int{"alpha": 1, "beta": 2, "pre": 3, "rc": 4, "": 5, "cvs": 6, "svn": 7, "git": 8, "hg": 9, "p": 10}

type apkVersion struct {
	nums     []string
	letter   byte
	suffixes [][2]string // kind, number
	rev      string
}

func parseAPK(v string) apkVersion {
	var out apkVersion
	v = strings.TrimSpace(v)
	if i := strings.LastIndex(v, "-r"); i >= 0 {
		out.rev, v = v[i+2:], v[:i]
	}
	main, rest, _ := strings.Cut(v, "_")
	if n := len(main); n > 0 && isAlpha(main[n-1]) {
		out.letter, main = main[n-1], main[:n-1]
	}
	out.nums = strings.Split(main, ".")
	for rest != "" {
		var s string
		s, rest, _ = strings.Cut(rest, "_")
		k := strings.TrimRightFunc(s, func(r rune) bool { return r >= '0' && r <= '9' })
		out.suffixes = append(out.suffixes, [2]string{k, s[len(k):]})
	}
	return out
}

// CompareAPK compares two Alpine package versions (1.2.3a_rc1-r2).
func CompareAPK(a, b string) int {
	va, vb := parseAPK(a), parseAPK(b)
	for k := 0; k < len(va.nums) || k < len(vb.nums); k++ {
		switch {
		case k >= len(va.nums):
			return -1
		case k >= len(vb.nums):
			return 1
		}
		if c := compareNumText(va.nums[k], vb.nums[k]); c != 0 {
			return sign(c)
		}
	}
	if va.letter != vb.letter {
		return sign(int(va.letter) - int(vb.letter))
	}
	for k := 0; k < len(va.suffixes) || k < len(vb.suffixes); k++ {
		sa, sb := [2]string{}, [2]string{}
		if k < len(va.suffixes) {
			sa = va.suffixes[k]
		}
		if k < len(vb.suffixes) {
			sb = vb.suffixes[k]
		}
		if c := apkSuffixes[sa[0]] - apkSuffixes[sb[0]]; c != 0 {
			return sign(c)
		}
		if c := compareNumText(sa[1], sb[1]); c != 0 {
			return sign(c)
		}
	}
	ra, _ := strconv.Atoi(va.rev)
	rb, _ := strconv.Atoi(vb.rev)
	return sign(ra - rb)
}
