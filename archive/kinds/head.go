package kinds

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/archiver-dev/archiver/internal/jsonscan"
)

// Head is what files an object: its own ID, the parent it names, its time
// and its ARN, read from the members the kind declares.
type Head struct {
	ID, Parent string
	// Time is the object's time; HasTime is false when the kind takes the
	// capture time, or the member is missing or unreadable (a record is
	// never refused for its time alone).
	Time    time.Time
	HasTime bool
	// ARN is the object's ARN, "" when it has none; Region and Account
	// are its fields ("" when ARN is no ARN).
	ARN, Region, Account string
}

// HeadOf reads the Head of an object of the kind. It fails when the object
// is no JSON object or lacks its ID (for kinds whose objects have one). It
// reads only the members it needs, without decoding the rest: every record
// sync and import file passes here.
func (s *Spec) HeadOf(data []byte) (Head, error) {
	want := [4]string{s.IDMember, s.ParentMember, s.TimeMember, s.ARNMember}
	var got [4][]byte
	ok := jsonscan.Members(data, func(quoted, value []byte) bool {
		name := quoted[1 : len(quoted)-1]
		if bytes.IndexByte(name, '\\') >= 0 {
			name = []byte(jsonscan.MemberName(quoted))
		}
		for i, w := range want {
			// As encoding/json fills a struct field: any member whose name
			// differs only in case, the last one met.
			if w != "" && (string(name) == w || strings.EqualFold(string(name), w)) {
				got[i] = value
			}
		}
		return true
	})
	if !ok || len(bytes.TrimSpace(data)) == 0 || bytes.TrimSpace(data)[0] != '{' {
		return Head{}, fmt.Errorf("not a JSON object")
	}
	var h Head
	if s.IDMember != "" {
		h.ID = stringValue(got[0])
		if h.ID == "" {
			return h, fmt.Errorf("no %s", s.IDMember)
		}
	}
	h.Parent = stringValue(got[1])
	if s.TimeMember != "" {
		h.Time, h.HasTime = RawTime(got[2])
	}
	if s.ARNMember != "" {
		h.ARN = stringValue(got[3])
		h.Region, h.Account = ARNRegion(h.ARN), ARNAccount(h.ARN)
	}
	return h, nil
}

// stringValue returns the string a raw JSON value holds, or "" when it
// holds none.
func stringValue(raw []byte) string {
	if len(raw) < 2 || raw[0] != '"' {
		return ""
	}
	if bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		return string(raw[1 : len(raw)-1])
	}
	var v string
	if json.Unmarshal(raw, &v) != nil {
		return ""
	}
	return v
}

// ARNAccount returns the account field of an ARN, or "" if s is no ARN.
func ARNAccount(arn string) string { return arnField(arn, 4) }

// ARNRegion returns the region field of an ARN, or "" if s is no ARN.
func ARNRegion(arn string) string { return arnField(arn, 3) }

func arnField(arn string, i int) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[i]
}

// Detect tells which kind an object listed under member is, by the kinds
// that share member and their Marks, tried in registry order of their
// Marks' specificity: a kind whose Marks the object has wins; a kind
// without Marks takes what no other claimed. Nil when none fits.
func Detect(member string, top map[string]json.RawMessage) *Spec {
	var fallback *Spec
	for _, s := range detectOrder {
		if s.ListMember != member {
			continue
		}
		if len(s.Marks) == 0 {
			if fallback == nil {
				fallback = s
			}
			continue
		}
		for _, m := range s.Marks {
			if _, ok := top[m]; ok {
				return s
			}
		}
	}
	return fallback
}

// ListMembers returns the list members of every kind, in registry order,
// once each: the shapes of saved AWS CLI output import reads.
func ListMembers() []string {
	var out []string
	for _, s := range registry {
		if s.ListMember == "" {
			continue
		}
		seen := false
		for _, m := range out {
			seen = seen || m == s.ListMember
		}
		if !seen {
			out = append(out, s.ListMember)
		}
	}
	return out
}

// SharingMember returns the kinds listed under member, in registry order.
func SharingMember(member string) []*Spec {
	var out []*Spec
	for _, s := range registry {
		if s.ListMember == member {
			out = append(out, s)
		}
	}
	return out
}
