// Package dist serves the committed front-end bundles of this folder: the
// widget's loader (widget.js) and UI bundle, and the agent console's
// bundle, built from web/ui by go generate ./web. Each is gzipped once and
// served with an ETag; it holds no builder (the server never links esbuild).
package dist

import (
	"embed"
	"net/http"
	"sync"

	"github.com/interact-oss/interact/web/static"
)

//go:embed *.js
var files embed.FS

// bundles are the embedded bundles, compressed once.
var bundles = sync.OnceValue(func() *static.Set { return static.NewSet(files, "*.js") })

// Names lists the bundles' file names.
func Names() []string { return bundles().Names() }

// Serve answers with the bundle name (not_found when there is none), with
// the Cache-Control value cache, gzipped when the client accepts it. Pages
// with Cross-Origin-Embedder-Policy: require-corp may load it too.
func Serve(w http.ResponseWriter, r *http.Request, name, cache string) error {
	w.Header().Set("Cross-Origin-Resource-Policy", "cross-origin")
	return bundles().Serve(w, r, name, cache)
}
