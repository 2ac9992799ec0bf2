package procparse

import (
	"strconv"
	"strings"
)

// TTYName names the terminal with device number nr (field tty_nr of
// /proc/PID/stat) as below /dev: "pts/3", "tty1", "ttyS0", "console".
// It returns "" for 0 (no terminal) and for devices it does not know.
func TTYName(nr uint32) string {
	if nr == 0 {
		return ""
	}
	major := (nr >> 8) & 0xfff
	minor := (nr & 0xff) | ((nr >> 12) & 0xfff00)
	switch {
	case major >= 136 && major <= 143:
		return "pts/" + strconv.FormatUint(uint64((major-136)*256+minor), 10)
	case major == 4 && minor < 64:
		return "tty" + strconv.FormatUint(uint64(minor), 10)
	case major == 4:
		return "ttyS" + strconv.FormatUint(uint64(minor-64), 10)
	case major == 5 && minor == 1:
		return "console"
	case major == 5 && minor == 0:
		return "tty"
	}
	return ""
}

// KernelTTYName turns the kernel's name of a terminal (tty_struct.name:
// "pts3", "tty1", "ttyS0") into its name below /dev ("pts/3").
func KernelTTYName(name string) string {
	if rest, ok := strings.CutPrefix(name, "pts"); ok && rest != "" && isDigits(rest) {
		return "pts/" + rest
	}
	return name
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
