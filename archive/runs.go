package archive

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/archiver-dev/archiver/internal/buildinfo"
	"github.com/archiver-dev/archiver/migrations"
)

// SyncRunPrefix starts the meta-bucket key of every sync run record. The
// full key is "syncrun/SOURCE/REGION/ACCOUNT"; REGION or ACCOUNT is empty
// when the run failed before it learnt them (no region configured, or STS
// unreachable).
const SyncRunPrefix = "syncrun/"

// SyncRun is what sync last did for one source in one region and account,
// with totals over every run recorded for them. It lives in the meta bucket:
// it describes the syncs, not AWS, so it is no record and never enters the
// change log, the index or an export.
type SyncRun struct {
	// Source is the sync source ("drs", "snowball", "sms").
	Source string `json:"source"`
	// Region and Account are where it was read; either may be empty when the
	// run failed before it knew them.
	Region  string `json:"region"`
	Account string `json:"account"`
	// Started and Finished bound the sync run that last covered this
	// source, region and account.
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// ItemsRead counts, by kind, the items that run read from AWS.
	ItemsRead map[Kind]int64 `json:"itemsRead,omitempty"`
	// RecordsAdded counts, by kind, the records that run added to the archive.
	RecordsAdded map[Kind]int64 `json:"recordsAdded,omitempty"`
	// Error is the one-line error that ended the run for this source,
	// region and account; empty means success.
	Error string `json:"error,omitempty"`
	// Note says, for a run without error, what it could not read and why
	// that is no failure: "DRS not initialised" when DRS was never set up
	// in the region of the account.
	Note string `json:"note,omitempty"`
	// LastSuccess is when a run for them last ended without error; zero if
	// none ever did.
	LastSuccess time.Time `json:"lastSuccess,omitzero"`
	// Runs and Failures count every run recorded here, and those that failed.
	Runs     int64 `json:"runs"`
	Failures int64 `json:"failures"`
	// ItemsReadTotal and RecordsAddedTotal add up ItemsRead and
	// RecordsAdded over every run recorded here.
	ItemsReadTotal    map[Kind]int64 `json:"itemsReadTotal,omitempty"`
	RecordsAddedTotal map[Kind]int64 `json:"recordsAddedTotal,omitempty"`
	// ArchiverBuild is the archiver build that ran the last run: version,
	// git revision and commit time, and whether the checkout was modified;
	// absent in records written before it was kept.
	ArchiverBuild *buildinfo.Info `json:"archiverBuild,omitempty"`
}

// OK reports whether the run ended without error.
func (s SyncRun) OK() bool { return s.Error == "" }

// Duration is how long the run took.
func (s SyncRun) Duration() time.Duration { return s.Finished.Sub(s.Started) }

// Key returns the meta-bucket key of the run record.
func (s SyncRun) Key() string { return SyncRunKey(s.Source, s.Region, s.Account) }

// SyncRunKey returns the meta-bucket key of the run record of source in
// region and account.
func SyncRunKey(source, region, account string) string {
	return SyncRunPrefix + source + "/" + region + "/" + account
}

// SyncRun returns the run record of source in region and account, and
// whether there is one.
func (r *Reader) SyncRun(source, region, account string) (SyncRun, bool, error) {
	meta, err := r.bucket(migrations.MetaBucket)
	if err != nil {
		return SyncRun{}, false, err
	}
	key := SyncRunKey(source, region, account)
	v := meta.Get([]byte(key))
	if v == nil {
		return SyncRun{}, false, nil
	}
	var s SyncRun
	if err := json.Unmarshal(v, &s); err != nil {
		return SyncRun{}, false, fmt.Errorf("sync run record %s: %w", key, err)
	}
	return s, true, nil
}

// SyncRuns returns every run record in key order: by source, region, then
// account.
func (r *Reader) SyncRuns() ([]SyncRun, error) {
	meta, err := r.bucket(migrations.MetaBucket)
	if err != nil {
		return nil, err
	}
	var out []SyncRun
	prefix := []byte(SyncRunPrefix)
	c := meta.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var s SyncRun
		if err := json.Unmarshal(v, &s); err != nil {
			return nil, fmt.Errorf("sync run record %s: %w", k, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// PutSyncRun stores s as the run record of its source, region and account,
// replacing the one before.
func (w *Writer) PutSyncRun(s SyncRun) error {
	if s.Source == "" || strings.Contains(s.Source+s.Region+s.Account, "/") {
		return fmt.Errorf("sync run record %q %q %q: bad source, region or account", s.Source, s.Region, s.Account)
	}
	meta, err := w.bucket(migrations.MetaBucket)
	if err != nil {
		return err
	}
	v, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("sync run record %s: %w", s.Key(), err)
	}
	if err := meta.Put([]byte(s.Key()), v); err != nil {
		return fmt.Errorf("sync run record %s: %w", s.Key(), err)
	}
	return nil
}

// DeleteSyncRun removes the run record of source in region and account, if
// there is one.
func (w *Writer) DeleteSyncRun(source, region, account string) error {
	meta, err := w.bucket(migrations.MetaBucket)
	if err != nil {
		return err
	}
	key := SyncRunKey(source, region, account)
	if err := meta.Delete([]byte(key)); err != nil {
		return fmt.Errorf("delete sync run record %s: %w", key, err)
	}
	return nil
}
