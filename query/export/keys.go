package export

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// ErrBadKey is wrapped by the errors of ParsePrivateKey and ParsePublicKey.
var ErrBadKey = errors.New("not an ed25519 key")

// ParsePrivateKey reads an ed25519 private key in PEM ("PRIVATE KEY",
// PKCS #8), as `openssl genpkey -algorithm ed25519` writes it.
func ParsePrivateKey(b []byte) (ed25519.PrivateKey, error) {
	der, err := pemBlock(b, "PRIVATE KEY")
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadKey, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%w: a %T", ErrBadKey, k)
	}
	return priv, nil
}

// ParsePublicKey reads an ed25519 public key in PEM ("PUBLIC KEY", PKIX),
// as `openssl pkey -pubout` writes it.
func ParsePublicKey(b []byte) (ed25519.PublicKey, error) {
	der, err := pemBlock(b, "PUBLIC KEY")
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadKey, err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: a %T", ErrBadKey, k)
	}
	return pub, nil
}

// pemBlock returns the bytes of the first PEM block of type typ in b.
func pemBlock(b []byte, typ string) ([]byte, error) {
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			return nil, fmt.Errorf("%w: no PEM block %q", ErrBadKey, typ)
		}
		if block.Type == typ {
			return block.Bytes, nil
		}
	}
}
