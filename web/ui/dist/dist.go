// Package dist serves the committed front-end bundles of this folder: the
// widget's loader (widget.js) and UI bundle, and the agent console's
// bundle, built from web/ui by go generate ./web. Each is gzipped once and
// served with an ETag; it holds no builder (the server never links esbuild).
package dist

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"strings"
	"sync"

	"github.com/interact-oss/interact"
)

//go:embed *.js
var files embed.FS

// asset is one embedded bundle, with its gzipped form and ETag.
type asset struct {
	body, gz []byte
	etag     string
}

// assets are the embedded bundles by file name, compressed once.
var assets = sync.OnceValue(func() map[string]asset {
	m := map[string]asset{}
	names, _ := fs.Glob(files, "*.js")
	for _, f := range names {
		body, err := files.ReadFile(f)
		if err != nil {
			continue
		}
		var gz bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		zw.Write(body)
		zw.Close()
		sum := sha256.Sum256(body)
		m[f] = asset{body: body, gz: gz.Bytes(), etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	}
	return m
})

// Names lists the bundles' file names.
func Names() []string {
	var out []string
	for n := range assets() {
		out = append(out, n)
	}
	return out
}

// Serve answers with the bundle name (not_found when there is none), with
// the Cache-Control value cache, gzipped when the client accepts it.
func Serve(w http.ResponseWriter, r *http.Request, name, cache string) error {
	a, ok := assets()[name]
	if !ok {
		return interact.Errorf(interact.ENOTFOUND, "No such file.")
	}
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", cache)
	h.Set("ETag", a.etag)
	h.Set("Vary", "Accept-Encoding")
	// Pages with Cross-Origin-Embedder-Policy: require-corp may load it too.
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	if inm := r.Header.Get("If-None-Match"); inm != "" && strings.Contains(inm, a.etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	body := a.body
	if AcceptsGzip(r.Header.Get("Accept-Encoding")) {
		h.Set("Content-Encoding", "gzip")
		body = a.gz
	}
	w.WriteHeader(http.StatusOK)
	w.Write(body)
	return nil
}

// AcceptsGzip reports whether an Accept-Encoding header allows gzip.
func AcceptsGzip(ae string) bool {
	for _, part := range strings.Split(ae, ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") {
			q := strings.ReplaceAll(params, " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}
