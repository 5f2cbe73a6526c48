package setup

import (
	"slices"
	"strings"
	"testing"
)

func TestSplitWords(t *testing.T) {
	for in, want := range map[string][]string{
		"npx -y @modelcontextprotocol/server-github": {"npx", "-y", "@modelcontextprotocol/server-github"},
		"  a\t b  ":                          {"a", "b"},
		`uvx 'my server' "x \"y\" \$z" a\ b`: {"uvx", "my server", `x "y" $z`, "a b"},
		`''`:                                 {""},
		`a"b"'c'`:                            {"abc"},
		`"C:\Program Files\x.exe"`:           {`C:\Program Files\x.exe`},
		"":                                   nil,
	} {
		got, err := SplitWords(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("SplitWords(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for in, want := range map[string]string{`a 'b`: "unclosed '", `a "b`: `unclosed "`, `a\`: "backslash"} {
		if _, err := SplitWords(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("SplitWords(%q) = %v; want an error containing %q", in, err, want)
		}
	}
}

func FuzzSplitJoin(f *testing.F) {
	for _, s := range []string{"npx -y x", `a 'b c' "d\"e"`, `it's`, "", "\\ x", "\t\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words, err := SplitWords(s)
		if err != nil {
			return
		}
		again, err := SplitWords(JoinWords(words))
		if err != nil || !slices.Equal(again, words) {
			t.Fatalf("SplitWords(JoinWords(%q)) = %q, %v", words, again, err)
		}
	})
}
