package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"sync"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/web/endpoint"
)

// The widget's bundles are built from web/ui/widget by esbuild's Go API and
// committed in web/ui/dist; web/ui_test.go fails when they are stale.
//
//go:generate go run ./ui/bundle

//go:embed ui/dist/*.js
var distFS embed.FS

// asset is one embedded bundle, with its gzipped form and ETag.
type asset struct {
	body, gz []byte
	etag     string
}

// assets are the embedded bundles by file name, compressed once.
var assets = sync.OnceValue(func() map[string]asset {
	m := map[string]asset{}
	files, _ := fs.Glob(distFS, "ui/dist/*.js")
	for _, f := range files {
		body, err := distFS.ReadFile(f)
		if err != nil {
			continue
		}
		var gz bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		zw.Write(body)
		zw.Close()
		sum := sha256.Sum256(body)
		m[f[len("ui/dist/"):]] = asset{body: body, gz: gz.Bytes(), etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	}
	return m
})

// widgetLoader serves /widget.js, the snippet's script. Its URL never
// changes, so it is cached briefly; it names the UI bundle by hash.
func (s *Server) widgetLoader(w http.ResponseWriter, r *http.Request) error {
	return serveAsset(w, r, "widget.js", "public, max-age=300")
}

// widgetFile serves the UI bundle at its content-hashed URL, cached for a year.
func (s *Server) widgetFile(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("file")
	if !strings.HasPrefix(name, "ui.") {
		return interact.Errorf(interact.ENOTFOUND, "No such file.")
	}
	return serveAsset(w, r, name, "public, max-age=31536000, immutable")
}

func serveAsset(w http.ResponseWriter, r *http.Request, name, cache string) error {
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
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		h.Set("Content-Encoding", "gzip")
		body = a.gz
	}
	w.WriteHeader(http.StatusOK)
	w.Write(body)
	return nil
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip.
func acceptsGzip(ae string) bool {
	for _, part := range strings.Split(ae, ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") {
			q := strings.ReplaceAll(params, " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}

// demoPageCSS is the demo page's own style, allowed by its hash.
const demoPageCSS = `body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1d2330}code,pre{background:#f2f4f7;border-radius:4px;padding:.1em .3em}pre{padding:.8em;overflow-x:auto;white-space:pre-wrap;word-break:break-all}`

var demoPage = template.Must(template.New("demo").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>interact demo</title>
<style>{{.CSS}}</style>
</head>
<body>
<h1>interact demo page</h1>
<p>This page embeds the website widget of the demo service with the same snippet a contact
center pastes into its own site. Open the chat button at the bottom right; the demo agent,
signed in elsewhere, answers.</p>
<p>The page is served with a strict Content-Security-Policy that allows scripts and connections
only to interact itself:</p>
<pre>{{.CSP}}</pre>
<p>The snippet:</p>
<pre>{{.Snippet}}</pre>
{{.Raw}}
</body>
</html>
`))

// demo serves the demo page (with --demo): the real snippet of the demo
// service, under a strict CSP.
func (s *Server) demo(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.DemoSnippet == "" {
		return interact.Errorf(interact.ENOTFOUND, "There is no demo here; start interact with --demo.")
	}
	origin := endpoint.OriginOf(s.cfg.PublicURL)
	sum := sha256.Sum256([]byte(demoPageCSS))
	csp := "default-src 'none'; script-src " + origin + "; connect-src " + origin + " " + strings.Replace(origin, "http", "ws", 1) +
		"; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; base-uri 'none'; form-action 'none'"
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", csp)
	w.Header().Set("Cache-Control", "no-store")
	return demoPage.Execute(w, map[string]any{
		"CSS": template.CSS(demoPageCSS), "CSP": csp, "Snippet": s.cfg.DemoSnippet,
		"Raw": template.HTML(s.cfg.DemoSnippet), // built by interact.Snippet, which escapes its values
	})
}
