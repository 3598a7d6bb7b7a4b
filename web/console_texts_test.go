package web_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The console speaks English, German, French and Italian: every language
// has every key (states and outcomes included) with a non-empty text, and
// every text the console's code uses exists.
func TestConsoleTexts(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("ui/console/texts.js")
	if err != nil {
		t.Fatal(err)
	}
	lang := regexp.MustCompile(`^  (\w\w): \{$`)
	top := regexp.MustCompile(`^    (\w+): (.*)$`)
	nested := regexp.MustCompile(`^      (\w+): (.*)$`)
	keys := map[string]map[string]string{}
	var order []string
	cur, section := "", ""
	for _, line := range strings.Split(string(src), "\n") {
		if m := lang.FindStringSubmatch(line); m != nil {
			cur, section = m[1], ""
			keys[cur] = map[string]string{}
			order = append(order, cur)
			continue
		}
		if cur == "" {
			continue
		}
		if m := top.FindStringSubmatch(line); m != nil {
			section = ""
			if m[2] == "{" {
				section = m[1]
				continue
			}
			keys[cur][m[1]] = m[2]
		} else if m := nested.FindStringSubmatch(line); m != nil && section != "" {
			keys[cur][section+"."+m[1]] = m[2]
		} else if line == "};" {
			cur = ""
		}
	}
	if strings.Join(order, " ") != "en de fr it" {
		t.Fatalf("languages %v, want en de fr it", order)
	}
	if len(keys["en"]) < 100 {
		t.Fatalf("only %d English texts found: the parser is out of step with texts.js", len(keys["en"]))
	}
	for _, l := range order[1:] {
		for k := range keys["en"] {
			if _, ok := keys[l][k]; !ok {
				t.Errorf("%s lacks the text %q", l, k)
			}
		}
		for k := range keys[l] {
			if _, ok := keys["en"][k]; !ok {
				t.Errorf("%s has %q, which English lacks", l, k)
			}
		}
	}
	for l, ks := range keys {
		for k, v := range ks {
			if v == "''," || v == "[]," {
				t.Errorf("%s: %q is empty", l, k)
			}
		}
	}
	files, _ := filepath.Glob("ui/console/*.js")
	used := regexp.MustCompile(`\bT\.(\w+)`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range used.FindAllStringSubmatch(string(b), -1) {
			if _, ok := keys["en"][m[1]]; !ok {
				t.Errorf("%s uses the text %q, which texts.js lacks", filepath.Base(f), m[1])
			}
		}
	}
}
