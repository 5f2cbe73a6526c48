package server

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"

	"github.com/mcp-gateway/mcp-gateway/hub/cluster"
	"github.com/mcp-gateway/mcp-gateway/hub/masterkey"
)

// newCluster joins the cluster of [cluster] (docs/SCALING.md): presence, routing of the
// agents other hubs hold, and forwarding of their calls. Nil without [cluster].
func (s *Server) newCluster() (*cluster.Node, error) {
	c := s.cfg.Cluster
	if !c.Enabled() {
		return nil, nil
	}
	if s.Store.Dialect() != "postgres" {
		return nil, errors.New("cluster: [cluster] needs PostgreSQL (database_url)")
	}
	key, err := clusterKey(s.masterKey)
	if err != nil {
		return nil, err
	}
	if os.Getenv(cluster.KeyEnv) == "" && s.masterKey != nil && s.masterKey.Source() != masterkey.EnvVar {
		s.log.Warn("cluster: the cluster key is derived from the master key in " + s.masterKey.Source() +
			": every hub of the cluster needs the same master key (MCPGW_MASTER_KEY), or set " + cluster.KeyEnv + " on all of them")
	}
	var roots *x509.CertPool
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("cluster: ca_file: %w", err)
		}
		if roots, err = x509.SystemCertPool(); err != nil {
			roots = x509.NewCertPool()
		}
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("cluster: ca_file %s holds no PEM certificate", c.CAFile)
		}
	}
	n := cluster.New(cluster.Options{
		HubID: c.HubID(), URL: c.URL, Key: key, RootCAs: roots, Store: s.Store, Agents: s.Agents, Router: s.Router,
		Logger: s.log,
		// A forwarded call runs on this hub's tunnel: while the hub drains, its agent moves
		// only once such calls have ended too.
		OnCall: func(id string) func() {
			s.drainer.begin(id)
			return func() { s.drainer.end(id) }
		},
		OnAgent: func(id string, present bool) {
			if present {
				s.GW.AgentBack(id)
			} else {
				s.GW.AgentGone(id)
			}
		},
	})
	s.Upstream.SetRemote(n)
	s.log.Info("cluster: this hub serves the agents of every hub on its database", "hub_id", c.HubID(), "url", c.URL)
	return n, nil
}

// clusterID is this hub's id in the cluster, "" without [cluster].
func (s *Server) clusterID() string {
	if s.cluster == nil {
		return ""
	}
	return s.cfg.Cluster.HubID()
}

// clusterKey is MCPGW_CLUSTER_KEY, else derived from the master key.
func clusterKey(mk *masterkey.Key) ([]byte, error) {
	if v := os.Getenv(cluster.KeyEnv); v != "" {
		if len(v) < cluster.MinKeyLen {
			return nil, fmt.Errorf("cluster: %s is %d characters; use at least %d random ones (openssl rand -base64 32)", cluster.KeyEnv, len(v), cluster.MinKeyLen)
		}
		return []byte(v), nil
	}
	if mk == nil {
		return nil, fmt.Errorf("cluster: no master key to derive the cluster key from: set MCPGW_MASTER_KEY (the same on every hub) or %s", cluster.KeyEnv)
	}
	return mk.Derive(cluster.DeriveLabel), nil
}

// clusterProtocols lets the hub-to-hub channel speak HTTP/2 without TLS (h2c) when the hub
// has no TLS; with TLS, HTTP/2 comes through ALPN as for any client.
func (s *Server) clusterProtocols(srv *http.Server) {
	if s.cluster == nil {
		return
	}
	p := new(http.Protocols)
	p.SetHTTP1(true)
	p.SetHTTP2(true)
	p.SetUnencryptedHTTP2(true)
	srv.Protocols = p
}
