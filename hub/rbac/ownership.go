package rbac

// Ownership: a key and an audit row belong to one user. A caller reaches its own with the
// ".own" permission and anyone's with the ".all" one (which includes its own). A caller
// without a user (an agent key, anonymous) owns nothing. The REST API filters lists with
// these as well as checking single items, so a non-owner never sees another user's keys
// or audit rows unless a role grants keys.read.all / audit.read.all.

// CanReadKeysOf reports whether a caller (role, user id) may see the keys of owner.
func (a *Authorizer) CanReadKeysOf(role, callerID, owner string) bool {
	return a.owned(role, callerID, owner, KeysReadOwn, KeysReadAll)
}

// CanWriteKeysOf reports whether a caller may create or revoke keys of owner.
func (a *Authorizer) CanWriteKeysOf(role, callerID, owner string) bool {
	return a.owned(role, callerID, owner, KeysWriteOwn, KeysWriteAll)
}

// CanReadAuditOf reports whether a caller may see audit rows of owner ("" for rows of
// no user, such as agent events: only audit.read.all reaches those).
func (a *Authorizer) CanReadAuditOf(role, callerID, owner string) bool {
	return a.owned(role, callerID, owner, AuditReadOwn, AuditReadAll)
}

func (a *Authorizer) owned(role, callerID, owner, own, all string) bool {
	if a.Can(role, all) {
		return true
	}
	return callerID != "" && callerID == owner && a.Can(role, own)
}
