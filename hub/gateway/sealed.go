package gateway

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/auth"
)

// Sealed session ids: with Config.SessionKey set (several hubs on one database), a 2025
// session's id carries what the session needs across requests — its protocol version, the
// client's capabilities and its caller — sealed with AES-256-GCM under a key every hub of
// the cluster derives from the shared master key. A hub that gets a request with an id it
// does not hold opens the id and continues the session, so a round-robin balancer needs no
// affinity. What lives only in one hub's memory (an open GET stream, server→client
// requests awaiting an answer, a logging level, subscriptions) stays on that hub
// (docs/SCALING.md).

// sealedPrefix starts every sealed session id; the rest is base64url of nonce‖ciphertext.
const sealedPrefix = "s1."

// SealedSessionLife is how long after initialize a sealed session id can be continued on
// a hub that does not hold it. The hub that holds the session keeps it while it is used.
const SealedSessionLife = 24 * time.Hour

// maxSealedID bounds the id accepted for opening (a header a client sends).
const maxSealedID = 8 << 10

// sealedAAD binds the ciphertext to its use: the same key seals nothing else.
var sealedAAD = []byte("mcp-gateway session id v1")

var errBadSession = errors.New("not a session id of this cluster")

// sealedSession is what a sealed id carries.
type sealedSession struct {
	Version string          `json:"v"`
	Caps    json.RawMessage `json:"c,omitempty"`
	UserID  string          `json:"u,omitempty"`
	KeyID   string          `json:"k,omitempty"`
	Group   string          `json:"g,omitempty"` // the tool group endpoint it lives at ("" for /mcp)
	Expires int64           `json:"e"`           // unix seconds
}

type sessionSealer struct {
	aead cipher.AEAD
	now  func() time.Time
}

func newSessionSealer(key []byte) (*sessionSealer, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("session key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("session key: %w", err)
	}
	return &sessionSealer{aead: aead, now: time.Now}, nil
}

// seal makes the id of a session just initialized.
func (z *sessionSealer) seal(version string, caps json.RawMessage, id auth.Identity, group string) string {
	plain, _ := json.Marshal(sealedSession{Version: version, Caps: caps, UserID: id.UserID, KeyID: id.KeyID, Group: group,
		Expires: z.now().Add(SealedSessionLife).Unix()})
	nonce := make([]byte, z.aead.NonceSize(), z.aead.NonceSize()+len(plain)+z.aead.Overhead())
	_, _ = rand.Read(nonce)
	return sealedPrefix + base64.RawURLEncoding.EncodeToString(z.aead.Seal(nonce, nonce, plain, sealedAAD))
}

// open checks and reads a sealed id: anything not sealed by this cluster's key, changed,
// or past its expiry is errBadSession.
func (z *sessionSealer) open(id string) (sealedSession, error) {
	var ss sealedSession
	body, ok := strings.CutPrefix(id, sealedPrefix)
	if !ok || len(id) > maxSealedID {
		return ss, errBadSession
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	n := z.aead.NonceSize()
	if err != nil || len(raw) < n+z.aead.Overhead() {
		return ss, errBadSession
	}
	plain, err := z.aead.Open(nil, raw[:n], raw[n:], sealedAAD)
	if err != nil || json.Unmarshal(plain, &ss) != nil || ss.Version == "" {
		return ss, errBadSession
	}
	if z.now().Unix() >= ss.Expires {
		return ss, fmt.Errorf("session expired: %w", errBadSession)
	}
	return ss, nil
}

// revive continues on this hub a session another hub created, for the caller id; nil if
// the id is not a valid sealed id of this caller (answered like any unknown session).
func (g *Gateway) revive(sid string, id auth.Identity, discovery bool) (*session, error) {
	ss, err := g.sealer.open(sid)
	if err != nil {
		return nil, err
	}
	if !sameCaller(auth.Identity{UserID: ss.UserID, KeyID: ss.KeyID}, id) {
		return nil, errBadSession
	}
	var caps clientCaps
	if len(ss.Caps) > 0 && json.Unmarshal(ss.Caps, &caps) != nil {
		return nil, errBadSession
	}
	caps.seal()
	s := newSession(id, false)
	s.id, s.version, s.caps, s.group = sid, ss.Version, caps, ss.Group
	s.discovery = discovery // chosen again from the request: its URL, key and application
	s.used.Store(true)
	got, ok := g.sessions.addOrGet(s)
	if !ok {
		s.close()
		g.counts.sessionsRefused.Add(1)
		return nil, errSessionCap
	}
	if got != s {
		s.close() // another request revived it first
	}
	return got, nil
}

var errSessionCap = errors.New("session cap reached")
