package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/archiver-dev/archiver/migrations"
)

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print archiver's version and build",
		Description: `Prints the archiver version and where the binary came from: the git revision
it was built from, that revision's commit time, whether the checkout had
uncommitted changes, and the Go version; then the archive schema version it
writes. A binary made with 'go build' in a git checkout carries the revision;
one made with 'go install ...@VERSION' carries the version. Exports and sync
run records carry the same information.`,
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			return runVersion(c.App.Writer)
		},
	}
}

func runVersion(w io.Writer) error {
	in := archiverBuild()
	var b strings.Builder
	fmt.Fprintf(&b, "archiver %s\n", in)
	for _, f := range append(in.Fields(), [2]string{"archive schema", strconv.Itoa(migrations.Latest())}) {
		fmt.Fprintf(&b, "%-16s%s\n", f[0]+":", f[1])
	}
	_, err := io.WriteString(w, b.String())
	return err
}
