package checkpoint

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
)

// KeyName is the default signer name of a key, for when none is configured:
// "archiver-" and the first 8 hex digits of the SHA-256 of the public key.
// It is the same for the same key everywhere.
func KeyName(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return "archiver-" + hex.EncodeToString(sum[:4])
}

// checkName says why name cannot be a signer name: note requires it
// non-empty, UTF-8, without spaces and without "+".
func checkName(name string) error {
	switch {
	case name == "":
		return errors.New("empty signer name")
	case !utf8.ValidString(name):
		return fmt.Errorf("signer name %s is not valid UTF-8", quote(name))
	case strings.IndexFunc(name, unicode.IsSpace) >= 0:
		return fmt.Errorf("signer name %s holds a space", quote(name))
	case strings.ContainsRune(name, '+'):
		return fmt.Errorf("signer name %s holds a \"+\"", quote(name))
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return fmt.Errorf("signer name %s holds control character %U", quote(name), r)
		}
	}
	return nil
}

// VerifierKey returns the verifier key of pub under name, in the form
// "<name>+<key hash>+<base64 key>" that note.NewVerifier reads and that an
// auditor can publish beside the checkpoints.
func VerifierKey(name string, pub ed25519.PublicKey) (string, error) {
	if err := checkName(name); err != nil {
		return "", fmt.Errorf("verifier key: %w", err)
	}
	if len(pub) != ed25519.PublicKeySize {
		return "", fmt.Errorf("verifier key: public key is %d bytes, want %d", len(pub), ed25519.PublicKeySize)
	}
	vkey, err := note.NewEd25519VerifierKey(name, pub)
	if err != nil {
		return "", fmt.Errorf("verifier key: %w", err)
	}
	return vkey, nil
}

// verifier returns the note verifier of pub under name.
func verifier(name string, pub ed25519.PublicKey) (note.Verifier, error) {
	vkey, err := VerifierKey(name, pub)
	if err != nil {
		return nil, err
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("verifier key %s: %w", vkey, err)
	}
	return v, nil
}

// signer is a note.Signer for an ed25519 private key. Its key hash is the
// one note computes for the public key's verifier.
type signer struct {
	name string
	hash uint32
	key  ed25519.PrivateKey
}

var _ note.Signer = (*signer)(nil)

func (s *signer) Name() string                    { return s.name }
func (s *signer) KeyHash() uint32                 { return s.hash }
func (s *signer) Sign(msg []byte) ([]byte, error) { return ed25519.Sign(s.key, msg), nil }

// Sign returns c signed with key under name, as a signed note: the body, a
// blank line and the signature line "— <name> <base64(key hash||sig)>".
// Open, with the key's public half and the same name, reads it back.
func Sign(c Checkpoint, name string, key ed25519.PrivateKey) ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("sign checkpoint: private key is %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	v, err := verifier(name, key.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, fmt.Errorf("sign checkpoint: %w", err)
	}
	msg, err := note.Sign(&note.Note{Text: string(c.Marshal())}, &signer{name: name, hash: v.KeyHash(), key: key})
	if err != nil {
		return nil, fmt.Errorf("sign checkpoint: %w", err)
	}
	return msg, nil
}

// ErrUnsigned is returned by Open when the checkpoint carries no signature
// by the key it was given.
var ErrUnsigned = errors.New("no signature by that key")

// ErrBadSignature is returned by Open when the checkpoint carries a
// signature by the key it was given that does not verify: the body or the
// signature was changed after signing.
var ErrBadSignature = errors.New("bad signature")

// ErrMalformed is returned when a signed checkpoint is not a well-formed
// signed note, or its text is not a checkpoint body.
var ErrMalformed = errors.New("malformed signed checkpoint")

// Open verifies that signed carries a valid signature by pub under name and
// returns the checkpoint it signs. Signatures by other keys (cosigning
// witnesses) are allowed and not checked. The error is one line, and wraps
// ErrUnsigned, ErrBadSignature or ErrMalformed.
func Open(signed []byte, pub ed25519.PublicKey, name string) (Checkpoint, error) {
	if len(signed) > MaxSize {
		return Checkpoint{}, fmt.Errorf("%w: %d bytes, more than the limit of %d", ErrMalformed, len(signed), MaxSize)
	}
	v, err := verifier(name, pub)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("open checkpoint: %w", err)
	}
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		switch {
		case errors.As(err, &unverified):
			if len(unverified.Note.UnverifiedSigs) == 0 {
				// note.Open finds at least one signature line or fails as malformed.
				return Checkpoint{}, fmt.Errorf("checkpoint: %w %s+%08x", ErrUnsigned, name, v.KeyHash())
			}
			return Checkpoint{}, fmt.Errorf("checkpoint: %w %s+%08x (signed only by %s)", ErrUnsigned, name, v.KeyHash(), signers(unverified.Note.UnverifiedSigs))
		case errors.As(err, &invalid):
			return Checkpoint{}, fmt.Errorf("checkpoint: %w by key %s+%08x (changed after signing)", ErrBadSignature, invalid.Name, invalid.Hash)
		default:
			return Checkpoint{}, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
	}
	c, err := Parse([]byte(n.Text))
	if err != nil {
		return Checkpoint{}, bodyError(err)
	}
	return c, nil
}

// signers lists the keys of sigs for a message.
func signers(sigs []note.Signature) string {
	var b strings.Builder
	for i, s := range sigs {
		if i == 5 {
			fmt.Fprintf(&b, " and %d more", len(sigs)-i)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s+%08x", quote(s.Name), s.Hash)
	}
	return b.String()
}

// ParseUnverified reads a checkpoint that may or may not be signed, without
// checking any signature: a body alone (signed is false), or a signed note
// whose text is a body (signed is true; its signature lines are checked for
// form only). It is for reading witness files when no key is given; with a
// key, use Open.
func ParseUnverified(b []byte) (c Checkpoint, signed bool, err error) {
	if len(b) > MaxSize {
		return Checkpoint{}, false, fmt.Errorf("checkpoint: %d bytes, more than the limit of %d", len(b), MaxSize)
	}
	if !strings.Contains(string(b), "\n\n") {
		// A body has no blank line; a signed note has one before its signatures.
		c, err := Parse(b)
		return c, false, err
	}
	_, err = note.Open(b, note.VerifierList())
	var unverified *note.UnverifiedNoteError
	if !errors.As(err, &unverified) {
		if err == nil {
			err = errors.New("verified by no key") // cannot happen with no verifiers
		}
		return Checkpoint{}, false, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	c, err = Parse([]byte(unverified.Note.Text))
	if err != nil {
		return Checkpoint{}, false, bodyError(err)
	}
	return c, true, nil
}

// bodyError reports a signed note whose text is not a checkpoint body.
func bodyError(err error) error {
	return fmt.Errorf("%w: body %s", ErrMalformed, strings.TrimPrefix(err.Error(), "checkpoint: "))
}
