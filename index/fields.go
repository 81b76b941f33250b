package index

import "strings"

// The names of the index fields. They are also the field names of the
// query language (`event:LAUNCH_FAILED`, `serverID:s-…`, `text:capacity`)
// and the JSON names of Document's members.
const (
	FieldJobID            = "jobID"
	FieldServerID         = "serverID"
	FieldInstanceID       = "instanceID"
	FieldEvent            = "event"
	FieldStatus           = "status"
	FieldType             = "type"
	FieldInitiatedBy      = "initiatedBy"
	FieldReplicationState = "replicationState"
	FieldText             = "text"
)

// Matching is how a field's values are indexed and matched.
type Matching int

const (
	// MatchKeyword fields hold whole values (IDs and enums), lower-cased: a
	// query for one lower-cases its value (see KeywordValue).
	MatchKeyword Matching = iota
	// MatchText fields hold analysed text: words, lower-cased, without common
	// English words, with their positions (phrases need them).
	MatchText
)

// Field is one field of the index.
type Field struct {
	Name  string
	Match Matching
}

// Fields are the fields of the index, keyword fields first. The mapping
// and the query language both read them from here.
var Fields = []Field{
	{FieldJobID, MatchKeyword},
	{FieldServerID, MatchKeyword},
	{FieldInstanceID, MatchKeyword},
	{FieldEvent, MatchKeyword},
	{FieldStatus, MatchKeyword},
	{FieldType, MatchKeyword},
	{FieldInitiatedBy, MatchKeyword},
	{FieldReplicationState, MatchKeyword},
	{FieldText, MatchText},
}

// DefaultField is the field a query word without a field searches.
const DefaultField = FieldText

// LookupField returns the field named name, ignoring case.
func LookupField(name string) (Field, bool) {
	for _, f := range Fields {
		if strings.EqualFold(f.Name, name) {
			return f, true
		}
	}
	return Field{}, false
}

// FieldNames lists the names of Fields, in order.
func FieldNames() []string {
	out := make([]string, len(Fields))
	for i, f := range Fields {
		out[i] = f.Name
	}
	return out
}

// KeywordValue is the term a keyword field holds for value v.
func KeywordValue(v string) string { return strings.ToLower(v) }

// isKeywordValue reports whether t is KeywordValue(v), without making it
// for ASCII values.
func isKeywordValue(t, v string) bool {
	if len(t) != len(v) {
		return t == KeywordValue(v)
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 0x80 {
			return t == KeywordValue(v)
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if t[i] != c {
			return false
		}
	}
	return true
}

// keywords returns the values d holds in the keyword field named name.
func (d *Document) keywords(name string) []string {
	switch name {
	case FieldJobID:
		return []string{d.JobID}
	case FieldServerID:
		return d.ServerIDs
	case FieldInstanceID:
		return d.InstanceIDs
	case FieldEvent:
		return []string{d.Event}
	case FieldStatus:
		return d.Status
	case FieldType:
		return []string{d.Type}
	case FieldInitiatedBy:
		return []string{d.InitiatedBy}
	case FieldReplicationState:
		return []string{d.ReplicationState}
	}
	return nil
}

// eachKeyword calls fn with the beginning of the terms of each keyword
// field (see keywordFields) and each value d holds in it, empty ones
// included, without making a list of them.
func (d *Document) eachKeyword(fn func(prefix, v string)) {
	for _, kf := range keywordFields {
		switch kf.name {
		case FieldJobID:
			fn(kf.prefix, d.JobID)
		case FieldEvent:
			fn(kf.prefix, d.Event)
		case FieldType:
			fn(kf.prefix, d.Type)
		case FieldInitiatedBy:
			fn(kf.prefix, d.InitiatedBy)
		case FieldReplicationState:
			fn(kf.prefix, d.ReplicationState)
		default:
			for _, v := range d.keywords(kf.name) {
				fn(kf.prefix, v)
			}
		}
	}
}
