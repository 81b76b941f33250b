package sync

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// RunImport imports files into the archive (see Import) and, unless quiet,
// says on stdout what each file held and what changed. Files refused by an
// otherwise sound import are reported and then returned as the error
// (*ImportRefusedError); o.Waiting, when nil, says waits on stderr.
func RunImport(ctx context.Context, o ImportOptions, files []string, quiet bool, stdout, stderr io.Writer) error {
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
	var parts []string
	for _, f := range res.Files {
		what := "nothing"
		if f.Items > 0 {
			what = fmt.Sprintf("%d %s", f.Items, f.Kind)
		}
		parts = append(parts, fmt.Sprintf("%s (%s)", f.Name, what))
	}
	fmt.Fprintf(stdout, "archiver import: %s; %d added, %d updated, %d already archived, in %s\n",
		strings.Join(parts, ", "), res.Added, res.Updated, res.Unchanged, time.Since(start).Round(time.Millisecond))
	return err // the files refused, if any: exit status 1
}
