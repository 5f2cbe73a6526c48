package server

import (
	"fmt"

	"github.com/mcp-gateway/mcp-gateway/hub/policy"
)

// LoadPolicy reads and compiles the policy file of the policy_file setting; every error
// names the file.
func LoadPolicy(file string) (*policy.Policy, error) {
	_, p, err := loadPolicyFile(file)
	return p, err
}

func loadPolicyFile(file string) (*policy.File, *policy.Policy, error) {
	f, p, err := policy.LoadFile(file)
	if err != nil {
		return nil, nil, fmt.Errorf("policy_file: %w", err)
	}
	return &f, p, nil
}
