package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
)

// TestProgressInTmux runs a sync on an 80-column terminal (a tmux pane) and
// checks that the progress line was drawn, that no line of it was wider than
// 79 columns, and that it left nothing on the screen: a line that had
// wrapped would leave its first part behind when cleared.
func TestProgressInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a terminal")
	}
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		t.Skip("no tmux")
	}
	hermeticEnv(t)
	emu := archivetest.Emulator(t, emulator.Options{Seed: 3})
	// Slow enough answers that the line is drawn a few times.
	emu.SetFaults(emulator.Faults{Latency: 20 * time.Millisecond})
	if len(emu.Jobs()) == 0 {
		t.Fatal("no jobs in the emulated history")
	}
	dir := archivetest.Dir(t)
	tmp := t.TempDir()
	sock, raw, out, rc := filepath.Join(tmp, "sock"), filepath.Join(tmp, "raw"), filepath.Join(tmp, "out"), filepath.Join(tmp, "rc")
	script := fmt.Sprintf(`%q -S %q wait-for start
ARCHIVER_TEST_MAIN=1 %q --archive %q sync --endpoint-url %q --page-size 5 >%q
echo $? >%q.tmp && mv %q.tmp %q
sleep 60
`, tmux, sock, os.Args[0], dir, emu.URL(), out, rc, rc, rc)
	scriptFile := filepath.Join(tmp, "run.sh")
	if err := os.WriteFile(scriptFile, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command(tmux, append([]string{"-S", sock}, args...)...)
		cmd.Env = append(os.Environ(), "TERM=xterm-256color")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("tmux %v: %v: %s", args, err, b)
		}
	}
	run("new-session", "-d", "-x", "80", "-y", "24", "sh "+scriptFile)
	t.Cleanup(func() { exec.Command(tmux, "-S", sock, "kill-server").Run() })
	run("pipe-pane", "-o", "cat >"+raw)
	run("wait-for", "-S", "start")

	deadline := time.Now().Add(2 * time.Minute)
	for {
		if b, err := os.ReadFile(rc); err == nil {
			if strings.TrimSpace(string(b)) != "0" {
				o, _ := os.ReadFile(out)
				t.Fatalf("sync: exit %s: %s", b, o)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("sync did not end")
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd := exec.Command(tmux, "-S", sock, "capture-pane", "-p")
	screen, err := cmd.Output()
	if err != nil {
		t.Fatalf("capture-pane: %v", err)
	}
	if s := strings.TrimSpace(string(screen)); s != "" {
		t.Errorf("the progress line left this on the screen:\n%s", s)
	}
	b, err := os.ReadFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	ansi := regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)
	drawn := 0
	for _, seg := range regexp.MustCompile(`[\r\n]`).Split(ansi.ReplaceAllString(string(b), ""), -1) {
		if strings.HasPrefix(seg, "syncing ") {
			drawn++
		}
		if w := width(seg); w > 79 {
			t.Errorf("a %d-column line on an 80-column terminal: %q", w, seg)
		}
	}
	if drawn == 0 {
		t.Errorf("no progress line was drawn: %q", b)
	}
}
