package archive_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/archive"
)

// logBatches builds the log items of jobs jobs of perJob items each, in
// transactions of perTx items, in the order sync meets them: the newest jobs
// first, four logs read at once, each log oldest item first.
func logBatches(jobs, perJob, perTx int) [][]archive.LogItem {
	base := time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)
	var out [][]archive.LogItem
	var batch []archive.LogItem
	for put := 0; put < jobs*perJob; put++ {
		j, i := jobs-1-(put%4+4*(put/(4*perJob))), put/4%perJob
		ref := archive.JobRef{JobID: fmt.Sprintf("drsjob-%017x", j*7919%jobs), Region: "us-east-1", Account: "123456789012"}
		at := base.Add(time.Duration(j)*time.Hour + time.Duration(i)*time.Second)
		data := json.RawMessage(fmt.Sprintf(`{"event":"LAUNCH_START","eventData":{"sourceServerID":"s-%017x","conversionServerID":"i-%017x"},"logDateTime":"%s"}`, j, i*j, at.Format(time.RFC3339Nano)))
		batch = append(batch, archive.LogItem{Job: ref, Pos: i, Record: archive.Record{Time: at, FirstSeen: base, LastSeen: base, Data: data}})
		if len(batch) == perTx {
			out, batch = append(out, batch), nil
		}
	}
	if len(batch) > 0 {
		out = append(out, batch)
	}
	return out
}

// BenchmarkPutLogItems measures archiving 50,000 job log items as sync
// does, in transactions of 100 and of 10,000 items.
//
//	go test -run - -bench PutLogItems ./archive/
func BenchmarkPutLogItems(b *testing.B) {
	for _, perTx := range []int{100, 10000} {
		b.Run(fmt.Sprintf("tx=%d", perTx), func(b *testing.B) {
			batches := logBatches(500, 100, perTx)
			b.ReportAllocs()
			for n := 0; n < b.N; n++ {
				b.StopTimer()
				st, err := archive.Open(context.Background(), b.TempDir(), archive.Options{})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				for _, batch := range batches {
					err := st.Update(func(w *archive.Writer) error {
						_, err := w.PutLogItems(batch)
						return err
					})
					if err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				st.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(b.N*500*100)/b.Elapsed().Seconds(), "items/s")
		})
	}
}
