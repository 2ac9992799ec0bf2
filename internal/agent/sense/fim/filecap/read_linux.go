package filecap

import (
	"errors"
	"fmt"
	"strconv"

	"golang.org/x/sys/unix"
)

// Read returns the capabilities of the file at path (not following a
// symlink). A file without the attribute, or on a filesystem without
// extended attributes, has the zero Set; a value that cannot be parsed is
// an error wrapping ErrMalformed.
func Read(path string) (Set, error) {
	var buf [MaxSize + 1]byte
	n, err := unix.Lgetxattr(path, Attribute, buf[:])
	return decode(path, buf[:], n, err)
}

// ReadFD is Read for an open file.
func ReadFD(fd int) (Set, error) {
	var buf [MaxSize + 1]byte
	n, err := unix.Fgetxattr(fd, Attribute, buf[:])
	return decode("fd "+strconv.Itoa(fd), buf[:], n, err)
}

// decode interprets what getxattr returned for the file named by where.
func decode(where string, buf []byte, n int, err error) (Set, error) {
	switch {
	case errors.Is(err, unix.ENODATA), errors.Is(err, unix.EOPNOTSUPP):
		return Set{}, nil
	case errors.Is(err, unix.ERANGE):
		return Set{}, fmt.Errorf("%s: %w: larger than %d bytes", where, ErrMalformed, MaxSize)
	case err != nil:
		return Set{}, fmt.Errorf("%s: read %s: %w", where, Attribute, err)
	}
	s, err := Parse(buf[:n])
	if err != nil {
		return Set{}, fmt.Errorf("%s: %w", where, err)
	}
	return s, nil
}
