package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/dustin/go-humanize"
)

// RunImport imports files into the archive (see Import) and, unless quiet,
// says on stdout what each file held and what changed. Files refused by an
// otherwise sound import are reported and then returned as the error
// (*ImportRefusedError); o.Waiting, when nil, says waits on stderr.
func RunImport(ctx context.Context, o ImportOptions, files []string, quiet, asJSON bool, stdout, stderr io.Writer) error {
	if o.Waiting == nil {
		o.Waiting = func(msg string) { fmt.Fprintf(stderr, "archiver: %s\n", msg) }
	}
	start := time.Now()
	res, err := Import(ctx, o, files)
	var refused *ImportRefusedError
	if err != nil && !errors.As(err, &refused) {
		return err
	}
	if quiet {
		return err
	}
	sum := Summarize(res, time.Since(start))
	if asJSON {
		b, jerr := json.Marshal(sum)
		if jerr != nil {
			return jerr
		}
		fmt.Fprintf(stdout, "%s\n", b)
		return err
	}
	var parts []string
	for _, k := range sum.Kinds {
		parts = append(parts, fmt.Sprintf("%s %s (%s)", humanize.Comma(int64(k.Files)), plural(k.Files, "file"), humanize.Comma(int64(k.Items))+" "+string(k.Kind)))
	}
	if sum.EmptyFiles > 0 {
		parts = append(parts, fmt.Sprintf("%d empty %s", sum.EmptyFiles, plural(sum.EmptyFiles, "file")))
	}
	fmt.Fprintf(stdout, "archiver import: %s %s: %s; %s added, %s updated, %s already archived, in %s\n",
		humanize.Comma(int64(sum.Files)), plural(sum.Files, "file"), strings.Join(parts, ", "),
		humanize.Comma(int64(sum.Added)), humanize.Comma(int64(sum.Updated)), humanize.Comma(int64(sum.Unchanged)),
		time.Since(start).Round(time.Millisecond))
	return err // the files refused, if any: exit status 1
}

// ImportSummaryVersion is the version of ImportSummary's JSON form; it
// changes only when a member changes meaning or goes.
const ImportSummaryVersion = 1

// ImportSummary is what an import did, by kind: the form of
// 'archiver import --output json'.
type ImportSummary struct {
	Version int `json:"version"`
	// Files is how many files were read; Kinds what they held, by kind;
	// EmptyFiles how many held nothing.
	Files      int         `json:"files"`
	Kinds      []KindFiles `json:"kinds"`
	EmptyFiles int         `json:"emptyFiles"`
	// Added, Updated and Unchanged count records as ImportResult does.
	Added     int `json:"added"`
	Updated   int `json:"updated"`
	Unchanged int `json:"alreadyArchived"`
	// Refused lists the files refused, and why.
	Refused         []RefusedFile `json:"refused"`
	DurationSeconds float64       `json:"durationSeconds"`
}

// KindFiles counts the files and items of one kind.
type KindFiles struct {
	Kind  archive.Kind `json:"kind"`
	Files int          `json:"files"`
	Items int          `json:"items"`
}

// Summarize totals an import's result by kind, kinds in registry order.
func Summarize(res ImportResult, took time.Duration) ImportSummary {
	s := ImportSummary{Version: ImportSummaryVersion, Files: len(res.Files), Added: res.Added, Updated: res.Updated,
		Unchanged: res.Unchanged, Refused: res.Refused, DurationSeconds: took.Seconds()}
	if s.Refused == nil {
		s.Refused = []RefusedFile{}
	}
	by := map[archive.Kind]*KindFiles{}
	for _, f := range res.Files {
		if f.Items == 0 {
			s.EmptyFiles++
			continue
		}
		k := by[f.Kind]
		if k == nil {
			k = &KindFiles{Kind: f.Kind}
			by[f.Kind] = k
		}
		k.Files++
		k.Items += f.Items
	}
	s.Kinds = []KindFiles{}
	for _, kind := range kinds.Names() {
		if k := by[kind]; k != nil {
			s.Kinds = append(s.Kinds, *k)
		}
	}
	return s
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
