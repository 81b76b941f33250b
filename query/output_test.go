package query_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/query"
)

const (
	outJob    = "drsjob-0a1b2c3d4e5f60718"
	outServer = "s-2222222222222222b"
	outToken  = "AQIDBAUGBwgJcmVzdW1lLWhlcmU"
)

// outputTerms are the full-text terms the golden tables highlight.
var outputTerms = []string{"capacity"}

// outputRecords is a fixed result set with one record of every shape a row
// is taken from: a job with a failed launch, a log item whose error holds
// quotes, <, &, a newline and non-ASCII text, a stalled snapshot, a log item
// without eventData, a Snowball job and an SMS job in a non-UTC zone.
func outputRecords() []archive.Record {
	t0 := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	seen := time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)
	pos := func(n int) *int { return &n }
	captured := t0.Add(time.Hour)
	rec := func(kind archive.Kind, id string, at time.Time, data string) archive.Record {
		return archive.Record{Kind: kind, ID: id, Region: "us-east-1", Account: "111122223333", Time: at, FirstSeen: seen, LastSeen: seen, Data: json.RawMessage(data)}
	}
	job := rec(kinds.DRSJob, outJob, t0,
		`{"jobID":"`+outJob+`","arn":"arn:aws:drs:us-east-1:111122223333:job/`+outJob+`","type":"LAUNCH","initiatedBy":"START_DRILL","status":"COMPLETED","creationDateTime":"2026-11-02T10:00:00Z","endDateTime":"2026-11-02T10:31:12Z",`+
			`"participatingServers":[{"sourceServerID":"s-1111111111111111a","launchStatus":"LAUNCHED","recoveryInstanceID":"i-0aaaaaaaaaaaaaaaa"},{"sourceServerID":"`+outServer+`","launchStatus":"FAILED"}]}`)
	failed := rec(kinds.DRSJobLogItem, "", t0.Add(5*time.Minute+120*time.Millisecond),
		`{"event":"LAUNCH_FAILED", "eventData": {"sourceServerID":"`+outServer+`","rawError":"An error occurred (InsufficientInstanceCapacity) when calling the \"RunInstances\" operation: <m5.large> & capacity\nunavailable in eu-west-1a — réessayez"}, "logDateTime":"2026-11-02T10:05:00.12Z"}`)
	failed.JobID, failed.Pos = outJob, pos(3)
	snapshot := rec(kinds.DRSSourceServer, outServer, captured,
		`{"sourceServerID":"`+outServer+`","dataReplicationInfo":{"dataReplicationState":"STALLED","lagDuration":"PT2H","dataReplicationError":{"error":"AGENT_NOT_SEEN","rawError":"Replication agent has not been seen for 2 hours"}},`+
			`"lifeCycle":{"lastLaunch":{"initiated":{"jobID":"`+outJob+`","type":"DRILL"},"status":"FAILED"}},"stagingArea":{"status":"NOT_EXTENDED","errorMessage":""},"sourceProperties":{"identificationHints":{"hostname":"db-01.example.internal"}}}`)
	snapshot.CapturedAt = &captured
	start := rec(kinds.DRSJobLogItem, "", t0.Add(time.Second), `{"event":"JOB_START","logDateTime":"2026-11-02T10:00:01Z"}`)
	start.JobID, start.Pos = outJob, pos(0)
	snowball := rec(kinds.SnowballJob, "JID0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", time.Unix(1793523600, 0).UTC(),
		`{"JobId":"JID0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0","JobState":"InTransitToCustomer","JobType":"LOCAL_USE","SnowballType":"EDGE_C","CreationDate":1793523600,"Description":"Edge cluster node 1 of 5, Capacity reserved","IsMaster":true}`)
	sms := rec(kinds.SMSJob, "sms-job-0123456789abcdef0", time.Date(2026, 11, 2, 13, 0, 0, 0, time.FixedZone("CEST", 2*3600)),
		`{"replicationJobId":"sms-job-0123456789abcdef0","serverId":"s-0fedcba9876543210","state":"FAILED","statusMessage":"Replication failed: could not find disk 2 in the VMware inventory","seedReplicationTime":1793610000}`)
	return []archive.Record{job, failed, snapshot, start, snowball, sms}
}

// writeOutput writes recs through a Writer of format f and returns the main
// output and the notes.
func writeOutput(t *testing.T, f query.Format, o query.WriterOptions, recs []archive.Record, terms []string, next string) (out, notes string) {
	t.Helper()
	var ob, nb bytes.Buffer
	o.Notes = &nb
	w := query.NewWriter(&ob, f, o)
	for _, rec := range recs {
		if err := w.Write(rec, terms); err != nil {
			t.Fatalf("write %s: %v", f, err)
		}
	}
	if err := w.Close(next); err != nil {
		t.Fatalf("close %s: %v", f, err)
	}
	return ob.String(), nb.String()
}

var update = flag.Bool("update", false, "rewrite the golden files")

// checkOutputGolden compares got with testdata/output/<name>.golden, which
// -update rewrites.
func checkOutputGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "output", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./query/ -run OutputGolden -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s:\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

func TestOutputGolden(t *testing.T) {
	tests := []struct {
		name   string
		format query.Format
		opts   query.WriterOptions
	}{
		{"table", query.FormatTable, query.WriterOptions{}},
		{"table-width80", query.FormatTable, query.WriterOptions{Width: 80}},
		{"table-width60", query.FormatTable, query.WriterOptions{Width: 60}},
		{"table-color", query.FormatTable, query.WriterOptions{Color: true}},
		{"json", query.FormatJSON, query.WriterOptions{}},
		{"jsonl", query.FormatJSONL, query.WriterOptions{}},
		{"csv", query.FormatCSV, query.WriterOptions{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _ := writeOutput(t, tt.format, tt.opts, outputRecords(), outputTerms, "")
			checkOutputGolden(t, tt.name, out)
		})
	}
}

func TestParseFormat(t *testing.T) {
	tests := []struct {
		in      string
		want    query.Format
		wantErr string
	}{
		{in: "table", want: query.FormatTable},
		{in: "json", want: query.FormatJSON},
		{in: "jsonl", want: query.FormatJSONL},
		{in: "csv", want: query.FormatCSV},
		{in: " JSON\t", want: query.FormatJSON},
		{in: "Csv", want: query.FormatCSV},
		{in: "xml", wantErr: `"xml": want one of table, json, jsonl, csv`},
		{in: " yaml\n", wantErr: `"yaml": want one of table, json, jsonl, csv`},
		{in: "", wantErr: `"": want one of table, json, jsonl, csv`},
		{in: "json\nl", wantErr: `"json\nl": want one of table, json, jsonl, csv`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := query.ParseFormat(tt.in)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("ParseFormat(%q) = %q, want error", tt.in, got)
				}
				if err.Error() != tt.wantErr {
					t.Errorf("error %q, want %q", err, tt.wantErr)
				}
				if strings.ContainsAny(err.Error(), "\r\n") {
					t.Errorf("error is not one line: %q", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseFormat(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestRowOf(t *testing.T) {
	recs := outputRecords()
	at := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	const region, account = "us-east-1", "111122223333"
	withData := func(kind archive.Kind, data string) archive.Record {
		return archive.Record{Kind: kind, ID: "id-1", Time: at, Data: json.RawMessage(data)}
	}
	tests := []struct {
		name string
		rec  archive.Record
		want query.Row
	}{
		{"job", recs[0], query.Row{Time: at, Kind: kinds.DRSJob, ID: outJob, Job: outJob, Server: "s-1111111111111111a +1", Servers: "s-1111111111111111a s-2222222222222222b", What: "COMPLETED START_DRILL", Message: "1 launched, 1 failed",
			Region: region, Account: account}},
		{"log item", recs[1], query.Row{Time: recs[1].Time, Kind: kinds.DRSJobLogItem, Job: outJob, Pos: 3, Server: outServer, What: "LAUNCH_FAILED",
			Message: "An error occurred (InsufficientInstanceCapacity) when calling the \"RunInstances\" operation: <m5.large> & capacity\nunavailable in eu-west-1a — réessayez",
			Region:  region, Account: account}},
		{"snapshot", recs[2], query.Row{Time: recs[2].Time, Kind: kinds.DRSSourceServer, ID: outServer, Job: outJob, Server: outServer, What: "STALLED", Message: "Replication agent has not been seen for 2 hours",
			CapturedAt: recs[2].Time, Region: region, Account: account}},
		{"log item without eventData", recs[3], query.Row{Time: recs[3].Time, Kind: kinds.DRSJobLogItem, Job: outJob, What: "JOB_START", Region: region, Account: account}},
		{"snowball", recs[4], query.Row{Time: recs[4].Time, Kind: kinds.SnowballJob, ID: "JID0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", Job: "JID0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
			What: "InTransitToCustomer", Message: "Edge cluster node 1 of 5, Capacity reserved", Region: region, Account: account}},
		{"sms", recs[5], query.Row{Time: recs[5].Time, Kind: kinds.SMSJob, ID: "sms-job-0123456789abcdef0", Job: "sms-job-0123456789abcdef0", Server: "s-0fedcba9876543210", What: "FAILED",
			Message: "Replication failed: could not find disk 2 in the VMware inventory", Region: region, Account: account}},
		{"job counts every status", withData(kinds.DRSJob,
			`{"status":"STARTED","participatingServers":[{"sourceServerID":"s-a","launchStatus":"PENDING"},{"sourceServerID":"s-b","launchStatus":"STOPPED"},{"sourceServerID":"s-c","launchStatus":"LAUNCHED"},{"sourceServerID":"s-d","launchStatus":"LAUNCHED"},{"launchStatus":"IN_PROGRESS"}]}`),
			query.Row{Time: at, Kind: kinds.DRSJob, ID: "id-1", Job: "id-1", Server: "s-a +3", Servers: "s-a s-b s-c s-d", What: "STARTED", Message: "2 launched, 1 in progress, 1 pending, 1 stopped"}},
		{"job without servers", withData(kinds.DRSJob, `{"status":"PENDING","initiatedBy":"FAILBACK"}`),
			query.Row{Time: at, Kind: kinds.DRSJob, ID: "id-1", Job: "id-1", What: "PENDING FAILBACK"}},
		{"snapshot with error code only", withData(kinds.DRSSourceServer, `{"dataReplicationInfo":{"dataReplicationState":"STALLED","dataReplicationError":{"error":"AGENT_NOT_SEEN"}}}`),
			query.Row{Time: at, Kind: kinds.DRSSourceServer, ID: "id-1", Server: "id-1", What: "STALLED", Message: "AGENT_NOT_SEEN"}},
		{"member of another type", withData(kinds.DRSJob, `{"status":5,"initiatedBy":"START_RECOVERY"}`),
			query.Row{Time: at, Kind: kinds.DRSJob, ID: "id-1", Job: "id-1", What: "START_RECOVERY"}},
		{"data not an object", withData(kinds.DRSJobLogItem, `["LAUNCH_FAILED"]`),
			query.Row{Time: at, Kind: kinds.DRSJobLogItem, ID: "id-1"}},
		{"data not JSON", withData(kinds.SMSJob, `not json`),
			query.Row{Time: at, Kind: kinds.SMSJob, ID: "id-1", Job: "id-1"}},
		{"unknown kind", withData("ec2.instance", `{}`),
			query.Row{Time: at, Kind: "ec2.instance", ID: "id-1", Job: "id-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := query.RowOf(tt.rec); got != tt.want {
				t.Errorf("RowOf:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

func TestTableWidth(t *testing.T) {
	recs := outputRecords()
	var ids []string
	for _, rec := range recs {
		r := query.RowOf(rec)
		server, _, _ := strings.Cut(r.Server, " ")
		for _, id := range []string{rec.ID, rec.JobID, server} {
			if id != "" {
				ids = append(ids, id)
			}
		}
	}
	for _, width := range []int{120, 80, 60, 40} {
		for _, color := range []bool{false, true} {
			o := query.WriterOptions{Width: width, Color: color}
			out, _ := writeOutput(t, query.FormatTable, o, recs, outputTerms, "")
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if len(lines) != 1+len(recs) {
				t.Errorf("width %d color %v: %d lines, want header and %d rows", width, color, len(lines), len(recs))
			}
			if !strings.Contains(lines[0], "ID") {
				t.Errorf("width %d color %v: no header in line %q", width, color, lines[0])
			}
			for _, l := range lines {
				// The widest ID, a Snowball job's, is 39 runes: a narrower
				// line shows it whole all the same.
				if n := utf8.RuneCountInString(ansi.ReplaceAllString(l, "")); n > max(width, 39) {
					t.Errorf("width %d color %v: line of %d runes: %q", width, color, n, l)
				}
				if strings.Count(l, "\x1b[1m") != strings.Count(l, "\x1b[22m") {
					t.Errorf("width %d: bold left on in %q", width, l)
				}
			}
			checkIDsWhole(t, fmt.Sprintf("width %d", width), ansi.ReplaceAllString(out, ""), ids)
		}
	}
}

// checkIDsWhole fails the test if the table cuts one of ids, or shows none
// of them.
func checkIDsWhole(t *testing.T, what, table string, ids []string) {
	t.Helper()
	tokens := map[string]bool{}
	for _, tok := range strings.Fields(table) {
		tokens[tok] = true
	}
	shown := 0
	for _, id := range ids {
		if tokens[id] {
			shown++
			continue
		}
		for tok := range tokens {
			if strings.HasSuffix(tok, "…") && strings.HasPrefix(id, strings.TrimSuffix(tok, "…")) {
				t.Errorf("%s: %s is cut to %s", what, id, tok)
			}
		}
	}
	if shown == 0 {
		t.Errorf("%s: the table shows none of the IDs %v:\n%s", what, ids, table)
	}
}

func TestTableHighlight(t *testing.T) {
	recs := outputRecords()[1:2]
	tests := []struct {
		name  string
		opts  query.WriterOptions
		terms []string
		want  []string // in the row
	}{
		{"plain", query.WriterOptions{}, []string{"capacity"}, []string{"(InsufficientInstance*Capacity*)", "& *capacity* unavailable"}},
		{"plain, several terms", query.WriterOptions{}, []string{"RÉESSAYEZ", "instance"}, []string{"Insufficient*Instance*Capacity", "— *réessayez*"}},
		{"adjacent matches merge", query.WriterOptions{}, []string{"Insufficient", "Instance"}, []string{"(*InsufficientInstance*Capacity)"}},
		{"color", query.WriterOptions{Color: true}, []string{"capacity"}, []string{"Instance\x1b[1mCapacity\x1b[22m)", "& \x1b[1mcapacity\x1b[22m unavailable"}},
		{"no terms", query.WriterOptions{}, nil, []string{"(InsufficientInstanceCapacity)", "& capacity unavailable"}},
		{"cut inside a match", query.WriterOptions{Width: 102}, []string{"occurred (insufficient"}, []string{"  An error *occurred*…\n"}},
		{"cut inside a bold match", query.WriterOptions{Width: 102, Color: true}, []string{"occurred (insufficient"}, []string{"  An error \x1b[1moccurred (\x1b[22m…\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _ := writeOutput(t, query.FormatTable, tt.opts, recs, tt.terms, "")
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("table lacks %q:\n%s", w, out)
				}
			}
			if strings.ContainsAny(strings.TrimSuffix(out, "\n"), "\t") || strings.Count(out, "\n") != 2 {
				t.Errorf("message is not one line:\n%s", out)
			}
		})
	}

	// Bold is invisible: with escapes removed, a colored table is the plain
	// table without terms, at any width.
	for _, width := range []int{0, 80, 60} {
		plain, _ := writeOutput(t, query.FormatTable, query.WriterOptions{Width: width}, outputRecords(), nil, "")
		bold, _ := writeOutput(t, query.FormatTable, query.WriterOptions{Width: width, Color: true}, outputRecords(), []string{"capacity", "failed"}, "")
		if got := ansi.ReplaceAllString(bold, ""); got != plain {
			t.Errorf("width %d: highlighting moved text:\n%s\nwant:\n%s", width, got, plain)
		}
	}
}

func TestJSONOutput(t *testing.T) {
	recs := outputRecords()
	for _, f := range []query.Format{query.FormatJSON, query.FormatJSONL} {
		t.Run(string(f), func(t *testing.T) {
			out, _ := writeOutput(t, f, query.WriterOptions{}, recs, outputTerms, "")
			var docs []string
			if f == query.FormatJSON {
				if !json.Valid([]byte(out)) {
					t.Fatalf("output is not JSON:\n%s", out)
				}
				var elems []json.RawMessage
				if err := json.Unmarshal([]byte(out), &elems); err != nil {
					t.Fatal(err)
				}
				for _, e := range elems {
					docs = append(docs, string(e))
				}
			} else {
				docs = strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			}
			if len(docs) != len(recs) {
				t.Fatalf("%d objects, want %d", len(docs), len(recs))
			}
			for i, d := range docs {
				var obj struct {
					Kind archive.Kind    `json:"kind"`
					Data json.RawMessage `json:"data"`
				}
				if err := json.Unmarshal([]byte(d), &obj); err != nil {
					t.Fatalf("object %d: %v\n%s", i, err, d)
				}
				if want := string(query.AppendObject(nil, recs[i])) + "}"; d != want {
					t.Errorf("object %d is not the record object:\n got %s\nwant %s", i, d, want)
				}
				if obj.Kind != recs[i].Kind || !bytes.Equal(obj.Data, recs[i].Data) {
					t.Errorf("object %d: kind %s, data\n%s\nwant %s data\n%s", i, obj.Kind, obj.Data, recs[i].Kind, recs[i].Data)
				}
			}
		})
	}
}

func TestCSVOutput(t *testing.T) {
	recs := outputRecords()
	out, _ := writeOutput(t, query.FormatCSV, query.WriterOptions{Width: 40}, recs, outputTerms, "")
	got, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("output is not CSV: %v\n%s", err, out)
	}
	want := [][]string{{"time", "kind", "id", "job", "pos", "cluster", "server", "what", "message", "capturedAt", "region", "account"}}
	multi := false
	for _, rec := range recs {
		r := query.RowOf(rec)
		pos, captured := "", ""
		if rec.Pos != nil {
			pos = strconv.Itoa(*rec.Pos)
		}
		if rec.CapturedAt != nil {
			captured = rec.CapturedAt.UTC().Format(time.RFC3339Nano)
		}
		server := r.Server
		if rec.Kind == kinds.DRSJob {
			// Every server of a job, from its data.
			var d struct {
				Servers []struct {
					ID string `json:"sourceServerID"`
				} `json:"participatingServers"`
			}
			json.Unmarshal(rec.Data, &d)
			var ids []string
			for _, s := range d.Servers {
				ids = append(ids, s.ID)
			}
			if len(ids) > 1 {
				multi = true
			}
			server = strings.Join(ids, " ")
		}
		want = append(want, []string{r.Time.UTC().Format(time.RFC3339Nano), string(r.Kind), rec.ID, r.Job, pos, rec.ClusterID, server, r.What, r.Message,
			captured, rec.Region, rec.Account})
	}
	if !multi {
		t.Fatal("no job of several servers: the server column's test proves nothing")
	}
	if len(got) != len(want) {
		t.Fatalf("%d CSV records, want %d", len(got), len(want))
	}
	for i := range want {
		if strings.Join(got[i], "\x00") != strings.Join(want[i], "\x00") {
			t.Errorf("CSV record %d:\n got %q\nwant %q", i, got[i], want[i])
		}
	}
	for _, cell := range []string{"2026-11-02T10:05:00.12Z", "2026-11-02T11:00:00Z"} {
		if !strings.Contains(out, cell) {
			t.Errorf("CSV lacks time %s:\n%s", cell, out)
		}
	}
}

func TestOutputEmpty(t *testing.T) {
	tests := []struct {
		format query.Format
		want   string
	}{
		{query.FormatTable, "no records match\n"},
		{query.FormatJSON, "[]\n"},
		{query.FormatJSONL, ""},
		{query.FormatCSV, "time,kind,id,job,pos,cluster,server,what,message,capturedAt,region,account\n"},
	}
	for _, tt := range tests {
		t.Run(string(tt.format), func(t *testing.T) {
			out, notes := writeOutput(t, tt.format, query.WriterOptions{Width: 80}, nil, nil, "")
			if out != tt.want || notes != "" {
				t.Errorf("output %q, notes %q; want %q and no notes", out, notes, tt.want)
			}
		})
	}
}

func TestOutputNextToken(t *testing.T) {
	const line = "NextToken: " + outToken + "\n"
	tests := []struct {
		format    query.Format
		recs      []archive.Record
		wantOut   string // the output ends with it
		wantNotes string
	}{
		{query.FormatTable, outputRecords(), "\n" + line, ""},
		{query.FormatTable, nil, "no records match\n" + line, ""},
		{query.FormatJSON, outputRecords(), "}\n]\n", line},
		{query.FormatJSON, nil, "[]\n", line},
		{query.FormatJSONL, outputRecords(), "}\n", line},
		{query.FormatCSV, outputRecords(), "inventory,,us-east-1,111122223333\n", line},
	}
	for _, tt := range tests {
		t.Run(string(tt.format), func(t *testing.T) {
			out, notes := writeOutput(t, tt.format, query.WriterOptions{Width: 60}, tt.recs, nil, outToken)
			if !strings.HasSuffix(out, tt.wantOut) || notes != tt.wantNotes {
				t.Errorf("output ends %q, notes %q; want output ending %q, notes %q", lastLines(out), notes, tt.wantOut, tt.wantNotes)
			}
			if tt.format != query.FormatTable && strings.Contains(out, "NextToken") {
				t.Errorf("token in the %s document:\n%s", tt.format, out)
			}
			if tt.format == query.FormatTable && strings.Count(out, "NextToken") != 1 {
				t.Errorf("token not printed once:\n%s", out)
			}

			// Without notes the token is dropped and the output is the same.
			var b bytes.Buffer
			w := query.NewWriter(&b, tt.format, query.WriterOptions{Width: 60})
			for _, rec := range tt.recs {
				if err := w.Write(rec, nil); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(outToken); err != nil {
				t.Fatal(err)
			}
			if b.String() != out {
				t.Errorf("output without notes differs:\n%s\nwant:\n%s", b.String(), out)
			}
		})
	}
}

func lastLines(s string) string {
	if len(s) > 60 {
		return "…" + s[len(s)-60:]
	}
	return s
}

var errDiskFull = errors.New("no space left on device")

// failingWriter fails every write, as a full disk or a closed pipe does.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestOutputWriteErrors(t *testing.T) {
	tests := []struct {
		name   string
		format query.Format
		out    bool // the main output fails, else the notes
	}{
		{"table", query.FormatTable, true},
		{"json", query.FormatJSON, true},
		{"jsonl", query.FormatJSONL, true},
		{"csv", query.FormatCSV, true},
		{"json notes", query.FormatJSON, false},
		{"csv notes", query.FormatCSV, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, notes io.Writer = &bytes.Buffer{}, failingWriter{}
			if tt.out {
				out, notes = failingWriter{}, &bytes.Buffer{}
			}
			w := query.NewWriter(out, tt.format, query.WriterOptions{Notes: notes})
			var err error
			for _, rec := range outputRecords() {
				if err = w.Write(rec, nil); err != nil {
					break
				}
			}
			if err == nil {
				err = w.Close(outToken)
			}
			if !errors.Is(err, errDiskFull) {
				t.Fatalf("error %v, want one wrapping %v", err, errDiskFull)
			}
			if err.Error() == errDiskFull.Error() {
				t.Errorf("error %q has no context", err)
			}
		})
	}
}

func TestNewWriterUnknownFormat(t *testing.T) {
	var b bytes.Buffer
	w := query.NewWriter(&b, "xml", query.WriterOptions{})
	if err := w.Write(outputRecords()[0], nil); err == nil {
		t.Error("Write of an unknown format succeeded")
	}
	if err := w.Close(""); err == nil || !strings.Contains(err.Error(), "want one of") {
		t.Errorf("Close error %v, want the list of formats", err)
	}
	if b.Len() != 0 {
		t.Errorf("unknown format wrote %q", b.String())
	}
}
