package config

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// Whatever file parses, Marshal writes a file that parses to the same config, unknown keys
// included.
func FuzzMarshalRoundTrip(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/valid/*.toml")
	for _, s := range seeds {
		b, _ := os.ReadFile(s)
		f.Add(string(b))
	}
	f.Add("[agent]\nx = [{a = 1}]\n[[backends]]\nname = \"a\"\nt = {u = [1]}\n")
	f.Add("[[other]]\na = 1\n[[other]]\nb = 2\n")
	f.Fuzz(func(t *testing.T, text string) {
		c := Defaults()
		if err := c.Parse(text); err != nil {
			return
		}
		out, err := c.Marshal()
		if err != nil {
			return // a value the encoder cannot write is reported, not written wrong
		}
		again := Defaults()
		if err := again.Parse(string(out)); err != nil {
			t.Fatalf("written config does not parse: %v\ninput:\n%s\nwritten:\n%s", err, text, out)
		}
		if !reflect.DeepEqual(again.Agent, c.Agent) || !reflect.DeepEqual(again.Backends, c.Backends) {
			t.Fatalf("round trip changed the config\ninput:\n%s\nwritten:\n%s", text, out)
		}
		j1, _ := json.Marshal(unknownValues(c)) // JSON: an inline array of tables decodes as []any
		j2, _ := json.Marshal(unknownValues(again))
		if string(j1) != string(j2) {
			t.Fatalf("round trip changed unknown values\ninput:\n%s\nwritten:\n%s", text, out)
		}
	})
}

// unknownValues is the file's raw content without the known tables' known keys.
func unknownValues(c *Config) map[string]any {
	out := map[string]any{}
	for k, v := range c.raw {
		switch k {
		case "agent":
			if m := c.unknownIn(v, reflect.TypeOf(c.Agent)); len(m) > 0 {
				out[k] = m
			}
		case "backends":
			for i, b := range rawTables(v) {
				if m := c.unknownIn(b, reflect.TypeOf(c.Backends).Elem()); len(m) > 0 {
					out[fmt.Sprintf("backends[%d]", i)] = m
				}
			}
		default:
			out[k] = v
		}
	}
	return out
}
