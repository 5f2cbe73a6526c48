package api

import "net/http"

// table lists every endpoint. The OpenAPI document is generated from it, and a test checks
// that the two agree.
func (a *API) table() []route {
	var rs []route
	rs = append(rs, route{Method: "GET", Path: "/openapi.json", Public: true, Tag: "meta",
		Summary: "This API's OpenAPI 3.1 document", handle: a.openapi})
	rs = append(rs, a.sessionRoutes()...)
	rs = append(rs, a.userRoutes()...)
	rs = append(rs, a.roleRoutes()...)
	rs = append(rs, a.keyRoutes()...)
	rs = append(rs, a.agentRoutes()...)
	rs = append(rs, a.backendRoutes()...)
	rs = append(rs, a.backendLoginRoutes()...)
	rs = append(rs, a.groupRoutes()...)
	rs = append(rs, a.toolRoutes()...)
	rs = append(rs, a.policyRoutes()...)
	rs = append(rs, a.auditRoutes()...)
	rs = append(rs, a.usageRoutes()...)
	rs = append(rs, a.statusRoutes()...)
	rs = append(rs, a.connectRoutes()...)
	return rs
}

func (a *API) openapi(w http.ResponseWriter, r *http.Request, _ *Caller) error {
	writeJSON(w, http.StatusOK, a.doc)
	return nil
}
