// Package tomlkeys names the keys of a TOML file that its Go struct does not know, each with
// the known key it most likely misspells ("comand" → "command").
package tomlkeys

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/BurntSushi/toml"
)

// Describe names key (from toml.MetaData.Undecoded) for a file decoded into v, with the
// nearest known key at the same level when one is close: `"backends.comand" (did you mean
// "command"?)`.
func Describe(v any, key toml.Key) string {
	s := fmt.Sprintf("%q", key.String())
	if len(key) == 0 {
		return s
	}
	if near := Nearest(key[len(key)-1], Known(reflect.TypeOf(v), key[:len(key)-1])); near != "" {
		s += fmt.Sprintf(" (did you mean %q?)", near)
	}
	return s
}

// DescribeAll is Describe of each key, joined with ", ".
func DescribeAll(v any, keys []toml.Key) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = Describe(v, k)
	}
	return strings.Join(parts, ", ")
}

// Known lists the keys t accepts in the table at path (nil when path leads nowhere known).
func Known(t reflect.Type, path []string) []string {
	t = elem(t)
	for _, p := range path {
		f, ok := field(t, p)
		if !ok {
			return nil
		}
		t = elem(f.Type)
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var keys []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if name := keyOf(f); name != "" {
			keys = append(keys, name)
		} else if f.Anonymous {
			keys = append(keys, Known(f.Type, nil)...)
		}
	}
	return keys
}

// elem looks through pointers, slices and arrays (arrays of tables) to the element type.
func elem(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
		t = t.Elem()
	}
	return t
}

// keyOf is f's TOML key, "" for a skipped or embedded field.
func keyOf(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	tag, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
	switch {
	case tag == "-":
		return ""
	case tag != "":
		return tag
	case f.Anonymous:
		return ""
	}
	return f.Name
}

func field(t reflect.Type, key string) (reflect.StructField, bool) {
	if t.Kind() != reflect.Struct {
		return reflect.StructField{}, false
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if keyOf(f) == key || (keyOf(f) != "" && strings.EqualFold(keyOf(f), key)) {
			return f, true
		}
		if f.Anonymous && keyOf(f) == "" {
			if g, ok := field(elem(f.Type), key); ok {
				return g, true
			}
		}
	}
	return reflect.StructField{}, false
}

// Nearest is the known key closest to key, "" when none is close: edit distance at most 1 for
// keys of up to 4 letters, else at most 2 (or a third of the key's length).
func Nearest(key string, known []string) string {
	best, bestD := "", -1
	limit := 2
	if len(key) <= 4 {
		limit = 1
	}
	if l := len(key) / 3; l > limit {
		limit = l
	}
	for _, k := range known {
		d := distance(strings.ToLower(key), strings.ToLower(k))
		if d <= limit && (bestD < 0 || d < bestD) {
			best, bestD = k, d
		}
	}
	return best
}

// distance is the Levenshtein distance of a and b (bytes: keys are ASCII).
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
