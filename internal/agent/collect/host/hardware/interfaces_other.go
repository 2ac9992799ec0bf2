//go:build !linux

package hardware

import "errors"

// hostInterfaces is implemented with netlink on Linux only.
func hostInterfaces(string) ([]Interface, error) {
	return nil, errors.New("listing interfaces needs Linux netlink")
}
