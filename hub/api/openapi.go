package api

import (
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/mcp-gateway/mcp-gateway/shared/version"
)

// document builds the OpenAPI 3.1 document from the route table; schemas come from the Go
// types of request and response bodies, so the document cannot drift from the code.
func (a *API) document() map[string]any {
	schemas := map[string]any{
		"Error": map[string]any{"type": "object", "required": []string{"error"}, "properties": map[string]any{
			"error": map[string]any{"type": "object", "required": []string{"code", "message"}, "properties": map[string]any{
				"code":       map[string]any{"type": "string"},
				"message":    map[string]any{"type": "string"},
				"permission": map[string]any{"type": "string", "description": "the missing permission (403)"},
			}},
		}},
	}
	paths := map[string]any{}
	for _, rt := range a.routes {
		item, _ := paths[rt.Path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[rt.Path] = item
		}
		item[strings.ToLower(rt.Method)] = operation(rt, schemas)
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "mcp-gateway hub REST API", "version": version.Current(),
			"description": "Administration of an mcp-gateway hub. See docs/API.md."},
		"servers":  []any{map[string]any{"url": Prefix}},
		"security": []any{map[string]any{"bearer": []string{}}},
		"paths":    paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer",
				"description": "An mcpgw_ user API key, or a JWT access token from POST /auth/login"}},
			"schemas": schemas,
		},
	}
}

var pathParamRE = regexp.MustCompile(`\{([A-Za-z_]+)\}`)

func operation(rt route, schemas map[string]any) map[string]any {
	op := map[string]any{
		"operationId": operationID(rt),
		"summary":     rt.Summary,
		"tags":        []string{rt.Tag},
	}
	if rt.Public {
		op["security"] = []any{}
	} else if rt.Perm != "" {
		op["x-permission"] = rt.Perm
	}
	var params []any
	for _, m := range pathParamRE.FindAllStringSubmatch(rt.Path, -1) {
		params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
	}
	for _, q := range rt.Query {
		params = append(params, map[string]any{"name": q.Name, "in": "query", "description": q.Desc, "schema": map[string]any{"type": "string"}})
	}
	if params != nil {
		op["parameters"] = params
	}
	if rt.Body != nil {
		op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
			"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(rt.Body), schemas)}}}
	}
	status := rt.Status
	if status == 0 {
		status = http.StatusOK
	}
	ok := map[string]any{"description": http.StatusText(status)}
	switch {
	case rt.Stream != "":
		ok["content"] = map[string]any{rt.Stream: map[string]any{"schema": map[string]any{"type": "string"}}}
	case rt.Result != nil:
		ok["content"] = map[string]any{"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(rt.Result), schemas)}}
	}
	errRef := map[string]any{"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}}
	responses := map[string]any{strconv.Itoa(status): ok}
	for _, code := range errorStatuses(rt) {
		e := map[string]any{"description": http.StatusText(code)}
		for k, v := range errRef {
			e[k] = v
		}
		responses[strconv.Itoa(code)] = e
	}
	op["responses"] = responses
	return op
}

func errorStatuses(rt route) []int {
	var out []int
	if rt.Body != nil || len(rt.Query) > 0 {
		out = append(out, http.StatusBadRequest)
	}
	if !rt.Public {
		out = append(out, http.StatusUnauthorized, http.StatusForbidden)
	}
	if strings.Contains(rt.Path, "{") {
		out = append(out, http.StatusNotFound)
	}
	if rt.Method != "GET" {
		out = append(out, http.StatusConflict)
	}
	return out
}

func operationID(rt route) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(rt.Method))
	for _, part := range strings.FieldsFunc(rt.Path, func(r rune) bool { return r == '/' || r == '-' || r == '.' || r == '{' || r == '}' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

var timeType = reflect.TypeOf(time.Time{})

// schemaOf returns a JSON Schema for t, registering named struct types as components.
func schemaOf(t reflect.Type, schemas map[string]any) map[string]any {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t.Kind() == reflect.Struct:
		name := schemaName(t)
		if _, done := schemas[name]; !done {
			schemas[name] = map[string]any{} // placeholder: recursive types terminate
			schemas[name] = structSchema(t, schemas)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		return map[string]any{"type": "string"}
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem(), schemas)}
	case t.Kind() == reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem(), schemas)}
	case t.Kind() == reflect.Interface:
		return map[string]any{}
	}
	return map[string]any{"type": jsonKind(t)}
}

func structSchema(t reflect.Type, schemas map[string]any) map[string]any {
	props := map[string]any{}
	var required []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if !f.IsExported() || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		props[name] = schemaOf(f.Type, schemas)
		if !strings.Contains(opts, "omitempty") && f.Type.Kind() != reflect.Pointer {
			required = append(required, name)
		}
	}
	s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if required != nil {
		s["required"] = required
	}
	return s
}

func schemaName(t reflect.Type) string {
	name := t.Name()
	if base, arg, ok := strings.Cut(name, "["); ok { // List[…User] → UserList
		arg = strings.TrimSuffix(arg, "]")
		return arg[strings.LastIndexAny(arg, "./")+1:] + base
	}
	if t.PkgPath() != "" && !strings.HasSuffix(t.PkgPath(), "/hub/api") {
		return t.PkgPath()[strings.LastIndex(t.PkgPath(), "/")+1:] + "." + name
	}
	return name
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	}
	return "string"
}
