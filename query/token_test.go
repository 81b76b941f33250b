package query_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/archiver-dev/archiver/query"
)

// tokenFingerprint stands for the canonical filters of one query.
const tokenFingerprint = "kind=job region=us-east-1 from=7d"

func TestTokenRoundTrip(t *testing.T) {
	tests := []struct {
		name  string
		after []byte
	}{
		{name: "empty", after: nil},
		{name: "record key", after: []byte("job\x00us-east-1\x00drsjob-0123456789abcdefG")},
		{name: "binary", after: []byte{0, 0xff, '\n', '=', '+', '/'}},
		{name: "1000 bytes", after: bytes.Repeat([]byte{0xfb}, 1000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := query.EncodeToken(tokenFingerprint, tt.after)
			if len(tok) >= 2048 {
				t.Errorf("token of %d characters for a position of %d bytes", len(tok), len(tt.after))
			}
			if strings.ContainsAny(tok, "+/=") {
				t.Errorf("token %q is not URL-safe base64 without padding", tok)
			}
			got, err := query.DecodeToken(" "+tok+"\n", tokenFingerprint)
			if err != nil {
				t.Fatalf("DecodeToken: %v", err)
			}
			if got == nil || !bytes.Equal(got, tt.after) {
				t.Errorf("DecodeToken = %q, want %q", got, tt.after)
			}
		})
	}
}

func TestDecodeTokenErrors(t *testing.T) {
	good := query.EncodeToken(tokenFingerprint, []byte("job/drsjob-0123456789abcdefG"))
	raw, err := base64.RawURLEncoding.DecodeString(good)
	if err != nil {
		t.Fatal(err)
	}
	reversion := func(v byte) string {
		b := bytes.Clone(raw)
		b[0] = v
		return base64.RawURLEncoding.EncodeToString(b)
	}
	const bad = "starting token is not one this archiver made"
	tests := []struct {
		name        string
		tok         string
		fingerprint string
		want        error
		wantMsg     string
	}{
		{name: "other query", tok: good, fingerprint: tokenFingerprint + " status=FAILED", want: query.ErrForeignToken,
			wantMsg: "starting token belongs to a different query: give the same filters as the query that printed it"},
		{name: "no filters", tok: good, fingerprint: "", want: query.ErrForeignToken},
		{name: "empty", tok: "", fingerprint: tokenFingerprint, want: query.ErrBadToken, wantMsg: bad + " (empty)"},
		{name: "truncated header", tok: good[:8], fingerprint: tokenFingerprint, want: query.ErrBadToken, wantMsg: bad + " (too short)"},
		{name: "truncated mid-character", tok: good[:len(good)-1], fingerprint: tokenFingerprint, want: query.ErrBadToken, wantMsg: bad + " (not URL-safe base64)"},
		{name: "padded", tok: base64.URLEncoding.EncodeToString(raw[:10]), fingerprint: tokenFingerprint, want: query.ErrBadToken},
		{name: "standard alphabet", tok: base64.StdEncoding.EncodeToString([]byte{1, 0xfb, 0xff, 0xfe}), fingerprint: tokenFingerprint, want: query.ErrBadToken},
		{name: "garbled", tok: "not a token!", fingerprint: tokenFingerprint, want: query.ErrBadToken, wantMsg: bad + " (not URL-safe base64)"},
		{name: "future version", tok: reversion(2), fingerprint: tokenFingerprint, want: query.ErrBadToken, wantMsg: bad + " (format version 2, this archiver reads 1)"},
		{name: "version 0", tok: reversion(0), fingerprint: tokenFingerprint, want: query.ErrBadToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			after, err := query.DecodeToken(tt.tok, tt.fingerprint)
			if !errors.Is(err, tt.want) {
				t.Fatalf("DecodeToken(%q) = %q, %v; want %v", tt.tok, after, err, tt.want)
			}
			checkOneLine(t, err)
			if tt.wantMsg != "" && err.Error() != tt.wantMsg {
				t.Errorf("DecodeToken(%q) error\n got %s\nwant %s", tt.tok, err, tt.wantMsg)
			}
			if errors.Is(err, query.ErrBadToken) == errors.Is(err, query.ErrForeignToken) {
				t.Errorf("error %v must wrap exactly one of ErrBadToken and ErrForeignToken", err)
			}
		})
	}
}

func FuzzDecodeToken(f *testing.F) {
	f.Add(query.EncodeToken(tokenFingerprint, []byte("job/drsjob-0123456789abcdefG")))
	f.Add("AQ")
	f.Fuzz(func(t *testing.T, tok string) {
		after, err := query.DecodeToken(tok, tokenFingerprint)
		if err != nil {
			checkOneLine(t, err)
			if !errors.Is(err, query.ErrBadToken) && !errors.Is(err, query.ErrForeignToken) {
				t.Fatalf("DecodeToken(%q) error %v wraps neither sentinel", tok, err)
			}
			return
		}
		again := query.EncodeToken(tokenFingerprint, after)
		got, err := query.DecodeToken(again, tokenFingerprint)
		if err != nil || !bytes.Equal(got, after) {
			t.Fatalf("DecodeToken(%q) = %q, re-encoded as %q, decodes to %q, %v", tok, after, again, got, err)
		}
		if _, err := query.DecodeToken(again, tokenFingerprint+"x"); !errors.Is(err, query.ErrForeignToken) {
			t.Errorf("token %q accepted for another query: %v", again, err)
		}
	})
}
