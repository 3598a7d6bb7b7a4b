// Package ui builds the front-end bundles of the website widget (sources in
// web/ui/widget) and of the agent console (web/ui/console) with esbuild's
// Go API. It is used by the
// generator (go generate in package web runs ./ui/bundle) and by the test
// that keeps the committed bundles in web/ui/dist fresh; the server itself
// only embeds web/ui/dist and never links esbuild.
package ui

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

// Loader is the file name of the loader bundle, served at /widget.js.
const Loader = "widget.js"

// Bundle builds the widget from its sources in dir and returns the files of
// web/ui/dist by name: the UI bundle, named by its content hash
// ("ui.<hash>.js", served at /widget/ui.<hash>.js), and the loader
// ("widget.js") with that name baked in.
func Bundle(dir string) (map[string][]byte, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	ui, err := build(abs, "ui.js", nil)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(ui)
	name := "ui." + hex.EncodeToString(sum[:6]) + ".js"
	labels, err := launcherLabels(filepath.Join(abs, "texts.json"))
	if err != nil {
		return nil, err
	}
	loader, err := build(abs, "loader.js", map[string]string{"__UI_FILE__": strconv.Quote(name), "__LABELS__": labels})
	if err != nil {
		return nil, err
	}
	return map[string][]byte{Loader: loader, name: ui}, nil
}

// launcherLabels returns the loader's texts from texts.json as a JSON
// object, language → [launcher, launcherOff, unreadMessages,
// launcherClosed]: the loader
// carries only these, not every text.
func launcherLabels(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var texts map[string]map[string]any
	if err := json.Unmarshal(b, &texts); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	out := map[string][]any{}
	for lang, t := range texts {
		out[lang] = []any{t["launcher"], t["launcherOff"], t["unreadMessages"], t["launcherClosed"]}
	}
	j, err := json.Marshal(out)
	return string(j), err
}

// Console is the prefix of the agent console's bundle, served at
// /agent/console.<hash>.js.
const Console = "console."

// BundleConsole builds the agent console from its sources in dir and
// returns its one file of web/ui/dist by name, "console.<hash>.js".
func BundleConsole(dir string) (map[string][]byte, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	js, err := build(abs, "console.js", nil)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(js)
	return map[string][]byte{Console + hex.EncodeToString(sum[:6]) + ".js": js}, nil
}

// build bundles one entry point into a minified IIFE.
func build(dir, entry string, define map[string]string) ([]byte, error) {
	res := api.Build(api.BuildOptions{
		AbsWorkingDir:     dir,
		EntryPoints:       []string{entry},
		Bundle:            true,
		Write:             false,
		Outfile:           "out.js",
		Format:            api.FormatIIFE,
		Platform:          api.PlatformBrowser,
		Target:            api.ES2020,
		MinifyWhitespace:  true,
		MinifyIdentifiers: true,
		MinifySyntax:      true,
		LegalComments:     api.LegalCommentsNone,
		Charset:           api.CharsetUTF8,
		Define:            define,
		Plugins:           []api.Plugin{cssText},
		LogLevel:          api.LogLevelSilent,
	})
	if err := buildError(entry, res.Errors); err != nil {
		return nil, err
	}
	for _, f := range res.OutputFiles {
		if strings.HasSuffix(f.Path, ".js") {
			return f.Contents, nil
		}
	}
	return nil, fmt.Errorf("bundle %s: no output", entry)
}

// cssText imports a .css file as its minified text (the widget and the
// console put it in a constructed stylesheet).
var cssText = api.Plugin{
	Name: "css-text",
	Setup: func(b api.PluginBuild) {
		b.OnLoad(api.OnLoadOptions{Filter: `\.css$`}, func(args api.OnLoadArgs) (api.OnLoadResult, error) {
			src, err := os.ReadFile(args.Path)
			if err != nil {
				return api.OnLoadResult{}, err
			}
			res := api.Transform(string(src), api.TransformOptions{
				Loader: api.LoaderCSS, MinifyWhitespace: true, MinifySyntax: true, Sourcefile: args.Path,
				Target: api.ES2020, Engines: []api.Engine{{Name: api.EngineChrome, Version: "90"}},
			})
			if err := buildError(args.Path, res.Errors); err != nil {
				return api.OnLoadResult{}, err
			}
			css := strings.TrimSpace(string(res.Code))
			return api.OnLoadResult{Contents: &css, Loader: api.LoaderText}, nil
		})
	},
}

func buildError(what string, msgs []api.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	var b strings.Builder
	for _, m := range msgs {
		if m.Location != nil {
			fmt.Fprintf(&b, "\n%s:%d:%d: %s", m.Location.File, m.Location.Line, m.Location.Column, m.Text)
		} else {
			fmt.Fprintf(&b, "\n%s", m.Text)
		}
	}
	return fmt.Errorf("bundle %s:%s", what, b.String())
}
