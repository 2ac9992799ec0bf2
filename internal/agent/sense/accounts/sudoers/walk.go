package sudoers

import (
	"fmt"
	"path"
	"strings"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/rootfs"
)

// MaxDepth is sudo's limit on nested includes.
const MaxDepth = 128

// Visit is one entry of the policy as Walk reads it.
type Visit struct {
	Entry
	// File is the path of the file the entry is in, Info that file's.
	File string
	Info rootfs.Info
	// Target is the path an include names, with %h replaced and a
	// relative path resolved from File's directory; "" for other
	// entries.
	Target string
}

// Skipped is what Walk could not use: lines the parser skipped and
// includes nested too deeply.
type Skipped struct {
	// Count counts them all.
	Count int
	// List describes them ("FILE:LINE: reason", "FILE: includes nested
	// too deeply"), at most textfile.MaxMalformed lines a file.
	List []string
}

// Walk reads file and what it includes as sudo does, handing each entry
// to fn in the order sudo reads them: the entries of an included file
// follow its include entry. #include and @include name a file (a path
// relative to the including file's directory, %h the short host name
// host), #includedir and @includedir a directory (its regular files
// whose names have no '.' and do not end in '~', in name order). Each
// file is read once, MaxDepth levels deep at most, maxBytes at most. A
// missing file is skipped as sudo skips it; one that cannot be read is
// an error.
func Walk(fsys *rootfs.FS, file, host string, maxBytes int64, fn func(Visit)) (Skipped, error) {
	w := walker{fsys: fsys, host: host, maxBytes: maxBytes, fn: fn, visited: map[string]bool{}}
	err := w.visit(file, 0)
	return w.skipped, err
}

type walker struct {
	fsys     *rootfs.FS
	host     string
	maxBytes int64
	fn       func(Visit)
	visited  map[string]bool
	skipped  Skipped
}

func (w *walker) visit(p string, depth int) error {
	if depth > MaxDepth {
		w.skipped.Count++
		w.skipped.List = append(w.skipped.List, p+": includes nested too deeply")
		return nil
	}
	data, info, err := w.fsys.ReadFile(p, w.maxBytes)
	if rootfs.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sudoers: %w", err)
	}
	if w.visited[info.Path] {
		return nil
	}
	w.visited[info.Path] = true
	f := Parse(data)
	w.skipped.Count += f.Problems.Skipped
	for _, m := range f.Problems.List {
		w.skipped.List = append(w.skipped.List, fmt.Sprintf("%s:%d: %s", p, m.Line, m.Reason))
	}
	for _, e := range f.Entries {
		v := Visit{Entry: e, File: p, Info: info}
		if e.Kind == KindInclude {
			v.Target = strings.NewReplacer("%h", w.host, "%%", "%").Replace(e.Include)
			if !strings.HasPrefix(v.Target, "/") {
				v.Target = path.Join(path.Dir(p), v.Target)
			}
		}
		w.fn(v)
		if v.Target == "" {
			continue
		}
		if !e.IncludeDir {
			err = w.visit(v.Target, depth+1)
		} else {
			err = w.visitDir(v.Target, depth+1)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// visitDir reads the files of an included directory that sudo reads.
func (w *walker) visitDir(dir string, depth int) error {
	ents, _, err := w.fsys.ReadDir(dir)
	if rootfs.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sudoers: %w", err)
	}
	for _, ent := range ents {
		name := ent.Name()
		if strings.HasSuffix(name, "~") || strings.Contains(name, ".") {
			continue
		}
		p := path.Join(dir, name)
		if fi, err := w.fsys.Stat(p); err != nil || !fi.Mode.IsRegular() {
			continue
		}
		if err := w.visit(p, depth); err != nil {
			return err
		}
	}
	return nil
}

// Unquote removes the double quotes around a name or path in sudoers
// and the backslashes that escape characters in it.
func Unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
