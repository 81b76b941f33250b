package forger

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	bolt "go.etcd.io/bbolt"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/check"
	"github.com/archiver-dev/archiver/archive/checkpoint"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
	"github.com/archiver-dev/archiver/internal/reczip"
	archsync "github.com/archiver-dev/archiver/sync"
)

// forgeries is how many forged archives the acceptance test checks.
const forgeries = 1000

// history syncs an emulator history into an archive: two syncs before any
// checkpoint is kept outside (with objects deleted upstream, one of them
// restored), then three syncs that each copy their checkpoint into the
// witness directory. It returns the archive directory and the witness.
func history(t *testing.T) (dir, witness string) {
	emu := archivetest.Emulator(t, emulator.Options{Seed: 17, Jobs: 10, Servers: 6, LogItemsPerJob: 6})
	if len(emu.Jobs()) == 0 || len(emu.SourceServers()) < 3 {
		t.Fatal("the emulator has no history; the test proves nothing")
	}
	dir = archivetest.Dir(t)
	witness = filepath.Join(t.TempDir(), "witness")
	sync := func(witnessDir string) {
		t.Helper()
		var stats archsync.Stats
		err := archsync.Run(context.Background(), archsync.Options{
			ArchiveDir: dir, Regions: []string{emu.Region()}, EndpointURL: emu.URL(),
			Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
			Checkpoint:  archive.CheckpointOptions{WitnessDir: witnessDir},
		}, &stats)
		if err != nil {
			t.Fatalf("sync: %v", err)
		}
	}
	var servers []struct {
		ID string `json:"sourceServerID"`
	}
	raw, _ := json.Marshal(emu.SourceServers())
	if err := json.Unmarshal(raw, &servers); err != nil {
		t.Fatal(err)
	}
	jobs := emu.JobIDs()

	sync("")
	// From here on records are stored compressed, as a larger archive's
	// are once their kinds have dictionaries: the forger reads them as
	// verify does, and what it forges it stores plainly.
	res, err := archive.CompressRecordsIn(context.Background(), dir, archive.Options{}, archive.CompressOptions{TrainAt: reczip.MinSamples})
	if err != nil || res.Records == 0 {
		t.Fatalf("compress: %+v, %v; want records compressed", res, err)
	}
	for _, err := range []error{emu.DeleteJob(jobs[len(jobs)-1]), emu.DeleteSourceServer(servers[1].ID), emu.DeleteSourceServer(servers[2].ID)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	emu.Advance(time.Hour)
	sync("")
	if err := emu.Restore(servers[2].ID); err != nil {
		t.Fatal(err)
	}
	if err := emu.DeleteJob(jobs[len(jobs)-2]); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		emu.Advance(6 * time.Hour)
		sync(witness)
	}
	return dir, witness
}

// run verifies the archive in dir, in process, as `archiver verify` does,
// against the witness when one is given.
func run(dir string, against ...string) (string, string, error) {
	var stdout, stderr bytes.Buffer
	err := check.Run(context.Background(), check.RunOptions{ArchiveDir: dir, LockTimeout: time.Second, Against: against}, &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

// TestForgeriesNeedACheckpoint is the acceptance test of the archive's
// tamper evidence. An insider who knows the layout edits the file of a
// synced archive (records changed, deleted or inserted into the past,
// markings changed, deleted or made up, links reordered, several at once)
// and recomputes everything the file stores about itself: verify finds
// every forgery consistent, which is the point, and verify --against the
// witness directory fails on every one, naming a checkpoint. The untouched
// archive passes both.
func TestForgeriesNeedACheckpoint(t *testing.T) {
	dir, witness := history(t)
	files, err := checkpoint.ReadFiles(witness)
	if err != nil || len(files) != 3 {
		t.Fatalf("the witness holds %d checkpoints, %v; want one per witnessed sync", len(files), err)
	}
	first, last := files[0].Checkpoint, files[len(files)-1].Checkpoint
	for _, f := range files[1:] {
		if f.Checkpoint.Size <= first.Size {
			t.Fatalf("checkpoint %s (%d leaves) does not grow the log past the first (%d)", f.Path, f.Checkpoint.Size, first.Size)
		}
	}
	base, err := os.ReadFile(filepath.Join(dir, archive.FileName))
	if err != nil {
		t.Fatal(err)
	}

	// The change-log entry positions the first checkpoint covers: those
	// whose links are all among its leaves (leaf 0 anchors, leaf n is link
	// n).
	var covered uint64
	var nMarks, nRecords int
	st := archivetest.Open(t, dir)
	err = st.View(func(r *archive.Reader) error {
		th, err := r.TreeHead()
		if err != nil {
			return err
		}
		if th.Size != last.Size || th.Hash != last.Hash {
			return fmt.Errorf("the archive's tree (%d leaves) is not its last checkpoint's (%d): a write came after it", th.Size, last.Size)
		}
		if err := r.EachDeleted(func(archive.Marking) error { nMarks++; return nil }); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	db, err := bolt.Open(filepath.Join(dir, archive.FileName), 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(func(tx *bolt.Tx) error {
		f, err := load(tx, nil, 0)
		if err != nil {
			return err
		}
		n := uint64(0)
		for _, en := range f.entries {
			n += uint64(len(en.links))
			if n > first.Size-1 {
				break
			}
			covered = en.pos
		}
		f.covered = covered
		recs, err := f.records()
		nRecords = len(recs)
		return err
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if covered == 0 || nRecords == 0 || nMarks < 2 {
		t.Fatalf("history before the first checkpoint: up to entry %d, %d records, %d markings; the test proves nothing", covered, nRecords, nMarks)
	}
	t.Logf("%d records and %d markings before the first checkpoint (entries up to %d, %d leaves); %d checkpoints, the last of %d leaves",
		nRecords, nMarks, covered, first.Size, len(files), last.Size)

	// No false alarm: the untouched archive, and a copy of its file alone.
	clean := filepath.Join(t.TempDir(), "clean")
	copyArchive(t, base, clean)
	for _, d := range []string{dir, clean} {
		if out, errs, err := run(d); err != nil || !strings.Contains(out, "ok") {
			t.Fatalf("verify of the untouched archive: %v: %s%s", err, out, errs)
		}
		if out, errs, err := run(d, witness); err != nil || !strings.Contains(out, "extends 3 checkpoints") {
			t.Fatalf("verify --against of the untouched archive: %v: %s%s", err, out, errs)
		}
	}

	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.Path
	}
	n := forgeries
	if testing.Short() {
		n = 100
	}
	// The forgeries, seed by seed, on as many workers as there are CPUs.
	var mu sync.Mutex
	made := map[string]int{}
	seeds := make(chan int64)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seed := range seeds {
				p, err := forge(t, base, covered, seed)
				if err != nil {
					t.Errorf("forgery %d: %v", seed, err)
					continue
				}
				mu.Lock()
				made[p.kind]++
				mu.Unlock()
				what := strings.Join(p.did, "; ")
				if out, errs, err := run(p.dir); err != nil {
					t.Errorf("forgery %d (%s): verify finds it: the forger left something unrecomputed: %v\n%s%s", seed, what, err, out, errs)
					continue
				}
				_, errs, err := run(p.dir, witness)
				lines := strings.Split(strings.TrimSpace(errs), "\n")
				switch {
				case err == nil:
					t.Errorf("forgery %d (%s): verify --against passes it", seed, what)
				case len(lines) != 1 || !strings.Contains(errs, check.ErrNotExtended.Error()) || !namesOne(errs, names):
					t.Errorf("forgery %d (%s): verify --against says %q; want one problem naming a checkpoint", seed, what, errs)
				}
			}
		}()
	}
	for seed := range n {
		seeds <- int64(seed)
	}
	close(seeds)
	wg.Wait()
	kinds := made
	t.Logf("%d forgeries: %v", n, kinds)

	// The forger's controls: a forgery that leaves the chain or the log as
	// it was is found by verify alone, so verify's passes above are the
	// forger's work.
	for _, tc := range []struct{ edit, sloppy, want string }{
		{"data", "chain", "does not hash to its last link"},
		{"delete", "chain", "removed other than by archiver"},
		{"insert", "chain", "is in no link"},
		{"unmark", "chain", "is missing"},
		{"state", "chain", "does not hash to its last link"},
		{"drop state", "chain", "is missing"},
		{"reorder", "log", "transparency log does not match"},
		{"data", "log", "transparency log does not match"},
	} {
		t.Run("control "+tc.edit+" without "+tc.sloppy, func(t *testing.T) {
			p, err := forgeSloppy(t, base, covered, 7, tc.edit, tc.sloppy)
			if err != nil {
				t.Fatal(err)
			}
			if _, errs, err := run(p.dir); err == nil || !strings.Contains(errs, tc.want) {
				t.Errorf("%s: verify says %v %q; want a problem saying %q", strings.Join(p.did, "; "), err, errs, tc.want)
			}
		})
	}

	// A marking moved to another object of its kind, its value (which
	// names the record key the chain links) unchanged: verify must find
	// the marking filed under an object whose record it does not name.
	t.Run("marking moved to another object", func(t *testing.T) {
		p := plan{dir: filepath.Join(t.TempDir(), "archive")}
		copyArchive(t, base, p.dir)
		db, err := bolt.Open(filepath.Join(p.dir, archive.FileName), 0o600, &bolt.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		moved := ""
		err = db.Update(func(tx *bolt.Tx) error {
			f, err := load(tx, rand.New(rand.NewSource(1)), covered)
			if err != nil {
				return err
			}
			marks, err := f.markings()
			if err != nil {
				return err
			}
			for _, m := range marks {
				prefix := []byte(string(m.spec.Kind) + "\x00")
				c := f.bucket(bucketIDs).Cursor()
				for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
					if f.bucket(bucketDeleted).Get(k) != nil {
						continue
					}
					to := bytes.Clone(k)
					v := bytes.Clone(f.bucket(bucketDeleted).Get(m.ident))
					if err := f.bucket(bucketDeleted).Delete(m.ident); err != nil {
						return err
					}
					moved = fmt.Sprintf("%q to %q", m.ident, to)
					return f.bucket(bucketDeleted).Put(to, v)
				}
			}
			return fmt.Errorf("no marking of a kind with another object")
		})
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
		if _, errs, err := run(p.dir); err == nil || !strings.Contains(errs, "another object") {
			t.Errorf("marking moved %s: verify says %v %q; want the marking found filed under another object", moved, err, errs)
		}
	})
}

func namesOne(s string, names []string) bool {
	for _, n := range names {
		if strings.Contains(s, n) {
			return true
		}
	}
	return false
}

// copyArchive writes the archive file data into a new archive directory:
// the file alone, with no page-check note and no full-text index.
func copyArchive(t *testing.T, data []byte, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, archive.FileName), data, 0o600); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, archive.CheckedFile))
}

// plan is one forgery made.
type plan struct {
	dir  string
	kind string
	did  []string
}

// forge copies the archive file base and forges it, as seed draws.
func forge(t *testing.T, base []byte, covered uint64, seed int64) (plan, error) {
	return forgeSloppy(t, base, covered, seed, "", "")
}

// forgeSloppy is forge making the edit named (any when "") and leaving
// what sloppy says unrecomputed (see forger.sloppy).
func forgeSloppy(t *testing.T, base []byte, covered uint64, seed int64, edit, sloppy string) (plan, error) {
	p := plan{dir: filepath.Join(t.TempDir(), "archive")}
	copyArchive(t, base, p.dir)
	db, err := bolt.Open(filepath.Join(p.dir, archive.FileName), 0o600, &bolt.Options{NoSync: true})
	if err != nil {
		return p, err
	}
	defer db.Close()
	rnd := rand.New(rand.NewSource(seed))
	edits := []string{"data", "seen", "delete", "insert", "mark", "unmark", "make mark", "reorder", "state", "drop state"}
	steps := 1
	p.kind = edits[rnd.Intn(len(edits))]
	if rnd.Intn(5) == 0 {
		steps, p.kind = 2+rnd.Intn(3), "several"
	}
	if edit != "" {
		steps, p.kind = 1, edit
	}
	err = db.Update(func(tx *bolt.Tx) error {
		f, err := load(tx, rnd, covered)
		if err != nil {
			return err
		}
		f.sloppy = sloppy
		for step := 0; step < steps; step++ {
			kind := p.kind
			if kind == "several" {
				kind = edits[rnd.Intn(len(edits))]
			}
			if err := f.apply(kind); err != nil {
				return err
			}
		}
		p.did = f.did
		return f.commit()
	})
	return p, err
}

// apply makes one edit of the kind named, on a target drawn at random
// among the records or markings of history, drawing again while the edit
// does not apply to the target.
func (f *forger) apply(kind string) error {
	for try := 0; try < 200; try++ {
		recs, err := f.records()
		if err != nil {
			return err
		}
		marks, err := f.markings()
		if err != nil {
			return err
		}
		r := recs[f.rnd.Intn(len(recs))]
		switch kind {
		case "data":
			err = f.editData(r)
		case "seen":
			err = f.editSeen(r)
		case "delete":
			err = f.deleteRecord(r)
		case "insert":
			err = f.insertRecord(r)
		case "make mark":
			err = f.insertMark(r)
		case "mark", "unmark":
			if len(marks) == 0 {
				err = errRetry
				kind = "make mark"
				break
			}
			m := marks[f.rnd.Intn(len(marks))]
			if kind == "mark" {
				err = f.editMark(m)
			} else {
				err = f.deleteMark(m)
			}
		case "reorder":
			err = f.reorder()
		case "state", "drop state":
			states, serr := f.states()
			if serr != nil {
				return serr
			}
			if len(states) == 0 {
				return fmt.Errorf("no job state in history")
			}
			s := states[f.rnd.Intn(len(states))]
			if kind == "state" {
				err = f.editState(s)
			} else {
				err = f.deleteState(s)
			}
		default:
			return fmt.Errorf("no edit %q", kind)
		}
		if !errors.Is(err, errRetry) {
			return err
		}
	}
	return fmt.Errorf("no target for edit %q", kind)
}
