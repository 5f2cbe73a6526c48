package server

import (
	"fmt"
	"os"

	"github.com/BurntSushi/toml"

	"github.com/mcp-gateway/mcp-gateway/hub/gateway"
	"github.com/mcp-gateway/mcp-gateway/hub/policy"
)

// LoadPolicy reads and compiles the policy file of the policy_file setting; every error
// names the file. It also notes whether a rule has argument conditions, so that the gateway
// decodes a call's arguments only when some rule can look at them.
func LoadPolicy(file string) (*gateway.Policy, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("policy_file: %w", err)
	}
	p, err := policy.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("policy_file %s: %w", file, err)
	}
	var f policy.File
	if _, err := toml.Decode(string(data), &f); err != nil { // Parse has decoded it already
		return nil, fmt.Errorf("policy_file %s: %w", file, err)
	}
	gp := &gateway.Policy{Policy: p}
	for _, r := range f.Rules {
		if len(r.When) > 0 {
			gp.NeedsArguments = true
		}
	}
	return gp, nil
}
