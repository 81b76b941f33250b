package main

import (
	"net/url"
	"testing"
)

// FuzzCheckEndpointURL: checkEndpointURL never panics, and what it accepts
// is an http or https URL with a host.
func FuzzCheckEndpointURL(f *testing.F) {
	for _, s := range []string{"http://127.0.0.1:4566", "https://drs.us-east-1.amazonaws.com", "ftp://x", "http://", "::bad", "bucket", "http://[::1]:9", "HTTP://X"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if checkEndpointURL(s) != nil {
			return
		}
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			t.Fatalf("accepted %q", s)
		}
	})
}
