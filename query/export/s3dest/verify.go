package s3dest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// DirReport is what VerifyDir found in a partitioned export's directory.
type DirReport struct {
	// Manifests are the manifests read, oldest first.
	Manifests []Manifest
	// Objects and Records are the parts the manifests list, and their
	// records.
	Objects, Records int
}

// VerifyDir checks a partitioned export written to the directory root
// (--out-dir), offline: every part each manifest lists has the size and
// SHA-256 it lists and holds the number of records it lists, each
// manifest's records add up, and every part is listed by a manifest. It
// returns the problems it found, one an error.
func VerifyDir(root string) (DirReport, []error) {
	var rep DirReport
	var problems []error
	bad := func(format string, args ...any) { problems = append(problems, fmt.Errorf(format, args...)) }
	entries, err := os.ReadDir(root)
	if err != nil {
		return rep, []error{fmt.Errorf("verify: %w", err)}
	}
	listed := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasPrefix(name, "manifest-") || !strings.HasSuffix(name, ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			bad("%s: %w", name, err)
			continue
		}
		var m Manifest
		if err := json.Unmarshal(b, &m); err != nil || m.Format != Format {
			bad("%s: not a manifest of format %s (%v)", name, Format, err)
			continue
		}
		rep.Manifests = append(rep.Manifests, m)
		sum := 0
		for _, o := range m.Objects {
			listed[o.Key] = true
			rep.Objects++
			sum += o.Records
			p := filepath.Join(root, filepath.FromSlash(o.Key))
			body, err := os.ReadFile(p)
			if err != nil {
				bad("%s lists %s: %w", name, o.Key, err)
				continue
			}
			h := sha256.Sum256(body)
			if int64(len(body)) != o.Bytes || hex.EncodeToString(h[:]) != o.SHA256 {
				bad("%s: %d bytes, SHA-256 %x; %s lists %d bytes, SHA-256 %s", o.Key, len(body), h, name, o.Bytes, o.SHA256)
				continue
			}
			n, err := partRecords(o.Key, body)
			if err != nil {
				bad("%s: %w", o.Key, err)
			} else if n != o.Records {
				bad("%s holds %d records; %s lists %d", o.Key, n, name, o.Records)
			}
		}
		if sum != m.Records {
			bad("%s: its parts hold %d records; it says %d", name, sum, m.Records)
		}
		rep.Records += sum
	}
	if len(rep.Manifests) == 0 && len(problems) == 0 {
		bad("%s holds no manifest of a partitioned export", root)
	}
	var unlisted []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasPrefix(d.Name(), "part-") {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if key := filepath.ToSlash(rel); !listed[key] {
			unlisted = append(unlisted, key)
		}
		return nil
	})
	slices.Sort(unlisted)
	for _, k := range unlisted {
		bad("%s is listed by no manifest (a part of an export that failed, or added since)", k)
	}
	return rep, problems
}

// partRecords counts the records of a part: lines of a .jsonl.gz, rows of
// a .parquet.
func partRecords(key string, body []byte) (int, error) {
	switch {
	case strings.HasSuffix(key, ".parquet"):
		f, err := parquet.OpenFile(bytes.NewReader(body), int64(len(body)))
		if err != nil {
			return 0, fmt.Errorf("read parquet: %w", err)
		}
		return int(f.NumRows()), nil
	case strings.HasSuffix(key, ".jsonl.gz"):
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return 0, fmt.Errorf("gunzip: %w", err)
		}
		n := 0
		br := bufio.NewReaderSize(zr, 1<<20)
		for {
			line, err := br.ReadSlice('\n')
			if len(line) > 0 && err != bufio.ErrBufferFull {
				n++
			}
			if err == io.EOF {
				return n, nil
			} else if err != nil && err != bufio.ErrBufferFull {
				return n, fmt.Errorf("gunzip: %w", err)
			}
		}
	}
	return 0, fmt.Errorf("not a part (.jsonl.gz or .parquet)")
}

// RunVerifyDir checks the export in the directory root (see VerifyDir):
// each problem on stderr, one a line, and an error saying how many; with
// none, what the export holds on stdout.
func RunVerifyDir(root string, stdout, stderr io.Writer) error {
	rep, problems := VerifyDir(root)
	for _, p := range problems {
		fmt.Fprintf(stderr, "archiver verify: %s\n", oneLine(p.Error()))
	}
	if len(problems) > 0 {
		return fmt.Errorf("verify: %s: %d problems", root, len(problems))
	}
	last := rep.Manifests[len(rep.Manifests)-1]
	fmt.Fprintf(stdout, "archiver verify: ok: %s, %s, %d exports, %d parts, %d records, the last written %s from chain head %.16s at link %d\n",
		root, Format, len(rep.Manifests), rep.Objects, rep.Records, last.GeneratedAt.Format("2006-01-02T15:04:05Z07:00"), last.Chain.Head, last.Chain.Links)
	return nil
}
