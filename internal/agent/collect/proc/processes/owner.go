package processes

import "github.com/vigilsec/vigil/internal/agent/collect/internal/pkgowner"

// PackageOf names the OS package that owns the file at host path p on the
// host whose root is root, as this collector's items name it: the
// package's name, "none" (pkgowner.None) when no package owns the file,
// or "" when the host has no package database the index reads. Sensors
// use it to say the same of a running program (the cpuhog sensor). The
// index is the one the collectors share, rebuilt when the database
// changes.
func PackageOf(root, p string) string {
	ix := pkgowner.Current(root, nil)
	if ix == nil {
		return ""
	}
	if pkg, ok := ix.Lookup(p); ok {
		return pkg.Name
	}
	return pkgowner.None
}
