//go:build !linux

package cpuhog

import (
	"errors"
	"fmt"
	"io/fs"
)

// errNoProc says that this system has no Linux proc filesystem.
var errNoProc = errors.New("cpuhog reads the Linux proc filesystem")

// procDir stands for the Linux proc directory elsewhere.
type procDir struct{}

func openProcDir(p string) (procDir, error) {
	return procDir{}, fmt.Errorf("open %s: %w", p, errNoProc)
}

func (procDir) close() {}

func (procDir) list(_ []byte, pids []int) ([]int, error) { return pids, errNoProc }

func (procDir) readStat(int, []byte, []byte) (int, error) { return 0, errNoProc }

func gone(err error) bool { return errors.Is(err, fs.ErrNotExist) }
