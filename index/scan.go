package index

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
)

// A record's document is built from its JSON in one pass (scanDocument),
// without decoding it into maps: the values are read where they stand and
// only the strings the document keeps are copied. The pass visits the
// strings in the order walk visits those of the decoded value (members in
// sorted order at every level, without tags), so the document is the same
// as NewDocument's by decoding (decodedDocument). JSON the pass does not
// read exactly as json.Unmarshal does (a member named twice, a value that
// is not an object, anything malformed) is decoded instead, which also
// reports malformed records as before.

// strEvent is one string value of a record and the name of the member
// holding it, both decoded: views of the record's bytes where they hold no
// escapes.
type strEvent struct {
	key, s []byte
}

// jsonScanner reads the JSON of one record.
type jsonScanner struct {
	data []byte
	i    int
	// events are the record's strings in walk's order; top the string
	// members of the outermost object.
	events, top []strEvent
	// scratch holds the events of an object's members while they are put
	// in order.
	scratch []strEvent
	depth   int
}

// scanners are jsonScanners to reuse, with their buffers.
var scanners = sync.Pool{New: func() any { return &jsonScanner{events: make([]strEvent, 0, 16)} }}

// maxDepth is the deepest nesting read; json.Unmarshal refuses deeper.
const maxDepth = 10000

// member is one member of an object being read: its name and its events.
type member struct {
	key      []byte
	from, to int
}

func (sc *jsonScanner) ws() {
	for sc.i < len(sc.data) {
		switch sc.data[sc.i] {
		case ' ', '\t', '\n', '\r':
			sc.i++
		default:
			return
		}
	}
}

// scan reads the record, an object. It reports false when the record is
// anything it does not read exactly.
func (sc *jsonScanner) scan() bool {
	sc.ws()
	if sc.i >= len(sc.data) || sc.data[sc.i] != '{' {
		return false
	}
	if !sc.object(true) {
		return false
	}
	sc.ws()
	return sc.i == len(sc.data)
}

// value reads any value held by the member key.
func (sc *jsonScanner) value(key []byte) bool {
	sc.ws()
	if sc.i >= len(sc.data) {
		return false
	}
	switch c := sc.data[sc.i]; {
	case c == '{':
		return sc.object(false)
	case c == '[':
		return sc.array(key)
	case c == '"':
		s, ok := sc.str()
		if ok {
			sc.events = append(sc.events, strEvent{key, s})
		}
		return ok
	case c == 't':
		return sc.literal("true")
	case c == 'f':
		return sc.literal("false")
	case c == 'n':
		return sc.literal("null")
	default:
		return sc.number()
	}
}

func (sc *jsonScanner) literal(lit string) bool {
	if !bytes.HasPrefix(sc.data[sc.i:], []byte(lit)) {
		return false
	}
	sc.i += len(lit)
	return true
}

// number reads a number of JSON's grammar.
func (sc *jsonScanner) number() bool {
	d, i := sc.data, sc.i
	digits := func() int {
		n := 0
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(d) && d[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	exp := i < len(d) && (d[i] == 'e' || d[i] == 'E')
	if exp {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	if exp || i-sc.i > 300 {
		// Beyond float64's range json.Unmarshal into any fails.
		if _, err := strconv.ParseFloat(string(d[sc.i:i]), 64); err != nil {
			return false
		}
	}
	sc.i = i
	return true
}

// str reads a string and returns it decoded.
func (sc *jsonScanner) str() ([]byte, bool) {
	d := sc.data
	start := sc.i + 1
	plain := true
	for i := start; i < len(d); i++ {
		switch c := d[i]; {
		case c == '"':
			sc.i = i + 1
			if plain {
				return d[start:i], true
			}
			// Escapes, bytes beyond ASCII: as json.Unmarshal reads them
			// (invalid UTF-8 becomes U+FFFD).
			if !bytes.ContainsRune(d[start:i], '\\') && utf8.Valid(d[start:i]) {
				return d[start:i], true
			}
			var s string
			if err := json.Unmarshal(d[start-1:i+1], &s); err != nil {
				return nil, false
			}
			return []byte(s), true
		case c == '\\':
			plain = false
			i++ // the escaped character, never the end
		case c < 0x20:
			return nil, false
		case c >= 0x80:
			plain = false
		}
	}
	return nil, false
}

func (sc *jsonScanner) array(key []byte) bool {
	if sc.depth++; sc.depth > maxDepth {
		return false
	}
	defer func() { sc.depth-- }()
	sc.i++ // [
	sc.ws()
	if sc.i < len(sc.data) && sc.data[sc.i] == ']' {
		sc.i++
		return true
	}
	for {
		if !sc.value(key) {
			return false
		}
		sc.ws()
		if sc.i >= len(sc.data) {
			return false
		}
		switch sc.data[sc.i] {
		case ',':
			sc.i++
		case ']':
			sc.i++
			return true
		default:
			return false
		}
	}
}

// object reads an object and leaves the events of its members in the
// order of their names, without those of tags; a name given twice is not
// read (json.Unmarshal keeps the last).
func (sc *jsonScanner) object(outermost bool) bool {
	if sc.depth++; sc.depth > maxDepth {
		return false
	}
	defer func() { sc.depth-- }()
	sc.i++ // {
	var buf [16]member
	ms := buf[:0]
	sc.ws()
	if sc.i < len(sc.data) && sc.data[sc.i] == '}' {
		sc.i++
		return true
	}
	for {
		sc.ws()
		if sc.i >= len(sc.data) || sc.data[sc.i] != '"' {
			return false
		}
		key, ok := sc.str()
		if !ok {
			return false
		}
		sc.ws()
		if sc.i >= len(sc.data) || sc.data[sc.i] != ':' {
			return false
		}
		sc.i++
		from := len(sc.events)
		if !sc.value(key) {
			return false
		}
		if outermost && len(sc.events) == from+1 && sc.data[sc.i-1] == '"' {
			// A string, not an array or object of one.
			sc.top = append(sc.top, sc.events[from])
		}
		ms = append(ms, member{key, from, len(sc.events)})
		sc.ws()
		if sc.i >= len(sc.data) {
			return false
		}
		if sc.data[sc.i] == ',' {
			sc.i++
			continue
		}
		if sc.data[sc.i] != '}' {
			return false
		}
		sc.i++
		break
	}
	return sc.order(ms)
}

// order puts the events of the members ms of one object in the order of
// their names, as walk visits them, and drops those of tags. It reports
// false for a name given twice.
func (sc *jsonScanner) order(ms []member) bool {
	if len(ms) == 0 {
		return true
	}
	from := ms[0].from
	sorted, tags := true, false
	for j := range ms {
		if j > 0 {
			switch c := bytes.Compare(ms[j-1].key, ms[j].key); {
			case c == 0:
				return false
			case c > 0:
				sorted = false
			}
		}
		if len(ms[j].key) == 4 && bytes.EqualFold(ms[j].key, []byte("tags")) {
			tags = true
		}
	}
	if sorted && !tags {
		return true
	}
	if !sorted {
		slices.SortFunc(ms, func(a, b member) int { return bytes.Compare(a.key, b.key) })
		for j := 1; j < len(ms); j++ {
			if bytes.Equal(ms[j-1].key, ms[j].key) {
				return false
			}
		}
	}
	sc.scratch = append(sc.scratch[:0], sc.events[from:]...)
	sc.events = sc.events[:from]
	for _, m := range ms {
		if len(m.key) == 4 && bytes.EqualFold(m.key, []byte("tags")) {
			// Tags are the owner's labels: a tag named Type or Status
			// is no state of the object.
			continue
		}
		sc.events = append(sc.events, sc.scratch[m.from-from:m.to-from]...)
	}
	return true
}

// Classes of member names, lower-cased: what NewDocument takes of a
// string under each.
const (
	classEvent = 1 << iota
	classStatus
	classType
	classInitiatedBy
	classJobID
	classReplicationState
	classText
)

var keyClasses = func() map[string]int {
	m := map[string]int{
		"event":                classEvent,
		"status":               classStatus,
		"launchstatus":         classStatus,
		"lastlaunchresult":     classStatus,
		"jobstate":             classStatus,
		"state":                classStatus,
		"ec2instancestate":     classStatus,
		"type":                 classType,
		"jobtype":              classType,
		"initiatedby":          classInitiatedBy,
		"jobid":                classJobID,
		"datareplicationstate": classReplicationState,
	}
	for k := range textKeys {
		m[k] |= classText
	}
	return m
}()

// scanDocument builds rec's document in one pass over its JSON, for a
// record of a kind without a Text rule. ok is false when the JSON is not
// one scanDocument reads; decodedDocument then builds it.
func scanDocument(rec archive.Record, rule kinds.IndexRule, d Document) (Document, bool) {
	sc := scanners.Get().(*jsonScanner)
	defer func() {
		// Nothing of the record stays referred to.
		clear(sc.events)
		clear(sc.top)
		clear(sc.scratch)
		sc.data, sc.events, sc.top, sc.scratch = nil, sc.events[:0], sc.top[:0], sc.scratch[:0]
		scanners.Put(sc)
	}()
	sc.data, sc.i, sc.depth = rec.Data, 0, 0
	if !sc.scan() {
		return d, false
	}
	var (
		text                         []string
		servers, instances, statuses list
		lower                        [64]byte
	)
	for _, e := range sc.events {
		lk := lowerKey(lower[:0], e.key)
		if bytes.HasPrefix(e.s, []byte("s-")) && bytes.HasSuffix(lk, []byte("serverid")) {
			servers.add(e.s)
		} else if bytes.HasPrefix(e.s, []byte("i-")) {
			instances.add(e.s)
		}
		class := keyClasses[string(lk)]
		switch {
		case class&classEvent != 0:
			if d.Event == "" {
				d.Event = string(e.s)
			}
		case class&classStatus != 0:
			statuses.add(e.s)
		case class&classType != 0:
			if d.Type == "" {
				d.Type = string(e.s)
			}
		case class&classInitiatedBy != 0:
			d.InitiatedBy = string(e.s)
		case class&classJobID != 0:
			if rule.JobIsText {
				text = append(text, string(e.s))
			}
		case class&classReplicationState != 0:
			d.ReplicationState = string(e.s)
		}
		if class&classText != 0 {
			text = append(text, string(e.s))
		}
		for _, m := range rule.StatusMembers {
			if strings.EqualFold(m, string(e.key)) {
				statuses.add(e.s)
			}
		}
	}
	// The object's own type and initiator, where it names them, win over
	// those of what it holds (a launch action's type, say).
	slices.SortFunc(sc.top, func(a, b strEvent) int { return bytes.Compare(a.key, b.key) })
	for _, e := range sc.top {
		switch keyClasses[string(lowerKey(lower[:0], e.key))] &^ classText {
		case classType:
			d.Type = string(e.s)
		case classInitiatedBy:
			d.InitiatedBy = string(e.s)
		}
	}
	if rule.IDIsServer && rec.ID != "" {
		servers.addString(rec.ID)
	}
	if rule.IDIsText {
		text = append(text, rec.ID)
	}
	d.ServerIDs, d.InstanceIDs, d.Status = servers.vs, instances.vs, statuses.vs
	d.Text = strings.Join(text, "\n")
	return d, true
}

// lowerKey appends the member name k lower-cased to buf, as
// strings.ToLower would.
func lowerKey(buf, k []byte) []byte {
	for _, c := range k {
		if c >= 0x80 {
			return append(buf, strings.ToLower(string(k))...)
		}
	}
	for _, c := range k {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf = append(buf, c)
	}
	return buf
}

// list collects distinct strings in the order first met; it is short, so
// it is searched rather than hashed.
type list struct{ vs []string }

func (l *list) add(b []byte) {
	for _, v := range l.vs {
		if v == string(b) {
			return
		}
	}
	l.vs = append(l.vs, string(b))
}

func (l *list) addString(s string) {
	if !slices.Contains(l.vs, s) {
		l.vs = append(l.vs, s)
	}
}
