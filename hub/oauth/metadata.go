package oauth

import "net/http"

// protectedResource serves the RFC 9728 metadata of /mcp, at the well-known path and at its
// path-suffixed form (/.well-known/oauth-protected-resource/mcp), which the 401 names.
func (s *Server) protectedResource(w http.ResponseWriter, r *http.Request) {
	iss, err := s.issuer(r)
	if err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	w.Header().Set("Access-Control-Allow-Origin", "*") // public metadata; browser-based clients read it
	writeJSON(w, http.StatusOK, map[string]any{
		"resource":                 iss + ResourcePath,
		"authorization_servers":    []string{iss},
		"scopes_supported":         []string{Scope},
		"bearer_methods_supported": []string{"header"},
		"resource_name":            "mcp-gateway",
	})
}

// authorizationServer serves the RFC 8414 metadata.
func (s *Server) authorizationServer(w http.ResponseWriter, r *http.Request) {
	iss, err := s.issuer(r)
	if err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	m := map[string]any{
		"issuer":                                         iss,
		"authorization_endpoint":                         iss + "/oauth/authorize",
		"token_endpoint":                                 iss + "/oauth/token",
		"revocation_endpoint":                            iss + "/oauth/revoke",
		"scopes_supported":                               []string{Scope},
		"response_types_supported":                       []string{"code"},
		"response_modes_supported":                       []string{"query"},
		"grant_types_supported":                          []string{"authorization_code", "refresh_token"},
		"code_challenge_methods_supported":               []string{"S256"},
		"token_endpoint_auth_methods_supported":          []string{"none"},
		"revocation_endpoint_auth_methods_supported":     []string{"none"},
		"client_id_metadata_document_supported":          true,
		"authorization_response_iss_parameter_supported": true,
	}
	if s.cfg.Registration {
		m["registration_endpoint"] = iss + "/oauth/register"
	}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	writeJSON(w, http.StatusOK, m)
}
