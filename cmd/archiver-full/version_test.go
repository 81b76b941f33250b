package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/archiver-dev/archiver/internal/buildinfo"
)

// TestVersionPrintsBuildInfo checks that 'version' and '--version' print
// what ReadBuildInfo gives the running binary. A test binary carries no VCS
// stamp, so the revision reads "unknown" here; TestVersionOfGoBuild covers
// a stamped binary.
func TestVersionPrintsBuildInfo(t *testing.T) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		t.Skip("the test binary carries no build information")
	}
	want := buildinfo.From(bi, "")
	if want.GoVersion == "" {
		t.Fatal("ReadBuildInfo gives no Go version")
	}
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, stdout, stderr := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		if first, _, _ := strings.Cut(stdout, "\n"); first != "archiver "+want.String() {
			t.Errorf("%v: first line %q, want %q", args, first, "archiver "+want.String())
		}
		for _, f := range want.Fields() {
			if !strings.Contains(stdout, "\n"+f[0]+":") || !strings.Contains(stdout, " "+f[1]+"\n") {
				t.Errorf("%v: lacks %s %q:\n%s", args, f[0], f[1], stdout)
			}
		}
		if !strings.Contains(stdout, "\narchive schema:") {
			t.Errorf("%v: lacks the schema version:\n%s", args, stdout)
		}
	}
}

// TestVersionOfGoBuild builds the archiver as the README says, with 'go
// build' in the module's git checkout, and checks that 'archiver version'
// and 'archiver-full version' print the revision git gives for HEAD.
func TestVersionOfGoBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("no git")
	}
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		if goBin, err = exec.LookPath("go"); err != nil {
			t.Skip("no go command")
		}
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.Command(git, "-C", root, "rev-parse", "HEAD").Output(); err != nil {
		t.Skip("the module is not a git checkout")
	}
	if st, err := os.Stat(filepath.Join(root, ".git")); err == nil && !st.IsDir() {
		// A linked worktree, where 'go build' stamps no revision: build a
		// copy of its files, committed in a repository of their own.
		root = copyToRepo(t, git, root)
	}
	head := gitOut(t, git, root, "rev-parse", "HEAD")
	dirty := gitOut(t, git, root, "status", "--porcelain") != ""
	bin := t.TempDir()
	build := exec.Command(goBin, "build", "-buildvcs=true", "-o", bin+string(filepath.Separator), "./cmd/...")
	build.Dir = root
	build.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v: %s", err, out)
	}
	// archiver answers version itself, archiver-full as every other
	// command: both carry the revision.
	for _, name := range []string{"archiver", "archiver-full"} {
		out, err := exec.Command(filepath.Join(bin, name), "version").Output()
		if err != nil {
			t.Fatalf("%s version: %v", name, err)
		}
		for _, want := range []string{
			" (revision " + head[:12] + ", ",
			"\nrevision:       " + head + "\n",
			"\nmodified:       " + map[bool]string{false: "no", true: "yes"}[dirty],
		} {
			if !strings.Contains(string(out), want) {
				t.Errorf("%s version lacks %q:\n%s", name, want, out)
			}
		}
	}
}

func gitOut(t *testing.T, git, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command(git, append([]string{"-C", dir}, args...)...).Output()
	if err != nil {
		t.Fatalf("git %v: %v", args, err)
	}
	return strings.TrimSpace(string(out))
}

// copyToRepo copies the files of the checkout at root that git tracks or
// would track into a new repository, commits them, and returns its
// directory.
func copyToRepo(t *testing.T, git, root string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "src")
	for _, name := range strings.Split(gitOut(t, git, root, "ls-files", "-co", "--exclude-standard"), "\n") {
		b, err := os.ReadFile(filepath.Join(root, name))
		if os.IsNotExist(err) {
			continue // deleted in the working tree
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dst, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gitOut(t, git, dst, "init", "--quiet")
	gitOut(t, git, dst, "add", "-A")
	gitOut(t, git, dst, "-c", "user.name=test", "-c", "user.email=test@example.invalid", "commit", "--quiet", "-m", "snapshot")
	return dst
}
