package server

import (
	"fmt"

	"github.com/mcp-gateway/mcp-gateway/hub/policy"
)

// LoadPolicy reads and compiles the policy file of the policy_file setting; every error
// names the file.
func LoadPolicy(file string) (*policy.Policy, error) {
	p, err := policy.Load(file)
	if err != nil {
		return nil, fmt.Errorf("policy_file: %w", err)
	}
	return p, nil
}
