package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/archiver-dev/archiver/internal/cliapp"
	"github.com/urfave/cli/v2"
)

// sampleValues gives a flag's value from the file, the environment and
// the command line, as TOML, an environment value and an argument, and
// how each reads back.
func sampleValues(f cli.Flag) (file, env, arg string, want [3]string, ok bool) {
	switch f.(type) {
	case *cli.BoolFlag:
		return "true", "false", "false", [3]string{"true", "false", "false"}, true
	case *cli.IntFlag, *cli.Int64Flag, *cli.UintFlag, *cli.Uint64Flag:
		return "11", "22", "33", [3]string{"11", "22", "33"}, true
	case *cli.Float64Flag:
		return "1.5", "2.5", "3.5", [3]string{"1.5", "2.5", "3.5"}, true
	case *cli.DurationFlag:
		return `"11s"`, "22s", "33s", [3]string{"11s", "22s", "33s"}, true
	case *cli.StringSliceFlag:
		return `["f1", "f2"]`, "e1", "a1", [3]string{"[f1 f2]", "[e1]", "[a1]"}, true
	case *cli.StringFlag:
		return `"from-file"`, "from-env", "from-flag", [3]string{"from-file", "from-env", "from-flag"}, true
	}
	return "", "", "", [3]string{}, false
}

// readBack runs one command of the tree with its work taken out and
// returns how the flag reads in it.
func readBack(t *testing.T, command, flag string, args []string) (string, error) {
	t.Helper()
	app := newAppWithArgs(io.Discard, io.Discard, args)
	cfg := app.Metadata["config"].(*cliapp.Config)
	got := ""
	for _, cmd := range app.Commands {
		name := cmd.Name
		cmd.Before = func(c *cli.Context) error { return cfg.Apply(c, name) }
		cmd.Action = func(c *cli.Context) error {
			switch v := c.Value(flag).(type) {
			case cli.StringSlice:
				got = fmt.Sprint(v.Value())
			default:
				got = fmt.Sprint(v)
			}
			return nil
		}
	}
	err := app.Run(cliapp.HoistGlobalFlags(app, args))
	return got, err
}

// TestConfigPrecedence sets every flag of every command, and every global
// flag, from a file, then from the environment where the flag has a
// variable, then on the command line: each later one wins.
func TestConfigPrecedence(t *testing.T) {
	app := newApp(io.Discard, io.Discard)
	type target struct {
		command, table string
		flag           cli.Flag
	}
	keys := cliapp.KeysOf(app)
	var targets []target
	for _, f := range app.Flags {
		if slices.Contains(keys.Globals, f.Names()[0]) {
			targets = append(targets, target{"status", "", f})
		}
	}
	for _, cmd := range app.Commands {
		for _, k := range keys.Commands {
			for _, f := range cmd.Flags {
				if k.Name == cmd.Name && slices.Contains(k.Flags, f.Names()[0]) {
					targets = append(targets, target{cmd.Name, cmd.Name, f})
				}
			}
		}
	}
	if len(targets) < 20 {
		t.Fatalf("%d flags; the test proves little", len(targets))
	}
	dir := t.TempDir()
	for _, tg := range targets {
		name := tg.flag.Names()[0]
		t.Run(tg.command+" --"+name, func(t *testing.T) {
			file, env, arg, want, ok := sampleValues(tg.flag)
			if !ok {
				t.Fatalf("no sample values for a %T", tg.flag)
			}
			body := name + " = " + file + "\n"
			if tg.table != "" {
				body = "# a comment\n[" + tg.table + "]\n" + body
			}
			path := filepath.Join(dir, strings.ReplaceAll(tg.command+"-"+name, "/", "_")+".toml")
			if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			for _, e := range tg.flag.(cli.DocGenerationFlag).GetEnvVars() {
				t.Setenv(e, "")
				os.Unsetenv(e)
			}
			base := []string{"archiver", "--config", path, tg.command}
			got, err := readBack(t, tg.command, name, base)
			if err != nil || got != want[0] {
				t.Errorf("from the file: %q, %v; want %q", got, err, want[0])
			}
			flagArgs := append(append([]string(nil), base...), "--"+name+"="+arg)
			if envs := tg.flag.(cli.DocGenerationFlag).GetEnvVars(); len(envs) > 0 {
				t.Setenv(envs[0], env)
				got, err := readBack(t, tg.command, name, base)
				if err != nil || got != want[1] {
					t.Errorf("environment over the file: %q, %v; want %q", got, err, want[1])
				}
			}
			got, err = readBack(t, tg.command, name, flagArgs)
			if err != nil || got != want[2] {
				t.Errorf("flag over the environment and the file: %q, %v; want %q", got, err, want[2])
			}
		})
	}
}

// TestConfigRefusesUnknownKeys checks that a key that is no flag of its
// place, or a table that is no command, is refused with its line.
func TestConfigRefusesUnknownKeys(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"global", "archive = \"/x\"\nregoin = \"us-east-1\"\n", ":2: unknown key \"regoin\""},
		{"command key", "[sync]\nregion = [\"us-east-1\"]\n\nprofiel = \"prod\"\n", ":4: unknown key \"profiel\" in [sync]; did you mean profile?"},
		{"table", "[synk]\nregion = \"us-east-1\"\n", ":1: unknown table [synk]"},
		{"bad value", "[sync]\npage-size = \"many\"\n", ":2: [sync] page-size = \"many\""},
		{"syntax", "[sync\n", ":1:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.toml")
			if err := os.WriteFile(path, []byte(tt.body), 0o600); err != nil {
				t.Fatal(err)
			}
			code, _, stderr := runCLI(t, "--config", path, "sync", "--region", "us-east-1", "--endpoint-url", "http://127.0.0.1:9")
			want := strings.Replace(tt.want, "; did you mean", ": keys are the command's flags; did you mean", 1)
			if code != cliapp.ExitUsage || !strings.Contains(stderr, path+want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("exit %d, stderr %q; want exit %d and one line with %q", code, stderr, cliapp.ExitUsage, path+want)
			}
		})
	}
	code, _, stderr := runCLI(t, "--config", filepath.Join(t.TempDir(), "missing.toml"), "status")
	if code != cliapp.ExitUsage || !strings.Contains(stderr, "missing.toml") {
		t.Errorf("a missing --config file: exit %d, %q", code, stderr)
	}
}

// TestConfigReport checks what 'archiver config' says of each value's
// origin.
func TestConfigReport(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte("debug = true\n\n[sync]\nregion = [\"us-east-1\", \"eu-west-1\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "--config", path, "config", "--archive", "/from/flag")
	if code != cliapp.ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"# configuration file: " + path,
		`archive = "/from/flag"  # flag`,
		"debug = true  # file, line 1",
		"[sync]",
		`region = ["us-east-1", "eu-west-1"]  # file, line 4`,
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("archiver config lacks %q:\n%s", want, stdout)
		}
	}
}
