// Runs SQL in one engine and prints the answers as JSON.
//
//   node query.cjs clickhouse|duckdb JOB.json
//
// JOB.json is {"setup": "statements; ...", "queries": ["SELECT ...", ...]}.
// The setup statements run first, one by one (a statement ends with a
// semicolon at the end of a line); then each query. The output is one JSON
// array per query, of rows, each an array of values as strings (null for
// NULL). The engines' packages are found in $ARCHIVER_ENGINES_DIR/node_modules.
"use strict";
const fs = require("fs");
const path = require("path");
const { createRequire } = require("module");

const dir = process.env.ARCHIVER_ENGINES_DIR;
if (!dir) {
  console.error("query.cjs: ARCHIVER_ENGINES_DIR is not set");
  process.exit(2);
}
const need = createRequire(path.join(path.resolve(dir), "node_modules", "_"));
const [engine, jobFile] = process.argv.slice(2);
const job = JSON.parse(fs.readFileSync(jobFile, "utf8"));

// statements splits SQL text into statements, dropping comment-only ones.
function statements(text) {
  return (text || "")
    .split(/;[ \t]*(?:\r?\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s.split("\n").some((l) => l.trim() !== "" && !l.trim().startsWith("--")));
}

function cell(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === "object") return JSON.stringify(v, (_, x) => (typeof x === "bigint" ? x.toString() : x));
  return String(v);
}

async function clickhouse() {
  const { Session } = need("chdb");
  const s = new Session();
  try {
    for (const st of statements(job.setup)) s.query(st, "Null");
    const out = [];
    for (const q of job.queries) {
      const text = s.query(q, "JSONCompactEachRow");
      out.push(text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l).map(cell)));
    }
    return out;
  } finally {
    s.close();
  }
}

async function duckdb() {
  const { DuckDBInstance } = need("@duckdb/node-api");
  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  for (const st of statements(job.setup)) await conn.run(st);
  const out = [];
  for (const q of job.queries) {
    const r = await conn.runAndReadAll(q);
    out.push(r.getRowsJS().map((row) => row.map(cell)));
  }
  return out;
}

const run = { clickhouse, duckdb }[engine];
if (!run) {
  console.error(`query.cjs: unknown engine ${engine} (want clickhouse or duckdb)`);
  process.exit(2);
}
run().then(
  (out) => process.stdout.write(JSON.stringify(out) + "\n"),
  (err) => {
    console.error(`query.cjs ${engine}: ${err && err.message ? err.message : err}`);
    process.exit(1);
  },
);
