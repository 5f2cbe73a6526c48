package integrity

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// Fingerprint returns the SHA-256 (lower-case hex) of the canonical form of a tool
// definition: the whole object re-encoded with object keys sorted and insignificant
// whitespace removed, numbers and strings kept as sent. Two servers that send the same
// definition with different key order or spacing get the same fingerprint; any change to
// the name, description, schemas, annotations or any other field changes it. Input that is
// not JSON is hashed as it is, with a prefix so it never collides with a canonical form.
func Fingerprint(tool json.RawMessage) string {
	sum := sha256.Sum256(Canonical(tool))
	return hex.EncodeToString(sum[:])
}

// Canonical returns the canonical form Fingerprint hashes.
func Canonical(tool json.RawMessage) []byte {
	d := json.NewDecoder(bytes.NewReader(tool))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil || d.More() {
		return append([]byte("invalid-json:"), tool...)
	}
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil { // maps encode with sorted keys
		return append([]byte("invalid-json:"), tool...)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
