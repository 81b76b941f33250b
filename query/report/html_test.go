package report_test

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/query"
	"github.com/archiver-dev/archiver/query/report"
)

// chromium finds a Chromium to run, or skips the test saying so.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("chromium is not installed (apt-get install -y chromium): the HTML report is not rendered")
	return ""
}

// runChromium runs headless Chromium on args, isolated from the network
// and any profile, and returns its standard output and error.
func runChromium(t *testing.T, bin string, args ...string) (string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(), "--enable-logging=stderr", "--v=0"}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return stdout.String(), stderr.String()
}

// TestHTMLInChromium renders the HTML report of an emulated history in
// headless Chromium and checks, in the DOM it built, that every server,
// figure and failure is there, that the page's script ran under its
// Content-Security-Policy, and that nothing in it points off the file.
// With ARCHIVER_TEST_SCREENSHOT naming a file, it also writes a PNG
// screenshot of the page there.
func TestHTMLInChromium(t *testing.T) {
	bin := chromium(t)
	h := emulated(t)
	to := h.syncs[len(h.syncs)-1]
	rep := makeReport(t, h, report.Selection{Range: query.Range{From: to.Add(-90 * 24 * time.Hour), To: to}})
	page := filepath.Join(t.TempDir(), "report.html")
	var buf bytes.Buffer
	if err := report.Write(&buf, rep, report.FormatHTML); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	url := "file://" + filepath.ToSlash(page)

	// Nothing in the file may be fetched from anywhere: a CSP that
	// forbids it, and no http(s) URL in a src or href.
	src := html.UnescapeString(buf.String())
	if !strings.Contains(src, `http-equiv="Content-Security-Policy" content="default-src 'none';`) {
		t.Error("the page has no Content-Security-Policy of default-src 'none'")
	}
	if m := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?\s*(https?:)?//`).FindString(src); m != "" {
		t.Errorf("the page refers to the network: %s", m)
	}

	dom, logs := runChromium(t, bin, "--dump-dom", url)
	if !strings.Contains(dom, `content="default-src 'none';`) {
		t.Error("the rendered page has no Content-Security-Policy of default-src 'none'")
	}
	if !strings.Contains(dom, `data-sortable="ready"`) {
		t.Errorf("the sorting script did not run under the page's CSP; chromium said:\n%s", logs)
	}
	if strings.Contains(logs, "Content Security Policy") {
		t.Errorf("chromium reports a CSP violation:\n%s", logs)
	}
	if m := regexp.MustCompile(`(?i)(src|href)="(https?:)?//`).FindString(dom); m != "" {
		t.Errorf("the rendered page refers to the network: %s", m)
	}

	var want []string
	add := func(format string, args ...any) { want = append(want, fmt.Sprintf(format, args...)) }
	add("%d / %d", rep.Summary.Drilled, rep.Summary.Protected)
	add("%.1f%%", 100*rep.Summary.SuccessRate)
	add("%s", strings.TrimSpace(rep.Archive.Checkpoint))
	failures := 0
	for _, s := range rep.Servers {
		add(`id="%s"`, "server-"+s.SourceServerID+"-"+s.Region+"-"+s.Account)
		add("%s %s</h2>", s.SourceServerID, s.Hostname)
		add(`<svg class="timeline"`)
		for _, l := range s.Launches {
			add("<code>%s</code>", l.JobID)
			if l.TimeToLaunchSeconds != nil {
				add(">%s</td>", report.Duration(*l.TimeToLaunchSeconds))
			}
			if l.RecoveryPointSeconds != nil {
				add(">%s</td>", report.Duration(*l.RecoveryPointSeconds))
			}
			if l.ErrorCode != "" {
				add("<td>%s</td>", l.ErrorCode)
				failures++
			}
		}
		if g := s.Snapshots.LargestGapSeconds; g != nil {
			add("largest gap %s", report.Duration(*g))
		}
		add("%s outside CONTINUOUS", report.Duration(s.Replication.OutsideContinuousSeconds))
	}
	for _, g := range rep.Summary.Failures {
		add("<td>%s</td><td>%s</td><td class=\"num\">%d</td>", g.Step, orDash(g.ErrorCode), g.Count)
	}
	if len(rep.Servers) == 0 || failures == 0 {
		t.Fatalf("%d servers, %d failures with a code: the test proves nothing", len(rep.Servers), failures)
	}
	for _, w := range want {
		if !strings.Contains(dom, templateEscape(w)) {
			t.Errorf("the rendered page lacks %q", w)
		}
	}

	if shot := os.Getenv("ARCHIVER_TEST_SCREENSHOT"); shot != "" {
		abs, err := filepath.Abs(shot)
		if err != nil {
			t.Fatal(err)
		}
		runChromium(t, bin, "--window-size=1280,3000", "--hide-scrollbars", "--screenshot="+abs, url)
		if fi, err := os.Stat(abs); err != nil || fi.Size() == 0 {
			t.Fatalf("no screenshot at %s: %v", abs, err)
		}
		t.Logf("screenshot written to %s", abs)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// templateEscape escapes text as the DOM serializer writes it.
func templateEscape(s string) string {
	return strings.NewReplacer("&", "&amp;").Replace(s)
}
