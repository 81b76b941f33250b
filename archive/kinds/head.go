package kinds

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
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
// is no JSON object or lacks its ID (for kinds whose objects have one).
func (s *Spec) HeadOf(data []byte) (Head, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return Head{}, err
	}
	if top == nil {
		return Head{}, fmt.Errorf("not a JSON object")
	}
	var h Head
	if s.IDMember != "" {
		h.ID = stringMember(top, s.IDMember)
		if h.ID == "" {
			return h, fmt.Errorf("no %s", s.IDMember)
		}
	}
	if s.ParentMember != "" {
		h.Parent = stringMember(top, s.ParentMember)
	}
	if s.TimeMember != "" {
		h.Time, h.HasTime = RawTime(member(top, s.TimeMember))
	}
	if s.ARNMember != "" {
		h.ARN = stringMember(top, s.ARNMember)
		h.Region, h.Account = ARNRegion(h.ARN), ARNAccount(h.ARN)
	}
	return h, nil
}

// member returns the raw value of the member name of top: the one spelt
// exactly so, else one whose name differs only in case (as encoding/json
// matches struct fields).
func member(top map[string]json.RawMessage, name string) json.RawMessage {
	if v, ok := top[name]; ok {
		return v
	}
	for k, v := range top {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

// stringMember returns the string value of the member name of top, or "".
func stringMember(top map[string]json.RawMessage, name string) string {
	var s string
	if json.Unmarshal(member(top, name), &s) != nil {
		return ""
	}
	return s
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
