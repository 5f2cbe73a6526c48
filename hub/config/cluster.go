package config

import (
	"errors"
	"fmt"
	"net/url"
)

// Cluster is the [cluster] table: several hubs on one PostgreSQL database, each serving
// every agent's tools (docs/SCALING.md). Off unless url is set.
type Cluster struct {
	// URL is where the other hubs reach this one (http://10.0.0.5:3200, https://hub-1.internal:3200):
	// they forward calls for the agents this hub holds to URL/cluster/v1/call (env
	// MCPGW_CLUSTER_URL). Setting it turns clustering on; it needs database_url.
	URL string `toml:"url"`
	// ID names this hub in the presence table and logs; unique per hub. Default: URL
	// (env MCPGW_CLUSTER_ID).
	ID string `toml:"id"`
	// CAFile is a PEM file of the certificate authorities that sign the other hubs'
	// certificates (their https urls), trusted besides the system's. Empty: the system's only.
	CAFile string `toml:"ca_file"`
}

// Enabled reports whether the hub runs as part of a cluster.
func (c Cluster) Enabled() bool { return c.URL != "" }

// HubID is ID, or URL without one.
func (c Cluster) HubID() string {
	if c.ID != "" {
		return c.ID
	}
	return c.URL
}

// validate checks the table against the database setting.
func (c Cluster) validate(databaseURL string) error {
	if !c.Enabled() {
		if c.ID != "" {
			return errors.New("cluster: id is set but url is not; set url (where the other hubs reach this one) to turn clustering on")
		}
		return nil
	}
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return fmt.Errorf("cluster: url %q: want http://host:port or https://host:port, no path", c.URL)
	}
	if databaseURL == "" {
		return errors.New("cluster: url is set but database_url is not: the hubs of a cluster share one PostgreSQL database")
	}
	return nil
}
