// Package awsid reads the identifiers AWS hands out (DRS job, source
// server, recovery snapshot and EC2 instance IDs, Snowball job and cluster
// IDs, SMS replication job IDs, account IDs) and region names, as users give
// them in flags and as sync, import and query check them. Each ParseX
// returns its input trimmed, or a one-line error that starts with the
// quoted input and says the form wanted; each IsX says whether a trimmed
// string has that shape.
package awsid

import (
	"fmt"
	"strings"
)

// idShape is the pattern of one kind of AWS identifier: a prefix, then
// between min and max characters that pass ok.
type idShape struct {
	prefix   string
	min, max int
	ok       func(byte) bool
	what     string // "not <what> (want <want>)"
	want     string
}

// The shapes below are those the DRS API documents for its parameters.
var (
	jobIDShape = idShape{prefix: "drsjob-", min: 17, max: 17, ok: isAlnum,
		what: "a DRS job ID", want: "drsjob- and 17 letters or digits"}
	sourceServerIDShape = idShape{prefix: "s-", min: 17, max: 17, ok: isAlnum,
		what: "a source server ID", want: "s- and 17 letters or digits"}
	instanceIDShape = idShape{prefix: "i-", min: 8, max: 255 - len("i-"), ok: isHex,
		what: "an EC2 instance ID", want: "i- and 8 or more hex digits"}
)

func (sh idShape) parse(s string) (string, error) {
	s = strings.TrimSpace(s)
	body, ok := strings.CutPrefix(s, sh.prefix)
	ok = ok && len(body) >= sh.min && len(body) <= sh.max
	for i := 0; ok && i < len(body); i++ {
		ok = sh.ok(body[i])
	}
	if !ok {
		return "", fmt.Errorf("%q: not %s (want %s)", s, sh.what, sh.want)
	}
	return s, nil
}

func isAlnum(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func isHex(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// ParseJobID returns s, trimmed, if it is a DRS job ID: drsjob- and 17
// ASCII letters or digits.
func ParseJobID(s string) (string, error) { return jobIDShape.parse(s) }

// ParseSourceServerID returns s, trimmed, if it is a DRS source server ID:
// s- and 17 ASCII letters or digits.
func ParseSourceServerID(s string) (string, error) { return sourceServerIDShape.parse(s) }

// ParseInstanceID returns s, trimmed, if it is an EC2 instance ID: i- and 8
// or more hex digits of either case, 255 characters at most in all. Case is
// kept as given.
func ParseInstanceID(s string) (string, error) { return instanceIDShape.parse(s) }

// accountShape is a 12-digit AWS account ID.
var accountShape = idShape{min: 12, max: 12, ok: isDigit, what: "an AWS account ID", want: "12 digits"}

// ParseAccount returns s, trimmed, if it is an AWS account ID: 12 digits.
func ParseAccount(s string) (string, error) { return accountShape.parse(s) }

// ParseRegion returns s, trimmed, if it has the shape of an AWS region name:
// lower-case words joined by hyphens and ending in a number, such as
// us-east-1 or us-gov-west-1. Whether the region exists is AWS's to say.
func ParseRegion(s string) (string, error) {
	s = strings.TrimSpace(s)
	parts := strings.Split(s, "-")
	ok := len(s) <= 32 && len(parts) >= 3 && len(parts[0]) >= 2
	for i, p := range parts {
		if !ok {
			break
		}
		ok = p != ""
		for j := 0; ok && j < len(p); j++ {
			if i == len(parts)-1 {
				ok = isDigit(p[j])
			} else {
				ok = 'a' <= p[j] && p[j] <= 'z'
			}
		}
	}
	if !ok {
		return "", fmt.Errorf("%q: not an AWS region (want a name such as us-east-1)", s)
	}
	return s, nil
}

// ParseClusterID returns s, trimmed, if it is a Snowball cluster ID: CID and
// a UUID, 39 characters in all, such as
// CID123e4567-e89b-12d3-a456-426655440000.
func ParseClusterID(s string) (string, error) { return clusterIDShape.parse(s) }

var (
	snowballJobIDShape = uuidShape{prefix: "JID", what: "a Snowball job ID"}
	clusterIDShape     = uuidShape{prefix: "CID", what: "a Snowball cluster ID"}
	// SMS documents no pattern. The IDs it hands out are sms-job- and 17
	// hex digits; some leeway either side costs nothing.
	smsJobIDShape = idShape{prefix: "sms-job-", min: 8, max: 32, ok: isHex,
		what: "an SMS replication job ID", want: "sms-job- and 8 to 32 hex digits"}
	snapshotIDShape = idShape{prefix: "pit-", min: 17, max: 17, ok: isAlnum,
		what: "a DRS recovery snapshot ID", want: "pit- and 17 letters or digits"}
	sourceNetworkIDShape = idShape{prefix: "sn-", min: 17, max: 17, ok: isAlnum,
		what: "a DRS source network ID", want: "sn- and 17 letters or digits"}
)

// IsSourceNetworkID reports whether s is a DRS source network ID.
func IsSourceNetworkID(s string) bool { return sourceNetworkIDShape.matches(s) }

// uuidShape is an AWS ID made of a prefix and a UUID: Snowball's JID and CID.
type uuidShape struct {
	prefix, what string
}

func (sh uuidShape) parse(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !sh.matches(s) {
		return "", fmt.Errorf("%q: not %s (want %s and a UUID, such as %s123e4567-e89b-12d3-a456-426655440000)", s, sh.what, sh.prefix, sh.prefix)
	}
	return s, nil
}

func (sh uuidShape) matches(s string) bool {
	body, ok := strings.CutPrefix(s, sh.prefix)
	ok = ok && len(body) == 36
	for i := 0; ok && i < len(body); i++ {
		switch i {
		case 8, 13, 18, 23:
			ok = body[i] == '-'
		default:
			ok = isHex(body[i])
		}
	}
	return ok
}

func (sh idShape) matches(s string) bool {
	_, err := sh.parse(s)
	return err == nil && strings.TrimSpace(s) == s
}

// ParseSnowballJobID returns s, trimmed, if it is a Snowball job ID: JID
// and a UUID, such as JID123e4567-e89b-12d3-a456-426655440000.
func ParseSnowballJobID(s string) (string, error) { return snowballJobIDShape.parse(s) }

// ParseSMSJobID returns s, trimmed, if it is an SMS replication job ID:
// sms-job- and 8 to 32 hex digits, such as sms-job-0123456789abcdef0.
func ParseSMSJobID(s string) (string, error) { return smsJobIDShape.parse(s) }

// ParseRecoverySnapshotID returns s, trimmed, if it is a DRS recovery
// snapshot ID: pit- and 17 ASCII letters or digits.
func ParseRecoverySnapshotID(s string) (string, error) { return snapshotIDShape.parse(s) }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// IsJobID reports whether s is a DRS job ID.
func IsJobID(s string) bool { return jobIDShape.matches(s) }

// IsSourceServerID reports whether s is a DRS source server ID.
func IsSourceServerID(s string) bool { return sourceServerIDShape.matches(s) }

// IsInstanceID reports whether s is an EC2 instance ID.
func IsInstanceID(s string) bool { return instanceIDShape.matches(s) }

// IsAccount reports whether s is an AWS account ID.
func IsAccount(s string) bool { return accountShape.matches(s) }

// IsSnowballJobID reports whether s is a Snowball job ID.
func IsSnowballJobID(s string) bool { return snowballJobIDShape.matches(s) }

// IsClusterID reports whether s is a Snowball cluster ID.
func IsClusterID(s string) bool { return clusterIDShape.matches(s) }

// IsSMSJobID reports whether s is an SMS replication job ID.
func IsSMSJobID(s string) bool { return smsJobIDShape.matches(s) }

// IsRecoverySnapshotID reports whether s is a DRS recovery snapshot ID.
func IsRecoverySnapshotID(s string) bool { return snapshotIDShape.matches(s) }
