package web_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/web/ui"
	"github.com/interact-oss/interact/web/ui/widget"
)

// The bundles of the widget and of the agent console are committed in
// web/ui/dist. These tests rebuild them in memory, fail when the committed
// ones are stale, and keep them within their size budgets.

const (
	loaderBudget  = 5 * 1024  // gzipped bytes of /widget.js
	wholeBudget   = 30 * 1024 // gzipped bytes of the loader and the UI together
	consoleBudget = 40 * 1024 // gzipped bytes of the agent console's script
)

func committedBundles(t *testing.T) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob("ui/dist/*.js")
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m[filepath.Base(f)] = b
	}
	return m
}

func TestWidgetBundlesAreFresh(t *testing.T) {
	built, err := ui.Bundle("ui/widget")
	if err != nil {
		t.Fatal(err)
	}
	console, err := ui.BundleConsole("ui/console")
	if err != nil {
		t.Fatal(err)
	}
	if len(console) != 1 {
		t.Fatalf("the console builds %d files, want 1", len(console))
	}
	for n, b := range console {
		built[n] = b
	}
	committed := committedBundles(t)
	var names []string
	for n := range built {
		names = append(names, n)
	}
	for n := range committed {
		if _, ok := built[n]; !ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		if !bytes.Equal(built[n], committed[n]) {
			t.Errorf("web/ui/dist/%s is stale (built %d bytes, committed %d): run go generate ./web", n, len(built[n]), len(committed[n]))
		}
	}
}

func gzipLen(t *testing.T, b []byte) int {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	return buf.Len()
}

func TestWidgetBundleSizes(t *testing.T) {
	files := committedBundles(t)
	for n, b := range files {
		if strings.HasPrefix(n, ui.Console) {
			if gz := gzipLen(t, b); gz > consoleBudget {
				t.Errorf("the agent console is %d bytes gzipped, over its budget of %d", gz, consoleBudget)
			} else {
				t.Logf("%s: %d bytes, %d gzipped", n, len(b), gz)
			}
			delete(files, n)
		}
	}
	loader, ok := files[ui.Loader]
	if !ok || len(files) != 2 {
		t.Fatalf("web/ui/dist should hold widget.js and one UI bundle, holds %d files", len(files))
	}
	whole := 0
	for n, b := range files {
		gz := gzipLen(t, b)
		whole += gz
		t.Logf("%s: %d bytes, %d gzipped", n, len(b), gz)
	}
	if gz := gzipLen(t, loader); gz > loaderBudget {
		t.Errorf("the loader is %d bytes gzipped, over its budget of %d", gz, loaderBudget)
	}
	if whole > wholeBudget {
		t.Errorf("the widget (loader and UI) is %d bytes gzipped, over its budget of %d", whole, wholeBudget)
	}
}

// TestWidgetBundlesKeepTheRules checks the built code for what the widget
// must never do: parse data as HTML, evaluate strings, use cookies.
func TestWidgetBundlesKeepTheRules(t *testing.T) {
	banned := regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|Function\(|document\.cookie|setAttribute\("on|\.on[a-z]+=|javascript:`)
	for n, b := range committedBundles(t) {
		for _, m := range banned.FindAll(b, -1) {
			if s := string(m); s == ".onload=" || s == ".onerror=" || s == ".onmessage=" || s == ".onclose=" {
				continue // event handler properties set to functions of the bundle itself
			}
			t.Errorf("%s uses %q", n, m)
		}
	}
}

func TestWidgetAssetsServed(t *testing.T) {
	l := newLive(t, 0, interact.Distribution{})
	get := func(path string, h http.Header) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", l.url+path, nil)
		for k, v := range h {
			req.Header[k] = v
		}
		tr := &http.Transport{DisableCompression: true}
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	resp, loader := get("/widget.js", nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/javascript; charset=utf-8" ||
		resp.Header.Get("Cache-Control") != "public, max-age=300" || resp.Header.Get("X-Content-Type-Options") != "nosniff" ||
		resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("/widget.js: %d %v", resp.StatusCode, resp.Header)
	}
	uiName := regexp.MustCompile(`ui\.[0-9a-f]{12}\.js`).Find(loader)
	if uiName == nil {
		t.Fatal("the loader names no UI bundle")
	}
	resp, body := get("/widget/"+string(uiName), http.Header{"Accept-Encoding": {"gzip"}})
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" || resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("UI bundle: %d %v", resp.StatusCode, resp.Header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	if want := committedBundles(t)[string(uiName)]; !bytes.Equal(plain, want) {
		t.Errorf("the served UI bundle differs from web/ui/dist (%d vs %d bytes)", len(plain), len(want))
	}
	if resp, _ := get("/widget/"+string(uiName), http.Header{"If-None-Match": {resp.Header.Get("ETag")}}); resp.StatusCode != 304 {
		t.Errorf("If-None-Match: %d", resp.StatusCode)
	}
	for _, p := range []string{"/widget/ui.000000000000.js", "/widget/widget.js", "/demo"} {
		if resp, _ := get(p, nil); resp.StatusCode != 404 {
			t.Errorf("GET %s: %d, want 404", p, resp.StatusCode)
		}
	}
	if strings.Contains(string(loader), "__UI_FILE__") {
		t.Error("the loader still holds the __UI_FILE__ placeholder")
	}
}

// The admin console's script and style sheets are served gzipped, with an
// ETag that revalidates to 304, and the same bytes as the files.
func TestAdminAssetsGzipped(t *testing.T) {
	l := newLive(t, 0, interact.Distribution{})
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	for _, f := range []struct{ name, ctype string }{{"admin.css", "text/css; charset=utf-8"}, {"admin.js", "text/javascript; charset=utf-8"}} {
		req, _ := http.NewRequest("GET", l.url+"/admin/static/"+f.name, nil)
		req.Header.Set("Accept-Encoding", "gzip, deflate")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("Content-Type") != f.ctype ||
			resp.Header.Get("Vary") != "Accept-Encoding" || resp.Header.Get("ETag") == "" {
			t.Fatalf("%s: %d %v", f.name, resp.StatusCode, resp.Header)
		}
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		plain, _ := io.ReadAll(zr)
		want, err := os.ReadFile("adminconsole/templates/admin/static/" + f.name)
		if err != nil || !bytes.Equal(plain, want) || len(body) >= len(want) {
			t.Errorf("%s: %d gzipped bytes of %d, want the file's %d bytes, smaller (%v)", f.name, len(body), len(plain), len(want), err)
		}
		req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
		if resp, err := client.Do(req); err != nil || resp.StatusCode != 304 {
			t.Errorf("%s revalidated: %v %v, want 304", f.name, resp, err)
		} else {
			resp.Body.Close()
		}
	}
	if resp, err := client.Get(l.url + "/admin/static/nothing.css"); err != nil || resp.StatusCode != 404 {
		t.Errorf("unknown asset: %v %v, want 404", resp, err)
	}
}

// TestWidgetTexts checks that every language has every text, and that every
// refusal code of the widget endpoints is explained in plain words.
func TestWidgetTexts(t *testing.T) {
	texts := widget.Defaults()
	if len(texts.Default) != 4 {
		t.Fatalf("%d languages in texts.json, want en, de, fr, it", len(texts.Default))
	}
	keys := map[string]map[string]bool{}
	for lang, m := range texts.Default {
		keys[lang] = map[string]bool{}
		for k := range m {
			keys[lang][strings.TrimPrefix(k, "errors.")] = true
		}
	}
	for lang, ks := range keys {
		for k := range keys["en"] {
			if !ks[k] {
				t.Errorf("%s lacks the text %q", lang, k)
			}
		}
		for _, code := range []string{
			interact.EUNKNOWNCONTACT, interact.EINVALIDKEY, interact.EORIGINREFUSED, interact.ETENANTINACTIVE,
			interact.EINTERACTOFF, interact.ENOTLICENSED, interact.EADDONMISSING, interact.EIMDISABLED,
			interact.EMODALITYOFF, interact.ECAPACITY, interact.ERATELIMITED, interact.EINVALID,
			interact.ETOOLARGE, interact.EUNAUTHORIZED, interact.ENOTFOUND, interact.ECONFLICT, interact.EINTERNAL,
			interact.ESTORAGE, interact.ECLOSED,
		} {
			if !ks[code] {
				t.Errorf("%s does not explain the refusal %q", lang, code)
			}
		}
	}
}
