package sync

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
)

// stateFingerprint hashes the state of an object of kind (see
// kinds.Spec.Fingerprint).
func stateFingerprint(kind archive.Kind, raw json.RawMessage) ([]byte, error) {
	return specOf(kind).Fingerprint(raw)
}

// stateValue decodes raw and applies kind's State rule to it.
func stateValue(kind archive.Kind, raw []byte) (map[string]any, error) {
	return specOf(kind).Value(raw)
}

// specOf returns the registry entry of kind; a kind without one counts
// every member and is kept as its latest state.
func specOf(kind archive.Kind) *kinds.Spec {
	if s := kinds.Of(kind); s != nil {
		return s
	}
	return &kinds.Spec{Kind: kind}
}

// coveredState reports whether part, an object of kind imported from saved
// AWS CLI output, holds the same state as whole. The AWS CLI drops the
// members its model does not know, so its output holds a subset of what the
// API sent: part is the same state when, after kind's rule, whole covers it
// (see covers).
func coveredState(kind archive.Kind, whole, part []byte) bool {
	vw, errw := stateValue(kind, whole)
	vp, errp := stateValue(kind, part)
	return errw == nil && errp == nil && covers(vw, vp) == ""
}

// sameImportedState reports whether imported, data of saved AWS CLI output,
// holds the same state as the archived record: the archived data covers it
// (coveredState); or, when the archived record was imported too (perhaps by
// a CLI of another version, which knew other members), either covers the
// other.
func sameImportedState(kind archive.Kind, archived archive.Record, imported []byte) bool {
	if coveredState(kind, archived.Data, imported) {
		return true
	}
	return archived.Imported != nil && coveredState(kind, imported, archived.Data)
}

// importedItemDiff is importDiff for an item of which the archive may hold
// an imported copy: saved by another AWS CLI version, which printed other
// members, so either covering the other is the same item. Where neither
// does, the path names a member whose values differ where there is one.
func importedItemDiff(kind archive.Kind, archived archive.Record, imported []byte) string {
	path := importDiff(kind, archived.Data, imported)
	if path == "" || archived.Imported == nil {
		return path
	}
	if importDiff(kind, imported, archived.Data) == "" {
		return "" // the imported item holds all the archived one does
	}
	va, erra := stateValue(kind, archived.Data)
	vi, erri := stateValue(kind, imported)
	if erra == nil && erri == nil {
		if d := commonDiff(va, vi); d != "" {
			return d
		}
	}
	return path
}

// importDiff returns the JSON path of the first member of imported (after
// kind's rule) whose value archived does not hold, or "" when archived
// covers imported.
func importDiff(kind archive.Kind, archived, imported []byte) string {
	va, err := stateValue(kind, archived)
	if err != nil {
		return "$"
	}
	vi, err := stateValue(kind, imported)
	if err != nil {
		return "$"
	}
	return covers(va, vi)
}

// covers returns "" when have holds every member of part with the same
// value, recursively: each member of an object in part is in have's object
// and covered by it; an array covers an array of the same length element
// by element; numbers are equal by value (the AWS CLI writes 1.50 as 1.5);
// other values are equal. Members only have has count for nothing.
// Otherwise it returns the JSON path of the first member that differs, in
// member-name order, such as $.eventData.rawError or $.runs[2].state.
func covers(have, part any) string {
	return coversAt("$", have, part, true)
}

// commonDiff returns the path of the first member both have and whose
// values differ, by covers' comparison, or "": members only one of them
// has count for nothing.
func commonDiff(have, part any) string {
	return coversAt("$", have, part, false)
}

func coversAt(path string, have, part any, strict bool) string {
	switch p := part.(type) {
	case map[string]any:
		h, ok := have.(map[string]any)
		if !ok {
			return path
		}
		names := make([]string, 0, len(p))
		for name := range p {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			at := memberPath(path, name)
			hv, ok := h[name]
			if !ok {
				if !strict {
					continue
				}
				return at
			}
			if d := coversAt(at, hv, p[name], strict); d != "" {
				return d
			}
		}
		return ""
	case []any:
		h, ok := have.([]any)
		if !ok || len(h) != len(p) {
			return path
		}
		for i := range p {
			if d := coversAt(path+"["+strconv.Itoa(i)+"]", h[i], p[i], strict); d != "" {
				return d
			}
		}
		return ""
	case json.Number:
		h, ok := have.(json.Number)
		if !ok || !sameNumber(h, p) {
			return path
		}
		return ""
	default:
		if have != part {
			return path
		}
		return ""
	}
}

// memberPath appends a member name to a JSON path, quoting names that are
// not plain identifiers.
func memberPath(path, name string) string {
	plain := name != ""
	for i, c := range name {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			plain = false
			break
		}
	}
	if plain {
		return path + "." + name
	}
	q, _ := json.Marshal(name)
	return path + "[" + string(q) + "]"
}

// sameNumber reports whether two JSON numbers are equal: as written, or by
// value.
func sameNumber(a, b json.Number) bool {
	if a == b {
		return true
	}
	if !strings.ContainsAny(string(a)+string(b), ".eE") {
		return false // two integers written differently are different
	}
	fa, erra := strconv.ParseFloat(string(a), 64)
	fb, errb := strconv.ParseFloat(string(b), 64)
	return erra == nil && errb == nil && fa == fb
}
