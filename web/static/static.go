// Package static serves embedded files (scripts, style sheets): each is
// compressed once, served gzipped to clients that accept it, with an ETag
// that answers a revalidation with 304. It owns no file: the packages that
// embed them (the bundles, the admin console) hand them over.
package static

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/interact-oss/interact"
)

// asset is one file, with its gzipped form and ETag.
type asset struct {
	body, gz    []byte
	etag, ctype string
}

// Set is a set of files by name. It is read-only once made.
type Set struct {
	files map[string]asset
}

// NewSet reads the files of fsys that match pattern (fs.Glob) and
// compresses each. A file that cannot be read is left out.
func NewSet(fsys fs.FS, pattern string) *Set {
	s := &Set{files: map[string]asset{}}
	names, _ := fs.Glob(fsys, pattern)
	for _, f := range names {
		body, err := fs.ReadFile(fsys, f)
		if err != nil {
			continue
		}
		var gz bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		zw.Write(body)
		zw.Close()
		sum := sha256.Sum256(body)
		ctype := mime.TypeByExtension(path.Ext(f))
		if path.Ext(f) == ".js" || ctype == "" { // the mime table varies by host
			ctype = map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}[path.Ext(f)]
		}
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		s.files[path.Base(f)] = asset{body: body, gz: gz.Bytes(), etag: `"` + hex.EncodeToString(sum[:8]) + `"`, ctype: ctype}
	}
	return s
}

// Names lists the files' names.
func (s *Set) Names() []string {
	var out []string
	for n := range s.files {
		out = append(out, n)
	}
	return out
}

// Serve answers with the file name (not_found when there is none), with
// the Cache-Control value cache, gzipped when the client accepts it, and
// 304 for a request that names its ETag.
func (s *Set) Serve(w http.ResponseWriter, r *http.Request, name, cache string) error {
	a, ok := s.files[name]
	if !ok {
		return interact.Errorf(interact.ENOTFOUND, "No such file.")
	}
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("Cache-Control", cache)
	h.Set("ETag", a.etag)
	h.Set("Vary", "Accept-Encoding")
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
