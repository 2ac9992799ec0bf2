package sqlite

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// fileMode is the mode of the database and its -wal and -shm files: they
// hold password hashes and token hashes.
const fileMode = 0o600

// restrictFiles creates the database file with fileMode when absent and
// takes group and other permissions away from it and from its WAL and
// shared-memory files (SQLite gives those the database file's mode).
func restrictFiles(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, fileMode)
	if err != nil {
		return fmt.Errorf("sqlite: create %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("sqlite: create %s: %w", path, err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("sqlite: %w", err)
		}
		if fi.Mode().Perm()&^fileMode != 0 {
			if err := os.Chmod(p, fi.Mode().Perm()&fileMode); err != nil {
				return fmt.Errorf("sqlite: restrict %s: %w", p, err)
			}
		}
	}
	return nil
}
