package cliapp

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/archiver-dev/archiver/internal/config"
	"github.com/archiver-dev/archiver/query"
)

// The configuration file holds what a cron line repeats. Its top-level
// keys are the global flags; each table is a command, its keys that
// command's flags (long names), as in
//
//	archive = "/var/lib/archiver"
//	[sync]
//	region = ["us-east-1", "us-west-2"]
//
// A flag given on the command line wins over its environment variable,
// which wins over the file, which wins over the default.

// Config is the configuration file of one run: loaded by the app's
// Before, applied by each command's. It is in the app's Metadata (see
// ConfigOf).
type Config struct {
	// args are the run's arguments, to tell a flag given from one the
	// environment or the file set.
	args []string
	// file is the file read; nil when there is none.
	file *config.File
	// looked is where a file was looked for, when none was given.
	looked string
	// keys gives the keys a file may hold; nil means the app's.
	keys func() *ConfigKeys
}

// configKey is the Config's key in the app's Metadata.
const configKey = "config"

// ConfigOf returns the Config of the app c runs.
func ConfigOf(c *cli.Context) *Config {
	cfg, _ := c.App.Metadata[configKey].(*Config)
	return cfg
}

// unconfigurable are flags a file cannot set: they ask for something
// else than a command's work.
var unconfigurable = map[string]bool{"help": true, "version": true, "config": true}

// configFlag is the global flag naming the file.
func configFlag() cli.Flag {
	return &cli.StringFlag{
		Name:    "config",
		Usage:   "read flags' values from the TOML file `FILE` (default: $XDG_CONFIG_HOME/archiver/config.toml when it exists; 'archiver config' shows what is in effect)",
		EnvVars: []string{"ARCHIVER_CONFIG"},
	}
}

// load reads the file --config names, or the default one if it exists,
// and refuses any key that is no flag of its place.
func (s *Config) load(c *cli.Context) error {
	path := c.String("config")
	if path == "" {
		s.looked = config.DefaultPath()
		if s.looked == "" {
			return nil
		}
		if _, err := os.Stat(s.looked); err != nil {
			return nil
		}
		path = s.looked
	}
	f, err := config.Load(path)
	if err != nil {
		return UsageError{Err: err, Command: "config"}
	}
	keys := KeysOf(c.App)
	if s.keys != nil {
		keys = s.keys()
	}
	if err := keys.check(f); err != nil {
		return UsageError{Err: err, Command: "config"}
	}
	s.file = f
	return nil
}

// flagNamesOf lists the long names of flags a file can set.
func flagNamesOf(flags []cli.Flag) []string {
	var out []string
	for _, f := range flags {
		if n := f.Names()[0]; !unconfigurable[n] {
			out = append(out, n)
		}
	}
	return out
}

// check refuses a top-level key that is no global flag, a table that is
// no command, and a key that is no flag of its command, naming the line
// and the nearest key.
func (k *ConfigKeys) check(f *config.File) error {
	for _, e := range f.Globals {
		if !slices.Contains(k.Globals, e.Key) {
			return &config.Error{Path: f.Path, Line: e.Line, Msg: fmt.Sprintf("unknown key %q: top-level keys are global flags (%s), tables are commands; did you mean %s?",
				e.Key, strings.Join(k.Globals, ", "), query.Closest(e.Key, k.Globals))}
		}
	}
	var commands []string
	for _, c := range k.Commands {
		commands = append(commands, c.Name)
	}
	for table, entries := range f.Tables {
		names, ok := k.flags(table)
		if !ok {
			return &config.Error{Path: f.Path, Line: f.TableLines[table], Msg: fmt.Sprintf("unknown table [%s]: tables are commands with flags; did you mean [%s]?", table, query.Closest(table, commands))}
		}
		for _, e := range entries {
			if !slices.Contains(names, e.Key) {
				return &config.Error{Path: f.Path, Line: e.Line, Msg: fmt.Sprintf("unknown key %q in [%s]: keys are the command's flags; did you mean %s?", e.Key, table, query.Closest(e.Key, names))}
			}
		}
	}
	return nil
}

// Apply sets, in the context of command name, every flag the file holds
// that neither the command line nor the environment set.
func (s *Config) Apply(c *cli.Context, name string) error {
	if s.file == nil {
		return nil
	}
	set := func(e config.Entry, where string) error {
		if c.IsSet(e.Key) {
			return nil
		}
		for _, v := range e.Values {
			if err := c.Set(e.Key, v); err != nil {
				return UsageError{Err: &config.Error{Path: s.file.Path, Line: e.Line, Msg: fmt.Sprintf("%s%s = %q: %v", where, e.Key, v, err)}, Command: name}
			}
		}
		return nil
	}
	for _, e := range s.file.Globals {
		if err := set(e, ""); err != nil {
			return err
		}
	}
	for _, e := range s.file.Tables[name] {
		if err := set(e, "["+name+"] "); err != nil {
			return err
		}
	}
	return nil
}

// givenAsFlag reports whether the run's arguments give the flag.
func (s *Config) givenAsFlag(f cli.Flag) bool {
	for _, a := range s.args {
		if a == "--" {
			return false
		}
		name, _, ok := flagName(a)
		if ok && slices.Contains(f.Names(), name) {
			return true
		}
	}
	return false
}

// envOf returns the environment variable that sets the flag, if one does.
func envOf(f cli.Flag) string {
	df, ok := f.(cli.DocGenerationFlag)
	if !ok {
		return ""
	}
	for _, e := range df.GetEnvVars() {
		if _, ok := os.LookupEnv(e); ok {
			return e
		}
	}
	return ""
}

// tomlValue renders flag values as TOML.
func tomlValue(f cli.Flag, vals []string) string {
	quote := func(v string) string {
		switch f.(type) {
		case *cli.BoolFlag, *cli.IntFlag, *cli.Int64Flag, *cli.UintFlag, *cli.Uint64Flag, *cli.Float64Flag:
			return v
		}
		return strconv.Quote(v)
	}
	if sf, ok := f.(cli.DocGenerationSliceFlag); ok && sf.IsSliceFlag() {
		q := make([]string, len(vals))
		for i, v := range vals {
			q[i] = quote(v)
		}
		return "[" + strings.Join(q, ", ") + "]"
	}
	if len(vals) == 0 {
		return `""`
	}
	return quote(vals[len(vals)-1])
}

// ConfigCommand prints the configuration in effect and where each value
// comes from.
func ConfigCommand() *cli.Command {
	return &cli.Command{
		Name:      "config",
		Usage:     "print the configuration in effect and where each value comes from",
		UsageText: "archiver [--config FILE] config",
		Description: `Prints, as TOML, the global flags in effect and every command flag the
configuration file sets, each with where its value comes from: a flag, an
environment variable, the file (with its line), or the default.

The file is --config FILE, else $ARCHIVER_CONFIG, else
$XDG_CONFIG_HOME/archiver/config.toml (~/.config/archiver/config.toml) when
it exists. Its top-level keys are global flags; each table is a command and
its keys are that command's flags, by their long names; a flag given several
times is an array. A key that is no flag of its place is refused with its
line. A flag on the command line wins over its environment variable, which
wins over the file, which wins over the default.

EXAMPLES:
   archiver config
   archiver --config /etc/archiver/config.toml config

   # /etc/archiver/config.toml
   #   archive = "/var/lib/archiver"
   #   [sync]
   #   source = ["drs", "snowball"]
   #   region = ["us-east-1", "us-west-2"]
   #   profile = ["prod", "dr-staging"]
   #   metrics-file = "/var/lib/node_exporter/textfile/archiver.prom"
   #   sign-key = "/etc/archiver/checkpoint-signing.pem"
   #   checkpoint-dir = "/mnt/witness/archiver"`,
		Action: func(c *cli.Context) error {
			if err := NoArgs(c); err != nil {
				return err
			}
			return writeConfig(c.App.Writer, c, ConfigOf(c))
		},
	}
}

func writeConfig(w io.Writer, c *cli.Context, s *Config) error {
	var b strings.Builder
	switch {
	case s.file != nil:
		fmt.Fprintf(&b, "# configuration file: %s\n", s.file.Path)
	case s.looked != "":
		fmt.Fprintf(&b, "# no configuration file (looked for %s)\n", s.looked)
	default:
		b.WriteString("# no configuration file\n")
	}
	fileEntry := func(entries []config.Entry, key string) *config.Entry {
		for i := range entries {
			if entries[i].Key == key {
				return &entries[i]
			}
		}
		return nil
	}
	var globals []config.Entry
	if s.file != nil {
		globals = s.file.Globals
	}
	for _, f := range c.App.VisibleFlags() {
		name := f.Names()[0]
		if unconfigurable[name] {
			continue
		}
		var vals []string
		switch v := c.Value(name).(type) {
		case cli.StringSlice:
			vals = v.Value()
		case *cli.StringSlice:
			vals = v.Value()
		default:
			vals = []string{fmt.Sprint(v)}
		}
		origin := "default"
		fe := fileEntry(globals, name)
		switch env := envOf(f); {
		case s.givenAsFlag(f):
			origin = "flag"
		case env != "":
			origin = "environment " + env
		case fe != nil:
			origin = fmt.Sprintf("file, line %d", fe.Line)
		}
		fmt.Fprintf(&b, "%s = %s  # %s\n", name, tomlValue(f, vals), origin)
	}
	if s.file != nil {
		for _, cmd := range c.App.Commands {
			entries := s.file.Tables[cmd.Name]
			if len(entries) == 0 {
				continue
			}
			fmt.Fprintf(&b, "\n[%s]\n", cmd.Name)
			for _, e := range entries {
				origin := fmt.Sprintf("file, line %d", e.Line)
				var flag cli.Flag
				for _, f := range cmd.Flags {
					if f.Names()[0] == e.Key {
						flag = f
					}
				}
				if env := envOf(flag); env != "" {
					origin = fmt.Sprintf("environment %s, over the file's line %d", env, e.Line)
				}
				fmt.Fprintf(&b, "%s = %s  # %s\n", e.Key, tomlValue(flag, e.Values), origin)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
