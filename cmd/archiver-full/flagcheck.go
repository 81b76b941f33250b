package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/archiver-dev/archiver/internal/cliapp"
	"github.com/archiver-dev/archiver/query/export/s3dest"
)

// Flags are checked before a command does any work: a value that can be
// judged without the archive or the network is a usage error (exit status
// 2, one line naming the flag) before the first API call or archive write,
// not a failure at the end of a long sync. checkFlags holds the rules every
// command shares; each command checks its own flags' meaning (ranges,
// formats) in its options function, also before any work.

// outputFlags names, per command, the flags that name a file the command
// writes ("-", where a command takes it, is standard output).
var outputFlags = map[string][]string{
	"sync":   {"metrics-file"},
	"export": {"out"},
	"backup": {"out"},
	"prune":  {"export"},
}

// creatingCommands are the commands that create the archive directory
// when it does not exist yet.
var creatingCommands = map[string]bool{"sync": true, "import": true}

// checkFlags checks the flags of the command of c that every command
// checks alike: every duration is positive, and every file the command
// writes names no directory and lies in a directory that exists and can be
// written.
func checkFlags(c *cli.Context) error {
	if err := cliapp.CheckDurations(c); err != nil {
		return err
	}
	cmd := c.Command
	for _, f := range cmd.Flags {
		if sf, ok := f.(*cli.StringFlag); ok && sf.Name == "endpoint-url" && c.String(sf.Name) != "" {
			if err := checkEndpointURL(c.String(sf.Name)); err != nil {
				return cliapp.UsageError{Err: fmt.Errorf("--%s %q: %w", sf.Name, c.String(sf.Name), err), Command: cmd.Name}
			}
		}
	}
	if a := c.String("archive"); creatingCommands[cmd.Name] && a != "" {
		if err := checkArchivePath(a); err != nil {
			return cliapp.UsageError{Err: fmt.Errorf("--archive %s: %w", a, err), Command: cmd.Name}
		}
	}
	for _, name := range outputFlags[cmd.Name] {
		p := c.String(name)
		if p == "" || p == "-" || (cmd.Name == "export" && s3dest.IsURL(p)) {
			continue // stdout, or an S3 export's destination
		}
		if err := checkOutputPath(p); err != nil {
			return cliapp.UsageError{Err: fmt.Errorf("--%s %s: %w", name, p, err), Command: cmd.Name}
		}
	}
	return nil
}

// checkOutputPath checks that a file can be written at p: p is no
// directory, and its directory exists and can be written.
func checkOutputPath(p string) error {
	if fi, err := os.Stat(p); err == nil && fi.IsDir() {
		return errors.New("is a directory; give a file name")
	}
	dir := filepath.Dir(p)
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("directory %s does not exist", dir)
	case err != nil:
		return fmt.Errorf("directory %s: %w", dir, errors.Unwrap(err))
	case !fi.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	}
	if err := dirWritable(dir); err != nil {
		return fmt.Errorf("directory %s cannot be written (%v)", dir, err)
	}
	return nil
}

// checkArchivePath checks that an archive directory is, or can be made,
// at p: p is a directory, or the nearest of its parents that exists is.
func checkArchivePath(p string) error {
	for q := p; ; {
		fi, err := os.Stat(q)
		switch {
		case err == nil && fi.IsDir():
			return nil
		case err == nil && q == p:
			return errors.New("is a file, not an archive directory")
		case err == nil:
			return fmt.Errorf("%s is not a directory", q)
		}
		parent := filepath.Dir(q)
		if parent == q {
			return nil
		}
		q = parent
	}
}

// checkEndpointURL checks an endpoint URL: http or https, with a host.
func checkEndpointURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return errors.New("not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return errors.New("want an http:// or https:// URL")
	case u.Host == "":
		return errors.New("the URL names no host")
	}
	return nil
}
