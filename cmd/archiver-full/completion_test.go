package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/cliapp"
)

// scriptOf runs archiver with args and writes what it printed to a file.
func scriptOf(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb strings.Builder
	if code := run(t.Context(), append([]string{"archiver"}, args...), &out, &errb); code != cliapp.ExitOK {
		t.Fatalf("%v: exit %d: %s", args, code, errb.String())
	}
	p := filepath.Join(t.TempDir(), "script")
	if err := os.WriteFile(p, []byte(out.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestBashCompletion loads the bash script in bash and asks it for
// completions, as bash does on TAB.
func TestBashCompletion(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed: the completion script is not loaded")
	}
	script := scriptOf(t, "completion", "bash")
	if out, err := exec.Command(bash, "-c", "source "+script+" && complete -p archiver").CombinedOutput(); err != nil || !strings.Contains(string(out), "_archiver") {
		t.Fatalf("complete -p archiver: %v: %s", err, out)
	}
	var kindNames []string
	for _, k := range kinds.Names() {
		if strings.HasPrefix(string(k), "drs.") {
			kindNames = append(kindNames, string(k))
		}
	}
	var commands []string
	for _, c := range newApp(io.Discard, io.Discard).VisibleCommands() {
		if strings.HasPrefix(c.Name, "s") {
			commands = append(commands, c.Name)
		}
	}
	tests := []struct {
		words []string
		want  []string
	}{
		{[]string{"archiver", "s"}, commands},
		{[]string{"archiver", "sync", "--reg"}, []string{"--region"}},
		{[]string{"archiver", "--archive", "/tmp", "sync", "--no-"}, []string{"--no-index"}},
		{[]string{"archiver", "query", "--kind", "drs."}, kindNames},
		{[]string{"archiver", "completion", "z"}, []string{"zsh"}},
		{[]string{"archiver", "help", "exit"}, []string{exitCodesTopic}},
	}
	if len(commands) < 2 || len(kindNames) < 2 {
		t.Fatal("too few commands or kinds to tell completions apart")
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.words, " "), func(t *testing.T) {
			var quoted []string
			for _, w := range tt.words {
				quoted = append(quoted, "'"+w+"'")
			}
			prog := "source " + script + "\nCOMP_WORDS=(" + strings.Join(quoted, " ") + ")\nCOMP_CWORD=" +
				strconv.Itoa(len(tt.words)-1) + "\n_archiver\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n"
			out, err := exec.Command(bash, "-c", prog).CombinedOutput()
			if err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			got := strings.Fields(string(out))
			slices.Sort(got)
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("completions %q, want %q", got, want)
			}
		})
	}
}

// TestOtherShellsAndMan loads the zsh and fish scripts where those shells
// are installed, and renders the manual page with man(1) where it is.
func TestOtherShellsAndMan(t *testing.T) {
	var commands []string
	for _, c := range newApp(io.Discard, io.Discard).VisibleCommands() {
		commands = append(commands, c.Name)
	}
	t.Run("zsh", func(t *testing.T) {
		zsh, err := exec.LookPath("zsh")
		if err != nil {
			t.Skip("zsh is not installed")
		}
		script := scriptOf(t, "completion", "zsh")
		if out, err := exec.Command(zsh, "-c", "source "+script+" && complete -p archiver").CombinedOutput(); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
	})
	t.Run("fish", func(t *testing.T) {
		fish, err := exec.LookPath("fish")
		if err != nil {
			t.Skip("fish is not installed")
		}
		script := scriptOf(t, "completion", "fish")
		if out, err := exec.Command(fish, "-c", "source "+script+"; complete -C 'archiver '").CombinedOutput(); err != nil || !strings.Contains(string(out), "sync") {
			t.Fatalf("%v: %s", err, out)
		}
	})
	t.Run("man", func(t *testing.T) {
		man, err := exec.LookPath("man")
		if err != nil {
			t.Skip("man is not installed: the page is not rendered")
		}
		page := scriptOf(t, "man")
		cmd := exec.Command(man, "-l", page)
		cmd.Env = append(os.Environ(), "MANPAGER=cat", "PAGER=cat", "MANWIDTH=80")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("man -l: %v: %s", err, out)
		}
		text := string(out)
		for _, c := range commands {
			if !strings.Contains(text, c) {
				t.Errorf("the manual page does not name the command %s", c)
			}
		}
	})
	var out, errb strings.Builder
	if code := run(t.Context(), []string{"archiver", "completion", "tcsh"}, &out, &errb); code != cliapp.ExitUsage {
		t.Errorf("completion tcsh: exit %d, want %d", code, cliapp.ExitUsage)
	}
}
