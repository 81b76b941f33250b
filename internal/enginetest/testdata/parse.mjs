// Parses SQL with dt-sql-parser's grammars and prints the syntax errors as
// JSON (an empty array when the text parses).
//
//   node parse.mjs hive|trino FILE.sql
//
// dt-sql-parser is published for bundlers: its modules import each other
// without file extensions, which Node's resolver refuses. A resolve hook
// adds ".js" or "/index.js" where the bare path does not resolve. The
// package is found in $ARCHIVER_ENGINES_DIR/node_modules.
import fs from "node:fs";
import path from "node:path";
import { register } from "node:module";
import { pathToFileURL } from "node:url";

const hook = `
import fs from "node:fs";
import { fileURLToPath } from "node:url";
export async function resolve(spec, ctx, next) {
  if ((spec.startsWith(".") || spec.startsWith("/")) && ctx.parentURL && ctx.parentURL.includes("/dt-sql-parser/")) {
    const base = new URL(spec, ctx.parentURL);
    for (const s of ["", ".js", "/index.js"]) {
      const u = new URL(base.href + s);
      try { if (fs.statSync(fileURLToPath(u)).isFile()) return next(u.href, ctx); } catch {}
    }
  }
  return next(spec, ctx);
}`;
register("data:text/javascript," + encodeURIComponent(hook));

const dir = process.env.ARCHIVER_ENGINES_DIR;
if (!dir) {
  console.error("parse.mjs: ARCHIVER_ENGINES_DIR is not set");
  process.exit(2);
}
const [grammar, file] = process.argv.slice(2);
const entry = path.join(path.resolve(dir), "node_modules", "dt-sql-parser", "dist", "index.js");
const lib = await import(pathToFileURL(entry).href);
const Parser = { hive: lib.HiveSQL, trino: lib.TrinoSQL }[grammar];
if (!Parser) {
  console.error(`parse.mjs: unknown grammar ${grammar} (want hive or trino)`);
  process.exit(2);
}
const errors = new Parser().validate(fs.readFileSync(file, "utf8"));
process.stdout.write(JSON.stringify(errors.map((e) => ({ line: e.startLine, column: e.startColumn, message: e.message }))) + "\n");
