package oauth

import "github.com/mcp-gateway/mcp-gateway/shared/masterkey"

// ErrWrongKey: a sealed value does not open with this key (another key, or changed).
var ErrWrongKey = masterkey.ErrWrongKey

// KeyFile seals credentials with a key of its own, kept in a file of mode 0600: the agent's
// counterpart of the hub's master key, and the same sealing (docs/OAUTH-BACKENDS.md says
// why it is a separate file).
type KeyFile = masterkey.Key

// LoadKeyFile reads the key in path, creating it (32 random bytes, base64, mode 0600, its
// directory 0700) the first time. A key file others can read is refused, as ssh does.
func LoadKeyFile(path string) (*KeyFile, error) {
	return masterkey.LoadFile(path, "oauth key", "remove "+path+" to make a new key (every backend then needs a new login)")
}
