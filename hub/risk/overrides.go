package risk

import "fmt"

// Overrides are an operator's categories keyed by a stable tool identity, by convention
// "agent/backend/tool" (agent empty for hub-local backends). Keys never depend on the
// definition, so an override survives rediscovery and definition changes; the store
// persists the map and the hub reloads it on write.
type Overrides map[string]Category

// Set records an override after checking the category.
func (o Overrides) Set(identity string, c Category) error {
	if !c.Valid() {
		return fmt.Errorf("risk: override for %q: unknown category %q", identity, c)
	}
	o[identity] = c
	return nil
}

// Apply returns the operator's category for identity when there is one, else c and r as
// classified.
func (o Overrides) Apply(identity string, c Category, r Reason) (Category, Reason) {
	oc, ok := o[identity]
	if !ok || !oc.Valid() {
		return c, r
	}
	return oc, Reason{Signal: SignalOverride, Detail: fmt.Sprintf("operator override (classified %s by %s)", c, r)}
}

// Classify classifies tool and applies the override for identity, if any.
func (o Overrides) Classify(identity string, tool []byte) (Category, Reason) {
	c, r := Classify(tool)
	return o.Apply(identity, c, r)
}
