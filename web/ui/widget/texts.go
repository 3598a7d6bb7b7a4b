// Package widget holds the website widget's default texts (texts.json): the
// widget's bundles import them, and the server reads them to list and check
// a service's text overrides.
package widget

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"sync"
)

//go:embed texts.json
var textsJSON []byte

// Texts are the default texts per language, text key → text; the
// explanations of refusal codes are under "errors.<code>".
type Texts struct {
	Keys    []string                     // in the order of texts.json
	Default map[string]map[string]string // language → key → text
}

// Defaults returns the widget's default texts.
var Defaults = sync.OnceValue(func() Texts {
	t, err := parseTexts(textsJSON)
	if err != nil {
		panic("widget texts.json: " + err.Error())
	}
	return t
})

// parseTexts reads texts.json keeping the order of the English keys.
func parseTexts(b []byte) (Texts, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return Texts{}, err
	}
	t := Texts{Default: map[string]map[string]string{}}
	for lang, body := range raw {
		keys, m, err := flatten(body, "")
		if err != nil {
			return Texts{}, err
		}
		t.Default[lang] = m
		if lang == "en" {
			t.Keys = keys
		}
	}
	return t, nil
}

// flatten reads one language's object; nested objects become "outer.inner" keys.
func flatten(body json.RawMessage, prefix string) ([]string, map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if _, err := dec.Token(); err != nil { // {
		return nil, nil, err
	}
	var keys []string
	m := map[string]string{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, nil, err
		}
		k := prefix + tok.(string)
		if len(v) > 0 && v[0] == '{' {
			ks, sub, err := flatten(v, k+".")
			if err != nil {
				return nil, nil, err
			}
			keys = append(keys, ks...)
			for sk, sv := range sub {
				m[sk] = sv
			}
			continue
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return nil, nil, err
		}
		keys = append(keys, k)
		m[k] = s
	}
	return keys, m, nil
}
