package sync_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
	archsync "github.com/archiver-dev/archiver/sync"
)

// cliOutput renders items as the AWS CLI prints a merged listing: one
// object, indented by four spaces. With pages > 1 the items are split into
// that many objects, one after another, as pages saved one by one are.
func cliOutput(t *testing.T, member string, items []json.RawMessage, pages int) []byte {
	t.Helper()
	var out bytes.Buffer
	per := (len(items) + pages - 1) / pages
	for len(items) > 0 || out.Len() == 0 {
		n := min(per, len(items))
		if n == 0 {
			n = len(items)
		}
		page := map[string]any{member: items[:n]}
		if n < len(items) {
			page["nextToken"] = "token"
		}
		b, err := json.MarshalIndent(page, "", "    ")
		if err != nil {
			t.Fatal(err)
		}
		out.Write(b)
		out.WriteByte('\n')
		items = items[n:]
	}
	return out.Bytes()
}

// awsCLIOutput runs the AWS CLI against the emulator and returns what it
// prints, or nil when the CLI is not installed.
func awsCLIOutput(t *testing.T, emu *emulator.Server, args ...string) []byte {
	t.Helper()
	path, err := exec.LookPath("aws")
	if err != nil {
		return nil
	}
	cmd := exec.Command(path, append(args, "--endpoint-url", emu.URL(), "--output", "json")...)
	empty := filepath.Join(t.TempDir(), "empty")
	os.WriteFile(empty, nil, 0o600)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=AKIDTEST", "AWS_SECRET_ACCESS_KEY=secret", "AWS_SESSION_TOKEN=",
		"AWS_DEFAULT_REGION="+emu.Region(), "AWS_REGION="+emu.Region(), "AWS_CONFIG_FILE="+empty, "AWS_SHARED_CREDENTIALS_FILE="+empty,
		"AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("aws %v: %v", args, err)
	}
	return out
}

// latest maps every identity of kinds to its current data in canonical
// form, and every job log to its items in canonical form.
func latest(t *testing.T, dir string) map[string]string {
	t.Helper()
	st := archivetest.Open(t, dir)
	defer st.Close()
	out := map[string]string{}
	canon := func(b []byte) string {
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
		c, _ := json.Marshal(v)
		return string(c)
	}
	err := st.View(func(r *archive.Reader) error {
		for _, k := range []archive.Kind{kinds.DRSJob, kinds.DRSSourceServer, kinds.SnowballJob, kinds.SMSJob} {
			err := r.Each(k, func(rec archive.Record) error {
				id := fmt.Sprintf("%s %s %s %s %s", k, rec.ID, rec.ClusterID, rec.Region, rec.Account)
				if _, dup := out[id]; dup && (k == kinds.DRSJob) {
					return fmt.Errorf("%s twice", id)
				}
				out[id] = canon(rec.Data) // key order is time order: the last is current
				out[id+" count"] = fmt.Sprint(len(out[id+" count"]) + 1)
				if k == kinds.DRSJob {
					i := 0
					return r.JobLog(archive.JobRef{JobID: rec.ID, Region: rec.Region, Account: rec.Account}, func(it archive.Record) error {
						out[fmt.Sprintf("%s log %d", id, i)] = canon(it.Data)
						i++
						return nil
					})
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestImportEqualsSync(t *testing.T) {
	// The AWS CLI prints only the members its model knows, and numbers as
	// Python writes them (1786298255.44 for 1786298255.440): saved CLI output
	// of a history is that history less any members the CLI does not model.
	// So the emulator serves none here, and numbers compare by value.
	o := allSources
	o.NoUnknownFields = true
	emu := archivetest.Emulator(t, o)
	src := t.TempDir()
	at := emu.Now()
	write := func(name string, b []byte) string {
		return cliFile(t, src, name, string(b), at)
	}
	var files []string
	jobs := awsCLIOutput(t, emu, "drs", "describe-jobs")
	if jobs == nil {
		jobs = cliOutput(t, "items", emu.Jobs(), 1)
	}
	files = append(files, write("jobs.json", jobs))
	for i, id := range emu.JobIDs() {
		// Half the logs saved page by page, half as the CLI merges them.
		files = append(files, write("log-"+id+".json", cliOutput(t, "items", emu.JobLog(id), 1+i%2)))
	}
	servers := awsCLIOutput(t, emu, "drs", "describe-source-servers")
	if servers == nil {
		servers = cliOutput(t, "items", emu.SourceServers(), 2)
	}
	files = append(files, write("servers.json", servers))
	for i, c := range emu.ClusterIDs() {
		var out []byte
		if i == 0 {
			out = awsCLIOutput(t, emu, "snowball", "list-cluster-jobs", "--cluster-id", c)
		}
		if out == nil {
			out = cliOutput(t, "JobListEntries", emu.ClusterJobs(c), 2)
		}
		files = append(files, write(c+".json", out))
	}
	// The AWS CLI installed here has no sms commands any more.
	files = append(files, write("sms.json", cliOutput(t, "replicationJobList", emu.ReplicationJobs(), 1)))

	synced := archivetest.Dir(t)
	so := options(synced, emu)
	so.Sources = []archsync.Source{archsync.SourceDRS, archsync.SourceSnowball, archsync.SourceSMS}
	so.Now = emu.Now
	runSync(t, so)

	imported := archivetest.Dir(t)
	io := archsync.ImportOptions{ArchiveDir: imported, Region: emu.Region(), Account: emu.Account()}
	res := importFiles(t, io, files...)
	if res.Updated != 0 || res.Unchanged != 0 || res.Added == 0 {
		t.Errorf("import into an empty archive: %+v", res)
	}

	want, got := latest(t, synced), latest(t, imported)
	if len(got) != len(want) {
		t.Errorf("import holds %d identities and log items, sync %d", len(got), len(want))
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s:\n import %s\n sync   %s", k, got[k], w)
		}
	}

	// The same files into the synced archive add nothing.
	io.ArchiveDir = synced
	res = importFiles(t, io, files...)
	if res.Added != 0 || res.Updated != 0 {
		t.Errorf("import into the synced archive: %+v, want nothing added or updated", res)
	}
	if again := latest(t, synced); len(again) != len(want) {
		t.Errorf("the synced archive went from %d to %d identities and log items", len(want), len(again))
	}
	// And a sync over the imported archive adds nothing either.
	so.ArchiveDir = imported
	st := runSync(t, so)
	// The staging account, the recovery snapshots and instances, the
	// servers' settings and the source networks: no imported file holds
	// them.
	wantAdded := 1 + int64(countKinds(t, imported, kinds.DRSRecoverySnapshot, kinds.DRSRecoveryInstance)) +
		int64(len(emu.LaunchConfigurations())+len(emu.ReplicationConfigurations())+len(emu.SourceNetworks()))
	if n := st.TotalAdded(); n != wantAdded {
		t.Errorf("sync over the import added %d records, want %d (the staging account, recovery snapshots and instances)", n, wantAdded)
	}
}

// verifyChain fails the test unless the hash chain of the archive in dir
// verifies clean.
func verifyChain(t *testing.T, dir, when string) {
	t.Helper()
	st := archivetest.Open(t, dir)
	defer st.Close()
	err := st.View(func(r *archive.Reader) error {
		_, err := r.VerifyChain(context.Background(), func(err error) { t.Errorf("verify %s: %v", when, err) })
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestImportOfCLIOutputInventsNoState imports what the AWS CLI prints of an
// emulator that serves members the CLI does not know (rendered here, so
// that the test runs without the CLI): into an archive sync filled it adds
// and updates nothing, and the next sync adds nothing; into a fresh archive
// it adds every object, and a sync after it adds no record of any kind the
// files held.
func TestImportOfCLIOutputInventsNoState(t *testing.T) {
	o := allSources
	o.Seed = 17 // a history with recovery instances
	emu := archivetest.Emulator(t, o)
	src := t.TempDir()
	at := emu.Now()
	write := func(name string, b []byte) string { return cliFile(t, src, name, string(b), at) }
	files := []string{write("jobs.json", archivetest.CLIOutput(t, "items", emu.Jobs()))}
	for _, id := range emu.JobIDs() {
		files = append(files, write(id+".json", archivetest.CLIOutput(t, "items", emu.JobLog(id))))
	}
	files = append(files, write("servers.json", archivetest.CLIOutput(t, "items", emu.SourceServers())))
	for _, s := range emu.SourceServers() {
		var h struct{ SourceServerID string }
		json.Unmarshal(s, &h)
		if snaps := emu.RecoverySnapshots(h.SourceServerID); len(snaps) > 0 {
			files = append(files, write("snapshots-"+h.SourceServerID+".json", archivetest.CLIOutput(t, "items", snaps)))
		}
	}
	var accounts []json.RawMessage
	for _, a := range emu.StagingAccounts() {
		b, _ := json.Marshal(map[string]string{"accountID": a})
		accounts = append(accounts, b)
	}
	files = append(files, write("staging.json", archivetest.CLIOutput(t, "accounts", accounts)),
		write("instances.json", archivetest.CLIOutput(t, "items", emu.RecoveryInstances())))
	for _, c := range emu.ClusterIDs() {
		files = append(files, write(c+".json", archivetest.CLIOutput(t, "JobListEntries", emu.ClusterJobs(c))))
	}
	files = append(files, write("sms.json", archivetest.CLIOutput(t, "replicationJobList", emu.ReplicationJobs())),
		write("launch-configurations.json", archivetest.CLIOutput(t, "", emu.LaunchConfigurations())),
		write("replication-configurations.json", archivetest.CLIOutput(t, "", emu.ReplicationConfigurations())),
		write("networks.json", archivetest.CLIOutput(t, "items", emu.SourceNetworks())))
	all := kinds.Names()
	total := len(emu.Jobs()) + emu.TotalLogItems() + len(emu.SourceServers()) + len(accounts) + len(emu.RecoveryInstances()) + len(emu.ReplicationJobs()) +
		len(emu.LaunchConfigurations()) + len(emu.ReplicationConfigurations()) + len(emu.SourceNetworks())
	for _, s := range emu.SourceServers() {
		var h struct{ SourceServerID string }
		json.Unmarshal(s, &h)
		total += len(emu.RecoverySnapshots(h.SourceServerID))
	}
	for _, c := range emu.ClusterIDs() {
		total += len(emu.ClusterJobs(c))
	}
	if len(emu.ClusterIDs()) == 0 || len(emu.ReplicationJobs()) == 0 || len(emu.RecoveryInstances()) == 0 || len(accounts) == 0 ||
		len(emu.LaunchConfigurations()) == 0 || len(emu.ReplicationConfigurations()) == 0 || len(emu.SourceNetworks()) == 0 {
		t.Fatal("the emulator lacks a kind: the test proves nothing")
	}
	syncOpts := func(dir string) archsync.Options {
		so := options(dir, emu)
		so.Sources = []archsync.Source{archsync.SourceDRS, archsync.SourceSnowball, archsync.SourceSMS}
		so.Now = emu.Now
		return so
	}
	added := func(st *archsync.Stats) int64 {
		return st.TotalAdded()
	}
	io := archsync.ImportOptions{Region: emu.Region(), Account: emu.Account()}

	t.Run("sync, import, sync", func(t *testing.T) {
		dir := archivetest.Dir(t)
		runSync(t, syncOpts(dir))
		before := countKinds(t, dir, all...)
		if before != total {
			t.Fatalf("sync archived %d records, the emulator has %d", before, total)
		}
		io.ArchiveDir = dir
		res := importFiles(t, io, files...)
		if res.Added != 0 || res.Updated != 0 || res.Unchanged != total {
			t.Errorf("import into the synced archive: %+v; want all %d unchanged", res, total)
		}
		verifyChain(t, dir, "after the import")
		if st := runSync(t, syncOpts(dir)); added(st) != 0 {
			t.Errorf("the sync after the import added %d records", added(st))
		}
		if n := countKinds(t, dir, all...); n != before {
			t.Errorf("the archive went from %d to %d records", before, n)
		}
		verifyChain(t, dir, "after the sync")
	})

	t.Run("import, sync", func(t *testing.T) {
		dir := archivetest.Dir(t)
		io.ArchiveDir = dir
		res := importFiles(t, io, files...)
		if res.Added != total || res.Updated != 0 || res.Unchanged != 0 {
			t.Errorf("import into a fresh archive: %+v; want all %d added", res, total)
		}
		verifyChain(t, dir, "after the import")
		if st := runSync(t, syncOpts(dir)); added(st) != 0 {
			t.Errorf("the sync after the import added %d records", added(st))
		}
		if n := countKinds(t, dir, all...); n != total {
			t.Errorf("the archive went from %d to %d records", total, n)
		}
		verifyChain(t, dir, "after the sync")
		// And the same files again add nothing.
		res = importFiles(t, io, files...)
		if res.Added != 0 || res.Updated != 0 {
			t.Errorf("import again: %+v; want nothing added or updated", res)
		}
	})
}
