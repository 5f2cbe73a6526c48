package risk_test

import (
	"encoding/json"
	"fmt"

	"github.com/mcp-gateway/mcp-gateway/hub/risk"
)

func ExampleClassify() {
	for _, tool := range []string{
		`{"name":"write_file","annotations":{"readOnlyHint":false,"destructiveHint":true}}`,
		`{"name":"create_user"}`,
		`{"name":"cleanup","description":"Deletes temporary files. Never touches sources."}`,
	} {
		c, r := risk.Classify(json.RawMessage(tool))
		fmt.Printf("%s — %s\n", c, r)
	}
	// Output:
	// destructive — annotation: destructiveHint=true
	// admin — name: words "create" and "user" in name "create_user"
	// destructive — description: word "delete" in description "Deletes temporary files."
}

func ExampleOverrides() {
	o := risk.Overrides{}
	_ = o.Set("laptop/fs/write_file", risk.Write)
	c, r := o.Classify("laptop/fs/write_file", json.RawMessage(`{"name":"write_file","annotations":{"destructiveHint":true}}`))
	fmt.Printf("%s — %s\n", c, r)
	// Output:
	// write — override: operator override (classified destructive by annotation: destructiveHint=true)
}
