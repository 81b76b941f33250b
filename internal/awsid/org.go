package awsid

import (
	"fmt"
	"strings"
)

// isRoleNameChar reports whether c may appear in an IAM role name: letters,
// digits and +=,.@_-.
func isRoleNameChar(c byte) bool {
	return isAlnum(c) || strings.IndexByte("+=,.@_-", c) >= 0
}

// ParseRoleName returns s, trimmed, if it is an IAM role name: 1 to 64
// letters, digits and +=,.@_- characters, such as ArchiverReadOnly.
func ParseRoleName(s string) (string, error) {
	s = strings.TrimSpace(s)
	ok := len(s) >= 1 && len(s) <= 64
	for i := 0; ok && i < len(s); i++ {
		ok = isRoleNameChar(s[i])
	}
	if !ok {
		return "", fmt.Errorf("%q: not an IAM role name (want 1 to 64 letters, digits and +=,.@_-, such as ArchiverReadOnly)", s)
	}
	return s, nil
}

// ParseExternalID returns s, trimmed, if it is an STS external ID: 2 to
// 1224 letters, digits and +=,.@:/_- characters.
func ParseExternalID(s string) (string, error) {
	s = strings.TrimSpace(s)
	ok := len(s) >= 2 && len(s) <= 1224
	for i := 0; ok && i < len(s); i++ {
		ok = isRoleNameChar(s[i]) || s[i] == ':' || s[i] == '/'
	}
	if !ok {
		return "", fmt.Errorf("not an STS external ID (want 2 to 1224 letters, digits and +=,.@:/_-)")
	}
	return s, nil
}

// ParseOrgUnit returns s, trimmed, if it is the ID of an organizational
// unit (ou- and 4 to 32 lower-case letters or digits, a dash, and 8 to 32
// more, such as ou-ab12-cd34ef56) or of an organization's root (r- and 4 to
// 32, such as r-ab12).
func ParseOrgUnit(s string) (string, error) {
	s = strings.TrimSpace(s)
	lowerAlnum := func(p string, lo, hi int) bool {
		if len(p) < lo || len(p) > hi {
			return false
		}
		for i := 0; i < len(p); i++ {
			if !isDigit(p[i]) && !('a' <= p[i] && p[i] <= 'z') {
				return false
			}
		}
		return true
	}
	parts := strings.Split(s, "-")
	ok := false
	switch {
	case len(parts) == 2 && parts[0] == "r":
		ok = lowerAlnum(parts[1], 4, 32)
	case len(parts) == 3 && parts[0] == "ou":
		ok = lowerAlnum(parts[1], 4, 32) && lowerAlnum(parts[2], 8, 32)
	}
	if !ok {
		return "", fmt.Errorf("%q: not an organizational unit or root ID (want ou-xxxx-xxxxxxxx or r-xxxx)", s)
	}
	return s, nil
}
