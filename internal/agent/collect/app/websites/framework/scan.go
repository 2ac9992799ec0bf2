// Package framework finds the web frameworks and applications in a
// document root or a web application, with the versions their own
// files state, and counts the script files (PHP, JSP, ASP) a webshell
// would be one of.
//
// A scan walks the root's folders without following symbolic links,
// to a bounded depth and number of entries; the marker files it reads
// (wp-includes/version.php ...) are read only when they resolve inside
// the root. It recognises WordPress, ThinkPHP (3, 5, 6 and later),
// Laravel, Drupal (7 and 8 or later), Joomla, phpMyAdmin, Django and
// Flask (from a virtual environment's site-packages inside the root),
// Spring Boot (fat JARs, WARs and exploded applications), Struts 2 and
// Spring MVC (WEB-INF/lib). Laravel and ThinkPHP serve their public/
// folder: for a root named "public" the folder above is looked at too.
// A version is "unknown" when the files do not say it; it is never
// guessed.
package framework

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/rootfs"
)

// Names of the frameworks found.
const (
	WordPress  = "WordPress"
	ThinkPHP   = "ThinkPHP"
	Laravel    = "Laravel"
	Drupal     = "Drupal"
	Joomla     = "Joomla"
	PhpMyAdmin = "phpMyAdmin"
	Django     = "Django"
	Flask      = "Flask"
	SpringBoot = "Spring Boot"
	Struts2    = "Struts2"
	SpringMVC  = "Spring MVC"
)

// Limits bound one scan.
type Limits struct {
	// Depth is how many folders below the root are walked.
	Depth int
	// Entries bounds the folder entries looked at.
	Entries int
	// Archives bounds the JAR and WAR files opened.
	Archives int
	// ArchiveBytes: larger archives are not opened.
	ArchiveBytes int64
}

// DefaultLimits are those of the collector.
var DefaultLimits = Limits{Depth: 8, Entries: 50_000, Archives: 32, ArchiveBytes: 1 << 30}

// maxMarker bounds a marker file read.
const maxMarker = 1 << 20

// Found is a framework found.
type Found struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// Path is the framework's folder (the application's top) or archive.
	Path string `json:"path"`
}

// Scripts counts script files by language.
type Scripts struct {
	// PHP: .php, .php3-.php8, .phtml, .phar, .inc.
	PHP int `json:"php"`
	// JSP: .jsp, .jspx, .jspf (WAR entries included).
	JSP int `json:"jsp"`
	// ASP: .asp, .aspx, .ashx, .asmx, .ascx, .cer, .asa.
	ASP int `json:"asp"`
}

// Add adds o's counts.
func (s *Scripts) Add(o Scripts) { s.PHP += o.PHP; s.JSP += o.JSP; s.ASP += o.ASP }

// Result is what a scan found.
type Result struct {
	Frameworks []Found
	Scripts    Scripts
	// Entries is the number of folder entries looked at.
	Entries int
	// Truncated says a limit cut the walk short: the counts are lower
	// bounds.
	Truncated bool
	// Missing says the root does not exist.
	Missing bool
}

// Scanner scans roots of one host.
type Scanner struct {
	// FS is the host's root.
	FS *rootfs.FS
	// Limits of each scan.
	Limits Limits
	// Unreadable counts folders and files that could not be read;
	// BadArchives the JARs and WARs that could not be opened.
	Unreadable, BadArchives int
}

// scriptExt maps file suffixes to script languages.
var scriptExt = map[string]int{
	".php": 1, ".php3": 1, ".php4": 1, ".php5": 1, ".php7": 1, ".php8": 1, ".phtml": 1, ".phar": 1, ".inc": 1,
	".jsp": 2, ".jspx": 2, ".jspf": 2,
	".asp": 3, ".aspx": 3, ".ashx": 3, ".asmx": 3, ".ascx": 3, ".cer": 3, ".asa": 3,
}

// skipDirs are folders not walked into.
var skipDirs = map[string]bool{".git": true, ".svn": true, ".hg": true, "node_modules": true, "__pycache__": true}

// walk is one scan.
type walk struct {
	s        *Scanner
	ctx      context.Context
	base     string // resolved root
	res      *Result
	archives int
	django   []string // folders with a Django manage.py
	pkgs     []pyPkg
}

// pyPkg is a Python package found in a site-packages folder.
type pyPkg struct{ name, version, env string }

// Scan scans root (a host path; links in it are resolved inside the
// host root). A root that is a JAR or WAR file is inspected as one.
func (s *Scanner) Scan(ctx context.Context, root string) (Result, error) {
	res := Result{}
	resolved, ok, err := s.FS.Resolve(root)
	if err != nil {
		s.Unreadable++
		return res, fmt.Errorf("web root %s: %w", root, err)
	}
	if !ok {
		res.Missing = true
		return res, nil
	}
	fi, err := os.Lstat(s.FS.Host(resolved))
	if err != nil {
		if rootfs.IsNotExist(err) {
			res.Missing = true
			return res, nil
		}
		s.Unreadable++
		return res, fmt.Errorf("web root %s: %w", root, err)
	}
	w := &walk{s: s, ctx: ctx, base: resolved, res: &res}
	if fi.Mode().IsRegular() {
		w.archive(resolved, root)
		return res, nil
	}
	if !fi.IsDir() {
		return res, nil
	}
	if err := w.dir(resolved, 0); err != nil {
		return res, err
	}
	if path.Base(resolved) == "public" && resolved != "/" {
		parent := path.Dir(resolved)
		if ents, err := os.ReadDir(s.FS.Host(parent)); err == nil {
			w.base = parent
			w.phpFrameworks(parent, ents)
		}
	}
	w.python()
	slices.SortStableFunc(res.Frameworks, func(a, b Found) int {
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return res, nil
}

// add records a framework once.
func (w *walk) add(name, version, at string) {
	f := Found{Name: name, Version: version, Path: at}
	if !slices.Contains(w.res.Frameworks, f) && len(w.res.Frameworks) < 64 {
		w.res.Frameworks = append(w.res.Frameworks, f)
	}
}

// dir walks folder d (resolved) at depth.
func (w *walk) dir(d string, depth int) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	ents, err := os.ReadDir(w.s.FS.Host(d))
	if err != nil {
		if !rootfs.IsNotExist(err) {
			w.s.Unreadable++
		}
		return nil
	}
	w.markers(d, ents)
	for _, e := range ents {
		if w.res.Entries >= w.s.Limits.Entries {
			w.res.Truncated = true
			return nil
		}
		w.res.Entries++
		name := e.Name()
		p := path.Join(d, name)
		switch t := e.Type(); {
		case t&fs.ModeSymlink != 0:
		case t.IsDir():
			switch {
			case skipDirs[name]:
			case name == "site-packages" || name == "dist-packages":
				w.sitePackages(p)
			case name == "lib" && (path.Base(d) == "WEB-INF" || path.Base(d) == "BOOT-INF"):
				w.libFolder(p)
			case depth+1 > w.s.Limits.Depth:
				w.res.Truncated = true
			default:
				if err := w.dir(p, depth+1); err != nil {
					return err
				}
			}
		case t.IsRegular():
			ext := strings.ToLower(path.Ext(name))
			switch scriptExt[ext] {
			case 1:
				w.res.Scripts.PHP++
			case 2:
				w.res.Scripts.JSP++
			case 3:
				w.res.Scripts.ASP++
			}
			if ext == ".jar" || ext == ".war" {
				w.archive(p, p)
			}
		}
	}
	return nil
}

// read reads a marker file below the root; nil when it is missing, too
// large or resolves outside the root.
func (w *walk) read(p string) []byte {
	r, ok, err := w.s.FS.Resolve(p)
	if err != nil || !ok {
		return nil
	}
	if r != w.base && !strings.HasPrefix(r, strings.TrimSuffix(w.base, "/")+"/") {
		return nil
	}
	data, _, err := w.s.FS.ReadFile(r, maxMarker)
	if err != nil {
		if !rootfs.IsNotExist(err) {
			w.s.Unreadable++
		}
		return nil
	}
	return data
}

// has reports whether ents holds name, a folder when dir.
func has(ents []fs.DirEntry, name string, dir bool) bool {
	i, ok := slices.BinarySearchFunc(ents, name, func(e fs.DirEntry, n string) int { return strings.Compare(e.Name(), n) })
	return ok && ents[i].IsDir() == dir
}

var releaseDateRE = regexp.MustCompile(`^RELEASE-DATE-(\d[\w.\-+]*)$`)

// markers looks for the frameworks whose top folder is d.
func (w *walk) markers(d string, ents []fs.DirEntry) {
	at := func(rel string) string { return path.Join(d, rel) }
	if has(ents, "wp-includes", true) {
		if data := w.read(at("wp-includes/version.php")); data != nil {
			w.add(WordPress, WordPressVersion(data), d)
		} else if has(ents, "wp-login.php", false) {
			w.add(WordPress, Unknown, d)
		}
	}
	w.phpFrameworks(d, ents)
	if has(ents, "core", true) && has(ents, "index.php", false) {
		if data := w.read(at("core/lib/Drupal.php")); data != nil {
			w.add(Drupal, PHPConst(data, "VERSION"), d)
		}
	}
	if has(ents, "includes", true) && has(ents, "modules", true) {
		if data := w.read(at("includes/bootstrap.inc")); data != nil && strings.Contains(string(data), "DRUPAL_") {
			w.add(Drupal, PHPDefine(data, "VERSION"), d)
		}
	}
	if has(ents, "libraries", true) && has(ents, "administrator", true) {
		for _, f := range []string{"libraries/src/Version.php", "libraries/cms/version/version.php", "libraries/joomla/version.php"} {
			if data := w.read(at(f)); data != nil {
				w.add(Joomla, JoomlaVersion(data), d)
				break
			}
		}
	}
	if has(ents, "libraries", true) {
		w.phpMyAdmin(d, ents)
	}
	if has(ents, "manage.py", false) {
		if data := w.read(at("manage.py")); data != nil && strings.Contains(strings.ToLower(string(data)), "django") {
			w.django = append(w.django, d)
		}
	}
}

// phpFrameworks looks for ThinkPHP and Laravel at d.
func (w *walk) phpFrameworks(d string, ents []fs.DirEntry) {
	at := func(rel string) string { return path.Join(d, rel) }
	if has(ents, "ThinkPHP", true) {
		if data := w.read(at("ThinkPHP/ThinkPHP.php")); data != nil {
			w.add(ThinkPHP, PHPDefine(data, "THINK_VERSION"), d)
		}
	}
	if has(ents, "thinkphp", true) {
		if data := w.read(at("thinkphp/base.php")); data != nil {
			w.add(ThinkPHP, PHPDefine(data, "THINK_VERSION"), d)
		} else if data := w.read(at("thinkphp/library/think/App.php")); data != nil {
			w.add(ThinkPHP, PHPConst(data, "VERSION"), d)
		}
	}
	if has(ents, "vendor", true) {
		if data := w.read(at("vendor/topthink/framework/src/think/App.php")); data != nil {
			w.add(ThinkPHP, PHPConst(data, "VERSION"), d)
		}
		if data := w.read(at("vendor/laravel/framework/src/Illuminate/Foundation/Application.php")); data != nil {
			w.add(Laravel, PHPConst(data, "VERSION"), d)
		}
	}
}

// phpMyAdmin looks for phpMyAdmin at d, which has a libraries folder.
func (w *walk) phpMyAdmin(d string, ents []fs.DirEntry) {
	at := func(rel string) string { return path.Join(d, rel) }
	if data := w.read(at("libraries/classes/Version.php")); data != nil && strings.Contains(string(data), "PhpMyAdmin") {
		w.add(PhpMyAdmin, PMAVersion(data), d)
		return
	}
	for _, f := range []string{"libraries/classes/Config.php", "libraries/Config.class.php", "libraries/Config.php"} {
		if data := w.read(at(f)); data != nil && strings.Contains(string(data), "PMA_VERSION") {
			w.add(PhpMyAdmin, PMAVersion(data), d)
			return
		}
	}
	for _, e := range ents {
		if m := releaseDateRE.FindStringSubmatch(e.Name()); m != nil {
			w.add(PhpMyAdmin, CleanVersion(m[1]), d)
			return
		}
	}
}

var (
	distInfoRE = regexp.MustCompile(`(?i)^(django|flask)-([^-]+)\.(dist-info|egg-info)$`)
	eggInfoRE  = regexp.MustCompile(`(?i)^(django|flask)-([^-]+)(-py[\d.]+)?\.egg-info$`)
)

// sitePackages looks at the packages of a Python environment.
func (w *walk) sitePackages(sp string) {
	ents, err := os.ReadDir(w.s.FS.Host(sp))
	if err != nil {
		w.s.Unreadable++
		return
	}
	env := sp
	if py := path.Dir(sp); strings.HasPrefix(path.Base(py), "python") {
		if lib := path.Dir(py); path.Base(lib) == "lib" || path.Base(lib) == "lib64" {
			env = path.Dir(lib)
		}
	}
	found := map[string]bool{}
	for _, e := range ents {
		m := distInfoRE.FindStringSubmatch(e.Name())
		if m == nil {
			m = eggInfoRE.FindStringSubmatch(e.Name())
		}
		if m == nil {
			continue
		}
		name := strings.ToLower(m[1])
		version := ""
		p := path.Join(sp, e.Name())
		switch {
		case e.IsDir() && strings.HasSuffix(e.Name(), ".dist-info"):
			version = MetadataField(w.read(path.Join(p, "METADATA")), "Version")
		case e.IsDir():
			version = MetadataField(w.read(path.Join(p, "PKG-INFO")), "Version")
		case e.Type().IsRegular():
			version = MetadataField(w.read(p), "Version")
		}
		if version == "" {
			version = m[2]
		}
		if !found[name] {
			found[name] = true
			w.pkgs = append(w.pkgs, pyPkg{name: name, version: CleanVersion(version), env: env})
		}
	}
	if !found["django"] && has(ents, "django", true) {
		v := DjangoVersion(w.read(path.Join(sp, "django/__init__.py")))
		w.pkgs = append(w.pkgs, pyPkg{name: "django", version: v, env: env})
	}
}

// python reports Django applications (a manage.py) with the version of
// the Django nearest to them, and the Django and Flask installations
// no manage.py claims.
func (w *walk) python() {
	claimed := map[int]bool{}
	for _, app := range w.django {
		best, bestLen := -1, -1
		for i, p := range w.pkgs {
			if p.name != "django" {
				continue
			}
			if n := commonPrefix(app, p.env); n > bestLen {
				best, bestLen = i, n
			}
		}
		v := Unknown
		if best >= 0 {
			v = w.pkgs[best].version
			claimed[best] = true
		}
		w.add(Django, v, app)
	}
	for i, p := range w.pkgs {
		switch {
		case p.name == "flask":
			w.add(Flask, p.version, p.env)
		case p.name == "django" && !claimed[i] && len(w.django) == 0:
			w.add(Django, p.version, p.env)
		}
	}
}

// commonPrefix is the length of the common folder prefix of a and b.
func commonPrefix(a, b string) int {
	as, bs := strings.Split(a, "/"), strings.Split(b, "/")
	n := 0
	for n < len(as) && n < len(bs) && as[n] == bs[n] {
		n++
	}
	return n
}

// libFolder looks at the JARs of WEB-INF/lib or BOOT-INF/lib: the
// application is the folder above.
func (w *walk) libFolder(lib string) {
	ents, err := os.ReadDir(w.s.FS.Host(lib))
	if err != nil {
		w.s.Unreadable++
		return
	}
	app := path.Dir(path.Dir(lib))
	for _, e := range ents {
		n := e.Name()
		if v, ok := JarVersion(n, "spring-boot"); ok {
			w.add(SpringBoot, v, app)
		}
		if v, ok := JarVersion(n, "struts2-core"); ok {
			w.add(Struts2, v, app)
		}
		if v, ok := JarVersion(n, "spring-webmvc"); ok {
			w.add(SpringMVC, v, app)
		}
	}
}

// archive inspects a JAR or WAR (resolved path p, reported as shown).
func (w *walk) archive(p, shown string) {
	if w.archives >= w.s.Limits.Archives {
		w.res.Truncated = true
		return
	}
	w.archives++
	a, err := w.s.OpenArchive(p)
	if err != nil {
		if !errors.Is(err, errSkipped) {
			w.s.BadArchives++
		}
		return
	}
	if a.SpringBoot != "" {
		w.add(SpringBoot, a.SpringBoot, shown)
	}
	if a.Struts2 != "" {
		w.add(Struts2, a.Struts2, shown)
	}
	if a.SpringMVC != "" {
		w.add(SpringMVC, a.SpringMVC, shown)
	}
	w.res.Scripts.JSP += a.JSP
}

// errSkipped is returned for archives not opened by choice (too large,
// not a regular file).
var errSkipped = errors.New("archive skipped")

// OpenArchive inspects the JAR or WAR at host path p (links resolved
// inside the host root).
func (s *Scanner) OpenArchive(p string) (Archive, error) {
	r, ok, err := s.FS.Resolve(p)
	if err != nil || !ok {
		return Archive{}, fmt.Errorf("archive %s: %w", p, errors.Join(err, fs.ErrNotExist))
	}
	f, err := os.Open(s.FS.Host(r))
	if err != nil {
		return Archive{}, fmt.Errorf("archive %s: %w", p, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Archive{}, fmt.Errorf("archive %s: %w", p, err)
	}
	if !fi.Mode().IsRegular() || fi.Size() > s.Limits.ArchiveBytes {
		return Archive{}, fmt.Errorf("archive %s: %w", p, errSkipped)
	}
	a, err := InspectArchive(f, fi.Size())
	if err != nil {
		return a, fmt.Errorf("archive %s: %w", p, err)
	}
	return a, nil
}
