package api

// OwnerOnly is the Authorizer of a hub without role definitions: the owner role holds every
// permission and every other role none. Closed by default.
type OwnerOnly struct{}

// Can reports whether role is "owner".
func (OwnerOnly) Can(role, _ string) bool { return role == "owner" }
