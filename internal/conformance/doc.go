// Package conformance is the conformance suite of the record kinds: one
// table-driven test that every kind the registry (archive/kinds) declares
// runs through, as restic runs one suite against every storage backend.
//
// For each kind the suite syncs emulated AWS histories (internal/emulator)
// with every source and checks, against the emulator's own objects and the
// kind's registry declaration, that:
//
//   - every object served is archived byte for byte, members the SDK does
//     not model included;
//   - a sync with nothing changed adds nothing, and after the emulator moves
//     on, an observed kind gains exactly one record per object whose state
//     (less its declared volatile members, with its declared adjustments)
//     changed, and a kind kept as its latest state holds one record per
//     object, its latest;
//   - a kind with a sweep is marked deleted upstream only after a complete
//     listing, and then exactly the deleted object is;
//   - importing saved AWS CLI output of the objects gives the records a sync
//     gives, and adds nothing to an archive a sync filled;
//   - every record makes an index document whose ID round-trips, and a query
//     by time, by ID, by job ID and by parent ID finds it;
//   - a table row and a CSV line show its kind and ID, the JSON and the
//     partitioned S3 export carry it under its kind, and the DDL has a table
//     reading its kind's directory.
//
// The only code per kind is an entry in the fixture table of the test: how
// to read the emulator's objects of the kind and, for a kind with a sweep,
// how to delete one upstream and which fault interrupts its listing. A kind
// added to the registry without an entry fails the suite.
//
// The package holds tests only.
package conformance
