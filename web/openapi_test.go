package web_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/web"
)

// openAPI is the part of the document the tests read.
type openAPI struct {
	OpenAPI string `json:"openapi"`
	Info    struct {
		Description string `json:"description"`
	} `json:"info"`
	Paths      map[string]map[string]operation `json:"paths"`
	Components struct {
		Schemas map[string]schema `json:"schemas"`
	} `json:"components"`
}

type operation struct {
	OperationID string `json:"operationId"`
	RequestBody *struct {
		Content map[string]struct {
			Schema schema `json:"schema"`
		} `json:"content"`
	} `json:"requestBody"`
	Responses map[string]struct {
		Content map[string]struct {
			Schema schema `json:"schema"`
		} `json:"content"`
	} `json:"responses"`
}

type schema struct {
	Ref        string            `json:"$ref"`
	Type       schemaType        `json:"type"`
	Properties map[string]schema `json:"properties"`
	Items      *schema           `json:"items"`
	AnyOf      []schema          `json:"anyOf"` // a nullable $ref: the $ref and null
}

// schemaType is a schema's type; of a nullable one (["string", "null"]),
// the type besides null.
type schemaType string

func (t *schemaType) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*t = schemaType(one)
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	for _, s := range many {
		if s != "null" {
			*t = schemaType(s)
		}
	}
	return nil
}

func (d *openAPI) resolve(t *testing.T, s schema) schema {
	t.Helper()
	for len(s.AnyOf) > 0 && s.Ref == "" {
		s = s.AnyOf[0]
	}
	for s.Ref != "" {
		name, ok := strings.CutPrefix(s.Ref, "#/components/schemas/")
		def, found := d.Components.Schemas[name]
		if !ok || !found {
			t.Fatalf("$ref %q does not resolve", s.Ref)
		}
		s = def
	}
	return s
}

// successSchema returns the JSON schema of op's success answer, if any, and
// the success status.
func successSchema(op operation) (string, *schema) {
	for code, r := range op.Responses {
		if code == "default" {
			continue
		}
		if c, ok := r.Content["application/json"]; ok {
			return code, &c.Schema
		}
		return code, nil
	}
	return "", nil
}

func fetchOpenAPI(t *testing.T, e *env) (*openAPI, map[string]any) {
	t.Helper()
	c := e.newClient()
	r := c.call(t, "GET", "/api/v1/openapi.json", nil)
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /api/v1/openapi.json: %d %s", r.status, r.header.Get("Content-Type"))
	}
	var raw map[string]any
	if err := json.Unmarshal(r.body, &raw); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	var d openAPI
	r.decode(t, &d)
	if d.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q, want 3.1.0", d.OpenAPI)
	}
	if len(d.Paths) == 0 {
		t.Fatal("openapi.json has no paths")
	}
	return &d, raw
}

var pathParam = regexp.MustCompile(`\{[a-zA-Z]+\}`)

// TestOpenAPIServed: every operation in the document reaches one of our
// handlers, and every method the server answers on a documented path is
// documented (the mux's 405 Allow header lists what is registered).
func TestOpenAPIServed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	d, _ := fetchOpenAPI(t, e)
	anon := e.newClient()
	for _, path := range slices.Sorted(maps.Keys(d.Paths)) {
		if !strings.HasPrefix(path, "/api/v1/") {
			t.Errorf("documented path %q is outside /api/v1", path)
		}
		concrete := pathParam.ReplaceAllString(path, "x0")
		for method := range d.Paths[path] {
			m := strings.ToUpper(method)
			r := anon.call(t, m, concrete, nil)
			if r.status == http.StatusMethodNotAllowed || r.status >= 500 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
				t.Errorf("%s %s is documented but not served by an API handler: %d %q %s", m, path, r.status, r.header.Get("Content-Type"), r.body)
			}
		}
		r := anon.call(t, "OPTIONS", concrete, nil)
		if r.status != http.StatusMethodNotAllowed {
			t.Errorf("OPTIONS %s: %d, want the mux's 405", path, r.status)
			continue
		}
		var served []string
		for _, m := range strings.Split(r.header.Get("Allow"), ",") {
			if m = strings.TrimSpace(m); m != "" && m != "HEAD" {
				served = append(served, m)
			}
		}
		var documented []string
		for m := range d.Paths[path] {
			documented = append(documented, strings.ToUpper(m))
		}
		slices.Sort(served)
		slices.Sort(documented)
		if diff := cmp.Diff(documented, served); diff != "" {
			t.Errorf("%s: methods served vs documented (-documented +served):\n%s", path, diff)
		}
	}

	// An undocumented path is the mux's plain 404, not an API answer.
	if r := anon.call(t, "GET", "/api/v1/nothing-here", nil); r.status != 404 || strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Errorf("GET /api/v1/nothing-here: %d %q; the served-check above relies on the mux's plain 404", r.status, r.header.Get("Content-Type"))
	}
}

// TestOpenAPIDescribesDesign: every endpoint DESIGN.md §3 names is in the
// document, with request and response schemas where there is a body, and
// the core shapes carry DESIGN's field names.
func TestOpenAPIDescribesDesign(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	d, _ := fetchOpenAPI(t, e)

	type ep struct {
		method, path string
		in, out      bool // request body, response body
	}
	var design []ep
	crud := func(coll string) {
		design = append(design,
			ep{"GET", coll, false, true}, ep{"POST", coll, true, true},
			ep{"GET", coll + "/{id}", false, true}, ep{"PATCH", coll + "/{id}", true, true}, ep{"DELETE", coll + "/{id}", false, false})
	}
	design = append(design,
		ep{"POST", "/session", true, true}, ep{"DELETE", "/session", false, false},
		ep{"GET", "/tenant", false, true}, ep{"PATCH", "/tenant", true, true})
	crud("/ous")
	crud("/users")
	crud("/services")
	crud("/domain-templates")
	design = append(design,
		ep{"GET", "/services/{id}/members", false, true},
		ep{"PUT", "/services/{id}/members/{userId}", true, true}, ep{"DELETE", "/services/{id}/members/{userId}", false, false},
		ep{"GET", "/services/{id}/interact", false, true}, ep{"PUT", "/services/{id}/interact", true, true},
		ep{"POST", "/services/{id}/interact/rotate-key", false, true},
		ep{"GET", "/users/{id}/interact", false, true}, ep{"PUT", "/users/{id}/interact", true, true},
		ep{"POST", "/origin-check", true, true},
		ep{"GET", "/audit", false, true},
		ep{"GET", "/tenants", false, true}, ep{"POST", "/tenants", true, true})

	for _, x := range design {
		name := x.method + " /api/v1" + x.path
		op, ok := d.Paths["/api/v1"+x.path][strings.ToLower(x.method)]
		if !ok {
			t.Errorf("%s is not in openapi.json", name)
			continue
		}
		if x.in {
			if op.RequestBody == nil || d.resolve(t, op.RequestBody.Content["application/json"].Schema).Type != "object" {
				t.Errorf("%s: no JSON object request body schema", name)
			}
		}
		code, out := successSchema(op)
		switch {
		case x.out && (out == nil || d.resolve(t, *out).Type != "object"):
			t.Errorf("%s: no JSON object response schema (success %s)", name, code)
		case !x.out && (out != nil || code != "204"):
			t.Errorf("%s: success %s with body %v, want 204 without body", name, code, out != nil)
		}
		if _, ok := op.Responses["default"]; !ok {
			t.Errorf("%s: no default (error) response", name)
		}
	}

	// Core shapes, by DESIGN's field names; internal fields stay hidden.
	shape := func(method, path string, fields ...string) {
		t.Helper()
		_, out := successSchema(d.Paths["/api/v1"+path][method])
		if out == nil {
			t.Errorf("%s %s: no response schema", method, path)
			return
		}
		s := d.resolve(t, *out)
		for _, f := range fields {
			if _, ok := s.Properties[f]; !ok {
				t.Errorf("%s %s: schema lacks %q (has %v)", method, path, f, slices.Sorted(maps.Keys(s.Properties)))
			}
		}
		for _, f := range []string{"tenantId", "TenantID", "passwordHash", "PreviousWidgetKey", "previousWidgetKey"} {
			if _, ok := s.Properties[f]; ok {
				t.Errorf("%s %s: schema exposes internal field %q", method, path, f)
			}
		}
	}
	shape("get", "/tenant", "id", "name", "state", "interactEnabled", "imEnabled", "maxConcurrentImTasksPerService")
	shape("get", "/ous/{id}", "id", "name", "parentId")
	shape("get", "/users/{id}", "id", "email", "name", "ouId", "licenses", "roles")
	shape("get", "/services/{id}", "id", "name", "ouId", "license", "interactLicense", "distribution")
	shape("get", "/domain-templates/{id}", "id", "name", "description", "ouId", "origins")
	shape("get", "/services/{id}/interact", "audioVideo", "instantMessage", "restrictAccess", "domainTemplateIds", "contactId", "widgetKey", "snippet", "selectableDomainTemplates")
	shape("post", "/origin-check", "allowed", "match", "reason")
	for _, p := range []string{"/ous", "/users", "/services", "/domain-templates", "/audit", "/tenants"} {
		_, out := successSchema(d.Paths["/api/v1"+p]["get"])
		if out == nil || d.resolve(t, *out).Properties["items"].Type != "array" {
			t.Errorf("GET %s: the list schema has no items array", p)
		}
	}
	for _, x := range []struct{ path, field string }{{"/users", "password"}, {"/session", "password"}, {"/origin-check", "contactId"}} {
		if in := d.Paths["/api/v1"+x.path]["post"].RequestBody; in == nil {
			t.Errorf("POST %s: no request body", x.path)
		} else if _, ok := d.resolve(t, in.Content["application/json"].Schema).Properties[x.field]; !ok {
			t.Errorf("POST %s: request schema lacks %q", x.path, x.field)
		}
	}
}

func TestOpenAPIConsistent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	d, raw := fetchOpenAPI(t, e)

	ids := map[string]string{}
	for path, ops := range d.Paths {
		for m, op := range ops {
			if op.OperationID == "" {
				t.Errorf("%s %s has no operationId", m, path)
			} else if prev, dup := ids[op.OperationID]; dup {
				t.Errorf("operationId %q used by %s and %s %s", op.OperationID, prev, m, path)
			}
			ids[op.OperationID] = m + " " + path
		}
	}

	// Every $ref anywhere resolves.
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				d.resolve(t, schema{Ref: ref})
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(raw)

	// The documented error codes: every code of error.go.
	for _, code := range []string{
		interact.EINVALID, interact.ENOTFOUND, interact.ECONFLICT, interact.EUNAUTHORIZED, interact.EFORBIDDEN,
		interact.ECSRF, interact.ERATELIMITED, interact.ETOOLARGE, interact.EINTERNAL, interact.EINVALIDORIGIN,
		interact.EOUNOTEMPTY, interact.EOUCYCLE, interact.ETEMPLATEREQ, interact.ENOTSELECTABLE, interact.EINTERACTOFF,
		interact.ENOTLICENSED, interact.EADDONMISSING, interact.EMODALITYOFF, interact.EORIGINREFUSED,
		interact.EUNKNOWNCONTACT, interact.EINVALIDKEY, interact.ECAPACITY, interact.ETENANTINACTIVE, interact.ETENANTREQUIRED, interact.EIMDISABLED,
		interact.ESTORAGE,
	} {
		if !regexp.MustCompile(`\b` + regexp.QuoteMeta(code) + `\b`).MatchString(d.Info.Description) {
			t.Errorf("error code %q is not documented in info.description", code)
		}
	}
}
