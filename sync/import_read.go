package sync

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
)

// An import reads each file as a stream, never whole: a first pass reads
// and checks every file (readImportFile) before anything is written, and
// keeps only what each file holds (its kind, its number of items, its
// SHA-256); the second pass reads each file again inside the import's
// transaction (importFile.records) and hands its records over one by one.
// Memory is bounded by the largest item, not by the file.

// importFile is one file the first pass read and checked.
type importFile struct {
	path, name, sha string
	kind            archive.Kind
	// n is how many items the file holds, and size its length in bytes.
	n    int
	size int64
	seen time.Time
}

// errStopRecords stops importFile.records early without an error.
var errStopRecords = errors.New("stop")

// readImportFile reads one file and checks every item of it, as the records
// the second pass will build: the first pass of an import.
func readImportFile(path string, o ImportOptions) (*importFile, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	f := &importFile{path: path, name: filepath.Base(path), size: info.Size(), seen: o.CapturedAt.UTC()}
	if o.CapturedAt.IsZero() {
		f.seen = info.ModTime().UTC()
	}
	sha, n, kind, err := f.scan(o, func(int, archive.Record) error { return nil })
	if err != nil {
		return nil, err
	}
	f.sha, f.n, f.kind = sha, n, kind
	return f, nil
}

// records reads the file again and calls fn with each of its records in
// order, i counting from 0. The file must be the one the first pass read:
// if it changed since, records fails. fn may return errStopRecords to stop
// without an error.
func (f *importFile) records(o ImportOptions, fn func(i int, rec archive.Record) error) error {
	sha, _, _, err := f.scan(o, fn)
	if errors.Is(err, errStopRecords) {
		return nil
	}
	if err == nil && sha != f.sha {
		err = fmt.Errorf("import %s: the file changed while it was imported", f.name)
	}
	return err
}

// scan reads the file as a stream, builds each item's record and calls fn
// with it. It returns the hex SHA-256 of the file's bytes, the number of
// items and their kind.
func (f *importFile) scan(o ImportOptions, fn func(i int, rec archive.Record) error) (sha string, n int, kind archive.Kind, err error) {
	file, err := os.Open(f.path)
	if err != nil {
		return "", 0, "", fmt.Errorf("import: %w", err)
	}
	defer file.Close()
	h := sha256.New()
	in := &utf8Reader{r: io.TeeReader(file, h)}
	b := &recordBuilder{f: f, o: o, prov: &archive.Import{File: f.name, SHA256: f.sha}}
	var fnErr error
	_, err = splitCLIStream(in, func(member string, item []byte) error {
		rec, err := b.build(member, n, item)
		if err != nil {
			return err
		}
		if b.err == nil {
			if fnErr = fn(n, rec); fnErr != nil {
				return fnErr
			}
		}
		n++
		return nil
	})
	if err == nil {
		// The file is of one shape and kind, but an item is wrong.
		err = b.err
	}
	if err != nil {
		if fnErr != nil {
			return "", n, b.kind, fnErr
		}
		return "", n, b.kind, fmt.Errorf("import %s: %w", f.name, err)
	}
	if _, err := io.Copy(io.Discard, in); err != nil {
		return "", n, b.kind, fmt.Errorf("import %s: %w", f.name, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, b.kind, nil
}

// recordBuilder builds the records of one file's items, in order.
type recordBuilder struct {
	f    *importFile
	o    ImportOptions
	prov *archive.Import
	// kind is that of the first item; every other must be of the same.
	kind archive.Kind
	// err is the first error of an item that is not one of the file's
	// shape: the rest of the file is still read for those, which come first.
	err error
	// parent is the job or cluster the items were listed under.
	parent string
}

func (b *recordBuilder) fail(format string, args ...any) error {
	return fmt.Errorf(format, args...)
}

// start takes the kind of the file's first item and checks that the
// options say what the items of that kind do not.
func (b *recordBuilder) start(kind archive.Kind) error {
	b.kind = kind
	o := b.o
	needWhere := func(spec *kinds.Spec) error {
		if o.Region == "" || o.Account == "" {
			return b.fail("%s do not say their region and account: give --region and --account", spec.Plural)
		}
		return nil
	}
	spec := kinds.Of(kind)
	switch spec.Parent {
	case kinds.ParentJob:
		b.parent = o.JobID
		if b.parent == "" {
			b.parent = jobIDInName().FindString(b.f.name)
		}
		if b.parent == "" {
			return b.fail("%s do not name their job: give --job-id, or keep the job ID (drsjob-...) in the file name", spec.Plural)
		}
	case kinds.ParentCluster:
		if err := needWhere(spec); err != nil {
			return err
		}
		b.parent = o.ClusterID
		if b.parent == "" {
			b.parent = clusterIDInName().FindString(b.f.name)
		}
		if b.parent == "" {
			return b.fail("%s do not name their cluster: give --snowball-cluster-id, or keep the cluster ID (CID...) in the file name", spec.Plural)
		}
	}
	if spec.NeedsWhere() {
		return needWhere(spec)
	}
	return nil
}

// build returns the record of item i (compacted JSON) of list member. An
// error of the file's shape is returned; any other is kept in b.err, and
// once there is one, items are only checked for their kind.
func (b *recordBuilder) build(member string, i int, it []byte) (archive.Record, error) {
	rec, err := b.record(member, i, it)
	var shape *shapeErr
	if errors.As(err, &shape) {
		return rec, shape.err
	}
	if err != nil && b.err == nil {
		b.err = err
	}
	return rec, nil
}

// shapeErr marks an error of a file's shape, as opposed to one of its
// records.
type shapeErr struct{ err error }

func (e *shapeErr) Error() string { return e.err.Error() }

func (b *recordBuilder) record(member string, i int, it []byte) (archive.Record, error) {
	kind, err := itemKind(member, i, it)
	if err != nil {
		return archive.Record{}, &shapeErr{err}
	}
	if i == 0 {
		if err := b.start(kind); err != nil {
			return archive.Record{}, err
		}
	} else if kind != b.kind {
		return archive.Record{}, &shapeErr{fmt.Errorf("%w: item %d is a %s but item 0 is a %s", ErrImportShape, i, kind, b.kind)}
	}
	if b.err != nil {
		return archive.Record{}, nil
	}
	o, spec := b.o, kinds.Of(kind)
	rec, h, err := fileRecord(spec, it, filing{region: o.Region, account: o.Account, seen: b.f.seen, parent: b.parent})
	if err != nil {
		if spec.IDMember != "" && h.ID == "" {
			return rec, b.fail("item %d: no %s", i, spec.IDMember)
		}
		return rec, b.fail("item %d: %v", i, err)
	}
	rec.Imported = b.prov
	if spec.Class == kinds.LogItem {
		pos := i
		rec.Pos = &pos
	}
	// The region and account are the ARN's, which must agree with those
	// given, else those given.
	if o.Region != "" && h.Region != "" && o.Region != h.Region || o.Account != "" && h.Account != "" && o.Account != h.Account {
		return rec, b.fail("item %d: its ARN %s is not in --region %s, --account %s", i, h.ARN, o.Region, o.Account)
	}
	if spec.ARNMember != "" && (rec.Region == "" || rec.Account == "") {
		return rec, b.fail("%s %s has no ARN: give --region and --account", strings.TrimPrefix(spec.Noun, "DRS "), h.ID)
	}
	if err := rec.CheckData(); err != nil {
		return rec, b.fail("item %d: %v", i, err)
	}
	return rec, nil
}

// splitCLIStream reads one or more JSON objects from r, each with one of
// the list members of the kinds (kinds.ListMembers; the same one in all), and calls fn with
// each element of those lists, in order, compacted: the white space between
// its tokens removed. It reads r as a stream and holds one element at a
// time. Every byte must be UTF-8 and nothing may nest deeper than
// MaxJSONDepth.
func splitCLIStream(r io.Reader, fn func(member string, item []byte) error) (member string, err error) {
	dec := json.NewDecoder(r)
	notJSON := func(err error) error {
		var bad *InvalidUTF8Error
		if errors.As(err, &bad) {
			return err
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return fmt.Errorf("%w: not JSON (the file ends inside a value); %s", ErrImportShape, wantShapes)
		}
		return fmt.Errorf("%w: not JSON at byte offset %d (%v); %s", ErrImportShape, dec.InputOffset(), err, wantShapes)
	}
	// value reads one JSON value at depth 1 or 2 into a fresh slice and
	// checks it.
	value := func(depth int) (json.RawMessage, error) {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, notJSON(err)
		}
		if err := checkJSONText(raw, depth, dec.InputOffset()-int64(len(raw))); err != nil {
			return nil, err
		}
		return raw, nil
	}
	n := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		} else if err != nil {
			return "", notJSON(err)
		}
		n++
		if tok != json.Delim('{') {
			return "", fmt.Errorf("%w: value %d is not a JSON object; %s", ErrImportShape, n, wantShapes)
		}
		found := ""
		var names []string
		// whole holds the members other than list members, in order: an
		// answer that is the object itself (get-launch-configuration) is
		// made of them.
		var whole bytes.Buffer
		whole.WriteByte('{')
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return "", notJSON(err)
			}
			key, _ := tok.(string)
			if !slices.Contains(kinds.ListMembers(), key) {
				if len(names) < 20 && !slices.Contains(names, key) {
					names = append(names, key)
				}
				raw, err := value(1)
				if err != nil {
					return "", err
				}
				if whole.Len() > 1 {
					whole.WriteByte(',')
				}
				name, _ := json.Marshal(key)
				whole.Write(name)
				whole.WriteByte(':')
				whole.Write(raw)
				continue
			}
			switch {
			case found == key:
				return "", fmt.Errorf("%w: %q: member %q twice", ErrImportShape, key, key)
			case found != "":
				return "", fmt.Errorf("%w: value %d has both %q and %q; %s", ErrImportShape, n, found, key, wantShapes)
			case member != "" && key != member:
				return "", fmt.Errorf("%w: value %d lists %q but value 1 lists %q; keep each command's output in its own file", ErrImportShape, n, key, member)
			}
			found = key
			tok, err = dec.Token()
			if err != nil {
				return "", notJSON(err)
			}
			if tok == nil {
				continue // null: no elements
			}
			if tok != json.Delim('[') {
				if d, ok := tok.(json.Delim); ok && d == '{' {
					return "", fmt.Errorf("%w: %q is an object, not a list", ErrImportShape, key)
				}
				return "", fmt.Errorf("%w: %q is not a list", ErrImportShape, key)
			}
			for i := 0; dec.More(); i++ {
				el, err := value(2)
				if err != nil {
					return "", err
				}
				if el[0] != '{' {
					return "", fmt.Errorf("%w: value %d: element %d of %q is not an object", ErrImportShape, n, i, key)
				}
				var buf bytes.Buffer
				buf.Grow(len(el))
				if err := json.Compact(&buf, el); err != nil {
					return "", fmt.Errorf("%w: value %d: element %d of %q: %v", ErrImportShape, n, i, key, err)
				}
				if err := fn(key, buf.Bytes()); err != nil {
					return "", err
				}
			}
			if _, err := dec.Token(); err != nil { // ]
				return "", notJSON(err)
			}
		}
		if _, err := dec.Token(); err != nil { // }
			return "", notJSON(err)
		}
		if found == "" {
			whole.WriteByte('}')
			if obj, ok := wholeAnswer(whole.Bytes()); ok {
				if n > 1 && member != "" {
					return "", fmt.Errorf("%w: value %d is one object but value 1 lists %q; keep each command's output in its own file", ErrImportShape, n, member)
				}
				if err := fn("", obj); err != nil {
					return "", err
				}
				continue
			}
			slices.Sort(names)
			return "", fmt.Errorf("%w: value %d has none of %s (its members: %s); %s",
				ErrImportShape, n, strings.Join(kinds.ListMembers(), ", "), strings.Join(names, ", "), wantShapes)
		}
		if n > 1 && member == "" {
			return "", fmt.Errorf("%w: value %d lists %q but value 1 is one object; keep each command's output in its own file", ErrImportShape, n, found)
		}
		member = found
	}
	if n == 0 {
		return "", fmt.Errorf("%w: the file is empty; %s", ErrImportShape, wantShapes)
	}
	return member, nil
}

// wholeAnswer returns obj compacted when it is an answer that is itself
// the object of a kind (one with no list member), told by its members.
func wholeAnswer(obj []byte) ([]byte, bool) {
	var top map[string]json.RawMessage
	if json.Unmarshal(obj, &top) != nil || kinds.Detect("", top) == nil {
		return nil, false
	}
	var buf bytes.Buffer
	if json.Compact(&buf, obj) != nil {
		return nil, false
	}
	return buf.Bytes(), true
}

// itemKind tells which kind item i, listed under member, is: by the
// members only objects of one kind have, where kinds share the member.
func itemKind(member string, i int, it []byte) (archive.Kind, error) {
	sharing := kinds.SharingMember(member)
	if len(sharing) == 1 {
		return sharing[0].Kind, nil
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(it, &top); err != nil {
		return "", fmt.Errorf("%w: item %d: %v", ErrImportShape, i, err)
	}
	if spec := kinds.Detect(member, top); spec != nil {
		return spec.Kind, nil
	}
	var want []string
	for _, spec := range sharing {
		want = append(want, fmt.Sprintf("a %s (%s)", spec.Noun, strings.Join(spec.Marks, ", ")))
	}
	last := len(want) - 1
	return "", fmt.Errorf("%w: item %d is neither %s nor %s", ErrImportShape, i, strings.Join(want[:last], ", "), want[last])
}
