package scan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/extractor/filesystem"
	"github.com/google/osv-scalibr/extractor/filesystem/os/apk"
	apkmeta "github.com/google/osv-scalibr/extractor/filesystem/os/apk/metadata"
	"github.com/google/osv-scalibr/extractor/filesystem/os/dpkg"
	dpkgmeta "github.com/google/osv-scalibr/extractor/filesystem/os/dpkg/metadata"
	"github.com/google/osv-scalibr/extractor/filesystem/os/osrelease"
	"github.com/google/osv-scalibr/extractor/filesystem/os/rpm"
	rpmmeta "github.com/google/osv-scalibr/extractor/filesystem/os/rpm/metadata"
	scalibrfs "github.com/google/osv-scalibr/fs"

	cpb "github.com/google/osv-scalibr/binary/proto/config_go_proto"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/scan/protocol"
)

// packageDB is a package database found under the root.
type packageDB struct {
	protocol.PackageDatabase
	// files are the database files, relative to the root: the database
	// itself, or each file of a status.d folder.
	files []string
}

// findPackageDBs returns the package databases under the root, the
// first of each group only (alternatives such as /var/lib/rpm and
// /usr/lib/sysimage/rpm are often one folder behind a link).
func findPackageDBs(fsys scalibrfs.FS) ([]packageDB, error) {
	var out []packageDB
	seen := map[string]bool{}
	for _, db := range protocol.PackageDatabases {
		if seen[db.Group] {
			continue
		}
		fi, err := fs.Stat(fsys, db.Path)
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			continue
		}
		if err != nil {
			return out, fmt.Errorf("package database %s: %w", db.Path, err)
		}
		if fi.IsDir() != db.Dir {
			continue
		}
		found := packageDB{PackageDatabase: db}
		if db.Dir {
			ents, err := fsys.ReadDir(db.Path)
			if err != nil {
				return out, fmt.Errorf("package database %s: %w", db.Path, err)
			}
			for _, e := range ents {
				if e.Type().IsRegular() && !strings.HasSuffix(e.Name(), ".md5sums") {
					found.files = append(found.files, path.Join(db.Path, e.Name()))
				}
			}
		} else {
			found.files = []string{db.Path}
		}
		seen[db.Group] = true
		out = append(out, found)
	}
	return out, nil
}

// pkgExtractor returns the scalibr extractor for a database type.
func pkgExtractor(typ string) (filesystem.Extractor, error) {
	switch typ {
	case "deb", "opkg":
		// Every state but not-installed is kept, as dpkg-query -W lists
		// them; toPackageAsset drops not-installed entries.
		return dpkg.Extractor{IncludeNotInstalled: true}, nil
	case "rpm":
		return rpm.New(&cpb.PluginConfig{})
	case "apk":
		return apk.New(&cpb.PluginConfig{})
	}
	return nil, fmt.Errorf("no extractor for package type %q", typ)
}

// scanPackages lists the OS packages under the root and writes them to w.
// An unreadable or unparsable database makes the scan incomplete.
func scanPackages(ctx context.Context, opts Options, w *protocol.Writer, sum *protocol.Summary) error {
	fsys, closeFS, err := openRoot(opts.Root)
	if err != nil {
		sum.Incomplete(err.Error())
		return err
	}
	defer closeFS()
	dbs, err := findPackageDBs(fsys)
	if err != nil {
		sum.Incomplete(err.Error())
		return err
	}
	var assets []event.Asset
	for _, db := range dbs {
		sum.Sources = append(sum.Sources, db.Path)
		ex, err := pkgExtractor(db.Type)
		if err != nil {
			return err
		}
		for _, f := range db.files {
			pkgs, err := extractPackageDB(ctx, fsys, opts, ex, f)
			sum.FilesExtracted++
			if err != nil {
				sum.AddError(protocol.FileError{Path: f, Extractor: ex.Name(), Error: err.Error()})
				sum.Incomplete(fmt.Sprintf("package database %s: %v", f, err))
				continue
			}
			if db.Type == "rpm" {
				fillRPMOS(fsys, pkgs)
			}
			for _, p := range pkgs {
				a, ok := toPackageAsset(db.Type, f, p)
				if !ok {
					sum.Skip("not_installed", 1)
					continue
				}
				assets = append(assets, a)
			}
		}
		if db.Type == "deb" {
			if n := pendingDpkgUpdates(fsys); n > 0 {
				// dpkg-query applies these journal entries to the status
				// file when it reads it; dpkg --configure -a merges them.
				sum.Skip("dpkg_pending_updates", n)
			}
		}
	}
	for _, a := range disambiguate(assets) {
		if err := w.Asset(a); err != nil {
			if errors.Is(err, protocol.ErrInvalidAsset) {
				sum.Skip("invalid", 1)
				continue
			}
			return err
		}
	}
	return nil
}

// extractPackageDB runs ex on one database file.
func extractPackageDB(ctx context.Context, fsys scalibrfs.FS, opts Options, ex filesystem.Extractor, file string) ([]*extractor.Package, error) {
	f, err := fsys.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s)", fi.Mode().Type())
	}
	if opts.MaxFileSize > 0 && fi.Size() > opts.MaxFileSize {
		return nil, fmt.Errorf("%d bytes, more than the limit of %d", fi.Size(), opts.MaxFileSize)
	}
	in := &filesystem.ScanInput{FS: fsys, Path: file, Info: fi, Reader: f}
	if ex.Name() == rpm.Name {
		// The rpm database reader opens the file by its path. SQLite may
		// write beside a database it opens (-shm, a checkpoint), so it
		// reads a private copy; so does any root but the host's own,
		// whose links must not lead out of it.
		if isSQLite(f) || opts.Root != "/" {
			dir, err := copyForReading(fsys, file, opts.MaxFileSize)
			if err != nil {
				return nil, err
			}
			defer os.RemoveAll(dir)
			in = &filesystem.ScanInput{FS: scalibrfs.DirFS(dir), Root: dir, Path: path.Base(file), Info: fi, Reader: f}
		} else {
			in.Root = "/"
		}
	}
	inv, err := ex.Extract(ctx, in)
	if err != nil {
		return nil, err
	}
	return inv.Packages, nil
}

// fillRPMOS sets the operating system of rpm packages read from a
// private copy of their database, which has no os-release beside it.
func fillRPMOS(fsys scalibrfs.FS, pkgs []*extractor.Package) {
	var rel map[string]string
	for _, p := range pkgs {
		m, ok := p.Metadata.(*rpmmeta.Metadata)
		if !ok || m.OSID != "" {
			continue
		}
		if rel == nil {
			rel, _ = osrelease.GetOSRelease(fsys)
			if rel == nil {
				return
			}
		}
		m.OSName, m.OSPrettyName, m.OSID = rel["NAME"], rel["PRETTY_NAME"], rel["ID"]
		m.OSVersionID, m.OSBuildID = rel["VERSION_ID"], rel["BUILD_ID"]
	}
}

// isSQLite reports whether the file starts with SQLite's header, and
// rewinds it.
func isSQLite(f fs.File) bool {
	var head [16]byte
	n, _ := io.ReadFull(f, head[:])
	if s, ok := f.(io.Seeker); ok {
		_, _ = s.Seek(0, io.SeekStart)
	}
	return n == 16 && string(head[:]) == "SQLite format 3\x00"
}

// copyForReading copies file, and its SQLite write-ahead log when there
// is one, into a new private temporary folder that the caller removes.
func copyForReading(fsys scalibrfs.FS, file string, limit int64) (string, error) {
	dir, err := os.MkdirTemp("", "vigil-scan-")
	if err != nil {
		return "", fmt.Errorf("copy for reading: %w", err)
	}
	for _, name := range []string{file, file + "-wal"} {
		err := copyFile(fsys, name, filepath.Join(dir, path.Base(name)), limit)
		if err != nil && !(name != file && errors.Is(err, fs.ErrNotExist)) {
			os.RemoveAll(dir)
			return "", fmt.Errorf("copy for reading: %w", err)
		}
	}
	return dir, nil
}

func copyFile(fsys scalibrfs.FS, from, to string, limit int64) error {
	src, err := fsys.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	var r io.Reader = src
	if limit > 0 {
		r = io.LimitReader(src, limit+1)
	}
	n, err := io.Copy(dst, r)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err == nil && limit > 0 && n > limit {
		err = fmt.Errorf("%s: more than the limit of %d bytes", from, limit)
	}
	return err
}

// pendingDpkgUpdates counts the journal entries dpkg has not yet merged
// into its status file.
func pendingDpkgUpdates(fsys scalibrfs.FS) int {
	ents, err := fsys.ReadDir("var/lib/dpkg/updates")
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err == nil {
			n++
		}
	}
	return n
}

// toPackageAsset converts an extracted OS package; false for a dpkg entry
// that is not installed (purged, or only selected), which dpkg-query -W
// does not list either.
func toPackageAsset(typ, dbFile string, p *extractor.Package) (event.Asset, bool) {
	pkg := map[string]any{
		"name":    p.Name,
		"version": p.Version,
		"type":    typ,
	}
	version := p.Version
	var arch, source string
	switch m := p.Metadata.(type) {
	case *dpkgmeta.Metadata:
		status := "installed" // status.d entries (distroless) have none
		if f := strings.Fields(m.Status); len(f) == 3 {
			status = f[2]
			pkg["selection"] = f[0]
		} else if m.Status != "" {
			status = m.Status
		}
		if status == "not-installed" {
			return event.Asset{}, false
		}
		pkg["install_status"] = status
		arch = m.Architecture
		source = m.SourceName
		if m.SourceVersion != "" {
			pkg["source_version"] = m.SourceVersion
		}
		if source == "" {
			// dpkg-query's ${source:Package}: the binary package's name.
			source = p.Name
		}
	case *rpmmeta.Metadata:
		if m.Epoch > 0 {
			version = strconv.Itoa(m.Epoch) + ":" + p.Version
			pkg["epoch"] = m.Epoch
		}
		arch = m.Architecture
		if m.SourceRPM != "" {
			pkg["source_rpm"] = m.SourceRPM
			source = SourceRPMName(m.SourceRPM)
		}
		if m.Vendor != "" {
			pkg["vendor"] = m.Vendor
		}
	case *apkmeta.Metadata:
		arch = m.Architecture
		source = m.OriginName
	}
	pkg["version"] = version
	if arch != "" {
		pkg["architecture"] = arch
	}
	if source != "" {
		pkg["source"] = source
	}
	if u := p.PURL(); u != nil {
		pkg["purl"] = u.String()
	}
	pkg["path"] = "/" + strings.TrimPrefix(dbFile, "/")
	key := typ + ":" + p.Name
	if arch != "" {
		key += ":" + arch
	}
	return event.Asset{
		Kind:    event.AssetPackage,
		Key:     key,
		Name:    p.Name,
		Version: version,
		Fields:  map[string]any{"package": pkg},
	}, true
}

// SourceRPMName returns the source package's name from an rpm's
// SOURCERPM tag ("bash-5.1.8-9.el9.src.rpm" -> "bash"), or the tag as it
// is when it has not that form.
func SourceRPMName(srpm string) string {
	s := strings.TrimSuffix(srpm, ".rpm")
	if i := strings.LastIndexByte(s, '.'); i >= 0 && (s[i+1:] == "src" || s[i+1:] == "nosrc") {
		s = s[:i]
	} else {
		return srpm
	}
	for range 2 { // release, then version
		i := strings.LastIndexByte(s, '-')
		if i <= 0 {
			return srpm
		}
		s = s[:i]
	}
	return s
}

// disambiguate gives packages that share a key (rpm installs several
// versions of one kernel package side by side) keys of their own, with
// the version, and sorts the list by key.
func disambiguate(assets []event.Asset) []event.Asset {
	count := map[string]int{}
	for _, a := range assets {
		count[a.Key]++
	}
	out := slices.Clone(assets)
	for i := range out {
		if count[out[i].Key] > 1 {
			out[i].Key += "@" + out[i].Version
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	// Identical entries (the same package listed twice) stay once.
	return slices.CompactFunc(out, func(a, b event.Asset) bool { return a.Key == b.Key })
}
