package cliapp

import (
	"github.com/urfave/cli/v2"

	"github.com/archiver-dev/archiver/internal/buildinfo"
	"github.com/archiver-dev/archiver/migrations"
)

// VersionCommand prints the build and the archive schema it writes.
func VersionCommand(build buildinfo.Info) *cli.Command {
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
			if err := NoArgs(c); err != nil {
				return err
			}
			return buildinfo.Write(c.App.Writer, build, migrations.Latest())
		},
	}
}

// Root is the action of archiver with no command: --version prints the
// build, and a word that is no command is a usage error. help prints the
// help otherwise; nil leaves that to archiver-full (ErrNeedsFull).
func Root(build buildinfo.Info, help cli.ActionFunc) cli.ActionFunc {
	return func(c *cli.Context) error {
		switch {
		case c.Args().Present():
			return Usagef("unknown command %q", c.Args().First())
		case c.Bool("version"):
			return buildinfo.Write(c.App.Writer, build, migrations.Latest())
		case help == nil:
			return ErrNeedsFull
		}
		return help(c)
	}
}
