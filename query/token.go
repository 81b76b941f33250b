package query

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// A starting token lets a listing resume where an earlier page stopped, as
// --starting-token does in the AWS CLI. It is URL-safe base64 without
// padding of:
//
//	byte 0      format version (tokenVersion)
//	bytes 1..8  the first 8 bytes of the SHA-256 of the query's fingerprint
//	bytes 9..   the resume position, opaque here
//
// The hash ties a token to the query that printed it, so that a token given
// with other filters is refused instead of silently skipping records. It is
// a check against mistakes, not a signature: a token is not secret, and the
// position it yields is user input. Tokens do not expire.

// Errors returned by DecodeToken.
var (
	// ErrBadToken is returned when a starting token was not made by
	// EncodeToken of this archiver: garbled, truncated, or of another format
	// version.
	ErrBadToken = errors.New("starting token is not one this archiver made")
	// ErrForeignToken is returned when a starting token was made for a query
	// with other filters.
	ErrForeignToken = errors.New("starting token belongs to a different query: give the same filters as the query that printed it")
)

const (
	tokenVersion = 1
	tokenHashLen = 8
	tokenHeader  = 1 + tokenHashLen
)

var tokenEncoding = base64.RawURLEncoding.Strict()

// EncodeToken returns a starting token that resumes the query described by
// fingerprint at position after. The fingerprint is a canonical string of
// the query's filters as the user gave them (a relative --from such as 7d,
// not the instant it resolved to), so that the next run of the same command
// line accepts the token. A position of up to 1,000 bytes gives a token of
// under 1,400 characters.
func EncodeToken(fingerprint string, after []byte) string {
	b := make([]byte, 0, tokenHeader+len(after))
	b = append(b, tokenVersion)
	b = append(b, fingerprintHash(fingerprint)...)
	b = append(b, after...)
	return tokenEncoding.EncodeToString(b)
}

// DecodeToken returns the position held by tok, a token from EncodeToken,
// after checking that it was made for the query described by fingerprint.
// Surrounding spaces are ignored. Errors are one line and wrap ErrBadToken
// or ErrForeignToken. The position is never nil.
func DecodeToken(tok, fingerprint string) ([]byte, error) {
	b, err := tokenEncoding.DecodeString(strings.TrimSpace(tok))
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w (not URL-safe base64)", ErrBadToken)
	case len(b) == 0:
		return nil, fmt.Errorf("%w (empty)", ErrBadToken)
	case b[0] != tokenVersion:
		return nil, fmt.Errorf("%w (format version %d, this archiver reads %d)", ErrBadToken, b[0], tokenVersion)
	case len(b) < tokenHeader:
		return nil, fmt.Errorf("%w (too short)", ErrBadToken)
	case !bytes.Equal(b[1:tokenHeader], fingerprintHash(fingerprint)):
		return nil, ErrForeignToken
	}
	return b[tokenHeader:], nil
}

func fingerprintHash(fingerprint string) []byte {
	sum := sha256.Sum256([]byte(fingerprint))
	return sum[:tokenHashLen]
}
