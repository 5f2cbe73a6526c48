package cli

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/mcp-gateway/mcp-gateway/hub/policy"
)

func object(raw []byte) (map[string]any, error) {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("the hub's answer is not a JSON object: %w", err)
	}
	return m, nil
}

// showNext prints the cursor of the next page, if any.
func (r *remote) showNext(raw []byte) error {
	if r.json {
		return nil
	}
	m, err := object(raw)
	if err != nil {
		return err
	}
	if next, _ := m["next"].(string); next != "" {
		fmt.Fprintf(r.env.Stdout, "\nmore: --cursor %s\n", next)
	}
	return nil
}

// showPolicy prints GET /policies: where the policy comes from, the default, the rules.
func (r *remote) showPolicy(raw []byte) error {
	if r.json {
		return r.show(raw)
	}
	m, err := object(raw)
	if err != nil {
		return err
	}
	fmt.Fprintf(r.env.Stdout, "source: %s", cell(m["source"]))
	if f, _ := m["file"].(string); f != "" {
		fmt.Fprintf(r.env.Stdout, " (%s)", f)
	}
	fmt.Fprintf(r.env.Stdout, "\ndefault: %s\n\n", cell(m["default"]))
	rules, _ := m["rules"].([]any)
	return r.table(rules, []string{"name", "effect", "priority", "tools", "risk", "roles", "applications", "reason"})
}

// showExplanation prints a dry run: the decision and each rule considered.
func (r *remote) showExplanation(raw []byte) error {
	if r.json {
		return r.show(raw)
	}
	var ex policy.Explanation
	if err := json.Unmarshal(raw, &ex); err != nil {
		return fmt.Errorf("the hub's answer is not an explanation: %w", err)
	}
	fmt.Fprintf(r.env.Stdout, "decision: %s by %s: %s\n\n", ex.Decision.Effect, ex.Decision.Rule, ex.Decision.Reason)
	tw := tabwriter.NewWriter(r.env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tPRIORITY\tEFFECT\tMATCHED\tWHY")
	for _, s := range ex.Steps {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%v\t%s\n", s.Rule, s.Priority, s.Effect, s.Matched, s.Why)
	}
	return tw.Flush()
}
