package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
	"github.com/archiver-dev/archiver/query/export"
)

// TestDeletedUpstreamCommands deletes a job and a source server in the
// emulator between two syncs, then checks what query --deleted, query,
// status, export and verify say of them, and that verify notices a
// marking edited in the bbolt file.
func TestDeletedUpstreamCommands(t *testing.T) {
	hermeticEnv(t)
	emu := archivetest.Emulator(t, emulator.Options{Seed: 29, Jobs: 8, Servers: 6})
	dir := archivetest.Dir(t)
	syncCLI(t, dir, emu.URL())
	job, server := deleteUpstream(t, emu, 1)
	emu.Advance(time.Hour)
	syncCLI(t, dir, emu.URL())

	// The markings, as the archive holds them.
	marks := map[string]archive.Marking{}
	st, err := archive.Open(context.Background(), dir, archive.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	err = st.View(func(r *archive.Reader) error {
		return r.EachDeleted(func(m archive.Marking) error { marks[string(m.Kind)+" "+m.ID] = m; return nil })
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	markedIDs := deletedWith(job, server)
	if len(marks) != len(markedIDs) || marks[string(kinds.DRSJob)+" "+job].Kind != kinds.DRSJob || marks[string(kinds.DRSSourceServer)+" "+server].Kind != kinds.DRSSourceServer {
		t.Fatalf("markings %v; want job %s and server %s", marks, job, server)
	}

	type object struct {
		Kind              archive.Kind `json:"kind"`
		ID                string       `json:"id"`
		DeletedUpstreamAt *time.Time   `json:"deletedUpstreamAt"`
	}
	objects := func(args ...string) []object {
		t.Helper()
		code, stdout, stderr := runCLI(t, append([]string{"--archive", dir, "query", "--output", "jsonl"}, args...)...)
		if code != 0 {
			t.Fatalf("query %v: exit %d: %s", args, code, stderr)
		}
		var out []object
		for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
			if line == "" {
				continue
			}
			var o object
			if err := json.Unmarshal([]byte(line), &o); err != nil {
				t.Fatalf("query %v: %v: %s", args, err, line)
			}
			out = append(out, o)
		}
		return out
	}
	tests := []struct {
		name string
		args []string
		want []string // IDs that must come with deletedUpstreamAt
		all  bool     // every object must be one of want
	}{
		{"--deleted", []string{"--deleted"}, markedIDs, true},
		{"--deleted --kind drs.job", []string{"--deleted", "--kind", "drs.job"}, []string{job}, true},
		{"every job", []string{"--kind", "drs.job"}, []string{job}, false},
		{"every server snapshot", []string{"--kind", "drs.sourceServer"}, []string{server}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := objects(tt.args...)
			var marked []string
			for _, o := range got {
				if o.DeletedUpstreamAt == nil {
					if tt.all {
						t.Errorf("%s %s without deletedUpstreamAt", o.Kind, o.ID)
					}
					continue
				}
				marked = append(marked, o.ID)
				if m := marks[string(o.Kind)+" "+o.ID]; !o.DeletedUpstreamAt.Equal(m.DeletedUpstreamAt) {
					t.Errorf("%s: deletedUpstreamAt %v, marking %v", o.ID, o.DeletedUpstreamAt, m.DeletedUpstreamAt)
				}
			}
			slices.Sort(marked)
			want := slices.Sorted(slices.Values(tt.want))
			if !slices.Equal(marked, want) {
				t.Errorf("objects with deletedUpstreamAt %v, want %v", marked, want)
			}
		})
	}

	rep := statusOf(t, dir)
	if rep.Archive.Deleted[kinds.DRSJob] != 1 || rep.Archive.Deleted[kinds.DRSSourceServer] != 1 || len(rep.Archive.Deleted) != len(markedIDs) {
		t.Errorf("status counts deleted upstream %v", rep.Archive.Deleted)
	}
	if code, stdout, _ := runCLI(t, "--archive", dir, "status"); code != 0 || !regexp.MustCompile(fmt.Sprintf(`(?m)^deleted upstream +%d$`, len(markedIDs))).MatchString(stdout) {
		t.Errorf("status table: exit %d\n%s", code, stdout)
	}

	out := filepath.Join(t.TempDir(), "export.json")
	if code, _, stderr := runCLI(t, "--archive", dir, "export", "--out", out); code != 0 {
		t.Fatalf("export: exit %d: %s", code, stderr)
	}
	doc, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var ex struct {
		Manifest export.Manifest `json:"manifest"`
	}
	if err := json.Unmarshal(doc, &ex); err != nil {
		t.Fatal(err)
	}
	if len(ex.Manifest.DeletedUpstream) != len(markedIDs) {
		t.Fatalf("export manifest lists %+v", ex.Manifest.DeletedUpstream)
	}
	for _, d := range ex.Manifest.DeletedUpstream {
		m := marks[string(d.Kind)+" "+d.ID]
		if d.Kind != m.Kind || d.Region != m.Region || d.Account != m.Account || !d.DeletedUpstreamAt.Equal(m.DeletedUpstreamAt) || !d.LastSeen.Equal(m.LastSeen) {
			t.Errorf("manifest lists %+v; the marking is %+v", d, m)
		}
	}
	if n, want := strings.Count(string(doc), `"deletedUpstreamAt"`), 2*len(markedIDs); n != want {
		t.Errorf("the export carries deletedUpstreamAt %d times, want %d (each marked record, and in the manifest)", n, want)
	}
	if code, _, stderr := runCLI(t, "verify", "--export", out); code != 0 {
		t.Errorf("verify --export: exit %d: %s", code, stderr)
	}
	if code, stdout, stderr := runCLI(t, "--archive", dir, "verify"); code != 0 {
		t.Fatalf("verify: exit %d: %s%s", code, stdout, stderr)
	}

	// A marking edited in the bbolt file is caught.
	db, err := bolt.Open(filepath.Join(dir, archive.FileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("deleted"))
		k, v := b.Cursor().First()
		var m map[string]any
		if err := json.Unmarshal(v, &m); err != nil {
			return err
		}
		m["deletedUpstreamAt"] = marks[string(kinds.DRSJob)+" "+job].DeletedUpstreamAt.Add(-24 * time.Hour)
		nv, err := json.Marshal(m)
		if err != nil {
			return err
		}
		return b.Put(append([]byte(nil), k...), nv)
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "--archive", dir, "verify")
	if code == 0 || !strings.Contains(stdout+stderr, "deleted-upstream marking") {
		t.Errorf("verify of an edited marking: exit %d: %s%s", code, stdout, stderr)
	}
}

// deleteUpstream deletes, in the emulator, its newest job and its source
// server number n, and returns their IDs.
func deleteUpstream(t *testing.T, emu *emulator.Server, n int) (job, server string) {
	t.Helper()
	jobs := emu.JobIDs()
	job = jobs[len(jobs)-1]
	var servers []struct {
		ID string `json:"sourceServerID"`
	}
	raw, _ := json.Marshal(emu.SourceServers())
	if err := json.Unmarshal(raw, &servers); err != nil {
		t.Fatal(err)
	}
	server = servers[n].ID
	if err := emu.DeleteJob(job); err != nil {
		t.Fatal(err)
	}
	if err := emu.DeleteSourceServer(server); err != nil {
		t.Fatal(err)
	}
	return job, server
}

// deletedWith returns the IDs of the objects marked deleted upstream when
// job and server are deleted: the job, and the server with every object
// filed under its ID (its settings), one ID per such kind.
func deletedWith(job, server string) []string {
	out := []string{job}
	for _, spec := range kinds.All() {
		if spec.Index.IDIsServer {
			out = append(out, server)
		}
	}
	return out
}
