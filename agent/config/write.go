package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// alwaysWritten are keys written even at their zero value, because the Rust agent's
// config.toml shows them.
var alwaysWritten = map[string]bool{"agent.tls_skip_verify": true}

// ReadFile reads a config file as it is: defaults, then the file; no environment, no
// validation. It is what editors of the file (setup, backends) start from. A missing
// file is an error that matches fs.ErrNotExist.
func ReadFile(path string) (*Config, error) {
	c := Defaults()
	if err := c.readFile(path); err != nil {
		return nil, err
	}
	return c, nil
}

// ReadOrDefaults is ReadFile, except that a missing file gives the defaults.
func ReadOrDefaults(path string) (*Config, error) {
	c, err := ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Defaults(), nil
	}
	return c, err
}

// Marshal encodes the config in the format of the Rust mcp-gateway-agent: [agent], then one
// [[backends]] table per backend with its env and headers as sub-tables. Empty fields and
// defaults are left out. Keys of the file the config was read from that this agent does
// not understand are kept: at the top level, in [agent], and in each backend (matched by
// name). Comments are not kept.
func (c *Config) Marshal() ([]byte, error) {
	var w tomlWriter
	for _, k := range sortedKeys(c.raw) { // top-level keys come before the first table
		if _, isTable := asTable(c.raw[k]); !isTable && k != "backends" {
			w.keyValue(k, c.raw[k])
		}
	}
	w.table("agent", reflect.ValueOf(c.Agent), reflect.ValueOf(Defaults().Agent), c.unknownIn(c.raw["agent"], reflect.TypeOf(c.Agent)), false)
	rawBackends := rawTables(c.raw["backends"])
	for i, b := range c.Backends {
		var extra map[string]any
		if rb := matchRaw(rawBackends, i, b.Name); rb != nil {
			extra = c.unknownIn(rb, reflect.TypeOf(b))
		}
		w.table("backends", reflect.ValueOf(b), reflect.Value{}, extra, true)
	}
	for _, k := range sortedKeys(c.raw) {
		if _, isTable := asTable(c.raw[k]); isTable && k != "agent" {
			w.any([]string{k}, c.raw[k])
		}
	}
	return w.buf.Bytes(), w.err
}

// Write writes the config to path atomically (a temporary file in the same directory,
// then a rename), with mode 0600. A missing directory is created with mode 0700, and the
// agent's home directory is kept at 0700.
func (c *Config) Write(path string) error {
	text, err := c.Marshal()
	if err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real // keep a symlinked config.toml a symlink
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create config directory: %w", err)
	}
	if home, err := Home(); err == nil && sameDir(home, dir) {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("restrict %s: %w", dir, err)
		}
	}
	return WriteAtomic(path, text, 0o600)
}

func sameDir(a, b string) bool {
	a, _ = filepath.Abs(a)
	b, _ = filepath.Abs(b)
	return a == b
}

// unknownIn returns the keys of a raw table that the struct type t has no field for.
func (c *Config) unknownIn(raw any, t reflect.Type) map[string]any {
	m, _ := raw.(map[string]any)
	known := map[string]bool{}
	for i := range t.NumField() {
		known[tomlName(t.Field(i))] = true
	}
	out := map[string]any{}
	for k, v := range m {
		if !known[k] {
			out[k] = v
		}
	}
	return out
}

// matchRaw finds the file's entry for backend i called name: the same position if the
// names agree (edits keep the order), else the first entry with that name.
func matchRaw(raw []map[string]any, i int, name string) map[string]any {
	rawName := func(m map[string]any) string { s, _ := m["name"].(string); return s }
	if i < len(raw) && rawName(raw[i]) == name {
		return raw[i]
	}
	for _, m := range raw {
		if rawName(m) == name {
			return m
		}
	}
	return nil
}

func rawTables(v any) []map[string]any {
	switch t := v.(type) {
	case []map[string]any:
		return t
	case []any:
		var out []map[string]any
		for _, e := range t {
			if m, ok := e.(map[string]any); ok {
				out = append(out, m)
			}
		}
		return out
	}
	return nil
}

func tomlName(f reflect.StructField) string {
	tag := f.Tag.Get("toml")
	name, _, _ := strings.Cut(tag, ",")
	if !f.IsExported() || name == "-" {
		return ""
	}
	if name == "" {
		return f.Name
	}
	return name
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// tomlWriter writes tables field by field, in struct order, so the file reads like the
// Rust agent's. Values are encoded by the toml package.
type tomlWriter struct {
	buf bytes.Buffer
	err error
}

type subTable struct {
	key string
	val any
}

// table writes one struct as [name] (or [[name]]): its non-zero fields that differ from
// def (when valid), the extra keys, then its map fields and extra tables as sub-tables.
func (w *tomlWriter) table(name string, v, def reflect.Value, extra map[string]any, array bool) {
	if w.buf.Len() > 0 {
		w.buf.WriteByte('\n')
	}
	if array {
		fmt.Fprintf(&w.buf, "[[%s]]\n", quoteKey(name))
	} else {
		fmt.Fprintf(&w.buf, "[%s]\n", quoteKey(name))
	}
	var subs []subTable
	for i := range v.NumField() {
		key := tomlName(v.Type().Field(i))
		f := v.Field(i)
		if key == "" || (!alwaysWritten[name+"."+key] && skip(f, def, i)) {
			continue
		}
		if f.Kind() == reflect.Map {
			subs = append(subs, subTable{key, f.Interface()})
			continue
		}
		w.keyValue(key, f.Interface())
	}
	for _, k := range sortedKeys(extra) {
		if _, ok := extra[k].(map[string]any); ok {
			subs = append(subs, subTable{k, extra[k]})
			continue
		}
		w.keyValue(k, extra[k])
	}
	for _, s := range subs {
		w.any([]string{name, s.key}, s.val)
	}
}

func skip(f, def reflect.Value, i int) bool {
	if def.IsValid() && !def.Field(i).IsZero() {
		// A field with a non-zero default is written whenever it differs, even at its zero
		// value: auto_update = false must survive a rewrite.
		return reflect.DeepEqual(f.Interface(), def.Field(i).Interface())
	}
	if f.IsZero() || (f.Kind() == reflect.Map && f.Len() == 0) {
		return true
	}
	return def.IsValid() && reflect.DeepEqual(f.Interface(), def.Field(i).Interface())
}

// any writes the table v as [path] with its keys, then its sub-tables.
func (w *tomlWriter) any(path []string, v any) {
	m, _ := asTable(v)
	quoted := make([]string, len(path))
	for i, p := range path {
		quoted[i] = quoteKey(p)
	}
	w.buf.WriteByte('\n')
	fmt.Fprintf(&w.buf, "[%s]\n", strings.Join(quoted, "."))
	var nested []string
	for _, k := range sortedKeys(m) {
		if _, isTable := asTable(m[k]); isTable {
			nested = append(nested, k)
			continue
		}
		w.keyValue(k, m[k])
	}
	for _, k := range nested {
		w.any(append(slices.Clip(path), k), m[k])
	}
}

func asTable(v any) (map[string]any, bool) {
	switch t := v.(type) {
	case map[string]any:
		return t, true
	case map[string]string:
		m := make(map[string]any, len(t))
		for k, s := range t {
			m[k] = s
		}
		return m, true
	}
	return nil, false
}

func (w *tomlWriter) keyValue(key string, v any) {
	if w.err != nil {
		return
	}
	if hasTable(v) { // an array of tables would become [[key]] at the top level: inline it
		s, err := inline(v)
		if err != nil {
			w.err = fmt.Errorf("key %q: %w", key, err)
			return
		}
		fmt.Fprintf(&w.buf, "%s = %s\n", quoteKey(key), s)
		return
	}
	b, err := toml.Marshal(map[string]any{key: v})
	if err != nil {
		w.err = fmt.Errorf("key %q: %w", key, err)
		return
	}
	w.buf.Write(b)
}

// quoteKey returns a TOML key: bare when it can be, else a basic string.
func quoteKey(k string) string {
	bare := k != ""
	for _, r := range k {
		if !(r == '-' || r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')) {
			bare = false
		}
	}
	if bare {
		return k
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range k {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\u%04X", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// hasTable reports whether an array value holds a table somewhere.
func hasTable(v any) bool {
	switch t := v.(type) {
	case []map[string]any:
		return true
	case []any:
		return slices.ContainsFunc(t, func(e any) bool { _, ok := asTable(e); return ok || hasTable(e) })
	}
	return false
}

// inline encodes a value in TOML's inline form: {k = v, …} for tables, [a, b] for arrays.
func inline(v any) (string, error) {
	var parts []string
	switch t := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(t) {
			s, err := inline(t[k])
			if err != nil {
				return "", err
			}
			parts = append(parts, quoteKey(k)+" = "+s)
		}
		return "{" + strings.Join(parts, ", ") + "}", nil
	case []map[string]any:
		for _, e := range t {
			s, err := inline(e)
			if err != nil {
				return "", err
			}
			parts = append(parts, s)
		}
		return "[" + strings.Join(parts, ", ") + "]", nil
	case []any:
		for _, e := range t {
			s, err := inline(e)
			if err != nil {
				return "", err
			}
			parts = append(parts, s)
		}
		return "[" + strings.Join(parts, ", ") + "]", nil
	}
	b, err := toml.Marshal(map[string]any{"v": v})
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(strings.TrimPrefix(string(b), "v = "), "\n"), nil
}
