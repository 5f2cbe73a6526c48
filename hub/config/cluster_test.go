package config

import (
	"strings"
	"testing"
)

// [cluster] needs PostgreSQL and a usable url; without url it is off and id alone is an error.
func TestClusterValidate(t *testing.T) {
	const pg = "postgres://db/hub"
	for _, c := range []struct {
		db      string
		cluster Cluster
		want    string // "" = valid
	}{
		{"", Cluster{}, ""},
		{pg, Cluster{URL: "http://10.0.0.5:3200"}, ""},
		{pg, Cluster{URL: "https://hub-1.internal:3200", ID: "hub-1"}, ""},
		{"", Cluster{URL: "http://10.0.0.5:3200"}, "database_url is not"},
		{pg, Cluster{URL: "10.0.0.5:3200"}, "want http"},
		{pg, Cluster{URL: "ftp://x"}, "want http"},
		{pg, Cluster{URL: "http://x/sub"}, "no path"},
		{pg, Cluster{ID: "hub-1"}, "url is not"},
	} {
		err := c.cluster.validate(c.db)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%+v on %q: %v", c.cluster, c.db, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%+v on %q: %v, want %q", c.cluster, c.db, err, c.want)
		}
	}
	if got := (Cluster{URL: "http://a:1"}).HubID(); got != "http://a:1" {
		t.Errorf("default id %q", got)
	}
}
