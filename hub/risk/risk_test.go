package risk

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current classifier")

func TestClassify(t *testing.T) {
	cases := []struct {
		name string
		tool string
		want Category
		sig  Signal
	}{
		// Annotations win.
		{"destructive hint", `{"name":"tidy","annotations":{"destructiveHint":true}}`, Destructive, SignalAnnotation},
		{"read-only hint beats a destructive name", `{"name":"delete_cache_entry","annotations":{"readOnlyHint":true}}`, Read, SignalAnnotation},
		{"read-only and destructive: read-only wins (destructive is meaningless then)", `{"name":"x","annotations":{"readOnlyHint":true,"destructiveHint":true}}`, Read, SignalAnnotation},
		{"open world", `{"name":"lookup","annotations":{"openWorldHint":true}}`, ExternalAPI, SignalAnnotation},
		{"open world but execute by name", `{"name":"run_remote_command","annotations":{"openWorldHint":true}}`, Execute, SignalName},
		{"open world, destructive name but destructiveHint=false", `{"name":"delete_label","annotations":{"openWorldHint":true,"destructiveHint":false}}`, ExternalAPI, SignalAnnotation},
		{"readOnlyHint=false with no word is a write", `{"name":"toggle_thing","annotations":{"readOnlyHint":false,"destructiveHint":false}}`, Write, SignalAnnotation},
		{"readOnlyHint=false lifts a read word to write", `{"name":"simulate-research-query","annotations":{"readOnlyHint":false}}`, Write, SignalAnnotation},
		{"readOnlyHint=false keeps a stronger word", `{"name":"exec_sql","annotations":{"readOnlyHint":false}}`, Execute, SignalName},
		{"readOnlyHint=false, destructiveHint=false caps a delete word at write", `{"name":"remove_tag","annotations":{"readOnlyHint":false,"destructiveHint":false}}`, Write, SignalAnnotation},
		{"only idempotentHint says nothing", `{"name":"get_weather","annotations":{"idempotentHint":true}}`, Read, SignalName},

		// Names.
		{"delete", `{"name":"delete_file"}`, Destructive, SignalName},
		{"camelCase kill", `{"name":"killProcess"}`, Destructive, SignalName},
		{"drop table", `{"name":"drop-table"}`, Destructive, SignalName},
		{"shell", `{"name":"shell"}`, Execute, SignalName},
		{"run command", `{"name":"run_command"}`, Execute, SignalName},
		{"eval", `{"name":"evaluate_js"}`, Execute, SignalName},
		{"create", `{"name":"create_issue"}`, Write, SignalName},
		{"edit", `{"name":"edit_file"}`, Write, SignalName},
		{"move", `{"name":"move_file"}`, Write, SignalName},
		{"list", `{"name":"list_directory"}`, Read, SignalName},
		{"search", `{"name":"searchFiles"}`, Read, SignalName},
		{"query is read", `{"name":"query_logs"}`, Read, SignalName},
		{"admin verb", `{"name":"grant_access"}`, Admin, SignalName},
		{"write on an admin noun", `{"name":"create_user"}`, Admin, SignalName},
		{"update config", `{"name":"update_config"}`, Admin, SignalName},
		{"set role", `{"name":"setUserRole"}`, Admin, SignalName},
		{"read on an admin noun stays read", `{"name":"list_users"}`, Read, SignalName},
		{"delete user is destructive (stronger than admin)", `{"name":"delete_user"}`, Destructive, SignalName},
		{"http", `{"name":"http_request"}`, ExternalAPI, SignalName},
		{"fetch url", `{"name":"fetch_url"}`, ExternalAPI, SignalName},
		{"send email", `{"name":"send_email"}`, ExternalAPI, SignalName},
		{"github", `{"name":"create_github_issue"}`, ExternalAPI, SignalName},
		{"acronym split", `{"name":"HTTPGet"}`, ExternalAPI, SignalName},
		{"strongest word in name wins", `{"name":"read_and_delete"}`, Destructive, SignalName},
		{"title when the name is opaque", `{"name":"t1","title":"Remove branch"}`, Destructive, SignalName},

		// Descriptions: first sentence only.
		{"description verb", `{"name":"cleanup","description":"Deletes temporary files older than a day."}`, Destructive, SignalDescription},
		{"description inflection", `{"name":"ls2","description":"Lists the entries of a folder. Does not delete anything."}`, Read, SignalDescription},
		{"description executes", `{"name":"py","description":"Executes Python code in a sandbox"}`, Execute, SignalDescription},
		{"name beats description", `{"name":"get_item","description":"Deletes nothing; returns the item."}`, Read, SignalName},

		// Near-misses and nothing.
		{"format is not destructive", `{"name":"format_date"}`, Unclassified, SignalNone},
		{"word inside a word does not count (settle, runway)", `{"name":"settle_runway"}`, Unclassified, SignalNone},
		{"process.env is not a word env", `{"name":"frobnicate","description":"Frobnicates."}`, Unclassified, SignalNone},
		{"not an object", `[1,2]`, Unclassified, SignalNone},
		{"a hint of the wrong type is ignored, the name still counts", `{"name":"delete_row","annotations":{"readOnlyHint":"yes"}}`, Destructive, SignalName},
		{"annotations of the wrong type are ignored", `{"name":"list_rows","annotations":[true]}`, Read, SignalName},
		{"a null hint is not sent", `{"name":"x","annotations":{"readOnlyHint":null}}`, Unclassified, SignalNone},
		{"a name of the wrong type is ignored", `{"name":7,"description":"Runs a shell command."}`, Execute, SignalDescription},
		{"empty", `{}`, Unclassified, SignalNone},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, r := Classify(json.RawMessage(tc.tool))
			if got != tc.want || r.Signal != tc.sig {
				t.Errorf("Classify(%s) = %s (%s), want %s by %s", tc.tool, got, r, tc.want, tc.sig)
			}
			if r.Detail == "" {
				t.Errorf("Classify(%s): reason has no detail", tc.tool)
			}
		})
	}
}

func TestConflictIsReported(t *testing.T) {
	_, r := Classify(json.RawMessage(`{"name":"delete_everything","annotations":{"readOnlyHint":true}}`))
	if !strings.Contains(r.Conflict, "delete") {
		t.Errorf("reason %q does not mention the conflicting name", r)
	}
}

func TestOverrides(t *testing.T) {
	o := Overrides{}
	if err := o.Set("laptop/fs/write_file", "harmless"); err == nil {
		t.Fatal("Set accepted an unknown category")
	}
	if err := o.Set("laptop/fs/write_file", Read); err != nil {
		t.Fatal(err)
	}
	tool := json.RawMessage(`{"name":"write_file","annotations":{"destructiveHint":true}}`)
	c, r := o.Classify("laptop/fs/write_file", tool)
	if c != Read || r.Signal != SignalOverride || !strings.Contains(r.Detail, "destructive") {
		t.Errorf("override: got %s (%s)", c, r)
	}
	// Rediscovery: a changed definition under the same identity keeps the override.
	changed := json.RawMessage(`{"name":"write_file","description":"new text","annotations":{"destructiveHint":true}}`)
	if c, _ := o.Classify("laptop/fs/write_file", changed); c != Read {
		t.Errorf("override lost after rediscovery: %s", c)
	}
	// Another identity is untouched.
	if c, r := o.Classify("other/fs/write_file", tool); c != Destructive || r.Signal != SignalAnnotation {
		t.Errorf("override leaked to another identity: %s (%s)", c, r)
	}
	// The map persists as plain JSON.
	b, _ := json.Marshal(o)
	var back Overrides
	if err := json.Unmarshal(b, &back); err != nil || back["laptop/fs/write_file"] != Read {
		t.Errorf("round trip: %s → %v, %v", b, back, err)
	}
}

func TestParseCategory(t *testing.T) {
	for _, c := range Categories {
		if got, err := ParseCategory(string(c)); err != nil || got != c {
			t.Errorf("ParseCategory(%q) = %q, %v", c, got, err)
		}
	}
	if _, err := ParseCategory("READ"); err == nil {
		t.Error("ParseCategory accepted READ")
	}
}

// TestRealServers pins the categories of the tools of the reference MCP servers, as they
// list them (testdata/*.tools.json, captured over stdio from the versions in e2e/).
func TestRealServers(t *testing.T) {
	var b strings.Builder
	for _, server := range []string{"server-everything", "server-filesystem", "server-memory"} {
		raw, err := os.ReadFile(filepath.Join("testdata", server+".tools.json"))
		if err != nil {
			t.Fatal(err)
		}
		var tools []json.RawMessage
		if err := json.Unmarshal(raw, &tools); err != nil {
			t.Fatal(err)
		}
		for _, tl := range tools {
			var n struct{ Name string }
			_ = json.Unmarshal(tl, &n)
			c, r := Classify(tl)
			if c == Unclassified {
				t.Errorf("%s/%s is unclassified", server, n.Name)
			}
			fmt.Fprintf(&b, "%s/%s\t%s\t%s\n", server, n.Name, c, r)
			// The same tool without annotations, as a server that sends none would list it:
			// this pins the word rules on realistic names and descriptions.
			var m map[string]json.RawMessage
			_ = json.Unmarshal(tl, &m)
			delete(m, "annotations")
			bare, _ := json.Marshal(m)
			c, r = Classify(bare)
			fmt.Fprintf(&b, "%s/%s (no annotations)\t%s\t%s\n", server, n.Name, c, r)
		}
	}
	golden := filepath.Join("testdata", "real-tools.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != string(want) {
		t.Errorf("classification of real tools changed; run go test -run TestRealServers -update and review the diff\ngot:\n%s\nwant:\n%s", got, want)
	}
}
