package query_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
	"github.com/archiver-dev/archiver/query"
	archsync "github.com/archiver-dev/archiver/sync"
)

// epoch reads epoch seconds as the JSON 1.1 APIs write them, to the
// nanosecond, independently of the archiver's own parser.
func epoch(t *testing.T, n json.Number) time.Time {
	t.Helper()
	sec, frac, _ := strings.Cut(string(n), ".")
	s, err1 := strconv.ParseInt(sec, 10, 64)
	ns, err2 := strconv.ParseInt((frac + "000000000")[:9], 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("not epoch seconds: %s", n)
	}
	return time.Unix(s, ns).UTC()
}

// words returns the lower-case words of every string under the text
// members (statusMessage, description ...) of v.
func words(v any, key string, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, vv := range x {
			words(vv, k, out)
		}
	case []any:
		for _, vv := range x {
			words(vv, key, out)
		}
	case string:
		switch strings.ToLower(key) {
		case "statusmessage", "description", "message":
			for _, w := range strings.FieldsFunc(strings.ToLower(x), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
				out[w] = true
			}
		}
	}
}

func TestSnowballAndSMSQueries(t *testing.T) {
	emu := archivetest.Emulator(t, emulator.Options{Seed: 3})
	dir := archivetest.Dir(t)
	err := archsync.Run(context.Background(), archsync.Options{
		ArchiveDir: dir, Regions: []string{"us-east-1"}, EndpointURL: emu.URL(),
		Sources:     []archsync.Source{archsync.SourceSnowball, archsync.SourceSMS},
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		Now:         emu.Now,
	}, &archsync.Stats{})
	if err != nil {
		t.Fatal(err)
	}
	names := func(req query.Request) []string {
		got, _, err := ask(t, dir, req)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}

	// A Snowball job's time is its CreationDate: a window of one instant
	// finds exactly the jobs created then.
	created := map[time.Time][]string{}
	for _, c := range emu.ClusterIDs() {
		for _, j := range emu.ClusterJobs(c) {
			var h struct {
				JobId        string
				CreationDate json.Number
			}
			json.Unmarshal(j, &h)
			at := epoch(t, h.CreationDate)
			created[at] = append(created[at], "snowball "+h.JobId)
		}
	}
	if len(created) < 2 {
		t.Fatalf("%d distinct creation times; the history is too small to test", len(created))
	}
	for at, want := range created {
		got := names(query.Request{Filters: query.Filters{Range: query.Range{From: at, To: at}}})
		sameSet(t, "created at "+at.Format(time.RFC3339Nano), got, want)
		got = names(query.Request{Filters: query.Filters{Range: query.Range{From: at.Add(time.Nanosecond), To: at.Add(time.Millisecond - time.Nanosecond)}}})
		for _, g := range got {
			for _, w := range want {
				if g == w {
					t.Errorf("%s found in a window that starts after its CreationDate %s", g, at)
				}
			}
		}
	}

	// SMS status messages, the job's and its runs', are full text.
	byWord := map[string][]string{}
	for _, j := range emu.ReplicationJobs() {
		var v map[string]any
		json.Unmarshal(j, &v)
		ws := map[string]bool{}
		words(v, "", ws)
		for w := range ws {
			byWord[w] = append(byWord[w], "sms "+v["replicationJobId"].(string))
		}
	}
	tried := 0
	for _, w := range []string{"role", "unsupported", "disk", "failed", "replication"} {
		if len(byWord[w]) == 0 {
			continue
		}
		tried++
		got := names(query.Request{Filters: query.Filters{Kinds: []archive.Kind{kinds.SMSJob}, Text: w}})
		sameSet(t, "--text "+w, got, byWord[w])
	}
	if tried < 2 {
		t.Fatalf("only %d of the words were in the SMS history: %v", tried, byWord)
	}
}
