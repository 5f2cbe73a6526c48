package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/mcp-gateway/mcp-gateway/hub/policy"
	"github.com/mcp-gateway/mcp-gateway/hub/rbac"
	"github.com/mcp-gateway/mcp-gateway/hub/router"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// PolicySetting is the settings key that holds the policy (JSON of policy.File) when the hub
// has no policy_file.
const PolicySetting = "policy"

// Policy sources.
const (
	PolicyFromFile     = "file"     // policy_file: read-only here
	PolicyFromDatabase = "database" // the "policy" setting, edited through this API
	PolicyNone         = "none"     // no policy: every call RBAC lets through is allowed
)

// Policies is the answer to GET /policies.
type Policies struct {
	Source string `json:"source"`
	Path   string `json:"file,omitempty"` // the policy_file, when Source is "file"
	policy.File
}

// PolicyDefault is the body of PUT /policies/default.
type PolicyDefault struct {
	Default       string `json:"default"`
	DefaultReason string `json:"default_reason,omitempty"`
}

// DryRun is the body of POST /policies/dry-run: one call to explain. When tool names a tool
// the hub exposes, its agent, backend, original name, alias and risk are filled in unless given.
type DryRun struct {
	Tool        string         `json:"tool"`
	Alias       string         `json:"alias,omitempty"`
	Agent       string         `json:"agent,omitempty"`
	Backend     string         `json:"backend,omitempty"`
	Original    string         `json:"original,omitempty"`
	Risk        string         `json:"risk,omitempty"`
	Application string         `json:"application,omitempty"`
	Role        string         `json:"role,omitempty"`
	Arguments   map[string]any `json:"arguments,omitempty"`
}

func (a *API) policyRoutes() []route {
	return []route{
		{Method: "GET", Path: "/policies", Perm: rbac.PoliciesRead, Tag: "policies",
			Summary: "The policy in force: its source, default and rules", Result: Policies{}, handle: a.getPolicies},
		{Method: "POST", Path: "/policies/rules", Perm: rbac.PoliciesWrite, Tag: "policies",
			Summary: "Add a rule (409 when the policy lives in policy_file)", Body: policy.Rule{}, Result: Policies{},
			Status: http.StatusCreated, handle: a.addRule},
		{Method: "PUT", Path: "/policies/rules/{name}", Perm: rbac.PoliciesWrite, Tag: "policies",
			Summary: "Replace a rule", Body: policy.Rule{}, Result: Policies{}, handle: a.putRule},
		{Method: "DELETE", Path: "/policies/rules/{name}", Perm: rbac.PoliciesWrite, Tag: "policies",
			Summary: "Delete a rule", Status: http.StatusNoContent, handle: a.deleteRule},
		{Method: "PUT", Path: "/policies/default", Perm: rbac.PoliciesWrite, Tag: "policies",
			Summary: "Set the decision when no rule matches", Body: PolicyDefault{}, Result: Policies{}, handle: a.putDefault},
		{Method: "POST", Path: "/policies/dry-run", Perm: rbac.PoliciesRead, Tag: "policies",
			Summary: "Explain which rule decides a call, without making it", Body: DryRun{}, Result: policy.Explanation{}, ReadOnly: true, handle: a.dryRun},
	}
}

// currentPolicy loads the policy in force and where it comes from.
func (a *API) currentPolicy(ctx context.Context) (Policies, error) {
	if a.d.PolicyFile != "" {
		p := Policies{Source: PolicyFromFile, Path: a.d.PolicyFile}
		if a.d.FilePolicy == nil {
			return p, fmt.Errorf("policy_file %s: the hub passed no loaded policy", a.d.PolicyFile)
		}
		p.File = *a.d.FilePolicy
		return p, nil
	}
	raw, err := a.d.Store.GetSetting(ctx, PolicySetting)
	if errors.Is(err, store.ErrNotFound) {
		return Policies{Source: PolicyNone, File: policy.File{Default: string(policy.Allow), Rules: []policy.Rule{}}}, nil
	}
	if err != nil {
		return Policies{}, err
	}
	p := Policies{Source: PolicyFromDatabase}
	if err := json.Unmarshal([]byte(raw), &p.File); err != nil {
		return p, fmt.Errorf("stored policy: %w", err)
	}
	return p, nil
}

// writePolicy validates f by compiling it, stores it, and swaps the gateway's policy.
func (a *API) writePolicy(ctx context.Context, f policy.File) error {
	if _, err := policy.Compile(f); err != nil {
		return invalid("%s", err.Error())
	}
	raw, err := json.Marshal(f)
	if err != nil {
		return err
	}
	if err := a.d.Store.PutSetting(ctx, PolicySetting, string(raw)); err != nil {
		return err
	}
	if a.d.SetPolicy != nil {
		if err := a.d.SetPolicy(&f); err != nil {
			return fmt.Errorf("apply policy: %w", err)
		}
	}
	return nil
}

// editPolicy runs change on the stored policy under the API's policy lock and writes it. A
// hub without a stored policy starts from "default allow, no rules" (what it does without one).
func (a *API) editPolicy(ctx context.Context, change func(f *policy.File) error) (Policies, error) {
	if a.d.PolicyFile != "" {
		return Policies{}, conflict("policies are managed in %s (policy_file); edit that file", a.d.PolicyFile)
	}
	a.policyMu.Lock()
	defer a.policyMu.Unlock()
	cur, err := a.currentPolicy(ctx)
	if err != nil {
		return cur, err
	}
	cur.Rules = slices.Clone(cur.Rules)
	if err := change(&cur.File); err != nil {
		return cur, err
	}
	if err := a.writePolicy(ctx, cur.File); err != nil {
		return cur, err
	}
	cur.Source = PolicyFromDatabase
	return cur, nil
}

func (a *API) getPolicies(w http.ResponseWriter, r *http.Request, _ *Caller) error {
	p, err := a.currentPolicy(r.Context())
	if err != nil {
		return err
	}
	if p.Rules == nil {
		p.Rules = []policy.Rule{}
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func ruleIndex(f *policy.File, name string) int {
	return slices.IndexFunc(f.Rules, func(r policy.Rule) bool { return r.Name == name })
}

func (a *API) addRule(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var rule policy.Rule
	if err := decode(w, r, &rule); err != nil {
		return err
	}
	p, err := a.editPolicy(r.Context(), func(f *policy.File) error {
		if ruleIndex(f, rule.Name) >= 0 {
			return conflict("rule %q already exists; PUT /policies/rules/%s replaces it", rule.Name, rule.Name)
		}
		f.Rules = append(f.Rules, rule)
		return nil
	})
	if err != nil {
		return err
	}
	a.record(r, c, "policies.rule.create", rule.Name, rule)
	writeJSON(w, http.StatusCreated, p)
	return nil
}

func (a *API) putRule(w http.ResponseWriter, r *http.Request, c *Caller) error {
	name := r.PathValue("name")
	var rule policy.Rule
	if err := decode(w, r, &rule); err != nil {
		return err
	}
	if rule.Name == "" {
		rule.Name = name
	}
	p, err := a.editPolicy(r.Context(), func(f *policy.File) error {
		i := ruleIndex(f, name)
		if i < 0 {
			return notFound("rule %q does not exist", name)
		}
		if rule.Name != name && ruleIndex(f, rule.Name) >= 0 {
			return conflict("cannot rename rule %q to %q: that name is taken", name, rule.Name)
		}
		f.Rules[i] = rule
		return nil
	})
	if err != nil {
		return err
	}
	a.record(r, c, "policies.rule.update", name, rule)
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (a *API) deleteRule(w http.ResponseWriter, r *http.Request, c *Caller) error {
	name := r.PathValue("name")
	_, err := a.editPolicy(r.Context(), func(f *policy.File) error {
		i := ruleIndex(f, name)
		if i < 0 {
			return notFound("rule %q does not exist", name)
		}
		f.Rules = slices.Delete(f.Rules, i, i+1)
		return nil
	})
	if err != nil {
		return err
	}
	a.record(r, c, "policies.rule.delete", name, nil)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) putDefault(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var d PolicyDefault
	if err := decode(w, r, &d); err != nil {
		return err
	}
	if d.Default != string(policy.Allow) && d.Default != string(policy.Deny) {
		return invalid("default must be \"allow\" or \"deny\", got %q", d.Default)
	}
	p, err := a.editPolicy(r.Context(), func(f *policy.File) error {
		f.Default, f.DefaultReason = d.Default, d.DefaultReason
		return nil
	})
	if err != nil {
		return err
	}
	a.record(r, c, "policies.default", d.Default, d)
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (a *API) dryRun(w http.ResponseWriter, r *http.Request, _ *Caller) error {
	var in DryRun
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.Tool == "" {
		return invalid("tool is required: the exposed name of the tool to explain")
	}
	cur, err := a.currentPolicy(r.Context())
	if err != nil {
		return err
	}
	p, err := policy.Compile(cur.File)
	if err != nil {
		return invalid("the stored policy does not compile: %s", err.Error())
	}
	pin := policy.Input{Tool: in.Tool, Alias: in.Alias, Risk: in.Risk, Application: in.Application, Role: in.Role,
		Target: router.Target{Agent: in.Agent, Backend: in.Backend, Name: in.Original}, Arguments: in.Arguments}
	if a.d.Tools != nil {
		if t, ok := a.d.Tools.Get(in.Tool); ok {
			fill := func(dst *string, v string) {
				if *dst == "" {
					*dst = v
				}
			}
			fill(&pin.Alias, t.Alias)
			fill(&pin.Risk, t.Risk)
			fill(&pin.Target.Agent, t.Agent)
			fill(&pin.Target.Backend, t.Backend)
			fill(&pin.Target.Name, t.Tool)
		}
	}
	if pin.Arguments == nil {
		pin.Arguments = map[string]any{}
	}
	writeJSON(w, http.StatusOK, p.Explain(pin))
	return nil
}
