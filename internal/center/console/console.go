// Package console serves the web console: the single-page app built from
// web/ into dist/ and embedded in vigil-center. Unknown paths that are not
// assets get index.html so that the app's own routes survive a reload;
// hashed assets are cached for good, index.html never. When the app was not
// built, every path answers with a plain notice saying how to build it.
package console

import (
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"sync"
)

//go:embed all:dist
var dist embed.FS

// ContentSecurityPolicy is sent with every console response: everything
// from the center itself, nothing inline, no framing.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; " +
	"base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// NotBuiltMessage is the body served when the embedded app has no index.html.
const NotBuiltMessage = "console not built: run make build\n"

var embedded = sync.OnceValue(func() http.Handler {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		// fs.Sub fails only on an invalid name, which "dist" is not.
		panic(fmt.Sprintf("console: embedded dist: %v", err))
	}
	return NewHandler(sub)
})

// Handler serves the console embedded in the binary.
func Handler() http.Handler { return embedded() }

// Built reports whether the embedded console was built (has an index.html).
func Built() bool {
	_, err := fs.Stat(dist, "dist/index.html")
	return err == nil
}

// NewHandler serves the single-page app in fsys (index.html at its root,
// hashed files under assets/). Files are read once, when it is called.
func NewHandler(fsys fs.FS) http.Handler {
	files, err := loadFiles(fsys)
	if err != nil {
		slog.Error("console: reading the built app", "err", err)
		files = nil
	}
	h := &handler{files: files}
	if f, ok := files["index.html"]; ok {
		h.index = f
	}
	return h
}
