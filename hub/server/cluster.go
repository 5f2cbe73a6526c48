package server

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/cluster"
	"github.com/mcp-gateway/mcp-gateway/hub/router"
	"github.com/mcp-gateway/mcp-gateway/shared/masterkey"
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
			n := s.Upstream.InFlight.Begin(id)
			return func() { s.Upstream.InFlight.End(n) }
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

// clusterID is this hub's id in the cluster, "" without [cluster]. (From the configuration:
// the stored backends are loaded before the node is made.)
func (s *Server) clusterID() string {
	if !s.cfg.Cluster.Enabled() {
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

// topicResource is the broadcast of an agent's notifications/resources/updated to the other
// hubs of the cluster: a client may have subscribed through any of them (the subscribe is
// forwarded to the agent like any call), and the notification reaches only the hub that
// holds the agent's tunnel.
const topicResource = "resource"

// resourceEvent is the body of a topicResource broadcast.
type resourceEvent struct {
	Hub     string `json:"hub"` // the sender, which delivered it to its own clients already
	Agent   string `json:"agent"`
	Backend string `json:"backend"`
	URI     string `json:"uri"` // the backend's own URI
}

// shareResourceUpdated tells the other hubs that an agent's resource changed, so that each
// delivers it to the clients subscribed through it (docs/SCALING.md). In the background:
// the agent's tunnel does not wait for the database.
func (s *Server) shareResourceUpdated(agent, backendName, uri string) {
	if s.cluster == nil {
		return
	}
	b, _ := json.Marshal(resourceEvent{Hub: s.clusterID(), Agent: agent, Backend: backendName, URI: uri})
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Store.Broadcast(ctx, topicResource, string(b)); err != nil {
			s.log.Warn("cluster: could not tell the other hubs of a resource update; their subscribers miss it",
				"agent", agent, "backend", backendName, "err", err)
		}
	}()
}

// resourceUpdatedElsewhere delivers a resource update another hub's agent sent, named by a
// topicResource broadcast's body, to the clients subscribed through this hub.
func (s *Server) resourceUpdatedElsewhere(body string) {
	var ev resourceEvent
	if err := json.Unmarshal([]byte(body), &ev); err != nil || ev.Agent == "" || ev.URI == "" {
		s.log.Warn("cluster: a malformed resource update broadcast; ignored", "body", body)
		return
	}
	if ev.Hub == s.clusterID() {
		return // ours: delivered when the agent sent it
	}
	s.GW.ResourceUpdated(s.Router.Table().ExposeURI(router.Target{Agent: ev.Agent, Backend: ev.Backend, Name: ev.URI}))
}
