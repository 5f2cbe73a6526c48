package tomlkeys

import (
	"reflect"
	"slices"
	"testing"

	"github.com/BurntSushi/toml"
)

type inner struct {
	Command string `toml:"command"`
	Args    []string
	Skip    string `toml:"-"`
}

type outer struct {
	Listen   string  `toml:"listen"`
	Backends []inner `toml:"backends"`
	Limits   *inner  `toml:"limits"`
}

func TestKnown(t *testing.T) {
	typ := reflect.TypeOf(outer{})
	if got := Known(typ, nil); !slices.Equal(got, []string{"listen", "backends", "limits"}) {
		t.Errorf("top level: %v", got)
	}
	for _, path := range [][]string{{"backends"}, {"limits"}} {
		if got := Known(typ, path); !slices.Equal(got, []string{"command", "Args"}) {
			t.Errorf("%v: %v", path, got)
		}
	}
	if got := Known(typ, []string{"nope"}); got != nil {
		t.Errorf("unknown table: %v", got)
	}
}

func TestDescribe(t *testing.T) {
	for _, c := range []struct {
		key  toml.Key
		want string
	}{
		{toml.Key{"lisen"}, `"lisen" (did you mean "listen"?)`},
		{toml.Key{"backends", "comand"}, `"backends.comand" (did you mean "command"?)`},
		{toml.Key{"backends", "COMMAND"}, `"backends.COMMAND" (did you mean "command"?)`},
		{toml.Key{"limits", "arg"}, `"limits.arg" (did you mean "Args"?)`},
		{toml.Key{"telemetry"}, `"telemetry"`},
		{toml.Key{"nope", "listen"}, `"nope.listen"`},
		{toml.Key{"skip"}, `"skip"`}, // a toml:"-" field is no key
	} {
		if got := Describe(outer{}, c.key); got != c.want {
			t.Errorf("Describe(%v) = %s, want %s", c.key, got, c.want)
		}
	}
}
