package server

import (
	"encoding/json"
	"net/http"

	"github.com/mcp-gateway/mcp-gateway/hub/api"
	"github.com/mcp-gateway/mcp-gateway/hub/config"
)

// hostChecked serves h only for requests whose Host is one of the hub's names
// (config.Hosts; /mcp checks the same list itself): a web page whose own name was made to
// resolve to the hub (DNS rebinding) reaches nothing. refuse answers the others.
func (s *Server) hostChecked(h http.Handler, refuse func(w http.ResponseWriter, msg string)) http.Handler {
	hosts := s.cfg.Hosts()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !config.HostAllowed(hosts, r.Host) {
			refuse(w, "host "+r.Host+" is not allowed: this hub answers to "+hostList(hosts)+" (allowed_hosts in hub.toml)")
			return
		}
		h.ServeHTTP(w, r)
	})
}

func hostList(hosts []string) string {
	b, _ := json.Marshal(hosts)
	return string(b)
}

// refuseAPI answers in the REST API's error shape.
func refuseAPI(w http.ResponseWriter, msg string) {
	b, _ := json.Marshal(map[string]*api.Error{"error": {Code: api.CodeForbidden, Message: msg}})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusForbidden)
	_, _ = w.Write(b)
}

// refusePlain answers in plain text, which the agent shows as the reason it cannot connect.
func refusePlain(w http.ResponseWriter, msg string) { http.Error(w, msg, http.StatusForbidden) }
