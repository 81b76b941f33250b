package synclock

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestTakeRunningUnlock: a second Take fails naming the holder, Running
// names this process while the lock is held and nothing after Unlock.
func TestTakeRunningUnlock(t *testing.T) {
	dir := t.TempDir()
	since := time.Date(2026, 3, 4, 2, 17, 0, 0, time.UTC)
	l, err := Take(dir, since)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Take(dir, since); !errors.Is(err, ErrRunning) || !strings.Contains(err.Error(), "pid") {
		t.Errorf("second Take: %v, want ErrRunning naming the holder", err)
	}
	h, ok := Running(dir)
	if !ok || h.PID != os.Getpid() || !h.Since.Equal(since) {
		t.Errorf("Running = %+v, %v; want pid %d since %v", h, ok, os.Getpid(), since)
	}
	l.Unlock()
	if h, ok := Running(dir); ok {
		t.Errorf("Running after Unlock = %+v", h)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, FileName)); len(b) != 0 {
		t.Errorf("lock file after Unlock: %q", b)
	}
	l, err = Take(dir, since)
	if err != nil {
		t.Fatalf("Take after Unlock: %v", err)
	}
	l.Unlock()
}

// FuzzParseHolder: the lock file's line is read back exactly, and any
// other text is refused, never misread as a process.
func FuzzParseHolder(f *testing.F) {
	for _, s := range []string{"pid 4242, since 2026-03-04T02:17:00Z\n", "pid 0, since 2026-03-04T02:17:00Z", "pid -1, since x", "", "garbage"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, ok := parseHolder(s)
		if !ok {
			return
		}
		if h.PID <= 0 {
			t.Fatalf("parseHolder(%q) = pid %d", s, h.PID)
		}
		again, ok := parseHolder("pid " + strconv.Itoa(h.PID) + ", since " + h.Since.Format(time.RFC3339))
		if !ok || again.PID != h.PID || !again.Since.Equal(h.Since) {
			t.Fatalf("parseHolder(%q) = %+v does not read back", s, h)
		}
	})
}
