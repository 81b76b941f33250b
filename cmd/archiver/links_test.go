package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestLinksLittle keeps archiver small: it links the archive and the query
// package, and none of the full-text index, the AWS SDK's clients,
// parquet-go, go-humanize (its initialiser builds big-number tables and a
// regexp) or the packages of the commands archiver-full alone has, whose
// start-up costs would be every query's.
func TestLinksLittle(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", "github.com/archiver-dev/archiver/cmd/archiver").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, "go.etcd.io/bbolt") || !slices.Contains(deps, "github.com/archiver-dev/archiver/query") {
		t.Fatalf("go list -deps lists no bbolt or query: not archiver's dependencies\n%s", out)
	}
	const mod = "github.com/archiver-dev/archiver/"
	for _, d := range deps {
		bad := strings.HasPrefix(d, "github.com/blevesearch/") || strings.HasPrefix(d, "github.com/parquet-go/") ||
			strings.HasPrefix(d, "github.com/aws/aws-sdk-go-v2/") && !strings.HasSuffix(d, "/types") ||
			strings.HasPrefix(d, "gonum.org/") || d == "github.com/dustin/go-humanize" ||
			strings.HasPrefix(d, mod) && slices.Contains([]string{"index", "sync", "query/search", "query/export", "query/report", "archive/upkeep", "internal/emulator"}, strings.TrimPrefix(d, mod))
		if bad {
			t.Errorf("archiver links %s", d)
		}
	}
}
