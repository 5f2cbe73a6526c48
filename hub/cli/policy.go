package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/mcp-gateway/mcp-gateway/hub/policy"
	"github.com/mcp-gateway/mcp-gateway/hub/router"
)

const policyUsage = `Usage:
  mcp-gateway-hub policy check FILE              validate a policy file
  mcp-gateway-hub policy test FILE CASES         run golden cases; non-zero exit on a mismatch
  mcp-gateway-hub policy explain FILE --tool NAME [--original N] [--agent A] [--backend B]
      [--risk R] [--role R] [--app A] [--arg KEY=VALUE]... [--args JSON] [--json]
                                                 dry run: which rule decides, and why
The file format is in docs/POLICY.md.
`

// ErrPolicyMismatch is returned by "policy test" when a case is not decided as expected.
var ErrPolicyMismatch = errors.New("policy cases failed")

func policyCmd(_ context.Context, args []string, env Env) error {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, policyUsage)
		return ErrUsage
	}
	switch args[0] {
	case "check":
		if len(args) != 2 {
			break
		}
		p, err := policy.Load(args[1])
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%s: %d rules, default %s\n", args[1], p.Len(), p.Default())
		return nil
	case "test":
		if len(args) != 3 {
			break
		}
		return policyTest(args[1], args[2], env)
	case "explain":
		return policyExplain(args[1:], env)
	}
	fmt.Fprint(env.Stderr, policyUsage)
	return ErrUsage
}

func policyTest(file, casesFile string, env Env) error {
	p, err := policy.Load(file)
	if err != nil {
		return err
	}
	cases, err := policy.LoadCases(casesFile)
	if err != nil {
		return err
	}
	failed := 0
	for _, c := range cases {
		d, err := c.Check(p)
		if err != nil {
			failed++
			fmt.Fprintf(env.Stdout, "FAIL  %s: %v\n", c.Name, err)
			continue
		}
		fmt.Fprintf(env.Stdout, "ok    %s: %s by %s\n", c.Name, d.Effect, d.Rule)
	}
	fmt.Fprintf(env.Stdout, "%d cases, %d failed\n", len(cases), failed)
	if failed > 0 {
		return fmt.Errorf("%w: %d of %d", ErrPolicyMismatch, failed, len(cases))
	}
	return nil
}

func policyExplain(args []string, env Env) error {
	fs := flag.NewFlagSet("policy explain", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	var in policy.Input
	var t router.Target
	in.Arguments = map[string]any{}
	fs.StringVar(&in.Tool, "tool", "", "exposed tool name (required)")
	fs.StringVar(&t.Name, "original", "", "the tool's original name at its backend")
	fs.StringVar(&t.Agent, "agent", "", "agent id (empty for a hub-local backend)")
	fs.StringVar(&t.Backend, "backend", "", "backend name")
	fs.StringVar(&in.Risk, "risk", "", "risk category")
	fs.StringVar(&in.Role, "role", "", "caller role")
	fs.StringVar(&in.Application, "app", "", "calling application")
	asJSON := fs.Bool("json", false, "print the explanation as JSON")
	fs.Func("arg", "argument KEY=VALUE; VALUE is JSON if it parses, else a string (repeatable)", func(s string) error {
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" {
			return errors.New("want KEY=VALUE")
		}
		var val any
		if json.Unmarshal([]byte(v), &val) != nil {
			val = v
		}
		in.Arguments[k] = val
		return nil
	})
	fs.Func("args", "all arguments as a JSON object", func(s string) error {
		return json.Unmarshal([]byte(s), &in.Arguments)
	})
	f := &flagSet{FlagSet: fs}
	if err := f.Parse(args); err != nil || f.NArg() != 1 || in.Tool == "" {
		if err == nil {
			fmt.Fprint(env.Stderr, policyUsage)
		}
		return ErrUsage
	}
	in.Target = t
	p, err := policy.Load(f.Arg(0))
	if err != nil {
		return err
	}
	e := p.Explain(in)
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(e)
	}
	for _, st := range e.Steps {
		mark := "  no "
		if st.Matched {
			mark = "  YES"
		}
		fmt.Fprintf(env.Stdout, "%s %-24s %-5s priority %d: %s\n", mark, st.Rule, st.Effect, st.Priority, st.Why)
	}
	if e.Decision.Rule == policy.DefaultRule {
		fmt.Fprintf(env.Stdout, "  no rule matched: default %s\n", e.Decision.Effect)
	}
	fmt.Fprintf(env.Stdout, "decision: %s by %s: %s\nvisible in lists: %v\n", e.Decision.Effect, e.Decision.Rule, e.Decision.Reason, e.Visible)
	return nil
}
