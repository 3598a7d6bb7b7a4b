// Command bundle builds the front-end bundles of the widget and of the agent
// console into web/ui/dist.
// Run it with go generate in package web (see web/server.go); the bundles
// are committed, and web/ui_test.go fails when they are stale.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/interact-oss/interact/web/ui"
)

func main() {
	src := flag.String("src", "ui/widget", "the widget sources")
	console := flag.String("console", "ui/console", "the agent console sources")
	out := flag.String("out", "ui/dist", "where the bundles go (old ones are removed)")
	flag.Parse()
	if err := run(*src, *console, *out); err != nil {
		fmt.Fprintln(os.Stderr, "bundle:", err)
		os.Exit(1)
	}
}

func run(src, console, out string) error {
	files, err := ui.Bundle(src)
	if err != nil {
		return err
	}
	cfiles, err := ui.BundleConsole(console)
	if err != nil {
		return err
	}
	for n, b := range cfiles {
		files[n] = b
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	old, err := filepath.Glob(filepath.Join(out, "*.js"))
	if err != nil {
		return err
	}
	for _, f := range old {
		if _, keep := files[filepath.Base(f)]; !keep {
			if err := os.Remove(f); err != nil {
				return err
			}
		}
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(out, n), files[n], 0o644); err != nil {
			return err
		}
		fmt.Printf("%s %d bytes\n", filepath.Join(out, n), len(files[n]))
	}
	return nil
}
