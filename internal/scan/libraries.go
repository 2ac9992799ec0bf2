package scan

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/extractor/filesystem"
	"github.com/google/osv-scalibr/extractor/filesystem/language/dotnet/depsjson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/golang/gobinary"
	javaarchive "github.com/google/osv-scalibr/extractor/filesystem/language/java/archive"
	archivemeta "github.com/google/osv-scalibr/extractor/filesystem/language/java/archive/metadata"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/packagejson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/packagelockjson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/php/composerlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/requirements"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/wheelegg"
	"github.com/google/osv-scalibr/extractor/filesystem/language/ruby/gemspec"
	"github.com/google/osv-scalibr/extractor/filesystem/language/rust/cargoauditable"
	"github.com/google/osv-scalibr/inventory"
	"github.com/google/osv-scalibr/stats"

	cpb "github.com/google/osv-scalibr/binary/proto/config_go_proto"
	scalibrfs "github.com/google/osv-scalibr/fs"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/scan/protocol"
)

// libraryExtractors returns the extractors of a library scan, each
// counting its file errors into sum.
func libraryExtractors(opts Options, sum *summaryMu) ([]filesystem.Extractor, error) {
	// The file size limit is checked by countingExtractor, which counts
	// the files it leaves out.
	cfg := &cpb.PluginConfig{
		PluginSpecific: []*cpb.PluginSpecificConfig{{
			Config: &cpb.PluginSpecificConfig_JavaArchive{JavaArchive: &cpb.JavaArchiveConfig{
				MaxOpenedBytes: opts.MaxArchiveBytes,
			}},
		}},
	}
	news := []func(*cpb.PluginConfig) (filesystem.Extractor, error){
		wheelegg.New, requirements.New,
		packagejson.New, packagelockjson.New,
		javaarchive.New,
		gobinary.New,
		gemspec.New,
		composerlock.New,
		cargoauditable.New,
		depsjson.New,
	}
	var out []filesystem.Extractor
	for _, n := range news {
		ex, err := n(cfg)
		if err != nil {
			return nil, fmt.Errorf("extractor: %w", err)
		}
		out = append(out, countingExtractor{Extractor: ex, sum: sum, maxSize: opts.MaxFileSize})
	}
	return out, nil
}

// summaryMu is a summary shared by the walk's callbacks.
type summaryMu struct {
	mu sync.Mutex
	s  *protocol.Summary
}

func (m *summaryMu) do(f func(s *protocol.Summary)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f(m.s)
}

// countingExtractor counts the files its extractor could not read or
// parse, and those it leaves out for their size. Packages extracted
// before an error (a damaged archive's first entries) are kept.
type countingExtractor struct {
	filesystem.Extractor
	sum     *summaryMu
	maxSize int64
}

// FileRequired implements filesystem.Extractor.
func (e countingExtractor) FileRequired(api filesystem.FileAPI) bool {
	if !e.Extractor.FileRequired(api) {
		return false
	}
	if e.maxSize <= 0 {
		return true
	}
	fi, err := api.Stat()
	if err != nil {
		e.sum.do(func(s *protocol.Summary) {
			s.AddError(protocol.FileError{Path: "/" + api.Path(), Extractor: e.Name(), Error: err.Error()})
		})
		return false
	}
	if fi.Size() > e.maxSize {
		e.sum.do(func(s *protocol.Summary) { s.Skip("too_large", 1) })
		return false
	}
	return true
}

// Extract implements filesystem.Extractor.
func (e countingExtractor) Extract(ctx context.Context, in *filesystem.ScanInput) (inventory.Inventory, error) {
	inv, err := e.Extractor.Extract(ctx, in)
	e.sum.do(func(s *protocol.Summary) {
		s.FilesExtracted++
		if err != nil && ctx.Err() == nil {
			s.AddError(protocol.FileError{Path: "/" + in.Path, Extractor: e.Name(), Error: err.Error()})
		}
	})
	return inv, err
}

// walkStats counts what the walk visits.
type walkStats struct {
	stats.NoopCollector
	sum *summaryMu
}

// AfterInodeVisited implements stats.Collector.
func (w walkStats) AfterInodeVisited(string) {
	w.sum.do(func(s *protocol.Summary) { s.FilesVisited++ })
}

// skipDirs are folders a library scan never enters: kernel and device
// views, not files.
var skipDirs = []string{"proc", "sys", "dev"}

// scanLibraries lists the language libraries below opts.Paths and writes
// them to w. Errors on single files are counted; the scan is incomplete
// when it runs out of time or files.
func scanLibraries(ctx context.Context, opts Options, w *protocol.Writer, sum *protocol.Summary) error {
	fsys, closeFS, err := openRoot(opts.Root)
	if err != nil {
		sum.Incomplete(err.Error())
		return err
	}
	defer closeFS()
	paths, missing, err := scanPaths(opts.Root, opts.Paths)
	sum.Skip("missing_root", missing)
	if err != nil {
		sum.Incomplete(err.Error())
		return err
	}
	sum.Roots = len(paths)
	if len(paths) == 0 {
		return nil
	}
	sm := &summaryMu{s: sum}
	exs, err := libraryExtractors(opts, sm)
	if err != nil {
		return err
	}
	cfg := &filesystem.Config{
		Extractors:     exs,
		ScanRoots:      []*scalibrfs.ScanRoot{{FS: fsys}},
		PathsToExtract: paths,
		DirsToSkip:     skipDirs,
		MaxInodes:      opts.MaxFiles,
		Stats:          walkStats{sum: sm},
	}
	inv, _, err := filesystem.Run(ctx, cfg)
	if err != nil {
		sm.do(func(s *protocol.Summary) {
			switch {
			case errors.Is(err, context.DeadlineExceeded):
				s.Incomplete(fmt.Sprintf("time limit of %s reached", opts.Timeout))
			case strings.Contains(err.Error(), "maxInodes"):
				s.Incomplete(fmt.Sprintf("file limit of %d reached", opts.MaxFiles))
			default:
				s.Incomplete(err.Error())
			}
		})
		return nil
	}
	assets := map[string]event.Asset{}
	for _, p := range inv.Packages {
		a, reason := toLibraryAsset(p)
		if reason != "" {
			sum.Skip(reason, 1)
			continue
		}
		if _, dup := assets[a.Key]; dup {
			sum.Skip("duplicate", 1)
			continue
		}
		assets[a.Key] = a
	}
	keys := make([]string, 0, len(assets))
	for k := range assets {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := w.Asset(assets[k]); err != nil {
			if errors.Is(err, protocol.ErrInvalidAsset) {
				sum.Skip("invalid", 1)
				continue
			}
			return err
		}
	}
	return nil
}

// scanPaths resolves the paths to scan inside root: links followed as
// the host would, paths below another one dropped. Paths that do not
// exist are counted, not an error: the application may have gone.
func scanPaths(root string, paths []string) ([]string, int, error) {
	var resolved []string
	missing := 0
	for _, p := range paths {
		if !strings.HasPrefix(p, "/") {
			return nil, missing, fmt.Errorf("path %q is not absolute", p)
		}
		rel, err := resolveInRoot(root, p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, errTooManyLinks) {
				missing++
				continue
			}
			return nil, missing, err
		}
		resolved = append(resolved, rel)
	}
	return prune(resolved), missing, nil
}

// prune sorts paths (slash paths relative to the root, "." for the root)
// and leaves out duplicates and those below another.
func prune(paths []string) []string {
	keep := map[string]bool{}
	for _, p := range paths {
		keep[p] = true
	}
	var out []string
	for p := range keep {
		below := false
		for d := p; d != "." && !below; {
			d = path.Dir(d)
			below = keep[d]
		}
		if !below {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// toLibraryAsset converts an extracted library, or says why it is left
// out.
func toLibraryAsset(p *extractor.Package) (event.Asset, string) {
	if p.Version == "" || p.Version == "(devel)" {
		// (devel): the main module of a Go program built from a work
		// tree, which has no version.
		return event.Asset{}, "unversioned"
	}
	if m, ok := p.Metadata.(*requirements.Metadata); ok && m.VersionComparator != "==" && m.VersionComparator != "===" {
		// A requirement such as ">=2.0" bounds the version; it does not
		// say which one is installed.
		return event.Asset{}, "unpinned"
	}
	if p.PURLType == "maven" && p.Name == "unknown" && p.Version == "unknown" {
		// A Java archive with no Maven metadata and no versioned name.
		return event.Asset{}, "unidentified"
	}
	where := libraryPath(p.Location)
	if where == "" {
		return event.Asset{}, "no_path"
	}
	name := strings.ToValidUTF8(p.Name, "\uFFFD")
	version := strings.ToValidUTF8(p.Version, "\uFFFD")
	if len(name) > event.MaxAssetName || len(version) > event.MaxAssetName {
		return event.Asset{}, "invalid"
	}
	pkg := map[string]any{
		"name":    name,
		"version": version,
		"type":    p.PURLType,
		"path":    where,
	}
	if u := p.PURL(); u != nil {
		pkg["purl"] = strings.ToValidUTF8(u.String(), "\uFFFD")
	}
	fields := map[string]any{"package": pkg}
	if m, ok := p.Metadata.(*archivemeta.Metadata); ok && m.SHA1 != "" {
		// The archive's SHA-1 (base64 from the extractor), as ECS writes
		// hashes.
		if b, err := base64.StdEncoding.DecodeString(m.SHA1); err == nil {
			fields["file"] = map[string]any{"hash": map[string]any{"sha1": hex.EncodeToString(b)}}
		}
	}
	key := p.PURLType + ":" + name + "@" + version + ":" + where
	if len(key) > event.MaxAssetKey {
		sum := sha256.Sum256([]byte(where))
		key = p.PURLType + ":" + name + "@" + version + ":sha256:" + hex.EncodeToString(sum[:])
	}
	return event.Asset{
		Kind:    event.AssetLibrary,
		Key:     key,
		Name:    name,
		Version: version,
		Fields:  fields,
	}, ""
}

// libraryPath returns where a library was found as an absolute path, with
// "!/" between an archive and the path of an entry inside it
// ("/srv/app.war!/WEB-INF/lib/log4j-core-2.14.1.jar"). Archive
// extraction records the outer file as the descriptor and the nested
// archives, outermost first, as related locations that each extend the
// previous path.
func libraryPath(loc extractor.PackageLocation) string {
	outer := loc.PathOrEmpty()
	if outer == "" {
		return ""
	}
	outer = path.Clean("/" + outer)
	out := outer
	prev := outer
	for _, r := range loc.Related {
		if r.File == nil {
			continue
		}
		rp := path.Clean("/" + r.File.Path)
		if !javaarchive.IsArchive(rp) || !strings.HasPrefix(rp, prev+"/") {
			continue
		}
		out += "!/" + strings.TrimPrefix(rp, prev+"/")
		prev = rp
	}
	return strings.ToValidUTF8(out, "\uFFFD")
}
