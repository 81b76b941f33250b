// Times one query in ClickHouse (chDB) or DuckDB over views of an export.
//
//   node bench/enginebench.cjs clickhouse|duckdb SETUP.sql QUERY.sql RUNS
//
// SETUP.sql is what 'archiver export --ddl' prints; QUERY.sql one query.
// It runs the setup, then the query RUNS times in the same process, and
// prints the row count and each run's wall time in milliseconds as JSON.
// The engines' packages are found in $ARCHIVER_ENGINES_DIR/node_modules
// (see internal/enginetest).
"use strict";
const fs = require("fs");
const path = require("path");
const { createRequire } = require("module");

const need = createRequire(path.join(path.resolve(process.env.ARCHIVER_ENGINES_DIR || "."), "node_modules", "_"));
const [engine, setupFile, queryFile, runsArg] = process.argv.slice(2);
const setup = fs.readFileSync(setupFile, "utf8");
const query = fs.readFileSync(queryFile, "utf8").trim().replace(/;$/, "");
const runs = Number(runsArg || 5);

function statements(text) {
  return text
    .split(/;[ \t]*(?:\r?\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s.split("\n").some((l) => l.trim() !== "" && !l.trim().startsWith("--")));
}

async function main() {
  const ms = [];
  let rows = 0;
  if (engine === "clickhouse") {
    const { Session } = need("chdb");
    const s = new Session();
    for (const st of statements(setup)) s.query(st, "Null");
    for (let i = 0; i < runs; i++) {
      const t = process.hrtime.bigint();
      const out = s.query(query, "JSONCompactEachRow");
      ms.push(Number(process.hrtime.bigint() - t) / 1e6);
      rows = out.split("\n").filter((l) => l !== "").length;
    }
    s.close();
  } else if (engine === "duckdb") {
    const { DuckDBInstance } = need("@duckdb/node-api");
    const db = await DuckDBInstance.create(":memory:");
    const conn = await db.connect();
    for (const st of statements(setup)) await conn.run(st);
    for (let i = 0; i < runs; i++) {
      const t = process.hrtime.bigint();
      const r = await conn.runAndReadAll(query);
      ms.push(Number(process.hrtime.bigint() - t) / 1e6);
      rows = r.getRows().length;
    }
  } else {
    throw new Error(`unknown engine ${engine}`);
  }
  const sorted = [...ms].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  process.stdout.write(JSON.stringify({ engine, rows, medianMs: Math.round(median), ms: ms.map(Math.round) }) + "\n");
}
main().catch((e) => {
  console.error(`enginebench: ${e.message || e}`);
  process.exit(1);
});
