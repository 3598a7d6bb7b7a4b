package widgetapi

import (
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"
	"strings"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/web/endpoint"
	"github.com/interact-oss/interact/web/ui/dist"
)

// widgetLoader serves /widget.js, the snippet's script. Its URL never
// changes, so it is cached briefly; it names the UI bundle by hash.
func (s *API) widgetLoader(w http.ResponseWriter, r *http.Request) error {
	return dist.Serve(w, r, "widget.js", "public, max-age=300")
}

// widgetFile serves the UI bundle at its content-hashed URL, cached for a year.
func (s *API) widgetFile(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("file")
	if !strings.HasPrefix(name, "ui.") {
		return interact.Errorf(interact.ENOTFOUND, "No such file.")
	}
	return dist.Serve(w, r, name, "public, max-age=31536000, immutable")
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
func (s *API) demo(w http.ResponseWriter, r *http.Request) error {
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
