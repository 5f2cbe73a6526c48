package mcp

import "testing"

func TestStringField(t *testing.T) {
	tests := []struct {
		obj, key, want string
		ok             bool
	}{
		{`{"name":"a","description":"has \"name\":\"x\""}`, "name", "a", true},
		{`{"inputSchema":{"name":"inner"},"name":"outer"}`, "name", "outer", true},
		{`{"n\u0061me":"escaped key"}`, "name", "escaped key", true},
		{`{"name":"first","name":"last"}`, "name", "last", true},
		{`{"name":"caf\u00e9"}`, "name", "café", true},
		{`{"name":7}`, "name", "", false},
		{`{"title":"t"}`, "name", "", false},
		{`["name","x"]`, "name", "", false},
		{`{"name":"x"`, "name", "", false},
	}
	for _, tt := range tests {
		got, ok := StringField([]byte(tt.obj), tt.key)
		if got != tt.want || ok != tt.ok {
			t.Errorf("StringField(%s, %q) = %q, %v; want %q, %v", tt.obj, tt.key, got, ok, tt.want, tt.ok)
		}
	}
}

func TestSetStringField(t *testing.T) {
	tests := []struct {
		obj, key, val, want string
	}{
		{`{"name":"get_weather","inputSchema":{"name":"keep"}}`, "name", "w__get_weather",
			`{"name":"w__get_weather","inputSchema":{"name":"keep"}}`},
		{` { "uri" : "file:///a" , "mimeType":"text/plain" } `, "uri", "mcpgw://fs/file:///a",
			` { "uri" : "mcpgw://fs/file:///a" , "mimeType":"text/plain" } `},
		{`{"name":"a","name":"b"}`, "name", "c", `{"name":"c","name":"c"}`},
		{`{}`, "name", "n", `{"name":"n"}`},
		{`{"title":"t" }`, "name", "n", `{"title":"t" ,"name":"n"}`},
	}
	for _, tt := range tests {
		got, err := SetStringField([]byte(tt.obj), tt.key, tt.val)
		if err != nil || string(got) != tt.want {
			t.Errorf("SetStringField(%s) = %s, %v; want %s", tt.obj, got, err, tt.want)
		}
	}
	for _, bad := range []string{`[]`, `"s"`, ``, `{"a":`} {
		if got, err := SetStringField([]byte(bad), "name", "x"); err == nil {
			t.Errorf("SetStringField(%s) = %s, want error", bad, got)
		}
	}
}
