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
	err            error
	jobID, cluster string
}

func (b *recordBuilder) fail(format string, args ...any) error {
	return fmt.Errorf(format, args...)
}

// start takes the kind of the file's first item and checks that the
// options say what the items of that kind do not.
func (b *recordBuilder) start(kind archive.Kind) error {
	b.kind = kind
	o := b.o
	needWhere := func(what string) error {
		if o.Region == "" || o.Account == "" {
			return b.fail("%s do not say their region and account: give --region and --account", what)
		}
		return nil
	}
	switch kind {
	case kinds.DRSJobLogItem:
		b.jobID = o.JobID
		if b.jobID == "" {
			b.jobID = jobIDInName.FindString(b.f.name)
		}
		if b.jobID == "" {
			return b.fail("job log items do not name their job: give --job-id, or keep the job ID (drsjob-...) in the file name")
		}
	case kinds.DRSRecoverySnapshot:
		return needWhere("recovery snapshots")
	case kinds.DRSStagingAccount:
		return needWhere("staging accounts")
	case kinds.SnowballJob:
		if err := needWhere("Snowball cluster jobs"); err != nil {
			return err
		}
		b.cluster = o.ClusterID
		if b.cluster == "" {
			b.cluster = clusterIDInName.FindString(b.f.name)
		}
		if b.cluster == "" {
			return b.fail("Snowball cluster jobs do not name their cluster: give --snowball-cluster-id, or keep the cluster ID (CID...) in the file name")
		}
	case kinds.SMSJob:
		return needWhere("SMS replication jobs")
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
	var kind archive.Kind
	switch member {
	case "items":
		var err error
		if kind, err = drsItemKind(i, it); err != nil {
			return archive.Record{}, &shapeErr{err}
		}
	case "accounts":
		kind = kinds.DRSStagingAccount
	case "JobListEntries":
		kind = kinds.SnowballJob
	default:
		kind = kinds.SMSJob
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
	o, fail, seen := b.o, b.fail, b.f.seen
	rec := archive.Record{Kind: kind, FirstSeen: seen, LastSeen: seen, Data: it, Imported: b.prov}
	// where sets the region and account of the record: its ARN's, else the
	// options'.
	where := func(arn, what, id string) error {
		region, account := kinds.ARNRegion(arn), kinds.ARNAccount(arn)
		if o.Region != "" && region != "" && o.Region != region || o.Account != "" && account != "" && o.Account != account {
			return fail("item %d: its ARN %s is not in --region %s, --account %s", i, arn, o.Region, o.Account)
		}
		rec.Region, rec.Account = orElse(region, o.Region), orElse(account, o.Account)
		if rec.Region == "" || rec.Account == "" {
			return fail("%s %s has no ARN: give --region and --account", what, id)
		}
		return nil
	}
	switch kind {
	case kinds.DRSJob:
		var h jobHead
		if err := json.Unmarshal(it, &h); err != nil || h.JobID == "" {
			return rec, fail("item %d: no jobID", i)
		}
		rec.ID = h.JobID
		if err := where(h.Arn, "job", h.JobID); err != nil {
			return rec, err
		}
		rec.Time = timeOr(h.CreationDateTime, seen)
	case kinds.DRSJobLogItem:
		var h struct {
			LogDateTime string `json:"logDateTime"`
		}
		if err := json.Unmarshal(it, &h); err != nil {
			return rec, fail("item %d: %v", i, err)
		}
		rec.JobID, rec.Region, rec.Account = b.jobID, o.Region, o.Account
		pos := i
		rec.Pos = &pos
		rec.Time = timeOr(h.LogDateTime, seen)
	case kinds.DRSSourceServer:
		var h serverHead
		if err := json.Unmarshal(it, &h); err != nil || h.SourceServerID == "" {
			return rec, fail("item %d: no sourceServerID", i)
		}
		rec.ID = h.SourceServerID
		if err := where(h.Arn, "source server", h.SourceServerID); err != nil {
			return rec, err
		}
		rec.Time, rec.CapturedAt = seen, &seen
	case kinds.DRSRecoveryInstance:
		var h struct {
			RecoveryInstanceID          string `json:"recoveryInstanceID"`
			Arn                         string `json:"arn"`
			PointInTimeSnapshotDateTime string `json:"pointInTimeSnapshotDateTime"`
		}
		if err := json.Unmarshal(it, &h); err != nil || h.RecoveryInstanceID == "" {
			return rec, fail("item %d: no recoveryInstanceID", i)
		}
		rec.ID = h.RecoveryInstanceID
		if err := where(h.Arn, "recovery instance", h.RecoveryInstanceID); err != nil {
			return rec, err
		}
		rec.Time, rec.CapturedAt = timeOr(h.PointInTimeSnapshotDateTime, seen), &seen
	case kinds.DRSRecoverySnapshot:
		var h struct {
			SnapshotID string `json:"snapshotID"`
			Timestamp  string `json:"timestamp"`
		}
		if err := json.Unmarshal(it, &h); err != nil || h.SnapshotID == "" {
			return rec, fail("item %d: no snapshotID", i)
		}
		rec.ID, rec.Region, rec.Account = h.SnapshotID, o.Region, o.Account
		rec.Time = timeOr(h.Timestamp, seen)
	case kinds.DRSStagingAccount:
		var h struct {
			AccountID string `json:"accountID"`
		}
		if err := json.Unmarshal(it, &h); err != nil || h.AccountID == "" {
			return rec, fail("item %d: no accountID", i)
		}
		rec.ID, rec.Region, rec.Account = h.AccountID, o.Region, o.Account
		rec.Time, rec.CapturedAt = seen, &seen
	case kinds.SnowballJob:
		var h snowballJobHead
		if err := json.Unmarshal(it, &h); err != nil || h.JobID == "" {
			return rec, fail("item %d: no JobId", i)
		}
		rec.ID, rec.ClusterID, rec.Region, rec.Account = h.JobID, b.cluster, o.Region, o.Account
		rec.Time, rec.CapturedAt = rawTime(h.CreationDate, seen), &seen
	case kinds.SMSJob:
		var h smsJobHead
		if err := json.Unmarshal(it, &h); err != nil || h.ReplicationJobID == "" {
			return rec, fail("item %d: no replicationJobId", i)
		}
		rec.ID, rec.Region, rec.Account = h.ReplicationJobID, o.Region, o.Account
		rec.Time, rec.CapturedAt = rawTime(h.SeedReplicationTime, seen), &seen
	}
	if err := rec.CheckData(); err != nil {
		return rec, fail("item %d: %v", i, err)
	}
	return rec, nil
}

// splitCLIStream reads one or more JSON objects from r, each with one of
// the list members of importShapes (the same one in all), and calls fn with
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
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return "", notJSON(err)
			}
			key, _ := tok.(string)
			if !slices.ContainsFunc(importShapes, func(s struct{ member, commands string }) bool { return s.member == key }) {
				if len(names) < 20 && !slices.Contains(names, key) {
					names = append(names, key)
				}
				if _, err := value(1); err != nil {
					return "", err
				}
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
			slices.Sort(names)
			return "", fmt.Errorf("%w: value %d has none of items, accounts, JobListEntries, replicationJobList (its members: %s); %s",
				ErrImportShape, n, strings.Join(names, ", "), wantShapes)
		}
		member = found
	}
	if n == 0 {
		return "", fmt.Errorf("%w: the file is empty; %s", ErrImportShape, wantShapes)
	}
	return member, nil
}

// drsItemKind tells which DRS listing "items" item i came from by its
// members.
func drsItemKind(i int, it []byte) (archive.Kind, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(it, &top); err != nil {
		return "", fmt.Errorf("%w: item %d: %v", ErrImportShape, i, err)
	}
	_, hasEvent := top["event"]
	_, hasLogTime := top["logDateTime"]
	_, hasServer := top["sourceServerID"]
	_, hasJob := top["jobID"]
	_, hasInstance := top["recoveryInstanceID"]
	_, hasSnapshot := top["snapshotID"]
	switch {
	// A recovery instance names its launch job and source server, and a
	// recovery snapshot its source server: they go first.
	case hasInstance:
		return kinds.DRSRecoveryInstance, nil
	case hasSnapshot:
		return kinds.DRSRecoverySnapshot, nil
	case hasEvent || hasLogTime:
		return kinds.DRSJobLogItem, nil
	case hasJob:
		return kinds.DRSJob, nil
	case hasServer:
		return kinds.DRSSourceServer, nil
	}
	return "", fmt.Errorf("%w: item %d is neither a DRS job (jobID), a job log item (event, logDateTime), a source server (sourceServerID), a recovery instance (recoveryInstanceID) nor a recovery snapshot (snapshotID)", ErrImportShape, i)
}
