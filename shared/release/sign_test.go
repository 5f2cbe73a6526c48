package release

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"testing"
)

func keyPair(t *testing.T) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	pubS, privS, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicKey(pubS + "\n")
	if err != nil {
		t.Fatal(err)
	}
	priv, err := ParsePrivateKey(privS)
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

func TestSignVerify(t *testing.T) {
	pub, priv := keyPair(t)
	otherPub, otherPriv := keyPair(t)
	text := []byte(sumA + "  a.tar.gz\n")
	sig := Sign(priv, text)
	if err := Verify([]ed25519.PublicKey{pub}, text, sig); err != nil {
		t.Fatalf("good signature refused: %v", err)
	}
	if err := Verify([]ed25519.PublicKey{otherPub, pub}, text, sig); err != nil {
		t.Fatalf("good signature refused when the second of two keys: %v", err)
	}
	refused := map[string]error{
		"other key":       Verify([]ed25519.PublicKey{otherPub}, text, sig),
		"other signer":    Verify([]ed25519.PublicKey{pub}, text, Sign(otherPriv, text)),
		"changed text":    Verify([]ed25519.PublicKey{pub}, append([]byte{}, append(text, '\n')...), sig),
		"not base64":      Verify([]ed25519.PublicKey{pub}, text, []byte("!!!")),
		"short signature": Verify([]ed25519.PublicKey{pub}, text, []byte(base64.StdEncoding.EncodeToString([]byte("short")))),
	}
	for name, err := range refused {
		if !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: got %v, want ErrBadSignature", name, err)
		}
	}
	if err := Verify(nil, text, sig); !errors.Is(err, ErrNoKeys) {
		t.Errorf("no keys: got %v", err)
	}
}

func TestParseKeysRefuseWrongSizes(t *testing.T) {
	if _, err := ParsePublicKey(base64.StdEncoding.EncodeToString(make([]byte, 31))); err == nil {
		t.Error("31-byte public key accepted")
	}
	if _, err := ParsePublicKey("not base64!"); err == nil {
		t.Error("non-base64 public key accepted")
	}
	if _, err := ParsePrivateKey(base64.StdEncoding.EncodeToString(make([]byte, 64))); err == nil {
		t.Error("64-byte private key accepted (a seed is 32)")
	}
}
