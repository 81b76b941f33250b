// Package enginetest runs SQL engines for tests: ClickHouse in-process
// (chDB) and DuckDB, to read archiver's exports as their users would, and
// dt-sql-parser's Hive and Trino grammars, to parse the DDL written for
// Athena and Trino, which cannot run offline.
//
// The engines are npm packages at the versions package.json and
// package-lock.json here pin. .ci/run installs them (npm ci) into the
// directory named by ARCHIVER_ENGINES_DIR, outside the repository; the
// tests run them through the small node scripts under testdata. Where
// ARCHIVER_ENGINES_DIR is not set, or node or a package is missing, a test
// that needs an engine skips and says why.
package enginetest
