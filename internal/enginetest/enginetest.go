package enginetest

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Engines the tests run.
const (
	ClickHouse = "clickhouse"
	DuckDB     = "duckdb"
)

// Grammars of dt-sql-parser that Parse checks SQL with.
const (
	Hive  = "hive"
	Trino = "trino"
)

// packages names the npm package each engine or grammar needs.
var packages = map[string]string{
	ClickHouse: "chdb",
	DuckDB:     "@duckdb/node-api",
	Hive:       "dt-sql-parser",
	Trino:      "dt-sql-parser",
}

// script returns the path of a node script under testdata.
func script(name string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "testdata", name)
}

// Need skips the test, saying why, unless node and the package that what
// (an engine or a grammar) needs are installed under ARCHIVER_ENGINES_DIR.
func Need(t testing.TB, what string) {
	t.Helper()
	dir := os.Getenv("ARCHIVER_ENGINES_DIR")
	if dir == "" {
		t.Skipf("%s: ARCHIVER_ENGINES_DIR is not set (.ci/run sets it and installs the engines there: npm ci in internal/enginetest's package)", what)
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skipf("%s: node is not installed", what)
	}
	pkg := packages[what]
	if _, err := os.Stat(filepath.Join(dir, "node_modules", filepath.FromSlash(pkg), "package.json")); err != nil {
		t.Skipf("%s: the npm package %s is not installed in %s", what, pkg, dir)
	}
}

// Rows is the answer of one query: each row's values as text, nil for NULL.
type Rows [][]*string

// Query runs the setup statements and then each query in engine (Need
// first), and returns each query's rows. A query ending in a semicolon is
// run without it.
func Query(t testing.TB, engine, setup string, queries ...string) []Rows {
	t.Helper()
	Need(t, engine)
	qs := make([]string, len(queries))
	for i, q := range queries {
		qs[i] = strings.TrimSuffix(strings.TrimSpace(q), ";")
	}
	job, err := json.Marshal(map[string]any{"setup": setup, "queries": qs})
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "job.json")
	if err := os.WriteFile(f, job, 0o600); err != nil {
		t.Fatal(err)
	}
	out := run(t, script("query.cjs"), engine, f)
	var rows []Rows
	if err := json.Unmarshal(out, &rows); err != nil {
		t.Fatalf("%s: %v: %.300s", engine, err, out)
	}
	if len(rows) != len(queries) {
		t.Fatalf("%s answered %d queries of %d", engine, len(rows), len(queries))
	}
	return rows
}

// SyntaxError is one error a grammar found.
type SyntaxError struct {
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
}

// Parse parses sql with a dt-sql-parser grammar (Hive or Trino; Need
// first) and returns the syntax errors it found.
func Parse(t testing.TB, grammar, sql string) []SyntaxError {
	t.Helper()
	Need(t, grammar)
	f := filepath.Join(t.TempDir(), "statements.sql")
	if err := os.WriteFile(f, []byte(sql), 0o600); err != nil {
		t.Fatal(err)
	}
	var errs []SyntaxError
	out := run(t, script("parse.mjs"), grammar, f)
	if err := json.Unmarshal(out, &errs); err != nil {
		t.Fatalf("parse %s: %v: %.300s", grammar, err, out)
	}
	return errs
}

func run(t testing.TB, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("node", args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes()
}
