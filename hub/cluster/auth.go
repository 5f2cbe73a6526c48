package cluster

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// KeyEnv gives the cluster key; without it, the key is derived from the master key, which
// the hubs of one database share already (docs/IDENTITY.md).
const KeyEnv = "MCPGW_CLUSTER_KEY"

// MinKeyLen is the shortest MCPGW_CLUSTER_KEY accepted.
const MinKeyLen = 32

// DeriveLabel is the master key derivation's label for the cluster key.
const DeriveLabel = "mcp-gateway cluster key v1"

// Headers of a forwarded call. Authorization carries "Cluster " and the hex HMAC-SHA256,
// under the cluster key, of the calling hub's id, the time and the agent (see mac).
const (
	headerHub   = "X-Mcpgw-Cluster-Hub"
	headerTime  = "X-Mcpgw-Cluster-Time" // Unix milliseconds
	headerAgent = "X-Mcpgw-Cluster-Agent"
	authScheme  = "Cluster "
)

// MaxSkew bounds how far a forwarded call's time may be from the receiver's clock, which
// bounds how long a captured credential could be replayed (over TLS it cannot be captured).
const MaxSkew = time.Minute

func mac(key []byte, hub, at, agent string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("mcp-gateway cluster call v1\n" + hub + "\n" + at + "\n" + agent))
	return hex.EncodeToString(m.Sum(nil))
}

// sign adds the credential of a call for agent to req.
func sign(req *http.Request, key []byte, hub, agent string, now time.Time) {
	at := strconv.FormatInt(now.UnixMilli(), 10)
	req.Header.Set(headerHub, hub)
	req.Header.Set(headerTime, at)
	req.Header.Set(headerAgent, agent)
	req.Header.Set("Authorization", authScheme+mac(key, hub, at, agent))
}

// errCredential is the reason, for the log, a credential was refused; the caller gets
// the same 401 whatever it is.
var errCredential = errors.New("missing or bad cluster credential")

// verify checks a forwarded call's credential: the HMAC compared in constant time, and the
// time within MaxSkew. It returns the calling hub's id and the agent.
func verify(req *http.Request, key []byte, now time.Time) (hub, agent string, err error) {
	var at string
	hub, at, agent = req.Header.Get(headerHub), req.Header.Get(headerTime), req.Header.Get(headerAgent)
	got, ok := strings.CutPrefix(req.Header.Get("Authorization"), authScheme)
	if !ok || hub == "" || agent == "" || at == "" {
		return "", "", errCredential
	}
	if !hmac.Equal([]byte(got), []byte(mac(key, hub, at, agent))) {
		return "", "", errCredential
	}
	ms, err := strconv.ParseInt(at, 10, 64)
	if err != nil {
		return "", "", errCredential
	}
	if d := now.Sub(time.UnixMilli(ms)); d > MaxSkew || d < -MaxSkew {
		return "", "", errors.New("cluster credential outside the allowed clock skew: check the hubs' clocks (NTP)")
	}
	return hub, agent, nil
}
