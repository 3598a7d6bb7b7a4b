package web

import (
	"maps"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/interact-oss/interact/web/endpoint"
)

// openapi serves the OpenAPI 3.1 description built from the route table.
func (s *Server) openapi(w http.ResponseWriter, r *http.Request) error {
	endpoint.WriteJSON(w, http.StatusOK, s.openAPIDoc())
	return nil
}

var pathParam = regexp.MustCompile(`\{([a-zA-Z]+)\}`)

// openAPIDoc describes every /api/v1 route of the table.
func (s *Server) openAPIDoc() map[string]any {
	g := &schemaGen{defs: map[string]any{}}
	paths := map[string]map[string]any{}
	for _, rt := range s.routes {
		if !strings.HasPrefix(rt.Path, "/api/v1") {
			continue
		}
		op := map[string]any{
			"summary":     rt.Summary,
			"tags":        []string{rt.Tag},
			"operationId": strings.ToLower(rt.Method) + strings.NewReplacer("/api/v1/", "_", "/", "_", "{", "", "}", "", "-", "_").Replace(rt.Path),
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.Path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, q := range rt.Query {
			params = append(params, map[string]any{"name": q, "in": "query", "schema": map[string]any{"type": "string"}})
		}
		formats := slices.Sorted(maps.Keys(rt.Formats))
		if len(formats) > 0 {
			params = append(params, map[string]any{"name": "format", "in": "query",
				"schema": map[string]any{"type": "string", "enum": append([]string{"json"}, formats...), "default": "json"}})
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.In != nil {
			op["requestBody"] = map[string]any{"required": !rt.OptionalIn, "content": map[string]any{
				"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.In))}}}
		}
		status := rt.Status
		if status == 0 {
			status = http.StatusOK
		}
		ok := map[string]any{"description": http.StatusText(status)}
		if rt.Out != nil {
			content := map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.Out))}}
			for _, f := range formats {
				mt, _, _ := strings.Cut(rt.Formats[f], ";")
				content[mt] = map[string]any{"schema": map[string]any{"type": "string"}, "x-format": f}
			}
			ok["content"] = content
		}
		op["responses"] = map[string]any{
			strconv.Itoa(status): ok,
			"default":            map[string]any{"description": "An error.", "content": map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(endpoint.ErrorShape))}}},
		}
		switch rt.Auth {
		case endpoint.AuthNone, endpoint.AuthLogin:
			op["security"] = []any{}
		}
		if paths[rt.Path] == nil {
			paths[rt.Path] = map[string]any{}
		}
		paths[rt.Path][strings.ToLower(rt.Method)] = op
	}
	codes := endpoint.ErrorCodes()
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title": "interact admin API", "version": "1",
			"description": "Errors are {\"error\":{\"code\",\"message\"}} (tenant_required adds \"tenants\":[{\"id\",\"name\"}], the tenants a sign-in may choose from with tenantId); codes: " + strings.Join(codes, ", ") +
				". Browser sessions send the X-CSRF-Token header on state-changing requests; scripts use Authorization: Bearer <API token>.",
		},
		"servers": []any{map[string]any{"url": s.cfg.PublicURL}},
		"paths":   paths,
		"components": map[string]any{
			"schemas": g.defs,
			"securitySchemes": map[string]any{
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": endpoint.SessionCookie},
				"token":   map[string]any{"type": "http", "scheme": "bearer"},
			},
		},
		"security": []any{map[string]any{"session": []any{}}, map[string]any{"token": []any{}}},
	}
}

// schemaGen turns Go types into JSON Schemas via their json tags.
type schemaGen struct{ defs map[string]any }

var timeType = reflect.TypeOf(time.Time{})

func (g *schemaGen) schema(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t.Kind() == reflect.Struct && t.Name() != "" && !strings.Contains(t.Name(), "["):
		name := t.Name()
		if _, ok := g.defs[name]; !ok {
			g.defs[name] = map[string]any{} // placeholder against recursion
			g.defs[name] = g.object(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	case t.Kind() == reflect.Struct:
		return g.object(t)
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int64, reflect.Int32:
		return map[string]any{"type": "integer"}
	case reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 { // json.RawMessage
			return map[string]any{}
		}
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map, reflect.Interface:
		return map[string]any{"type": "object"}
	}
	return map[string]any{}
}

func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	g.fields(t, props)
	return map[string]any{"type": "object", "properties": props}
}

func (g *schemaGen) fields(t reflect.Type, props map[string]any) {
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			g.fields(f.Type, props)
			continue
		}
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		sc := g.schema(f.Type)
		if f.Type.Kind() == reflect.Pointer {
			sc = nullable(sc) // a nil pointer encodes as null
		}
		props[name] = sc
	}
}

// nullable lets a schema also accept null.
func nullable(sc map[string]any) map[string]any {
	if t, ok := sc["type"].(string); ok {
		out := map[string]any{}
		for k, v := range sc {
			out[k] = v
		}
		out["type"] = []string{t, "null"}
		return out
	}
	return map[string]any{"anyOf": []any{sc, map[string]any{"type": "null"}}}
}
